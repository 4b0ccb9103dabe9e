#include "cli/phase_log.h"

#include <chrono>
#include <exception>
#include <iostream>

#include "cli/cli_common.h"

namespace trnsim::cli {

namespace {

double now_seconds() {
  using namespace std::chrono;
  return duration_cast<duration<double>>(steady_clock::now().time_since_epoch()).count();
}

// The first line of each diagnostic, `file:line:col: error: message`: what a CI page shows
// for the failure. The full text, with source lines and carets, is the failure's body.
std::string headlines(const std::vector<Diagnostic>& diags, const std::string& summary) {
  std::string out;
  for (const Diagnostic& d : diags) {
    const std::string text = format_diagnostic(d);
    if (!out.empty()) out += '\n';
    out += text.substr(0, text.find('\n'));
  }
  if (out.empty()) out = summary.empty() ? "failed" : summary;
  return out;
}

std::string details(const std::vector<Diagnostic>& diags, const std::string& summary) {
  std::string out;
  for (const Diagnostic& d : diags)
    out += format_diagnostic(d);
  if (!summary.empty()) out += summary + "\n";
  return out;
}

void set_failure(io::JunitCase& c, const std::vector<Diagnostic>& diags,
                 const std::string& summary) {
  c.outcome = io::JunitCase::Outcome::kFailed;
  c.message = headlines(diags, summary);
  c.details = details(diags, summary);
}

}  // namespace

PhaseLog::PhaseLog(std::string suite, std::string subject)
    : m_subject(std::move(subject)), m_start(now_seconds()) {
  m_suite.name = std::move(suite);
}

void PhaseLog::start(std::string name) {
  if (m_open) pass();
  io::JunitCase c;
  c.name = std::move(name);
  c.classname = m_subject;
  m_suite.cases.push_back(std::move(c));
  m_open = true;
  m_phase_start = now_seconds();
}

io::JunitCase& PhaseLog::close() {
  io::JunitCase& c = m_suite.cases.back();
  c.seconds = now_seconds() - m_phase_start;
  m_open = false;
  return c;
}

void PhaseLog::pass() {
  if (m_open) close();
}

void PhaseLog::fail(const std::vector<Diagnostic>& diags, const std::string& summary) {
  if (m_open) set_failure(close(), diags, summary);
}

void PhaseLog::add(std::string name, double seconds, const std::vector<Diagnostic>& diags,
                   const std::string& summary) {
  pass();
  io::JunitCase c;
  c.name = std::move(name);
  c.classname = m_subject;
  c.seconds = seconds;
  if (!diags.empty() || !summary.empty()) set_failure(c, diags, summary);
  m_suite.cases.push_back(std::move(c));
}

void PhaseLog::skip(std::string name, std::string reason) {
  pass();
  io::JunitCase c;
  c.name = std::move(name);
  c.classname = m_subject;
  c.outcome = io::JunitCase::Outcome::kSkipped;
  c.message = std::move(reason);
  m_suite.cases.push_back(std::move(c));
}

io::JunitSuite PhaseLog::suite() const {
  io::JunitSuite s = m_suite;
  s.seconds = now_seconds() - m_start;
  return s;
}

ExitCode run_logged(PhaseLog& log, const std::string& path, const std::function<ExitCode()>& work) {
  // The report is written without throwing (try_write_output): an exception thrown from
  // here trips a false "stack-use-after-scope" in GCC 12's AddressSanitizer. Returns false,
  // having printed why, when it cannot be written.
  const auto write = [&] {
    if (path.empty()) return true;
    if (std::optional<WriteError> error = try_write_output(path, io::to_junit_xml({log.suite()}))) {
      InputError(error->file, 0, 0, error->message).diagnostics().print(std::cerr);
      return false;
    }
    return true;
  };
  // On the way out with an error, a report that cannot be written is mentioned, but the
  // error that ended the command is the one main() reports.
  ExitCode status = ExitCode::kOk;
  try {
    status = work();
  } catch (const InputError& e) {
    log.fail(e.diagnostics().items());
    write();
    throw;
  } catch (const std::exception& e) {
    log.fail({}, std::string("internal error: ") + e.what());
    write();
    throw;
  }
  log.pass();
  return write() ? status : ExitCode::kBadInput;
}

void add_junit_option(CLI::App& cmd, std::string& path) {
  cmd.add_option("--junit", path,
                 "Also write the outcome of each phase (parse, static checks, races, ...) as "
                 "a JUnit XML report to this file, whether the command succeeds or not")
      ->type_name("FILE")
      ->check(CLI::Validator(
          [](const std::string& value) -> std::string {
            if (value == "-") return "expected a file name: '-' would mix it with the report";
            return {};
          },
          "", ""));
}

}  // namespace trnsim::cli
