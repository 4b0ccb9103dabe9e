// The suite file: what a good one turns into, and that each kind of mistake is an error
// naming the line it is on.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "../input_error.h"
#include "common/diagnostic.h"
#include "regress/suite.h"

using namespace trnsim;
using trnsim::test::first_diagnostic;
using namespace trnsim::regress;

namespace {

// The repository's workloads/ directory: traces named in the tests exist there.
const std::filesystem::path kWorkloads = TRNSIM_SOURCE_DIR "/workloads";

Suite parse(const std::string& text) {
  return parse_suite(text, "s.yaml", kWorkloads);
}

// The first diagnostic of the error `text` raises, as the CLI prints it.
Diagnostic error_of(const std::string& text) {
  return first_diagnostic([&] { parse(text); }, text);
}

const std::string kHeader = "cases:\n";

}  // namespace

TEST_CASE("suite: a gen case and a trace case with their settings") {
  const Suite s = parse(R"(golden_dir: gold
tags: [gemm]
defaults:
  timeout: 30
  tolerance: {cycles: 0.01}
cases:
  - name: a
    config: trn2
    set: {core.clock_ghz: 1.0}
    gen: [gemm, --m, 64, --n, 64, --k, 64, --reference, "{ref}/C.npy"]
    functional: true
    reference: {rtol: 0.01, atol: 0.02}
    tags: [quick, gemm]
    tolerance: {bytes: 0.05, busy: exact}
    max_bound_factor: 3
  - name: b
    config: tiny
    trace: gemm-256x512x384-bf16-tiny.trn
    timeout: 5
)");
  REQUIRE(s.cases.size() == 2);
  CHECK(s.golden_dir == kWorkloads / "gold");
  const Case& a = s.cases[0];
  CHECK(a.line == 7);
  CHECK(a.overrides == std::vector<std::string>{"core.clock_ghz=1.0"});
  CHECK(a.gen.size() == 9);
  CHECK(a.functional);
  CHECK(a.reference.rtol == 0.01);
  CHECK(a.reference.atol == 0.02);
  CHECK(a.tags == std::vector<std::string>{"quick", "gemm", "full"});
  CHECK(a.tolerance.cycles == 0.01);  // from the defaults
  CHECK(a.tolerance.bytes == 0.05);
  CHECK(a.tolerance.busy == 0);
  CHECK(a.max_bound_factor == 3);
  CHECK(a.timeout_seconds == 30);
  const Case& b = s.cases[1];
  CHECK(b.trace == (kWorkloads / "gemm-256x512x384-bf16-tiny.trn").string());
  CHECK(b.tags == std::vector<std::string>{"full"});
  CHECK(!b.max_bound_factor);
  CHECK(b.timeout_seconds == 5);
}

TEST_CASE("suite: errors name the line of the mistake") {
  struct Bad {
    std::string text;
    std::uint32_t line;
    std::string message;
  };
  const std::vector<Bad> bad = {
      {kHeader + "  - name: a\n    config: trn2\n    gen: [gemm]\n    colour: red\n", 5,
       "unknown key 'colour'"},
      {kHeader + "  - name: a\n    config: trn2\n    trace: nowhere.trn\n", 4,
       "trace '" + (kWorkloads / "nowhere.trn").string() + "' not found"},
      {kHeader + "  - name: a\n    config: trn2\n    gen: [gemm]\n    tags: [quick, slow]\n", 5,
       "unknown tag 'slow'"},
      {kHeader + "  - name: a\n    config: trn2\n", 2, "needs exactly one of 'trace' and 'gen'"},
      {kHeader + "  - name: a\n    config: trn2\n    gen: [gemm]\n  - name: a\n    config: trn2\n"
                 "    gen: [gemm]\n",
       5, "duplicate case name 'a'"},
      {kHeader + "  - name: a\n    config: trn2\n    gen: [gemm]\n    tolerance: {cycles: lots}\n",
       5, "expected 'exact' or a relative tolerance"},
      {kHeader + "  - name: a\n    config: trn2\n    gen: [gemm]\n    tolerance: {cycle: 0.1}\n", 5,
       "did you mean 'cycles'?"},
      {kHeader + "  - name: a\n    config: trn2\n    gen: [gemm]\n    functional: true\n", 5,
       "needs a generator with '--reference'"},
      {kHeader + "  - name: a\n    config: trn2\n    gen: [gemm]\n    max_bound_factor: 0.5\n", 5,
       "at least 1"},
      {kHeader + "  - name: a b\n    config: trn2\n    gen: [gemm]\n", 2, "case name 'a b'"},
      {kHeader + "  - name: a\n    config: configs/none.yaml\n    gen: [gemm]\n", 3, "config file"},
      {"cases:\n  - name: [a\n", 3, "YAML syntax error"},
      {"case: []\n", 1, "unknown key 'case'"},
  };
  for (const Bad& b : bad) {
    CAPTURE(b.text);
    const Diagnostic d = error_of(b.text);
    CHECK(d.file == "s.yaml");
    CHECK(d.line == b.line);
    CHECK_MESSAGE(d.message.find(b.message) != std::string::npos, d.message);
  }
}
