#include "sim_harness.h"

#include <cmath>
#include <stdexcept>

#include <doctest/doctest.h>

#include "trace/checker.h"
#include "trace/hbm_layout.h"
#include "trace/parser.h"

namespace trnsim::test {

namespace {
const events::InstructionEvent& find_line(const std::vector<events::InstructionEvent>& events,
                                          const trace::Program& p, std::uint32_t line) {
  for (const auto& e : events) {
    if (p.instructions[e.index].line == line) return e;
  }
  throw std::runtime_error("no event for line " + std::to_string(line));
}
}  // namespace

const events::InstructionEvent& Recorder::completion_of_line(const trace::Program& p,
                                                             std::uint32_t line) const {
  return find_line(completed, p, line);
}

const events::InstructionEvent& Recorder::issue_of_line(const trace::Program& p,
                                                        std::uint32_t line) const {
  return find_line(issued, p, line);
}

Run run_program(trace::Program program, const config::SystemConfig& cfg) {
  Run run;
  run.program = std::move(program);
  DiagnosticList diags;
  trace::check_program(run.program, cfg, {}, diags);
  INFO(diags.to_string());
  REQUIRE_FALSE(diags.has_errors());
  const auto addresses = trace::assign_tensor_addresses(run.program, cfg.hbm, nullptr);
  stats::StatsCollector collector(run.program, cfg);
  run.result = sysc::simulate(run.program, cfg, addresses, {&run.recorder, &collector});
  run.stats = collector.finish(run.result.seconds, run.result.completed, run.result.traffic);
  return run;
}

Run run_trace(std::string_view text, const config::SystemConfig& cfg) {
  trace::Program program;
  DiagnosticList diags;
  trace::parse_trace(text, "test.trn", program, diags);
  INFO(diags.to_string());
  REQUIRE_FALSE(diags.has_errors());
  return run_program(std::move(program), cfg);
}

double cycles(double seconds, double ghz) {
  return std::round(seconds * ghz * 1e9 * 1000.0) / 1000.0;
}

}  // namespace trnsim::test
