// Running small traces with functional execution in tests and reading the tensors back.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "functional/executor.h"
#include "sysc/system/simulation.h"
#include "trace/program.h"

namespace trnsim::test {

struct FunctionalRun {
  config::SystemConfig cfg;
  trace::Program program;
  std::vector<std::uint64_t> addresses;
  std::unique_ptr<functional::FunctionalExecutor> executor;
  sysc::SimulationResult result;

  // The values of tensor `name` after the run, row-major, as fp32.
  std::vector<float> values(std::string_view name) const;
};

// Parses `text` as file `file` (which must pass the static checker), and simulates it with
// functional execution. Fails the current test on parse or check errors.
std::unique_ptr<FunctionalRun> run_functional(std::string_view text,
                                              const config::SystemConfig& cfg = {},
                                              const std::string& file = "test.trn");

}  // namespace trnsim::test
