#include "stats/text_table.h"

#include <algorithm>

namespace trnsim::stats {

namespace {

constexpr std::size_t kGap = 2;  // spaces between columns

}  // namespace

void TextTable::add_column(std::string header, Align align) {
  m_columns.push_back({std::move(header), align});
}

void TextTable::add_row(std::vector<std::string> cells) {
  cells.resize(m_columns.size());
  m_rows.push_back(std::move(cells));
}

std::string TextTable::render() const {
  std::vector<std::size_t> widths(m_columns.size());
  for (std::size_t c = 0; c < m_columns.size(); ++c) {
    widths[c] = m_columns[c].header.size();
    for (const auto& row : m_rows)
      widths[c] = std::max(widths[c], row[c].size());
  }
  auto line = [&](auto cell_of) {
    std::string out;
    for (std::size_t c = 0; c < m_columns.size(); ++c) {
      const std::string& text = cell_of(c);
      if (c > 0) out.append(kGap, ' ');
      const std::size_t pad = widths[c] - text.size();
      if (m_columns[c].align == Align::kRight) out.append(pad, ' ');
      out += text;
      if (m_columns[c].align == Align::kLeft) out.append(pad, ' ');
    }
    out.erase(out.find_last_not_of(' ') + 1);
    return out + '\n';
  };
  std::string out = line([&](std::size_t c) -> const std::string& { return m_columns[c].header; });
  for (const auto& row : m_rows)
    out += line([&](std::size_t c) -> const std::string& { return row[c]; });
  return out;
}

}  // namespace trnsim::stats
