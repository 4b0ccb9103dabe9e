// What `trnsim check` reports about a program that passed the static checks: figures that
// need no simulation — instructions per core and engine, HBM footprint, DMA bytes, matmul
// FLOPs. (`trnsim run` reports the simulated figures: sim/stats, docs/stats.md. The two
// define DMA bytes and FLOPs the same way.)
#pragma once

#include <array>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "config/config.h"
#include "isa/isa.h"
#include "trace/program.h"

namespace trnsim::cli {

using EngineCounts = std::array<std::uint64_t, isa::kNumEngines>;  // indexed by isa::Engine

struct CoreSummary {
  trace::CoreId id;
  EngineCounts instructions{};  // DMA: all queues of the core
};

struct ProgramSummary {
  std::string trace;   // the trace file as named on the command line
  std::string config;  // SystemConfig::name
  std::uint32_t config_chips = 0;
  std::uint32_t config_cores_per_chip = 0;
  std::vector<CoreSummary> cores;  // the program's cores, in its order
  std::uint64_t instructions = 0;
  std::uint64_t tensors = 0;
  std::uint64_t hbm_bytes = 0;  // sum of the declared tensors' sizes
  // DMA `copy` and `copy_add`: instructions, and bytes moved (the larger side when a copy
  // converts dtypes).
  std::uint64_t dma_transfers = 0;
  std::uint64_t dma_bytes = 0;
  // 2 * K * M * N summed over `matmul` instructions (transposes are not counted).
  std::uint64_t flops = 0;
};

// Bytes an operand covers: partitions x free elements x dtype size (SBUF/PSUM), or free
// elements x dtype size (HBM patterns and tensor slices).
std::uint64_t operand_bytes(const trace::Operand& op);

ProgramSummary summarize(const trace::Program& program, const config::SystemConfig& cfg,
                         const std::string& trace_name);

// The human-readable report: a few `name: value` lines and a core x engine table.
void print_summary(const ProgramSummary& summary, std::ostream& out);

}  // namespace trnsim::cli
