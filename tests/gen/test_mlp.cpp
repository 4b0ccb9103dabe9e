// `gen mlp`: the traces are legal for their chip, race- and deadlock-free under adversarial
// interleavings (tests/gen/trace_interpreter.h), compute what program order computes (and,
// with the interpreter's exact integer matmuls and stand-ins, the same Y under every
// interleaving), and the test can fail: removing a guarding wait is caught.
#include <doctest/doctest.h>

#include <functional>

#include <fmt/format.h>

#include "common/diagnostic.h"
#include "gemm_test_util.h"
#include "gen/mlp.h"
#include "generator_checks.h"
#include "trace/checker.h"
#include "trace/parser.h"
#include "trace/printer.h"
#include "trace_interpreter.h"

using namespace trnsim;
using namespace trnsim::test;

namespace {

struct MlpCase {
  // "trn2", "tiny", or "tiny-1k" / "tiny-2k": tiny with 1 or 2 KiB of SBUF per partition.
  std::string config;
  std::uint64_t tokens, hidden, ffn;
  std::uint32_t cores = 1;
  isa::DType dtype = isa::DType::kBf16;

  config::SystemConfig make_config() const {
    if (config == "trn2") return trn2_config();
    config::SystemConfig cfg = tiny_config();
    // Little SBUF forces narrow token blocks, so a small case has several blocks per core
    // and every buffer (XT sets, h^T tiles, weight slots) is reused.
    if (config == "tiny-1k") cfg.sbuf.bytes_per_partition = 1024;
    if (config == "tiny-2k") cfg.sbuf.bytes_per_partition = 2048;
    return cfg;
  }
  gen::MlpOptions options() const {
    gen::MlpOptions o;
    o.tokens = tokens;
    o.hidden = hidden;
    o.ffn = ffn;
    o.cores = cores;
    o.dtype = dtype;
    return o;
  }
  std::string name() const {
    return fmt::format("mlp T={} H={} F={} {} on {} x{}", tokens, hidden, ffn,
                       isa::dtype_name(dtype), config, cores);
  }
};

Generated generate(const gen::MlpOptions& o, const config::SystemConfig& cfg) {
  return print_and_parse(gen::mlp(o, cfg));
}

std::string first_failure(const trace::Program& p, const config::SystemConfig& cfg,
                          const std::vector<std::uint32_t>& expected) {
  return first_interleaving_failure(p, cfg, "Y", expected, "differs from program order", false);
}

std::string error_of(const gen::MlpOptions& o, const config::SystemConfig& cfg) {
  return input_error_message([&] { gen::mlp(o, cfg); }, "gen mlp");
}

const MlpCase kCases[] = {
    {"tiny", 40, 40, 56},      // partial H chunk, F tile and sub-block
    {"tiny-1k", 100, 16, 32},  // 4 blocks of up to 32 tokens, 2 F tiles per PSUM bank
    {"tiny-2k", 200, 32, 64},  // 4 blocks, 4 F groups each: every buffer reused often
    {"tiny", 100, 24, 40, 2},  // two cores, one block each
    {"tiny", 30, 20, 20, 1, isa::DType::kFp32},   // fp32 throughout
    {"tiny", 20, 16, 24, 1, isa::DType::kFp8e4},  // fp8 weights, activations and h
    {"trn2", 130, 140, 150},                      // 2 H chunks, 2 F tiles packed in one bank
    {"trn2", 4, 256, 384},                        // decode-like: 4 tokens
    {"trn2", 520, 128, 136, 2},                   // two cores of 260 tokens, one F tile a bank
};

}  // namespace

TEST_CASE("mlp: traces are canonical, legal and deterministic") {
  for (const MlpCase& c : kCases) {
    INFO(c.name());
    const config::SystemConfig cfg = c.make_config();
    const Generated g = generate(c.options(), cfg);
    std::string why;
    CHECK_MESSAGE(trace::equivalent(g.program, g.parsed, &why), why);
    CHECK(trace::print_program(g.parsed) == g.text);
    CHECK(trace::print_program(gen::mlp(c.options(), cfg)) == g.text);
    DiagnosticList diags;
    CHECK_MESSAGE(trace::check_program(g.parsed, cfg, g.text, diags), diags.to_string());
    CHECK(diags.items().empty());
    const gen::MlpPlan plan = gen::plan_mlp(c.options(), cfg);
    CHECK(plan.sbuf_bytes <= cfg.sbuf.bytes_per_partition);
    CHECK(plan.block <= plan.tile_n);
    CHECK(plan.w1.slots >= 2);
    CHECK(plan.wd.slots >= 2);
    CHECK(plan.core_blocks.size() == c.cores);
    // Every token block belongs to exactly one core.
    CHECK(plan.core_blocks.front().first == 0);
    CHECK(plan.core_blocks.back().second == plan.blocks);
  }
  // The small-SBUF cases really have several blocks per core, with two XT sets; the first
  // packs its F tiles side by side in PSUM banks, the second has several F groups.
  const gen::MlpPlan packed = gen::plan_mlp(kCases[1].options(), kCases[1].make_config());
  CHECK(packed.blocks >= 3);
  CHECK(packed.xt.slots == 2);
  CHECK(packed.f_pack > 1);
  CHECK(packed.f_group == packed.f_tiles);
  const gen::MlpPlan small = gen::plan_mlp(kCases[2].options(), kCases[2].make_config());
  CHECK(small.blocks >= 3);
  CHECK(small.xt.slots == 2);
  CHECK(small.f_tiles / small.f_group >= 3);
}

TEST_CASE("mlp: no race, no deadlock, Y written once and as program order computes it") {
  for (const MlpCase& c : kCases) {
    INFO(c.name());
    const config::SystemConfig cfg = c.make_config();
    const Generated g = generate(c.options(), cfg);
    const InterpretResult ordered = interpret(g.parsed, cfg, Policy::kProgramOrder);
    REQUIRE_MESSAGE(ordered.error.empty(), ordered.error);
    const std::uint32_t y = g.parsed.find_tensor("Y");
    for (std::uint32_t w : ordered.writes[y])
      REQUIRE(w == 1);
    const std::string failure = first_failure(g.parsed, cfg, ordered.tensors[y]);
    CHECK_MESSAGE(failure.empty(), failure);
  }
}

TEST_CASE("mlp: removing a guarding wait is caught") {
  const MlpCase c = kCases[2];
  const config::SystemConfig cfg = c.make_config();
  const Generated g = generate(c.options(), cfg);
  const InterpretResult ordered = interpret(g.parsed, cfg, Policy::kProgramOrder);
  REQUIRE(ordered.error.empty());
  const std::vector<std::uint32_t> expected = ordered.tensors[g.parsed.find_tensor("Y")];
  REQUIRE(first_failure(g.parsed, cfg, expected).empty());
  struct Mutant {
    std::string what;
    std::function<bool(const std::string&)> pick;
  };
  const Mutant mutants[] = {
      {"an XT load into a set still being read",
       [](const std::string& line) { return has(line, "hbm:XT["); }},
      {"a Wg load into a weight slot still being read",
       [](const std::string& line) { return has(line, "hbm:Wg["); }},
      {"a Wd load into a slot still being read",
       [](const std::string& line) { return has(line, "hbm:Wd["); }},
      {"a matmul", [](const std::string& line) { return starts_with(line, "pe:"); }},
      {"the silu", [](const std::string& line) { return has(line, "func=silu"); }},
      {"the product into h^T", [](const std::string& line) { return has(line, "op=mul"); }},
      {"a store of Y", [](const std::string& line) { return has(line, "copy hbm:Y"); }},
  };
  for (const Mutant& m : mutants) {
    INFO("removed the wait of ", m.what);
    const std::string text = without_wait(g.text, m.pick);
    REQUIRE(text != g.text);
    const trace::Program mutated = trace::parse_trace(text, "mutated.trn");
    const std::string failure = first_failure(mutated, cfg, expected);
    MESSAGE(m.what, " -> ", failure);
    CHECK(!failure.empty());
  }
}

TEST_CASE("mlp: invalid options are InputErrors that say what is wrong") {
  const config::SystemConfig cfg = trn2_config();
  gen::MlpOptions o;
  o.tokens = 0;
  o.hidden = 64;
  o.ffn = 64;
  CHECK(has(error_of(o, cfg), "tokens, hidden and ffn must be at least 1, got T=0 H=64 F=64"));
  o.tokens = 16;
  o.dtype = isa::DType::kFp16;
  CHECK(has(error_of(o, cfg), "dtype fp16 is not supported (one of: bf16, fp8e4, fp32)"));
  o.dtype = isa::DType::kBf16;
  o.out_dtype = isa::DType::kInt32;
  CHECK(has(error_of(o, cfg), "out dtype int32 cannot hold a floating-point result"));
  o.out_dtype.reset();
  o.cores = 9;
  CHECK(has(error_of(o, cfg), "cores must be between 1 and 8"));
  o.cores = 4;
  o.tokens = 3;
  CHECK(has(error_of(o, cfg),
            "T=3 tokens make 3 token block(s) of up to 1, fewer than the 4 "
            "cores asked for"));
  o.cores = 1;
  o.tokens = 16;
  // h^T of one token takes F bf16 elements over 128 partitions: F = 16 Mi needs 256 KiB.
  o.ffn = 16ull << 20;
  o.hidden = 128;
  const std::string big = error_of(o, cfg);
  CHECK(has(big, "h^T does not fit SBUF even for a block of one token"));
  CHECK(has(big, "config 'trn2' has 229376"));
  o.ffn = 64;
  o.hidden = 1ull << 20;
  o.tokens = 1ull << 16;
  CHECK(has(error_of(o, cfg), "bytes of HBM; config 'trn2' has"));
  config::SystemConfig one_bank = cfg;
  one_bank.psum.banks = 1;
  o.hidden = 64;
  o.tokens = 16;
  CHECK(has(error_of(o, one_bank), "psum.banks at least 2"));
}

TEST_CASE("mlp: narrower token blocks when h^T would not fit") {
  const config::SystemConfig cfg = trn2_config();
  gen::MlpOptions o;
  o.tokens = 2048;
  o.hidden = 4096;
  o.ffn = 11008;
  // bf16: XT (2 x 32 chunks x 512) and h^T (86 tiles x 512) take 150 KiB of 224: 512 fits.
  CHECK(gen::plan_mlp(o, cfg).block == 512);
  // fp32 doubles both; 384 needs 225 KiB, so 256.
  o.dtype = isa::DType::kFp32;
  CHECK(gen::plan_mlp(o, cfg).block == 256);
  // Eight cores of 256 tokens each.
  o.dtype = isa::DType::kBf16;
  o.cores = 8;
  const gen::MlpPlan p = gen::plan_mlp(o, cfg);
  CHECK(p.block == 256);
  CHECK(p.blocks == 8);
}
