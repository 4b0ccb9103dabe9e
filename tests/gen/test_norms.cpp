// `gen softmax|layernorm|rmsnorm`: the traces are legal for their chip, race- and
// deadlock-free under adversarial interleavings (tests/gen/trace_interpreter.h), compute
// what program order computes, and the test can fail: removing a guarding wait is caught.
#include <doctest/doctest.h>

#include <functional>

#include <fmt/format.h>

#include "common/diagnostic.h"
#include "gemm_test_util.h"
#include "gen/norms.h"
#include "generator_checks.h"
#include "trace/checker.h"
#include "trace/parser.h"
#include "trace/printer.h"
#include "trace_interpreter.h"

using namespace trnsim;
using namespace trnsim::test;

namespace {

constexpr gen::NormKind kKinds[] = {gen::NormKind::kSoftmax, gen::NormKind::kLayerNorm,
                                    gen::NormKind::kRmsNorm};

struct NormCase {
  std::string config;  // "trn2" or "tiny"
  std::uint64_t rows, cols;
  isa::DType dtype = isa::DType::kBf16;
  bool transposed = false;

  config::SystemConfig make_config() const {
    return config == "tiny" ? tiny_config() : trn2_config();
  }
  gen::NormOptions options(gen::NormKind kind) const {
    gen::NormOptions o;
    o.kind = kind;
    o.rows = rows;
    o.cols = cols;
    o.dtype = dtype;
    o.transposed = transposed;
    return o;
  }
  std::string name(gen::NormKind kind) const {
    return fmt::format("{} {}x{} {}{} on {}", gen::norm_name(kind), rows, cols,
                       isa::dtype_name(dtype), transposed ? " transposed" : "", config);
  }
  std::string out() const { return transposed ? "YT" : "Y"; }
};

Generated generate(const gen::NormOptions& o, const config::SystemConfig& cfg) {
  return print_and_parse(gen::norm(o, cfg));
}

// The first error of any interleaving, or a Y different from program order's; empty when
// every run is right.
std::string first_failure(const trace::Program& p, const config::SystemConfig& cfg,
                          const std::vector<std::uint32_t>& expected,
                          const std::string& tensor = "Y") {
  return first_interleaving_failure(p, cfg, tensor, expected, "differs from program order", false);
}

std::string error_of(const gen::NormOptions& o, const config::SystemConfig& cfg) {
  return input_error_message([&] { gen::norm(o, cfg); },
                             fmt::format("gen {}", gen::norm_name(o.kind)));
}

const NormCase kCases[] = {
    {"tiny", 100, 40},                     // 7 tiles of 16 rows over 3 buffer sets, a partial last
    {"tiny", 3, 1},                        // one partial tile, one column
    {"tiny", 48, 200, isa::DType::kFp32},  // fp32 rows
    {"trn2", 300, 96},                     // 128-row tiles, a partial last
    {"tiny", 40, 1000},  // long rows: 2 buffer sets (softmax) or 1, so no skewed stages
    // Written transposed: 3 tiles (a partial last) of 3 blocks of 16 columns (a partial
    // last), 3 blocks per PSUM bank; on trn2 two tiles (a partial last) of 3 full blocks.
    {"tiny", 40, 40, isa::DType::kBf16, true},
    {"trn2", 200, 384, isa::DType::kBf16, true},
};

}  // namespace

TEST_CASE("norms: traces are canonical, legal and deterministic") {
  for (const NormCase& c : kCases) {
    for (gen::NormKind kind : kKinds) {
      INFO(c.name(kind));
      const config::SystemConfig cfg = c.make_config();
      const Generated g = generate(c.options(kind), cfg);
      std::string why;
      CHECK_MESSAGE(trace::equivalent(g.program, g.parsed, &why), why);
      CHECK(trace::print_program(g.parsed) == g.text);
      CHECK(trace::print_program(gen::norm(c.options(kind), cfg)) == g.text);
      DiagnosticList diags;
      CHECK_MESSAGE(trace::check_program(g.parsed, cfg, g.text, diags), diags.to_string());
      CHECK(diags.items().empty());
      const gen::NormPlan plan = gen::plan_norm(c.options(kind), cfg);
      CHECK(plan.tile_rows == cfg.sbuf.partitions);
      CHECK(plan.slots >= 1);
      CHECK(plan.slots * plan.slot_bytes + plan.param_bytes <= cfg.sbuf.bytes_per_partition);
      if (c.cols <= 200) CHECK(plan.slots == 3);  // short rows: load, compute, store at once
    }
  }
}

TEST_CASE("norms: no race, no deadlock, Y written once and as program order computes it") {
  for (const NormCase& c : kCases) {
    for (gen::NormKind kind : kKinds) {
      INFO(c.name(kind));
      const config::SystemConfig cfg = c.make_config();
      const Generated g = generate(c.options(kind), cfg);
      const InterpretResult ordered = interpret(g.parsed, cfg, Policy::kProgramOrder);
      REQUIRE_MESSAGE(ordered.error.empty(), ordered.error);
      const std::uint32_t y = g.parsed.find_tensor(c.out());
      REQUIRE(y != trace::kNone);
      for (std::uint32_t w : ordered.writes[y])
        REQUIRE(w == 1);
      const std::string failure = first_failure(g.parsed, cfg, ordered.tensors[y], c.out());
      CHECK_MESSAGE(failure.empty(), failure);
    }
  }
}

TEST_CASE("norms: removing a guarding wait is caught") {
  // 7 tiles over 3 buffer sets on the tiny chip: every buffer is reused at least twice.
  const NormCase c{"tiny", 100, 40};
  const config::SystemConfig cfg = c.make_config();
  struct Mutant {
    std::string what;
    std::function<bool(const std::string&)> pick;
  };
  const Mutant common[] = {
      {"a load into a buffer set still being read",
       [](const std::string& line) { return starts_with(line, "dma.") && has(line, "copy sbuf"); }},
      {"a store before its result is written",
       [](const std::string& line) { return has(line, "copy hbm:Y"); }},
      {"the scalar engine's pass",
       [](const std::string& line) { return starts_with(line, "act:"); }},
      {"the vector engine's last instruction",
       [](const std::string& line) { return starts_with(line, "dve:") && has(line, "@0x"); }},
  };
  for (gen::NormKind kind : kKinds) {
    const Generated g = generate(c.options(kind), cfg);
    const InterpretResult ordered = interpret(g.parsed, cfg, Policy::kProgramOrder);
    REQUIRE(ordered.error.empty());
    const std::vector<std::uint32_t> expected = ordered.tensors[g.parsed.find_tensor("Y")];
    REQUIRE(first_failure(g.parsed, cfg, expected).empty());
    std::vector<Mutant> mutants(std::begin(common), std::end(common));
    if (kind == gen::NormKind::kLayerNorm) {
      mutants.push_back({"the GpSimd add of beta",
                         [](const std::string& line) { return starts_with(line, "pool:"); }});
    }
    for (const Mutant& m : mutants) {
      INFO(gen::norm_name(kind), ": removed the wait of ", m.what);
      const std::string text = without_wait(g.text, m.pick);
      REQUIRE(text != g.text);
      const trace::Program mutated = trace::parse_trace(text, "mutated.trn");
      const std::string failure = first_failure(mutated, cfg, expected);
      MESSAGE(gen::norm_name(kind), ": ", m.what, " -> ", failure);
      CHECK(!failure.empty());
    }
    if (kind == gen::NormKind::kSoftmax) continue;
    // The condition on gamma's broadcast DMAs, removed from the last copy that doubles it
    // (its source is not complete yet) and from the first engine instruction that reads it
    // (later readers are ordered after it by their stream or their buffers).
    const std::size_t first_dve = g.text.find("\ndve:");
    const std::size_t last_copy = g.text.rfind("wait(gamma_in >= ", first_dve);
    struct GammaMutant {
      std::string what;
      std::size_t from;
    };
    for (const GammaMutant& m : {GammaMutant{"a copy doubling gamma", last_copy},
                                 GammaMutant{"the first read of gamma", first_dve}}) {
      INFO(gen::norm_name(kind), ": removed the wait for gamma of ", m.what);
      std::string text = g.text;
      const std::size_t w = text.find("gamma_in >= ", m.from);
      REQUIRE(w != std::string::npos);
      const std::size_t end = text.find_first_of(",)", w);
      if (text[end] == ',') {
        text.erase(w, end + 2 - w);  // "gamma_in >= N, "
      } else if (text[w - 1] == '(') {
        const std::size_t open = text.rfind(" wait(", w);
        text.erase(open, end + 1 - open);  // " wait(gamma_in >= N)"
      } else {
        text.erase(w - 2, end - (w - 2));  // ", gamma_in >= N"
      }
      const std::string failure =
          first_failure(trace::parse_trace(text, "mutated.trn"), cfg, expected);
      MESSAGE(gen::norm_name(kind), ": ", m.what, " -> ", failure);
      CHECK(!failure.empty());
    }
  }
}

TEST_CASE("norms: invalid options are InputErrors that say what is wrong") {
  const config::SystemConfig cfg = trn2_config();
  gen::NormOptions o;
  o.kind = gen::NormKind::kLayerNorm;
  o.rows = 0;
  o.cols = 64;
  CHECK(has(error_of(o, cfg), "rows and cols must be at least 1, got rows=0 cols=64"));
  o.rows = 128;
  o.cols = 0;
  CHECK(has(error_of(o, cfg), "got rows=128 cols=0"));
  o.cols = 30000;  // bf16 x, y, gamma, beta and an fp32 work row: 12 B a column > 224 KiB
  const std::string big = error_of(o, cfg);
  CHECK(has(big, "cols=30000 does not fit SBUF"));
  CHECK(has(big, "at most about"));
  o.cols = 70000;
  CHECK(has(error_of(o, cfg), "cols=70000 is too long"));
  o.cols = 64;
  o.dtype = isa::DType::kFp16;
  CHECK(has(error_of(o, cfg), "dtype fp16 is not supported (one of: bf16, fp32)"));
  o.dtype = isa::DType::kBf16;
  o.eps = -1;
  CHECK(has(error_of(o, cfg), "eps must be a finite number >= 0, got -1"));
  o.kind = gen::NormKind::kSoftmax;
  CHECK(error_of(o, cfg).empty());  // softmax has no eps
}

TEST_CASE("norms: the largest row that fits is accepted, one more column is refused") {
  const config::SystemConfig cfg = trn2_config();
  for (gen::NormKind kind : kKinds) {
    INFO(gen::norm_name(kind));
    gen::NormOptions o;
    o.kind = kind;
    o.rows = 128;
    o.cols = 1;
    // Find the boundary by bisection on the planner's own answer; the planner must accept
    // the largest fitting D with one buffer set at least.
    std::uint64_t lo = 1, hi = 65535;
    auto fits = [&](std::uint64_t d) {
      o.cols = d;
      return error_of(o, cfg).empty();
    };
    REQUIRE(fits(lo));
    while (hi - lo > 1) {
      const std::uint64_t mid = (lo + hi) / 2;
      (fits(mid) ? lo : hi) = mid;
    }
    o.cols = lo;
    const gen::NormPlan plan = gen::plan_norm(o, cfg);
    CHECK(plan.slots >= 1);
    CHECK(plan.slots * plan.slot_bytes + plan.param_bytes <= cfg.sbuf.bytes_per_partition);
    o.cols = lo + 1;
    CHECK(has(error_of(o, cfg), "does not fit SBUF"));
    // At least 8 Ki bf16 columns fit on trn2 for every kind.
    CHECK(lo >= 8192);
  }
}

TEST_CASE("norms: removing a wait of the transposed store is caught") {
  // 7 tiles of 16 rows, 3 blocks of 16 columns each, in 2 PSUM banks used in turn.
  const NormCase c{"tiny", 100, 48, isa::DType::kBf16, true};
  const config::SystemConfig cfg = c.make_config();
  const Generated g = generate(c.options(gen::NormKind::kRmsNorm), cfg);
  const InterpretResult ordered = interpret(g.parsed, cfg, Policy::kProgramOrder);
  REQUIRE(ordered.error.empty());
  const std::vector<std::uint32_t> expected = ordered.tensors[g.parsed.find_tensor("YT")];
  REQUIRE(first_failure(g.parsed, cfg, expected, "YT").empty());
  struct Mutant {
    std::string what;
    std::function<bool(const std::string&)> pick;
  };
  const Mutant mutants[] = {
      {"a transpose into a PSUM bank still being copied out",
       [](const std::string& line) { return starts_with(line, "pe:") && has(line, "transpose"); }},
      {"the copy of a bank to SBUF",
       [](const std::string& line) {
         return starts_with(line, "act:") && has(line, "tensor_copy");
       }},
      {"a store of a block", [](const std::string& line) { return has(line, "copy hbm:YT"); }},
  };
  for (const Mutant& m : mutants) {
    INFO("removed the wait of ", m.what);
    const std::string text = without_wait(g.text, m.pick);
    REQUIRE(text != g.text);
    const std::string failure =
        first_failure(trace::parse_trace(text, "mutated.trn"), cfg, expected, "YT");
    MESSAGE(m.what, " -> ", failure);
    CHECK(!failure.empty());
  }
}
