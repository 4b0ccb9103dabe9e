// Running small traces through the timing model in tests, and reading back when each
// instruction started and finished.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "events/observer.h"
#include "stats/run_stats.h"
#include "sysc/system/simulation.h"
#include "trace/program.h"

namespace trnsim::test {

// Records every event of a run.
class Recorder : public events::Observer {
 public:
  void on_issue(const events::InstructionEvent& e) override { issued.push_back(e); }
  void on_complete(const events::InstructionEvent& e) override { completed.push_back(e); }
  void on_transfer(const events::TransferEvent& e) override { transfers.push_back(e); }

  // The completion event of the instruction on source line `line`.
  const events::InstructionEvent& completion_of_line(const trace::Program& p,
                                                     std::uint32_t line) const;
  const events::InstructionEvent& issue_of_line(const trace::Program& p, std::uint32_t line) const;

  std::vector<events::InstructionEvent> issued;
  std::vector<events::InstructionEvent> completed;
  std::vector<events::TransferEvent> transfers;
};

struct Run {
  trace::Program program;
  sysc::SimulationResult result;
  Recorder recorder;
  stats::RunStats stats;
};

// Parses `text` (which must pass the static checker for `cfg`), simulates it, and returns
// everything recorded. Fails the current test on parse or check errors.
Run run_trace(std::string_view text, const config::SystemConfig& cfg);
// The same for a program built in memory.
Run run_program(trace::Program program, const config::SystemConfig& cfg);

// Seconds -> cycles of a clock, rounded to the nearest cycle.
double cycles(double seconds, double ghz);

}  // namespace trnsim::test
