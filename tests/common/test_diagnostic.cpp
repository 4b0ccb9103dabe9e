// Diagnostics (sim/common/diagnostic.h): the compiler-style format, the error cap, and
// the "did you mean" helpers.
#include <doctest/doctest.h>

#include <sstream>
#include <string>

#include "common/diagnostic.h"

namespace trnsim {
namespace {

Diagnostic error_at(std::uint32_t line, std::uint32_t column, std::string source = {}) {
  return Diagnostic{Severity::kError, "f.trn", line, column, "bad thing", std::move(source)};
}

TEST_CASE("diagnostic: file, line and column, the source line and a caret") {
  CHECK(format_diagnostic(error_at(3, 5, "pe: matmul x")) ==
        "f.trn:3:5: error: bad thing\n"
        "  pe: matmul x\n"
        "      ^\n");
  CHECK(format_diagnostic(error_at(1, 1, "x")) == "f.trn:1:1: error: bad thing\n  x\n  ^\n");
}

TEST_CASE("diagnostic: the caret keeps the tabs of the line, so it lines up") {
  CHECK(format_diagnostic(error_at(2, 4, "\t\tab cd")) ==
        "f.trn:2:4: error: bad thing\n"
        "  \t\tab cd\n"
        "  \t\t ^\n");
  CHECK(format_diagnostic(error_at(2, 5, "a\tb\tc")) ==
        "f.trn:2:5: error: bad thing\n"
        "  a\tb\tc\n"
        "   \t \t^\n");
}

TEST_CASE("diagnostic: a caret past the end of the line sits just after it") {
  // "expected ..., got end of line" points one past the last character.
  CHECK(format_diagnostic(error_at(1, 4, "abc")) == "f.trn:1:4: error: bad thing\n  abc\n     ^\n");
  CHECK(format_diagnostic(error_at(1, 40, "abc")) ==
        "f.trn:1:40: error: bad thing\n  abc\n     ^\n");
}

TEST_CASE("diagnostic: what is left out when it is not known") {
  CHECK(format_diagnostic(error_at(3, 0, "line")) == "f.trn:3: error: bad thing\n  line\n");
  CHECK(format_diagnostic(error_at(3, 5)) == "f.trn:3:5: error: bad thing\n");
  CHECK(format_diagnostic(error_at(0, 0)) == "f.trn: error: bad thing\n");
  CHECK(format_diagnostic(Diagnostic{Severity::kError, "", 0, 0, "no file", ""}) ==
        "error: no file\n");
  // A line number without a file is not printed: there is nothing to number.
  CHECK(format_diagnostic(Diagnostic{Severity::kError, "", 4, 2, "m", ""}) == "error: m\n");
}

TEST_CASE("diagnostic: severities") {
  CHECK(format_diagnostic(Diagnostic{Severity::kWarning, "f", 1, 1, "w", ""}) ==
        "f:1:1: warning: w\n");
  CHECK(format_diagnostic(Diagnostic{Severity::kNote, "f", 1, 1, "n", ""}) == "f:1:1: note: n\n");
}

TEST_CASE("diagnostic list: errors past the cap are counted, and said so") {
  DiagnosticList list(3);
  CHECK_FALSE(list.has_errors());
  for (std::uint32_t i = 1; i <= 5; ++i) {
    CHECK(list.full() == (i > 3));
    list.error("f", i, 1, "e" + std::to_string(i));
  }
  CHECK(list.has_errors());
  CHECK(list.error_count() == 5);
  REQUIRE(list.items().size() == 3);
  CHECK(list.items()[2].message == "e3");
  CHECK(list.to_string() ==
        "f:1:1: error: e1\nf:2:1: error: e2\nf:3:1: error: e3\n"
        "2 more error(s) not shown (limit 3)\n");
  std::ostringstream out;
  list.print(out);
  CHECK(out.str() == list.to_string());
}

TEST_CASE("diagnostic list: warnings and notes are kept and do not count as errors") {
  DiagnosticList list(1);
  list.add(Diagnostic{Severity::kWarning, "f", 1, 1, "w", ""});
  list.error("f", 2, 1, "e");
  list.add(Diagnostic{Severity::kNote, "f", 2, 1, "n", ""});
  CHECK(list.error_count() == 1);
  CHECK(list.items().size() == 3);
  CHECK(list.to_string().find("more error") == std::string::npos);
}

TEST_CASE("diagnostic list: exactly at the cap nothing is left out") {
  DiagnosticList list(2);
  list.error("f", 1, 1, "a");
  list.error("f", 2, 1, "b");
  CHECK(list.full());
  CHECK(list.to_string() == "f:1:1: error: a\nf:2:1: error: b\n");
}

TEST_CASE("input error: what() is the first diagnostic, without the final newline") {
  const InputError one("c.yaml", 4, 2, "bad key", "foo: 1");
  CHECK(std::string(one.what()) == "c.yaml:4:2: error: bad key\n  foo: 1\n   ^");
  CHECK(one.diagnostics().error_count() == 1);
  const InputError none{DiagnosticList{}};
  CHECK(std::string(none.what()) == "invalid input");
}

TEST_CASE("line_of: lines by number, without their line end") {
  const std::string_view text = "one\r\ntwo\n\nfour";
  CHECK(line_of(text, 1) == "one");
  CHECK(line_of(text, 2) == "two");
  CHECK(line_of(text, 3) == "");
  CHECK(line_of(text, 4) == "four");
  CHECK(line_of(text, 5) == "");
  CHECK(line_of(text, 0) == "");
  CHECK(line_of("", 1) == "");
  CHECK(line_of("x\n", 2) == "");
}

TEST_CASE("edit distance") {
  CHECK(edit_distance("", "") == 0);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("abc", "") == 3);
  CHECK(edit_distance("gelu", "gelu") == 0);
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("sitting", "kitten") == 3);
  CHECK(edit_distance("matmull", "matmul") == 1);  // deletion
  CHECK(edit_distance("gelo", "gelu") == 1);       // substitution
  CHECK(edit_distance("tensr", "tensor") == 1);    // insertion
  CHECK(edit_distance("fp23", "fp32") == 2);       // a transposition is two edits
}

TEST_CASE("closest match: a plausible typo, or nothing") {
  CHECK(closest_match("matmull", {"matmul", "transpose", "memset"}) == "matmul");
  CHECK(closest_match("pee", {"pe", "act", "dve"}) == "pe");
  CHECK(closest_match("gelo", {"relu", "gelu"}) == "gelu");  // the closer one
  CHECK(closest_match("xyz", {"pe"}).empty());               // 3 edits: too far
  CHECK(closest_match("anything", {}).empty());
  // Short words allow two edits; longer ones a third of their length.
  CHECK(closest_match("ab", {"xy"}) == "xy");
  CHECK(closest_match("abcdefghi", {"abcxyzghi"}) == "abcxyzghi");  // 3 of 9
  CHECK(closest_match("abcdefgh", {"abcxyzgh"}).empty());           // 3 of 8
  // On a tie, the first candidate wins, so suggestions are stable.
  CHECK(closest_match("ab", {"ax", "xb"}) == "ax");
}

}  // namespace
}  // namespace trnsim
