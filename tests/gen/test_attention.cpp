// `gen attention`: the traces are legal for their chip, race- and deadlock-free under
// adversarial interleavings (tests/gen/trace_interpreter.h), compute what program order
// computes, and the test can fail: removing a guarding wait is caught.
#include <doctest/doctest.h>

#include <functional>

#include <fmt/format.h>

#include "common/diagnostic.h"
#include "gemm_test_util.h"
#include "gen/attention.h"
#include "generator_checks.h"
#include "trace/checker.h"
#include "trace/parser.h"
#include "trace/printer.h"
#include "trace_interpreter.h"

using namespace trnsim;
using namespace trnsim::test;

namespace {

struct AttnCase {
  std::string config;  // "trn2" or "tiny"
  std::uint64_t seq, kv_seq, head_dim, heads;
  std::uint32_t cores;
  bool causal;
  isa::DType dtype = isa::DType::kBf16;
  bool v_by_token = false;
  bool transposed_out = false;

  config::SystemConfig make_config() const {
    return config == "tiny" ? tiny_config() : trn2_config();
  }
  gen::AttentionOptions options() const {
    gen::AttentionOptions o;
    o.seq = seq;
    o.kv_seq = kv_seq;
    o.head_dim = head_dim;
    o.heads = heads;
    o.cores = cores;
    o.causal = causal;
    o.dtype = dtype;
    o.v_by_token = v_by_token;
    o.transposed_out = transposed_out;
    return o;
  }
  std::string name() const {
    return fmt::format("attention L={} Lk={} d={} H={} cores={}{} {}{}{} on {}", seq, kv_seq,
                       head_dim, heads, cores, causal ? " causal" : "", isa::dtype_name(dtype),
                       v_by_token ? " V by token" : "", transposed_out ? " O transposed" : "",
                       config);
  }
  std::string out() const { return transposed_out ? "OT" : "O"; }
};

Generated generate(const gen::AttentionOptions& o, const config::SystemConfig& cfg) {
  return print_and_parse(gen::attention(o, cfg));
}

// The first error of any interleaving, or an O different from program order's; empty when
// every run is right.
std::string first_failure(const trace::Program& p, const config::SystemConfig& cfg,
                          const std::vector<std::uint32_t>& expected) {
  const std::string out = p.find_tensor("O") != trace::kNone ? "O" : "OT";
  return first_interleaving_failure(p, cfg, out, expected, "differs from program order", false);
}

std::string error_of(const gen::AttentionOptions& o, const config::SystemConfig& cfg) {
  return input_error_message([&] { gen::attention(o, cfg); }, "gen attention");
}

const AttnCase kCases[] = {
    // tiny: 16-row tiles, blocks of 512 keys in 32 chunks; d=64 contracts in 4 steps of 16.
    {"tiny", 64, 0, 64, 1, 1, false},
    {"tiny", 48, 0, 16, 2, 2, true},                       // two heads on two cores, causal
    {"tiny", 32, 640, 8, 1, 1, false, isa::DType::kFp32},  // two key blocks, one partial
    {"trn2", 256, 0, 64, 1, 1, true},                      // two tiles, causal diagonal blocks
    {"trn2", 128, 640, 128, 1, 1, false},                  // a full block and a partial one
    // two tiles sharing each K/V load, two blocks (512 + 128) per tile
    {"trn2", 256, 640, 16, 1, 1, false},
    {"trn2", 384, 0, 64, 3, 2, true},  // causal groups of two tiles and one, three heads
    // The layouts of gen llama-layer: V by token, O transposed, queries after a KV cache
    // (causal with kv-seq > seq), on two cores.
    {"tiny", 32, 64, 16, 2, 2, true, isa::DType::kBf16, true, true},
    {"trn2", 128, 384, 128, 2, 1, true, isa::DType::kBf16, true, true},
    {"trn2", 256, 0, 64, 2, 1, false, isa::DType::kBf16, true, false},
};

}  // namespace

TEST_CASE("attention: traces are canonical, legal and deterministic") {
  for (const AttnCase& c : kCases) {
    INFO(c.name());
    const config::SystemConfig cfg = c.make_config();
    const Generated g = generate(c.options(), cfg);
    std::string why;
    CHECK_MESSAGE(trace::equivalent(g.program, g.parsed, &why), why);
    CHECK(trace::print_program(g.parsed) == g.text);
    CHECK(trace::print_program(gen::attention(c.options(), cfg)) == g.text);
    DiagnosticList diags;
    CHECK_MESSAGE(trace::check_program(g.parsed, cfg, g.text, diags), diags.to_string());
    CHECK(diags.items().empty());
    const gen::AttentionPlan plan = gen::plan_attention(c.options(), cfg);
    CHECK(plan.tile == cfg.sbuf.partitions);
    CHECK(plan.block % plan.tile == 0);
    CHECK(plan.s_banks + plan.pt_banks + plan.o_banks <= cfg.psum.banks);
    CHECK(plan.sbuf_bytes <= cfg.sbuf.bytes_per_partition);
    // Causal: blocks above the diagonal are not emitted, the diagonal ones masked.
    CHECK(has(g.text, "affine_select") == c.causal);
  }
}

TEST_CASE("attention: no race, no deadlock, O written once and as program order computes it") {
  for (const AttnCase& c : kCases) {
    INFO(c.name());
    const config::SystemConfig cfg = c.make_config();
    const Generated g = generate(c.options(), cfg);
    const InterpretResult ordered = interpret(g.parsed, cfg, Policy::kProgramOrder);
    REQUIRE_MESSAGE(ordered.error.empty(), ordered.error);
    const std::uint32_t out = g.parsed.find_tensor(c.out());
    REQUIRE(out != trace::kNone);
    for (std::uint32_t w : ordered.writes[out])
      REQUIRE(w == 1);
    const std::string failure = first_failure(g.parsed, cfg, ordered.tensors[out]);
    CHECK_MESSAGE(failure.empty(), failure);
  }
}

TEST_CASE("attention: removing a guarding wait is caught") {
  // tiny: two tiles of 16 queries, two key blocks each, one step in flight: every per-block
  // buffer is reused. trn2: two tiles sharing each of four K/V loads (three buffers), three
  // steps in flight.
  for (const AttnCase& c :
       {AttnCase{"tiny", 32, 640, 16, 1, 1, false}, AttnCase{"trn2", 256, 2048, 16, 1, 1, false},
        AttnCase{"tiny", 32, 640, 16, 1, 1, true, isa::DType::kBf16, true, true}}) {
    INFO(c.name());
    const config::SystemConfig cfg = c.make_config();
    const Generated g = generate(c.options(), cfg);
    const InterpretResult ordered = interpret(g.parsed, cfg, Policy::kProgramOrder);
    REQUIRE(ordered.error.empty());
    const std::vector<std::uint32_t> expected = ordered.tensors[g.parsed.find_tensor(c.out())];
    REQUIRE(first_failure(g.parsed, cfg, expected).empty());
    struct Mutant {
      std::string what;
      std::function<bool(const std::string&)> pick;
    };
    std::vector<Mutant> mutants = {
        {"a K/V load into a buffer still being read",
         [](const std::string& line) {
           return starts_with(line, "dma.") && has(line, "copy sbuf");
         }},
        {"a store before its result is written",
         [](const std::string& line) { return has(line, "copy hbm:O"); }},
        {"the running-max correction",
         [](const std::string& line) { return has(line, "func=exp scale=-1.0"); }},
        {"a transpose of P",
         [](const std::string& line) { return has(line, "pe:     transpose"); }},
        {"the copy of P^T to SBUF",
         [](const std::string& line) {
           return starts_with(line, "dve:") && has(line, "tensor_copy") && has(line, "psum");
         }},
        {"the row max", [](const std::string& line) { return has(line, "tensor_reduce"); }},
        {"the running sum",
         [](const std::string& line) {
           return starts_with(line, "pool:") && has(line, "op1=add");
         }},
        {"the division by l", [](const std::string& line) { return has(line, "op0=div"); }},
    };
    if (c.transposed_out) {
      // The transpose of O into its bank, and the copy of O^T out of it.
      mutants.push_back({"the transpose of O", [](const std::string& line) {
                           return has(line, "pe:     transpose") && has(line, "o_sb");
                         }});
      mutants.push_back({"the copy of O^T to SBUF", [](const std::string& line) {
                           return starts_with(line, "act:") && has(line, "tensor_copy");
                         }});
    }
    for (const Mutant& m : mutants) {
      INFO("removed the wait of ", m.what);
      const std::string text = without_wait(g.text, m.pick);
      REQUIRE(text != g.text);
      const std::string failure =
          first_failure(trace::parse_trace(text, "mutated.trn"), cfg, expected);
      MESSAGE(m.what, " -> ", failure);
      CHECK(!failure.empty());
    }
  }
}

TEST_CASE("attention: invalid options are InputErrors that say what is wrong") {
  const config::SystemConfig cfg = trn2_config();
  gen::AttentionOptions o;
  o.seq = 0;
  CHECK(has(error_of(o, cfg), "seq, heads and head-dim must be at least 1, got seq=0"));
  o.seq = 200;
  CHECK(has(error_of(o, cfg), "seq=200 and kv-seq=200 must be multiples of 128"));
  o.seq = 256;
  o.head_dim = 200;  // more than the PE rows and not a multiple of them
  CHECK(has(error_of(o, cfg), "head-dim=200 is not supported"));
  o.head_dim = 1024;
  CHECK(has(error_of(o, cfg), "it must be at most 512"));
  o.head_dim = 64;
  o.dtype = isa::DType::kFp16;
  CHECK(has(error_of(o, cfg), "dtype fp16 is not supported (one of: bf16, fp32)"));
  o.dtype = isa::DType::kBf16;
  o.scale = -1.0;
  CHECK(has(error_of(o, cfg), "scale must be a finite number > 0, got -1"));
  o.scale.reset();
  o.causal = true;
  o.kv_seq = 128;
  CHECK(has(error_of(o, cfg), "causal attention needs kv-seq >= seq"));
  o.kv_seq = 512;
  CHECK(error_of(o, cfg).empty());  // the queries are the last 256 positions
  o.kv_seq = 0;
  o.kv_seq = 0;
  o.transposed_out = true;
  o.head_dim = 256;
  CHECK(has(error_of(o, cfg), "a transposed O needs head-dim <= 128"));
  o.head_dim = 64;
  o.transposed_out = false;
  o.cores = 9;
  CHECK(has(error_of(o, cfg), "cores=9 is out of range: config 'trn2' has 8 cores per chip"));
  o.cores = 8;
  CHECK(error_of(o, cfg).empty());
}
