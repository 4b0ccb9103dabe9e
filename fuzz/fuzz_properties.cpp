#include <fmt/format.h>

#include "config/config_loader.h"
#include "fuzz_targets.h"

namespace trnsim::fuzz {

namespace {

// Lines as the diagnostics count them: 1-based, split at '\n'; the text after the last
// newline (maybe empty) is a line too, where an "unexpected end of input" points.
std::size_t count_lines(std::string_view text) {
  std::size_t n = 1;
  for (char c : text)
    n += c == '\n';
  return n;
}

}  // namespace

const config::SystemConfig& tiny_config() {
  static const config::SystemConfig cfg =
      config::load_config(TRNSIM_SOURCE_DIR "/configs/tiny.yaml");
  return cfg;
}

void check_positions(const DiagnosticList& diags, std::string_view text, const std::string& file,
                     bool allow_whole_file) {
  const std::size_t lines = count_lines(text);
  for (const Diagnostic& d : diags.items()) {
    if (d.file != file) continue;  // about another file (a config's base)
    const std::string where = fmt::format("{}:{}:{}: {}", d.file, d.line, d.column, d.message);
    if (d.line == 0) {
      if (!allow_whole_file) throw PropertyViolation("diagnostic without a line: " + where);
      if (d.column != 0) throw PropertyViolation("column without a line: " + where);
      continue;
    }
    if (d.line > lines) {
      throw PropertyViolation(fmt::format("line after the end ({} lines): {}", lines, where));
    }
    const std::size_t length = line_of(text, d.line).size();
    if (d.column < 1 || d.column > length + 1) {
      throw PropertyViolation(
          fmt::format("column outside the line ({} characters): {}", length, where));
    }
  }
}

}  // namespace trnsim::fuzz
