#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <systemc>

#include "check/dynamic_errors.h"
#include "check/race_detector.h"
#include "functional/executor.h"
#include "fuzz_targets.h"
#include "stats/report.h"
#include "stats/run_stats.h"
#include "sysc/system/simulation.h"
#include "sysc/system/unfinished_report.h"
#include "trace/checker.h"
#include "trace/hbm_layout.h"
#include "trace/parser.h"

using trnsim::InputError;
using trnsim::fuzz::PropertyViolation;

namespace {

using trnsim::fuzz::tiny_config;
namespace events = trnsim::events;
namespace trace = trnsim::trace;

// The budget of one simulation. Simulated time is the watchdog of `trnsim run --max-time`;
// the event budget stops a run whose events pile up within little simulated time (many
// small transfers), so that every input costs at most a fraction of a second.
constexpr double kTimeBudgetSeconds = 1e-3;
constexpr std::uint64_t kEventBudget = 100'000;

// Counts the events of a run and stops the kernel at the budget.
class EventBudget : public events::Observer {
 public:
  void on_issue(const events::InstructionEvent&) override { count(); }
  void on_complete(const events::InstructionEvent&) override { count(); }
  void on_transfer(const events::TransferEvent&) override { count(); }
  void on_post(const events::PostEvent&) override { count(); }
  void on_link(const events::LinkEvent&) override { count(); }
  bool exceeded() const { return m_events > kEventBudget; }

 private:
  void count() {
    if (++m_events == kEventBudget + 1) sc_core::sc_stop();
  }
  std::uint64_t m_events = 0;
};

// What a run must reproduce exactly when it is repeated.
struct Outcome {
  double seconds = 0;
  bool completed = false;
  bool stopped = false;
  std::size_t blocked = 0;
  std::vector<std::int64_t> semaphores;
  std::size_t races = 0;
  std::size_t errors = 0;
  std::vector<std::vector<std::byte>> outputs;
  std::string report;

  bool operator==(const Outcome&) const = default;
};

Outcome simulate_once(const trace::Program& program, std::string_view text) {
  const auto& cfg = tiny_config();
  const std::vector<std::uint64_t> addresses =
      trace::assign_tensor_addresses(program, cfg.hbm, nullptr);
  trnsim::check::RaceDetector races(program, cfg, addresses);
  trnsim::check::DynamicErrors errors(program, cfg, addresses);
  trnsim::functional::FunctionalExecutor executor(program, cfg, addresses);
  trnsim::stats::StatsCollector collector(program, cfg);
  EventBudget budget;
  const trnsim::sysc::SimulationResult result =
      trnsim::sysc::simulate(program, cfg, addresses,
                             {&collector, &executor, &races, &errors, &budget}, kTimeBudgetSeconds);

  // How the run ended: to its end, at a budget (the watchdog), or in a deadlock that names
  // every stream it left behind.
  // (The event budget may be passed by a run's very last event: that run still completed.)
  const bool stopped = !result.completed && (result.stopped_at_limit || budget.exceeded());
  if (result.completed && !result.blocked.empty()) {
    throw PropertyViolation("a completed run has blocked streams");
  }
  if (!result.completed && !stopped && result.blocked.empty()) {
    throw PropertyViolation("an unfinished run names no blocked stream");
  }
  // The kernel stops at the time limit; a later event would be a run past the watchdog.
  if (result.seconds > kTimeBudgetSeconds * (1 + 1e-9)) {
    throw PropertyViolation(fmt::format("the run went on to {} s, past the {} s limit",
                                        result.seconds, kTimeBudgetSeconds));
  }
  if (!std::isfinite(result.seconds) || result.seconds < 0) {
    throw PropertyViolation(fmt::format("simulated time {} s", result.seconds));
  }

  // Every finding points into the trace, as `trnsim run --check` prints it.
  trnsim::DiagnosticList diags;
  errors.report(diags, text);
  races.report(diags, text);
  if (!result.completed && !stopped) trnsim::sysc::report_deadlock(result, program, text, diags);
  if (stopped) trnsim::sysc::report_stopped(result, program, text, diags);
  trnsim::fuzz::check_positions(diags, text, program.file, true);

  Outcome out;
  out.seconds = result.seconds;
  out.completed = result.completed;
  out.stopped = stopped;
  out.blocked = result.blocked.size();
  out.semaphores = result.final_semaphores;
  out.races = races.races().size();
  out.errors = errors.count();
  for (std::uint32_t t = 0; t < program.tensors.size(); ++t) {
    if (program.tensors[t].output) out.outputs.push_back(executor.tensor_array(t).data);
  }
  const trnsim::stats::RunStats figures =
      collector.finish(result.seconds, result.completed, result.traffic);
  out.report = trnsim::stats::format_report(figures, program) +
               trnsim::stats::to_json(figures, program).dump();
  return out;
}

// Blanks every line an error points at (keeping the line count, so positions stay valid).
// Returns false when an error is about the whole file.
bool blank_error_lines(std::string& text, const trnsim::DiagnosticList& diags) {
  std::vector<std::uint32_t> lines;
  for (const trnsim::Diagnostic& d : diags.items()) {
    if (d.severity != trnsim::Severity::kError) continue;
    if (d.line == 0) return false;
    lines.push_back(d.line);
  }
  std::sort(lines.begin(), lines.end());
  std::uint32_t line = 1;
  std::size_t at = 0;
  for (std::uint32_t blank : lines) {
    for (; line < blank && at != std::string::npos; ++line) {
      at = text.find('\n', at);
      if (at != std::string::npos) ++at;
    }
    if (at == std::string::npos) break;
    const std::size_t end = std::min(text.find('\n', at), text.size());
    std::fill(text.begin() + static_cast<std::ptrdiff_t>(at),
              text.begin() + static_cast<std::ptrdiff_t>(end), ' ');
  }
  return true;
}

// The program to simulate: the input, less the lines the parser or the static checks
// reject, so that a mutation which breaks one instruction still runs the rest (most
// mutations break something, and a whole-input rejection would leave the model unfuzzed;
// fuzz_trace covers the rejections). Empty when nothing sensible is left.
std::optional<trace::Program> runnable_program(std::string& text, const std::string& file) {
  constexpr int kRounds = 4;  // dropping a line can break others (an alias, a tensor)
  for (int round = 0; round < kRounds; ++round) {
    trnsim::DiagnosticList diags;
    trace::Program program;
    if (trace::parse_trace(text, file, program, diags) &&
        trace::check_program(program, tiny_config(), text, diags) &&
        trnsim::sysc::check_supported(program, diags)) {
      return program;
    }
    if (!blank_error_lines(text, diags)) return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

int fuzz_sim(const std::uint8_t* data, std::size_t size) {
  const std::string file = "fuzz.trn";
  std::string text(reinterpret_cast<const char*>(data), size);
  std::optional<trace::Program> runnable = runnable_program(text, file);
  if (!runnable) return 0;
  trace::Program& program = *runnable;
  // The target reads no file: a tensor initialised from one starts as zeros instead.
  for (trace::TensorDecl& t : program.tensors) {
    if (t.init == trace::InitKind::kFile) t.init = trace::InitKind::kZeros;
  }

  // The same run twice: results must not depend on anything but the input.
  const Outcome first = simulate_once(program, text);
  const Outcome second = simulate_once(program, text);
  if (!(first == second)) {
    throw PropertyViolation(fmt::format(
        "two runs of the same trace differ: {} s / {} s, completed {} / {}, races {} / {}, "
        "errors {} / {}",
        first.seconds, second.seconds, first.completed, second.completed, first.races, second.races,
        first.errors, second.errors));
  }
  return 0;
}
