#include "cli/dynamic_checks.h"

#include <iostream>

#include <fmt/format.h>

#include "check/dynamic_errors.h"
#include "check/race_detector.h"
#include "common/source_file.h"
#include "sysc/system/unfinished_report.h"
#include "trace/hbm_layout.h"

namespace trnsim::cli {

ExitCode prepare_simulation(CheckedTrace& checked, const std::string& path, bool as_warnings,
                            bool& supported, std::vector<Diagnostic>* why) {
  checked.program.file = path;
  DiagnosticList unsupported;
  supported = sysc::check_supported(checked.program, unsupported);
  if (supported) return ExitCode::kOk;
  if (why != nullptr) *why = unsupported.items();
  if (!as_warnings) {
    unsupported.print(std::cerr);
    return ExitCode::kBadInput;
  }
  for (Diagnostic d : unsupported.items()) {
    d.severity = Severity::kWarning;
    std::cerr << format_diagnostic(d);
  }
  return ExitCode::kOk;
}

CheckedRun simulate_with_checks(const CheckedTrace& checked, const CheckOptions& opts,
                                const std::vector<events::Observer*>& observers,
                                bool dynamic_checks, const sysc::ModelHooks& hooks) {
  const auto addresses = trace::assign_tensor_addresses(checked.program, checked.cfg.hbm, nullptr);
  check::RaceDetector races(checked.program, checked.cfg, addresses);
  check::DynamicErrors errors(checked.program, checked.cfg, addresses);
  std::vector<events::Observer*> all = observers;
  if (dynamic_checks) {
    all.push_back(&races);
    all.push_back(&errors);
  }

  CheckedRun run;
  run.result = sysc::simulate(checked.program, checked.cfg, addresses, all, opts.max_time, hooks);
  run.races = dynamic_checks ? races.races().size() : 0;
  run.errors = dynamic_checks ? errors.count() : 0;
  run.stopped = run.result.stopped_at_limit;
  run.deadlock = !run.result.completed && !run.stopped;
  if (!run.findings()) return run;

  std::string source;
  try {
    source = read_file(opts.trace);
  } catch (const InputError&) {
    // The source lines are a courtesy; the messages stand without them.
  }
  // One list, so --max-errors caps the findings together; each kind's share is kept apart
  // for reports that judge them separately (--junit).
  DiagnosticList diags(opts.max_errors);
  const auto since = [&diags](std::size_t first) {
    return std::vector<Diagnostic>(diags.items().begin() + static_cast<std::ptrdiff_t>(first),
                                   diags.items().end());
  };
  if (dynamic_checks) {
    errors.report(diags, source);
    run.error_diags = since(0);
    const std::size_t first_race = diags.items().size();
    races.report(diags, source);
    run.race_diags = since(first_race);
  }
  const std::size_t first_unfinished = diags.items().size();
  if (run.deadlock) sysc::report_deadlock(run.result, checked.program, source, diags);
  if (run.stopped) sysc::report_stopped(run.result, checked.program, source, diags);
  run.unfinished_diags = since(first_unfinished);
  diags.print(std::cerr);
  return run;
}

void log_findings(PhaseLog& log, const CheckedRun& run, bool dynamic_checks,
                  const std::string& unfinished_name) {
  // A kind with findings but nothing printed lost its place to the --max-errors limit.
  const auto summary = [&](std::size_t found, const std::vector<Diagnostic>& printed,
                           std::string_view what) {
    if (found == 0 || !printed.empty()) return std::string();
    return fmt::format("{} {} not shown (--max-errors limit reached)", found, what);
  };
  if (dynamic_checks) {
    log.add("run-time errors", 0, run.error_diags,
            summary(run.errors, run.error_diags, "error(s)"));
    log.add("races", 0, run.race_diags, summary(run.races, run.race_diags, "race(s)"));
  }
  const bool unfinished = run.deadlock || run.stopped;
  log.add(unfinished_name, 0, run.unfinished_diags,
          summary(unfinished ? 1 : 0, run.unfinished_diags, "unfinished run"));
}

}  // namespace trnsim::cli
