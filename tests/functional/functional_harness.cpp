#include "functional_harness.h"

#include <doctest/doctest.h>

#include "check/race_detector.h"
#include "trace/checker.h"
#include "trace/hbm_layout.h"
#include "trace/parser.h"

namespace trnsim::test {

std::vector<float> FunctionalRun::values(std::string_view name) const {
  const std::uint32_t index = program.find_tensor(name);
  REQUIRE(index != trace::kNone);
  return executor->tensor_values(index);
}

std::unique_ptr<FunctionalRun> run_functional(std::string_view text,
                                              const config::SystemConfig& cfg,
                                              const std::string& file, Races expected) {
  auto run = std::make_unique<FunctionalRun>();
  run->cfg = cfg;
  DiagnosticList diags;
  trace::parse_trace(text, file, run->program, diags);
  trace::check_program(run->program, run->cfg, {}, diags);
  INFO(diags.to_string());
  REQUIRE_FALSE(diags.has_errors());
  run->addresses = trace::assign_tensor_addresses(run->program, run->cfg.hbm, nullptr);
  run->executor =
      std::make_unique<functional::FunctionalExecutor>(run->program, run->cfg, run->addresses);
  check::RaceDetector races(run->program, run->cfg, run->addresses);
  run->result =
      sysc::simulate(run->program, run->cfg, run->addresses, {run->executor.get(), &races});
  run->races = races.races().size();
  if (expected == Races::kNone) CHECK(run->races == 0);
  REQUIRE(run->result.completed);
  return run;
}

}  // namespace trnsim::test
