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
  std::size_t races = 0;  // found by the race detector, which watches the same run

  // The values of tensor `name` after the run, row-major, as fp32.
  std::vector<float> values(std::string_view name) const;
};

enum class Races : bool { kNone, kExpected };

// Parses `text` as file `file` (which must pass the static checker), and simulates it with
// functional execution and the race detector. Fails the current test on parse or check
// errors, and on any race unless `races` says one is expected.
std::unique_ptr<FunctionalRun> run_functional(std::string_view text,
                                              const config::SystemConfig& cfg = {},
                                              const std::string& file = "test.trn",
                                              Races races = Races::kNone);

}  // namespace trnsim::test
