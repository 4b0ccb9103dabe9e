// The semaphore protocol of generated traces (sim/gen/program_builder.h): no race and no
// deadlock under adversarial interleavings, and the test is able to fail: removing any one
// kind of guarding wait makes some interleaving go wrong.
#include <doctest/doctest.h>

#include <functional>

#include "gemm_test_util.h"
#include "trace/parser.h"
#include "trace_interpreter.h"

using namespace trnsim;
using namespace trnsim::test;

namespace {

// The first error any run reports, or a wrong C; empty when every run is right.
std::string first_failure(const trace::Program& p, const config::SystemConfig& cfg,
                          const std::vector<std::uint32_t>& expected) {
  return first_interleaving_failure(p, cfg, "C", expected, "differs from the reference");
}

// The text with the wait(...) clause removed from the first line `pick` selects among
// lines that have one.
std::string without_first_wait(
    const std::string& text,
    const std::function<bool(const std::string& line, const std::string& wait)>& pick) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = text.find('\n', pos);
    const std::string line = text.substr(pos, end - pos);
    const std::size_t w = line.find(" wait(");
    if (w != std::string::npos) {
      const std::size_t close = line.find(')', w);
      const std::string wait = line.substr(w, close + 1 - w);
      if (pick(line, wait)) {
        std::string out = text;
        out.erase(pos + w, wait.size());
        return out;
      }
    }
    pos = end + 1;
  }
  FAIL("no line to mutate");
  return text;
}

}  // namespace

TEST_CASE("protocol: generated traces have no race and no deadlock in any interleaving") {
  const std::vector<GemmCase> cases = {
      {"tiny", 256, 512, 384},    // the tiny workload: every ring wraps many times
      {"tiny", 257, 513, 129},    // edge tiles everywhere
      {"tiny", 33, 1100, 70, 2},  // two cores sharing HBM
      {"tiny", 1, 4096, 512},     // GEMV: wide B loads, one stationary column
      {"tiny", 200, 2000, 40},    // small K: banks and output slots turn over fast
      {"trn2", 257, 513, 129},   {"trn2", 300, 1100, 260, 3},
      {"trn2", 1024, 1536, 128},  // one K tile: 24 output tiles through 8 banks
  };
  for (const GemmCase& c : cases) {
    INFO(c.name());
    const config::SystemConfig cfg = c.make_config();
    const Generated g = generate(c.options(), cfg);
    const std::string failure = first_failure(g.parsed, cfg, reference_c(c.options()));
    CHECK_MESSAGE(failure.empty(), failure);
  }
}

TEST_CASE("protocol: removing a guarding wait is caught") {
  // The tiny workload reuses every kind of buffer: 7 B slots for 96 loads, 4 PSUM banks for
  // 16 output tiles, 8 output slots for 16 stores.
  const GemmCase c{"tiny", 256, 512, 384};
  const config::SystemConfig cfg = c.make_config();
  const Generated g = generate(c.options(), cfg);
  const std::vector<std::uint32_t> expected = reference_c(c.options());
  REQUIRE(first_failure(g.parsed, cfg, expected).empty());

  struct Mutant {
    std::string what;
    std::function<bool(const std::string&, const std::string&)> pick;
  };
  const Mutant mutants[] = {
      {"a load into an SBUF slot that matmuls still read",
       [](const std::string& line, const std::string&) {
         return starts_with(line, "dma.") && has(line, "copy sbuf");
       }},
      {"a matmul restarting a PSUM bank not yet evacuated",
       [](const std::string& line, const std::string& wait) {
         return starts_with(line, "pe:") && has(line, "acc=start") && has(wait, "ps");
       }},
      {"an evacuation before its accumulation ends",
       [](const std::string& line, const std::string&) { return starts_with(line, "act:"); }},
      {"an evacuation into an output slot still being stored",
       [](const std::string& line, const std::string& wait) {
         return (starts_with(line, "act:") || starts_with(line, "dve:")) &&
                (has(wait, ", c") || has(wait, "(c"));
       }},
      {"a store before its evacuation",
       [](const std::string& line, const std::string&) {
         return starts_with(line, "dma.") && has(line, "copy hbm:C");
       }},
      {"a matmul before its operands land",
       [](const std::string& line, const std::string&) { return starts_with(line, "pe:"); }},
  };
  for (const Mutant& m : mutants) {
    INFO("removed the wait of ", m.what);
    const std::string text = without_first_wait(g.text, m.pick);
    REQUIRE(text != g.text);
    const trace::Program mutated = trace::parse_trace(text, "mutated.trn");
    const std::string failure = first_failure(mutated, cfg, expected);
    MESSAGE(m.what, " -> ", failure);
    CHECK(!failure.empty());
  }
}

TEST_CASE("protocol: the interpreter reports a deadlock") {
  // A wait that can never be met: the first matmul waits for one more load than exists.
  const GemmCase c{"tiny", 16, 512, 16};
  const Generated g = generate(c.options(), c.make_config());
  std::string text = g.text;
  const std::string from = "wait(at0 >= 1, b0 >= 1)";
  REQUIRE(text.find(from) != std::string::npos);
  text.replace(text.find(from), from.size(), "wait(at0 >= 2, b0 >= 1)");
  const InterpretResult r =
      interpret(trace::parse_trace(text, "stuck.trn"), c.make_config(), Policy::kCompleteFirst);
  CHECK(has(r.error, "deadlock"));
  CHECK(has(r.error, "(pe matmul, core 0) waits"));
}
