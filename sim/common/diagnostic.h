// Diagnostics: what a user sees when their trace, config or command line is wrong.
//
// Every front end (config loader, trace parser, static checker, CLI) reports problems as
// Diagnostic values collected in a DiagnosticList, so that all errors of a file are shown
// at once, each in the compiler-style form `file:line:col: error: message`, followed by the
// offending source line and a caret under the column.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace trnsim {

// Exit codes of the `trnsim` command; the contract for scripts and regression suites.
enum class ExitCode : int {
  kOk = 0,
  kProgramError = 1,       // the simulated program is wrong: race, deadlock, bounds
  kBadInput = 2,           // parse error, config error, usage error
  kRegressionMismatch = 3  // results differ from the expected ones
};

enum class Severity : std::uint8_t { kError, kWarning, kNote };

struct Diagnostic {
  Severity severity = Severity::kError;
  std::string file;          // empty when not about a file (e.g. a command-line override)
  std::uint32_t line = 0;    // 1-based; 0 when the problem has no line
  std::uint32_t column = 0;  // 1-based; 0 when the problem has no column
  std::string message;
  std::string source_line;  // the text of `line`, shown under the message with a caret
};

// Formats one diagnostic the way compilers do, ending with a newline.
std::string format_diagnostic(const Diagnostic& diag);

// An ordered collection of diagnostics with a cap on how many errors are kept, so a
// file with a systematic mistake on every line does not flood the terminal.
class DiagnosticList {
 public:
  explicit DiagnosticList(std::size_t max_errors = 50) : m_max_errors(max_errors) {}

  void add(Diagnostic diag);
  void error(std::string file, std::uint32_t line, std::uint32_t column, std::string message,
             std::string source_line = {});

  bool has_errors() const { return m_error_count > 0; }
  std::size_t error_count() const { return m_error_count; }
  // True once the cap is reached: callers may stop early, nothing more will be stored.
  bool full() const { return m_error_count >= m_max_errors; }
  const std::vector<Diagnostic>& items() const { return m_items; }

  // Prints every diagnostic, then a line saying how many errors were left out, if any.
  void print(std::ostream& out) const;
  std::string to_string() const;

 private:
  std::size_t m_max_errors;
  std::size_t m_error_count = 0;
  std::vector<Diagnostic> m_items;
};

// Thrown by loaders and parsers when input is bad; carries every diagnostic found.
// The command-line front end turns it into a message and ExitCode::kBadInput.
class InputError : public std::runtime_error {
 public:
  explicit InputError(DiagnosticList diags);
  InputError(std::string file, std::uint32_t line, std::uint32_t column, std::string message,
             std::string source_line = {});
  const DiagnosticList& diagnostics() const { return m_diags; }

 private:
  DiagnosticList m_diags;
};

// Returns the 1-based `line` of `text` without its newline, or an empty view.
std::string_view line_of(std::string_view text, std::uint32_t line);

// Levenshtein distance, used for "did you mean" suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, if it is close enough to be a plausible typo.
std::string closest_match(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace trnsim
