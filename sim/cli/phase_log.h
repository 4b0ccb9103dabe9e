// What `check` and `run` did, phase by phase (config, parse, static checks, then what the
// simulation found), as JUnit test cases for `--junit FILE` (docs/cli.md, "JUnit
// reports"). The log is always kept, it costs a few strings; the file is written only when
// asked for, and also when the command fails: that is when a CI system needs it most.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/diagnostic.h"
#include "io/junit.h"

namespace trnsim::cli {

class PhaseLog {
 public:
  // `suite`: "trnsim.check"; `subject`: the trace, the classname of every case.
  PhaseLog(std::string suite, std::string subject);

  // Starts timing phase `name`. A phase left open when an InputError escapes the command
  // is recorded as failed with that error (run_logged).
  void start(std::string name);
  // Closes the open phase.
  void pass();
  // `summary`: the line the command printed after the diagnostics, if any.
  void fail(const std::vector<Diagnostic>& diags, const std::string& summary = {});

  // A phase timed elsewhere: several checks judged from one simulation share its time.
  void add(std::string name, double seconds, const std::vector<Diagnostic>& diags,
           const std::string& summary = {});
  void skip(std::string name, std::string reason);

  io::JunitSuite suite() const;

 private:
  io::JunitCase& close();

  std::string m_subject;
  io::JunitSuite m_suite;
  double m_start;
  bool m_open = false;
  double m_phase_start = 0;
};

// Runs a command's work with `log`, then writes the log as JUnit XML to `path` (unless
// empty), whatever the outcome: an InputError or other exception is recorded against the
// open phase, the file written, and the exception rethrown.
ExitCode run_logged(PhaseLog& log, const std::string& path, const std::function<ExitCode()>& work);

// The `--junit FILE` option.
void add_junit_option(CLI::App& cmd, std::string& path);

}  // namespace trnsim::cli
