// `gen llama-layer` and the stage chain it is built with (gen/stages.h): the traces are
// legal for their chip, race- and deadlock-free under adversarial interleavings
// (tests/gen/trace_interpreter.h), compute what program order computes, and the test can
// fail: removing one wait that joins two stages is caught.
#include <doctest/doctest.h>

#include <functional>
#include <stdexcept>

#include <fmt/format.h>

#include "common/diagnostic.h"
#include "gemm_test_util.h"
#include "gen/gemm.h"
#include "gen/llama.h"
#include "gen/stages.h"
#include "generator_checks.h"
#include "trace/checker.h"
#include "trace/parser.h"
#include "trace/printer.h"
#include "trace_interpreter.h"

using namespace trnsim;
using namespace trnsim::test;

namespace {

struct LlamaCase {
  std::string config;  // "trn2" or "tiny"
  std::uint64_t tokens, hidden, heads, ffn;
  std::uint32_t cores = 1;
  std::uint64_t cache = 0;  // > 0: decode

  config::SystemConfig make_config() const {
    return config == "tiny" ? tiny_config() : trn2_config();
  }
  gen::LlamaOptions options() const {
    gen::LlamaOptions o;
    o.tokens = tokens;
    o.hidden = hidden;
    o.heads = heads;
    o.ffn = ffn;
    o.cores = cores;
    o.decode = cache > 0;
    o.cache = cache;
    return o;
  }
  std::string name() const {
    return fmt::format("llama-layer T={} D={} NH={} F={} cores={}{} on {}", tokens, hidden, heads,
                       ffn, cores, cache > 0 ? fmt::format(" decode S={}", cache) : "", config);
  }
};

struct GeneratedLayer {
  trace::Program program;
  std::string text;
  trace::Program parsed;
  std::vector<gen::StageInfo> stages;
};

GeneratedLayer generate(const LlamaCase& c, const config::SystemConfig& cfg) {
  GeneratedLayer g;
  g.program = gen::llama_layer(c.options(), cfg, &g.stages);
  g.text = trace::print_program(g.program);
  g.parsed = trace::parse_trace(g.text, "generated.trn");
  return g;
}

// The first error of any interleaving (generator_checks.h), or an OUT different from the
// expected one.
std::string first_failure(const trace::Program& p, const config::SystemConfig& cfg,
                          const std::vector<std::uint32_t>& expected) {
  return first_interleaving_failure(p, cfg, "OUT", expected, "differs from program order", false);
}

// What OUT should be: program order's. A trace whose cores wait for each other cannot run
// in its text order (core 0's section comes first, whole), so for several cores: the
// one-core layer's, whose stages compute the same values (the interpreter's arithmetic is
// exact and its stand-ins element-wise), in program order.
std::vector<std::uint32_t> expected_out(const LlamaCase& c) {
  LlamaCase one = c;
  one.cores = 1;
  const config::SystemConfig cfg = one.make_config();
  const trace::Program p = gen::llama_layer(one.options(), cfg);
  const InterpretResult ordered = interpret(p, cfg, Policy::kProgramOrder);
  REQUIRE_MESSAGE(ordered.error.empty(), ordered.error);
  const std::uint32_t out = p.find_tensor("OUT");
  for (std::uint32_t w : ordered.writes[out])
    REQUIRE(w == 2);  // the copy of X2 and the addition of the MLP's Y
  return ordered.tensors[out];
}

std::string error_of(const gen::LlamaOptions& o, const config::SystemConfig& cfg) {
  return input_error_message([&] { gen::llama_layer(o, cfg); }, "gen llama-layer");
}

// The text with the condition `NAME >= N` (NAME starting with `prefix`) removed from the
// first line that `pick` selects among lines waiting on such a semaphore.
std::string without_condition(const std::string& text, const std::string& prefix,
                              const std::function<bool(const std::string& line)>& pick) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = text.find('\n', pos);
    const std::string line = text.substr(pos, end - pos);
    const std::size_t open = line.find(" wait(");
    const std::size_t w = open == std::string::npos ? open : line.find(prefix, open);
    if (w != std::string::npos && pick(line)) {
      std::string out = line;
      const std::size_t stop = out.find_first_of(",)", w);
      if (out[stop] == ',') {
        out.erase(w, stop + 2 - w);  // "NAME >= N, "
      } else if (out[w - 1] == '(') {
        out.erase(open, stop + 1 - open);  // " wait(NAME >= N)"
      } else {
        out.erase(w - 2, stop - (w - 2));  // ", NAME >= N"
      }
      return text.substr(0, pos) + out + text.substr(end);
    }
    pos = end + 1;
  }
  return text;
}

const LlamaCase kCases[] = {
    // tiny: 16-row tiles; 20 tokens pad to 32 for attention, two heads of 16.
    {"tiny", 20, 32, 2, 48},
    {"tiny", 20, 32, 2, 48, 2},     // two cores: stages wait for each other's HBM writes
    {"tiny", 1, 32, 2, 48, 1, 32},  // decode, one token after 32 cached
    {"trn2", 128, 256, 2, 512},
    {"trn2", 1, 256, 2, 256, 1, 256},
};

}  // namespace

TEST_CASE("llama-layer: traces are canonical, legal and deterministic") {
  for (const LlamaCase& c : kCases) {
    INFO(c.name());
    const config::SystemConfig cfg = c.make_config();
    const GeneratedLayer g = generate(c, cfg);
    std::string why;
    CHECK_MESSAGE(trace::equivalent(g.program, g.parsed, &why), why);
    CHECK(trace::print_program(g.parsed) == g.text);
    CHECK(trace::print_program(gen::llama_layer(c.options(), cfg)) == g.text);
    DiagnosticList diags;
    CHECK_MESSAGE(trace::check_program(g.parsed, cfg, g.text, diags), diags.to_string());
    CHECK(diags.items().empty());
    // Every stage after the first waits for the earlier ones.
    REQUIRE(g.stages.size() == (c.cache > 0 ? 14u : 12u));
    std::uint32_t next = 0;
    for (std::size_t i = 0; i < g.stages.size(); ++i) {
      CHECK(g.stages[i].first_instruction == next);
      next += g.stages[i].instructions;
      if (i > 0) CHECK(g.stages[i].fence_waits > 0);
    }
    CHECK(next == g.program.instructions.size());
    CHECK(g.program.tensors[g.program.find_tensor("OUT")].output);
  }
}

TEST_CASE("llama-layer: no race, no deadlock, OUT as program order computes it") {
  // The trn2 prefill layer is left to the checks above (its interleavings take seconds).
  for (const LlamaCase& c : kCases) {
    if (c.config == "trn2" && c.cache == 0) continue;
    INFO(c.name());
    const config::SystemConfig cfg = c.make_config();
    const GeneratedLayer g = generate(c, cfg);
    const std::string failure = first_failure(g.parsed, cfg, expected_out(c));
    CHECK_MESSAGE(failure.empty(), failure);
  }
}

TEST_CASE("llama-layer: removing a wait that joins two stages is caught") {
  struct Mutant {
    LlamaCase layer;
    std::string what;
    std::string prefix;  // the semaphore whose condition is removed
    std::function<bool(const std::string&)> pick;
  };
  const Mutant mutants[] = {
      {{"tiny", 20, 32, 2, 48},
       "attention's first load of Q, before the q GEMM stored it",
       "fence >=",
       [](const std::string& line) { return has(line, ", hbm:QT["); }},
      {{"tiny", 20, 32, 2, 48},
       "the MLP's first load of H2T, before norm2 stored it",
       "fence >=",
       [](const std::string& line) { return has(line, ", hbm:H2T["); }},
      {{"tiny", 20, 32, 2, 48},
       "the residual add, before the Wo GEMM stored AO",
       "fence >=",
       [](const std::string& line) { return has(line, "copy_add hbm:X2"); }},
      {{"tiny", 20, 32, 2, 48, 2},
       "core 1's first load of H1T, before core 0's norm stored it",
       "hbm_H1T >=",
       [](const std::string& line) { return has(line, ", hbm:H1T["); }},
      {{"tiny", 1, 32, 2, 48, 1, 32},
       "attention's load of the new key, before it is cached",
       "fence >=",
       [](const std::string& line) { return has(line, ", hbm:KT_cache["); }},
  };
  for (const Mutant& m : mutants) {
    INFO(m.layer.name(), ": removed the wait of ", m.what);
    const config::SystemConfig cfg = m.layer.make_config();
    const GeneratedLayer g = generate(m.layer, cfg);
    const std::vector<std::uint32_t> expected = expected_out(m.layer);
    REQUIRE(first_failure(g.parsed, cfg, expected).empty());
    const std::string text = without_condition(g.text, m.prefix, m.pick);
    REQUIRE(text != g.text);
    const std::string failure =
        first_failure(trace::parse_trace(text, "mutated.trn"), cfg, expected);
    MESSAGE(m.what, " -> ", failure);
    CHECK(!failure.empty());
  }
}

TEST_CASE("llama-layer: invalid options are InputErrors that say what is wrong") {
  const config::SystemConfig cfg = trn2_config();
  const LlamaCase ok{"trn2", 128, 256, 2, 512};
  gen::LlamaOptions o = ok.options();
  CHECK(error_of(o, cfg).empty());
  o.tokens = 0;
  CHECK(has(error_of(o, cfg), "tokens, hidden, heads and ffn must be at least 1, got T=0"));
  o = ok.options();
  o.heads = 3;
  CHECK(has(error_of(o, cfg), "--hidden 256 does not split into 3 heads"));
  o = ok.options();
  o.dtype = isa::DType::kFp16;
  CHECK(has(error_of(o, cfg), "dtype fp16 is not supported (one of: bf16, fp32)"));
  o = ok.options();
  o.cache = 128;
  CHECK(has(error_of(o, cfg), "--cache needs --decode"));
  o.decode = true;
  o.cache = 0;
  CHECK(has(error_of(o, cfg), "--decode needs --cache S >= 1"));
  o.cache = 100;
  CHECK(has(error_of(o, cfg), "--cache 100 must be a multiple of 128"));
  o = ok.options();
  o.cores = 9;
  CHECK(has(error_of(o, cfg), "--cores 9 is out of range: config 'trn2' has 8 cores per chip"));
  o = ok.options();
  o.hidden = 1024;
  o.heads = 2;  // head dim 512: more than the PE's columns, for the transposed O
  CHECK(has(error_of(o, cfg), "stage 'attn': "));
}

TEST_CASE("stage chain: binds only to equal or larger tensors named by slices") {
  const config::SystemConfig cfg = tiny_config();
  gen::GemmOptions g;
  g.m = 16;
  g.n = 16;
  g.k = 16;
  auto decl = [](std::string name, std::uint64_t rows, std::uint64_t cols) {
    trace::TensorDecl t;
    t.name = std::move(name);
    t.dtype = isa::DType::kBf16;
    t.shape = {rows, cols};
    return t;
  };
  {
    gen::StageChain chain("test");
    chain.add_tensor(decl("A", 16, 16));
    chain.add_tensor(decl("B", 16, 16));
    chain.add_tensor(decl("C", 16, 32));  // wider: the GEMM fills its first 16 columns
    chain.add({"one", gen::gemm(g, cfg), {{"AT", "A"}, {"B", "B"}, {"C", "C"}}});
    chain.add({"two", gen::gemm(g, cfg), {{"AT", "A"}, {"B", "C"}, {"C", "B"}}});
    std::vector<gen::StageInfo> info;
    const trace::Program p = chain.build(&info);
    REQUIRE(info.size() == 2);
    CHECK(info[0].fence_waits == 0);
    CHECK(info[1].fence_waits > 0);
    CHECK(info[1].hbm_waits == 0);  // one core: the fence orders HBM too
    CHECK(p.tensors[p.find_tensor("C")].shape == std::vector<std::uint64_t>{16, 32});
    DiagnosticList diags;
    const std::string text = trace::print_program(p);
    CHECK_MESSAGE(trace::check_program(p, cfg, text, diags), diags.to_string());
  }
  {
    gen::StageChain chain("test");
    chain.add_tensor(decl("A", 16, 16));
    chain.add_tensor(decl("B", 16, 16));
    chain.add_tensor(decl("C", 8, 16));  // smaller than the GEMM's C
    chain.add({"one", gen::gemm(g, cfg), {{"AT", "A"}, {"B", "B"}, {"C", "C"}}});
    CHECK_THROWS_AS(chain.build(), std::logic_error);
  }
  {
    gen::StageChain chain("test");
    chain.add_tensor(decl("A", 16, 16));
    chain.add({"one", gen::gemm(g, cfg), {{"AT", "A"}}});
    chain.add({"one", gen::gemm(g, cfg), {{"AT", "A"}}});
    CHECK_THROWS_AS(chain.build(), std::logic_error);  // two stages named alike
  }
}

TEST_CASE("stage chain: a write after another core's reads waits for them") {
  // Stage one: a GEMM on both cores of the tiny chip reads A and B and writes C; stage two,
  // on core 0 alone, reads B and E only and overwrites all of A: core 1's reads of A's last
  // 16 columns must have completed first, which only the hbm_A semaphore of core 0 (posted
  // by core 1) ensures, since nothing of stage two depends on core 1 otherwise. Stage three
  // reads A.
  const config::SystemConfig cfg = tiny_config();
  gen::GemmOptions two;
  two.m = 32;
  two.n = 16;
  two.k = 16;
  two.cores = 2;
  gen::GemmOptions one;
  one.m = 16;
  one.n = 16;
  one.k = 16;
  gen::GemmOptions wide = one;  // [16, 32] = B^T E
  wide.n = 32;
  auto decl = [](std::string name, std::uint64_t rows, std::uint64_t cols) {
    trace::TensorDecl t;
    t.name = std::move(name);
    t.dtype = isa::DType::kBf16;
    t.shape = {rows, cols};
    t.init = trace::InitKind::kRandom;
    t.seed = rows + cols;
    return t;
  };
  gen::StageChain chain("test");
  chain.add_tensor(decl("A", 16, 32));
  chain.add_tensor(decl("B", 16, 16));
  chain.add_tensor(decl("C", 32, 16));
  chain.add_tensor(decl("E", 16, 32));
  trace::TensorDecl out = decl("D", 16, 32);
  out.init = trace::InitKind::kZeros;
  out.output = true;
  chain.add_tensor(out);
  chain.add({"one", gen::gemm(two, cfg), {{"AT", "A"}, {"B", "B"}, {"C", "C"}}});
  chain.add({"two", gen::gemm(wide, cfg), {{"AT", "B"}, {"B", "E"}, {"C", "A"}}});
  chain.add({"three", gen::gemm(one, cfg), {{"AT", "B"}, {"B", "A"}, {"C", "D"}}});
  std::vector<gen::StageInfo> info;
  const GeneratedLayer g = [&] {
    GeneratedLayer l;
    l.program = chain.build(&info);
    l.text = trace::print_program(l.program);
    l.parsed = trace::parse_trace(l.text, "chain.trn");
    return l;
  }();
  DiagnosticList diags;
  CHECK_MESSAGE(trace::check_program(g.parsed, cfg, g.text, diags), diags.to_string());
  REQUIRE(has(g.text, "hbm_A"));
  CHECK(info[1].hbm_waits > 0);
  // Expected D: the same chain with every stage on core 0, in program order.
  gen::StageChain alone("test");
  alone.add_tensor(decl("A", 16, 32));
  alone.add_tensor(decl("B", 16, 16));
  alone.add_tensor(decl("C", 32, 16));
  alone.add_tensor(decl("E", 16, 32));
  alone.add_tensor(out);
  two.cores = 1;
  alone.add({"one", gen::gemm(two, cfg), {{"AT", "A"}, {"B", "B"}, {"C", "C"}}});
  alone.add({"two", gen::gemm(wide, cfg), {{"AT", "B"}, {"B", "E"}, {"C", "A"}}});
  alone.add({"three", gen::gemm(one, cfg), {{"AT", "B"}, {"B", "A"}, {"C", "D"}}});
  const InterpretResult ordered = interpret(alone.build(), cfg, Policy::kProgramOrder);
  REQUIRE_MESSAGE(ordered.error.empty(), ordered.error);
  // C (core 1 computes its last rows from A's last columns) and D.
  auto failure_of = [&](const trace::Program& p) {
    const std::string c = first_interleaving_failure(p, cfg, "C", ordered.tensors[2]);
    return c.empty() ? first_interleaving_failure(p, cfg, "D", ordered.tensors[4]) : c;
  };
  CHECK(failure_of(g.parsed).empty());
  // Without the wait on core 1's reads of A, some interleaving overwrites A under them.
  const std::string text = without_condition(
      g.text, "hbm_A >=", [](const std::string& line) { return has(line, "copy hbm:A["); });
  REQUIRE(text != g.text);
  const std::string failure = failure_of(trace::parse_trace(text, "mutated.trn"));
  MESSAGE("removed the wait for core 1's reads of A -> ", failure);
  CHECK(!failure.empty());
}
