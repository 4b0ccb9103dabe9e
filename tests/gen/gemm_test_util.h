// Shared by the generator tests: the two configs the grid runs on, and the checks every
// generated GEMM must pass.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"
#include "gen/gemm.h"
#include "generator_checks.h"
#include "trace/program.h"

namespace trnsim::test {

// trn2: the struct defaults (config.h says they are configs/trn2.yaml).
config::SystemConfig trn2_config();

// A deliberately small chip, like configs/tiny.yaml: a 16x16 array over 16 partitions,
// 16 KiB of SBUF per partition, 4 PSUM banks of 2 KiB, 4 DMA queues, 2 cores.
config::SystemConfig tiny_config();

struct GemmCase {
  std::string config;  // "trn2" or "tiny"
  std::uint64_t m, n, k;
  std::uint32_t cores = 1;

  config::SystemConfig make_config() const;
  gen::GemmOptions options() const;
  std::string name() const;
};

Generated generate(const gen::GemmOptions& options, const config::SystemConfig& cfg);

// C = AT^T . B modulo 2^32 from the interpreter's initial values: the reference a run of
// the trace must reproduce exactly.
std::vector<std::uint32_t> reference_c(const gen::GemmOptions& options);

}  // namespace trnsim::test
