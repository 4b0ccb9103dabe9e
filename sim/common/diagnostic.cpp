#include "common/diagnostic.h"

#include <algorithm>
#include <numeric>
#include <ostream>
#include <sstream>

#include <fmt/format.h>

namespace trnsim {

namespace {
const char* severity_name(Severity s) {
  switch (s) {
    case Severity::kError:
      return "error";
    case Severity::kWarning:
      return "warning";
    case Severity::kNote:
      return "note";
  }
  return "error";
}
}  // namespace

std::string format_diagnostic(const Diagnostic& d) {
  std::string out;
  if (!d.file.empty()) {
    out += d.file;
    if (d.line > 0) {
      out += fmt::format(":{}", d.line);
      if (d.column > 0) out += fmt::format(":{}", d.column);
    }
    out += ": ";
  }
  out += fmt::format("{}: {}\n", severity_name(d.severity), d.message);
  if (!d.source_line.empty()) {
    out += fmt::format("  {}\n", d.source_line);
    if (d.column > 0) {
      // Keep tabs in the padding so the caret lines up under tab-indented source.
      std::string pad;
      for (std::size_t i = 0; i + 1 < d.column && i < d.source_line.size(); ++i) {
        pad += d.source_line[i] == '\t' ? '\t' : ' ';
      }
      out += fmt::format("  {}^\n", pad);
    }
  }
  return out;
}

void DiagnosticList::add(Diagnostic diag) {
  if (diag.severity == Severity::kError) {
    ++m_error_count;
    if (m_error_count > m_max_errors) return;
  }
  m_items.push_back(std::move(diag));
}

void DiagnosticList::error(std::string file, std::uint32_t line, std::uint32_t column,
                           std::string message, std::string source_line) {
  add(Diagnostic{Severity::kError, std::move(file), line, column, std::move(message),
                 std::move(source_line)});
}

void DiagnosticList::print(std::ostream& out) const {
  for (const auto& d : m_items)
    out << format_diagnostic(d);
  if (m_error_count > m_max_errors) {
    out << fmt::format("{} more error(s) not shown (limit {})\n", m_error_count - m_max_errors,
                       m_max_errors);
  }
}

std::string DiagnosticList::to_string() const {
  std::ostringstream s;
  print(s);
  return s.str();
}

namespace {
std::string first_message(const DiagnosticList& diags) {
  if (diags.items().empty()) return "invalid input";
  std::string s = format_diagnostic(diags.items().front());
  while (!s.empty() && s.back() == '\n')
    s.pop_back();
  return s;
}
}  // namespace

InputError::InputError(DiagnosticList diags)
    : std::runtime_error(first_message(diags)), m_diags(std::move(diags)) {}

InputError::InputError(std::string file, std::uint32_t line, std::uint32_t column,
                       std::string message, std::string source_line)
    : InputError([&] {
        DiagnosticList d;
        d.error(std::move(file), line, column, std::move(message), std::move(source_line));
        return d;
      }()) {}

std::string_view line_of(std::string_view text, std::uint32_t line) {
  if (line == 0) return {};
  std::size_t pos = 0;
  for (std::uint32_t l = 1; l < line; ++l) {
    pos = text.find('\n', pos);
    if (pos == std::string_view::npos) return {};
    ++pos;
  }
  std::size_t end = text.find('\n', pos);
  std::string_view out =
      text.substr(pos, end == std::string_view::npos ? text.size() - pos : end - pos);
  if (!out.empty() && out.back() == '\r') out.remove_suffix(1);
  return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string closest_match(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string best;
  std::size_t best_dist = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (auto c : candidates) {
    std::size_t d = edit_distance(word, c);
    if (d < best_dist) {
      best_dist = d;
      best = std::string(c);
    }
  }
  return best;
}

}  // namespace trnsim
