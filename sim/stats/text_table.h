// Columns of text for the terminal report, each as wide as its widest cell or header, so
// that tables line up whatever the figures are.
#pragma once

#include <string>
#include <vector>

namespace trnsim::stats {

class TextTable {
 public:
  enum class Align { kLeft, kRight };

  void add_column(std::string header, Align align);
  // One cell per column; missing cells are empty.
  void add_row(std::vector<std::string> cells);

  // The header line, then one line per row; columns two spaces apart, no trailing spaces.
  std::string render() const;

 private:
  struct Column {
    std::string header;
    Align align;
  };
  std::vector<Column> m_columns;
  std::vector<std::vector<std::string>> m_rows;
};

}  // namespace trnsim::stats
