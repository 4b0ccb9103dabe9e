#include <doctest/doctest.h>

#include "stats/text_table.h"

using trnsim::stats::TextTable;

TEST_CASE("text table: columns as wide as their widest cell, two spaces apart") {
  TextTable t;
  t.add_column("engine", TextTable::Align::kLeft);
  t.add_column("busy %", TextTable::Align::kRight);
  t.add_column("note", TextTable::Align::kLeft);
  t.add_row({"TensorE", "100.0", "x"});
  t.add_row({"DMA", "5.0"});  // the missing cell is empty
  CHECK(t.render() ==
        "engine   busy %  note\n"
        "TensorE   100.0  x\n"
        "DMA         5.0\n");
}
