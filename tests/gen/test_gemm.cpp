// `gen gemm`: the generated trace is well formed, legal for its chip and computes C once,
// for a grid of shapes (multiples of the tiles and not) and two very different chips.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/diagnostic.h"
#include "config/derived.h"
#include "gemm_test_util.h"
#include "trace/checker.h"
#include "trace/printer.h"
#include "trace_interpreter.h"

using namespace trnsim;
using namespace trnsim::test;

namespace {

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) {
  return (a + b - 1) / b;
}

// The tile sizes the generator must use, derived here from the config independently of it.
struct Tiles {
  std::uint64_t k, m, n;
};
Tiles expected_tiles(const config::SystemConfig& cfg) {
  const std::uint64_t fp32_per_bank = cfg.psum.bank_bytes / 4;
  return {std::min(cfg.tensor.rows, cfg.sbuf.partitions),
          std::min({cfg.tensor.cols, cfg.psum.partitions, cfg.sbuf.partitions}),
          std::min<std::uint64_t>(cfg.tensor.max_moving_free, fp32_per_bank)};
}

std::string error_of(const gen::GemmOptions& o, const config::SystemConfig& cfg) {
  try {
    gen::gemm(o, cfg);
  } catch (const InputError& e) {
    REQUIRE(e.diagnostics().items().size() == 1);
    const Diagnostic& d = e.diagnostics().items()[0];
    CHECK(d.file == "gen gemm");
    CHECK(d.line == 0);
    return d.message;
  }
  return {};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Every static property of a generated GEMM that can be read off the program.
void check_structure(const gen::GemmOptions& o, const config::SystemConfig& cfg,
                     const Generated& g) {
  std::string why;
  CHECK_MESSAGE(trace::equivalent(g.program, g.parsed, &why), why);
  CHECK(trace::print_program(g.parsed) == g.text);

  DiagnosticList diags;
  CHECK_MESSAGE(trace::check_program(g.parsed, cfg, g.text, diags), diags.to_string());
  CHECK(diags.items().empty());

  const Tiles t = expected_tiles(cfg);
  const gen::GemmPlan plan = gen::plan_gemm(o, cfg);
  CHECK(plan.tile_k == t.k);
  CHECK(plan.tile_m == t.m);
  CHECK(plan.tile_n == t.n);
  const std::uint64_t k_tiles = ceil_div(o.k, t.k);
  const std::uint64_t out_tiles = ceil_div(o.m, t.m) * ceil_div(o.n, t.n);

  // Every element of C is stored exactly once, by DMA copies into slices of C.
  const trace::Program& p = g.parsed;
  const std::uint32_t c_tensor = p.find_tensor("C");
  REQUIRE(c_tensor != trace::kNone);
  std::vector<std::uint8_t> stored(o.m * o.n, 0);
  std::uint64_t matmuls = 0;
  for (const auto& ins : p.instructions) {
    if (ins.opcode == isa::Opcode::kMatmul) ++matmuls;
    if (ins.opcode != isa::Opcode::kCopy) continue;
    const trace::Operand& dst = p.operand(p.positional(ins, 0)->operand);
    if (dst.form != trace::OperandForm::kTensorSlice || dst.tensor != c_tensor) continue;
    for (std::uint64_t r = 0; r < dst.dims[0].size; ++r) {
      for (std::uint64_t c = 0; c < dst.dims[1].size; ++c) {
        ++stored[(dst.dims[0].start_or_stride + r) * o.n + dst.dims[1].start_or_stride + c];
      }
    }
  }
  CHECK(std::all_of(stored.begin(), stored.end(), [](std::uint8_t n) { return n == 1; }));
  CHECK(matmuls == out_tiles * k_tiles);

  // In each core's pe stream, every output tile is one acc=start followed by exactly
  // k_tiles - 1 acc=accumulate into the same bank before that bank starts again.
  std::uint64_t starts = 0;
  for (const auto& stream : p.streams()) {
    if (stream.engine != isa::Engine::kPe) continue;
    std::map<std::uint64_t, std::uint64_t> pending;  // bank -> accumulates still expected
    for (auto i : stream.instructions) {
      const auto& ins = p.instructions[i];
      const trace::Operand& dst = p.operand(p.positional(ins, 0)->operand);
      REQUIRE(dst.form == trace::OperandForm::kPsumBank);
      const bool start = p.find_attr(ins, isa::Attr::kAcc)->word == isa::Word::kStart;
      INFO("pe instruction on line ", ins.line);
      if (start) {
        CHECK(pending[dst.offset] == 0);
        pending[dst.offset] = k_tiles - 1;
        ++starts;
      } else {
        REQUIRE(pending[dst.offset] > 0);
        --pending[dst.offset];
      }
    }
    for (const auto& [bank, left] : pending)
      CHECK_MESSAGE(left == 0, "bank ", bank);
  }
  CHECK(starts == out_tiles);
  CHECK(p.cores.size() == o.cores);
}

// Runs the trace and compares C with the reference: every (m, n, k) product accumulated
// once, from the right tiles, and every element of C written once.
void check_result(const gen::GemmOptions& o, const config::SystemConfig& cfg, const Generated& g,
                  Policy policy, std::uint64_t seed = 0) {
  INFO("interleaving: ", policy_name(policy, seed));
  const InterpretResult r = interpret(g.parsed, cfg, policy, seed);
  REQUIRE_MESSAGE(r.error.empty(), r.error);
  const std::uint32_t c = g.parsed.find_tensor("C");
  CHECK(r.tensors[c] == reference_c(o));
  CHECK(std::all_of(r.writes[c].begin(), r.writes[c].end(), [](auto n) { return n == 1; }));
}

const std::vector<GemmCase> kGrid = {
    {"trn2", 1, 1, 1},           {"trn2", 100, 300, 200},     {"trn2", 128, 512, 128},
    {"trn2", 257, 513, 129},     {"trn2", 1, 4096, 4096},     {"trn2", 1024, 1024, 256, 2},
    {"trn2", 300, 1100, 260, 3}, {"trn2", 512, 2048, 384, 4}, {"trn2", 257, 1030, 129, 4},
    {"tiny", 1, 1, 1},           {"tiny", 100, 300, 200},     {"tiny", 128, 512, 128},
    {"tiny", 257, 513, 129},     {"tiny", 1, 4096, 4096},     {"tiny", 256, 512, 384},
    {"tiny", 256, 512, 384, 2},  {"tiny", 33, 1100, 70, 2},
};

}  // namespace

TEST_CASE("gemm: a grid of shapes and chips gives legal traces that compute C") {
  for (const GemmCase& c : kGrid) {
    INFO(c.name());
    const config::SystemConfig cfg = c.make_config();
    const Generated g = generate(c.options(), cfg);
    check_structure(c.options(), cfg, g);
    check_result(c.options(), cfg, g, Policy::kCompleteFirst);
  }
}

TEST_CASE("gemm: dtypes: fp32, fp16 and fp8 inputs, fp32 output") {
  const config::SystemConfig cfg = trn2_config();
  for (auto [in, out] : {std::pair{isa::DType::kFp32, isa::DType::kFp32},
                         std::pair{isa::DType::kFp16, isa::DType::kBf16},
                         std::pair{isa::DType::kFp8e4, isa::DType::kFp32},
                         std::pair{isa::DType::kBf16, isa::DType::kFp32}}) {
    gen::GemmOptions o = GemmCase{"trn2", 200, 700, 300}.options();
    o.dtype = in;
    o.out_dtype = out;
    INFO(isa::dtype_name(in), " -> ", isa::dtype_name(out));
    const Generated g = generate(o, cfg);
    check_structure(o, cfg, g);
    check_result(o, cfg, g, Policy::kCompleteFirst);
    CHECK(g.parsed.tensors[0].dtype == in);
    CHECK(g.parsed.tensors[1].dtype == in);
    CHECK(g.parsed.tensors[2].dtype == out);
  }
}

TEST_CASE("gemm: the declarations say what the trace computes") {
  gen::GemmOptions o = GemmCase{"trn2", 300, 200, 100}.options();
  o.seed = 41;
  const Generated g = generate(o, trn2_config());
  const auto& t = g.parsed.tensors;
  REQUIRE(t.size() == 3);
  CHECK(t[0].name == "AT");  // stored transposed: K on partitions for the stationary side
  CHECK(t[0].shape == std::vector<std::uint64_t>{100, 300});
  CHECK(t[1].name == "B");
  CHECK(t[1].shape == std::vector<std::uint64_t>{100, 200});
  CHECK(t[2].name == "C");
  CHECK(t[2].shape == std::vector<std::uint64_t>{300, 200});
  CHECK(t[0].init == trace::InitKind::kRandom);
  CHECK(t[1].init == trace::InitKind::kRandom);
  CHECK(t[0].seed == 41);
  CHECK(t[1].seed == 42);
  CHECK(t[2].output);
  CHECK(t[2].dtype == isa::DType::kBf16);  // out_dtype defaults to dtype
}

TEST_CASE("gemm: the same options give byte-identical text, and the seed changes only the data") {
  const GemmCase c{"trn2", 700, 900, 300, 2};
  const std::string a = generate(c.options(), c.make_config()).text;
  CHECK(a == generate(c.options(), c.make_config()).text);
  gen::GemmOptions reseeded = c.options();
  reseeded.seed = 5;
  std::string b = generate(reseeded, c.make_config()).text;
  CHECK(a != b);
  auto replace = [](std::string s, const std::string& from, const std::string& to) {
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  b = replace(b, "init=random(seed=5,", "init=random(seed=1,");
  b = replace(b, "init=random(seed=6,", "init=random(seed=2,");
  CHECK(a == b);
}

TEST_CASE("gemm: evacuation alternates between scalar and vector engines unless told") {
  const GemmCase c{"trn2", 512, 1024, 256};
  auto count = [](const trace::Program& p, isa::Engine e) {
    return std::count_if(p.instructions.begin(), p.instructions.end(),
                         [e](const auto& ins) { return ins.engine == e; });
  };
  gen::GemmOptions o = c.options();
  const trace::Program both = gen::gemm(o, c.make_config());
  CHECK(count(both, isa::Engine::kAct) == 4);  // 8 output tiles
  CHECK(count(both, isa::Engine::kDve) == 4);
  o.evacuation = gen::Evacuation::kScalar;
  const Generated scalar = generate(o, c.make_config());
  CHECK(count(scalar.parsed, isa::Engine::kAct) == 8);
  CHECK(count(scalar.parsed, isa::Engine::kDve) == 0);
  check_result(o, c.make_config(), scalar, Policy::kIssueLowestFirst);
  o.evacuation = gen::Evacuation::kVector;
  const Generated vector = generate(o, c.make_config());
  CHECK(count(vector.parsed, isa::Engine::kDve) == 8);
  check_result(o, c.make_config(), vector, Policy::kIssueHighestFirst);
}

TEST_CASE("gemm: each class of DMA traffic gets its own queues, as many as it needs") {
  // 1024^3 on trn2: groups of 8 output tiles. A step of a group is 8 matmuls of 512 columns,
  // at least 8 x 512 / 2 columns per cycle (fp8, the fastest) / 2.4 GHz = 853 ns, longer
  // than the 600 ns a queue needs to issue a load: one queue each for AT and B loads keeps
  // up. Stores come 8 at once when a group ends: 8 queues.
  const GemmCase c{"trn2", 1024, 1024, 1024};
  const gen::GemmPlan plan = gen::plan_gemm(c.options(), c.make_config());
  const gen::CorePlan& core = plan.cores.at(0);
  REQUIRE(core.group_m * core.group_n == 8);
  CHECK(core.at_queues == std::vector<std::uint8_t>{0});
  CHECK(core.b_queues == std::vector<std::uint8_t>{1});
  CHECK(core.store_queues == std::vector<std::uint8_t>{2, 3, 4, 5, 6, 7, 8, 9});
  const trace::Program p = gen::gemm(c.options(), c.make_config());
  std::map<std::uint8_t, std::set<std::string>> classes;
  for (const auto& ins : p.instructions) {
    if (ins.engine != isa::Engine::kDma) continue;
    const trace::Operand& dst = p.operand(p.positional(ins, 0)->operand);
    const trace::Operand& src = p.operand(p.positional(ins, 1)->operand);
    const auto& hbm = dst.form == trace::OperandForm::kTensorSlice ? dst : src;
    classes[ins.queue].insert(p.tensors[hbm.tensor].name);
  }
  CHECK(classes.size() == 10);
  for (const auto& [queue, tensors] : classes)
    CHECK_MESSAGE(tensors.size() == 1, "queue ", queue);
}

TEST_CASE("gemm: with few DMA queues, loads and stores share them and still finish") {
  for (std::uint32_t queues : {1u, 2u, 3u}) {
    INFO(queues, " queue(s)");
    config::SystemConfig cfg = tiny_config();
    cfg.dma.queues = queues;
    const GemmCase c{"tiny", 100, 1100, 90};
    const Generated g = generate(c.options(), cfg);
    check_structure(c.options(), cfg, g);
    for (Policy policy :
         {Policy::kIssueLowestFirst, Policy::kIssueHighestFirst, Policy::kCompleteFirst}) {
      check_result(c.options(), cfg, g, policy);
    }
  }
}

TEST_CASE("gemm: on a large GEMM the loads can stay ahead of the tensor engine") {
  // 4096^3 bf16 on one trn2 core: 32 x 8 x 32 = 8192 matmuls of N = 512 at one column per
  // cycle and 2.4 GHz, 213.3 ns each: 1.75 ms of tensor-engine time. The DMA engines of a
  // core move 16 x 23 GB/s = 368 GB/s, 644 MB in that time. Streaming both operands for
  // every 128x512 tile would load 8192 x (32 KiB + 128 KiB) = 1.34 GB; the schedule must
  // reuse tiles so that its loads take well under the compute time (here: at most half of
  // it, leaving room for DMA latency and contention).
  const GemmCase c{"trn2", 4096, 4096, 4096};
  const config::SystemConfig cfg = c.make_config();
  const gen::GemmPlan plan = gen::plan_gemm(c.options(), cfg);
  REQUIRE(plan.cores.size() == 1);
  const gen::CorePlan& core = plan.cores[0];
  const double matmul_ns = 512 / (cfg.tensor.moving_columns_per_cycle.bf16 * cfg.tensor.clock_ghz);
  const double compute_ns = 8192 * matmul_ns;
  const double load_ns = core.load_bytes / config::dma_bandwidth_gb_s_per_core(cfg.dma);
  CHECK(load_ns < 0.5 * compute_ns);
  CHECK(core.at_resident != core.b_resident);  // one operand's K strip stays in SBUF
  // Double buffering: every ring holds more than the fewest slots that would work.
  CHECK(core.out.slots >= 2 * core.group_m * core.group_n);
  CHECK(core.psum_banks == cfg.psum.banks);
  CHECK(core.at.bytes() + core.b.bytes() + core.out.bytes() <= cfg.sbuf.bytes_per_partition);
}

TEST_CASE("gemm: cores split the output tiles and load only what they use") {
  const GemmCase c{"trn2", 2048, 2048, 2048, 2};
  const gen::GemmPlan plan = gen::plan_gemm(c.options(), c.make_config());
  REQUIRE(plan.cores.size() == 2);
  std::uint64_t tiles = 0;
  for (const auto& core : plan.cores) {
    tiles += std::uint64_t{core.m_tiles.size()} * core.n_tiles.size();
    // AT and B are 8 MiB each. Whichever way C is cut in two, a core needs all of one
    // operand and half of the other (12 MiB), and never more than both whole (16 MiB).
    CHECK(core.load_bytes >= 12ull << 20);
    CHECK(core.load_bytes <= 16ull << 20);
  }
  CHECK(tiles == plan.m_tiles * plan.n_tiles);
  const trace::Program p = gen::gemm(c.options(), c.make_config());
  REQUIRE(p.cores.size() == 2);
  CHECK(p.cores[0].id.core == 0);
  CHECK(p.cores[1].id.core == 1);
}

TEST_CASE("gemm: invalid options are refused with a message that says why") {
  const config::SystemConfig trn2 = trn2_config();
  const gen::GemmOptions o = GemmCase{"trn2", 64, 64, 64}.options();

  gen::GemmOptions zero = o;
  zero.k = 0;
  CHECK(contains(error_of(zero, trn2), "at least 1, got M=64 N=64 K=0"));

  gen::GemmOptions many = o;
  many.cores = 9;
  CHECK(contains(error_of(many, trn2), "cores must be between 1 and 8"));
  many.cores = 0;
  CHECK(contains(error_of(many, trn2), "cores must be between 1 and 8"));

  gen::GemmOptions ints = o;
  ints.dtype = isa::DType::kInt8;
  CHECK(contains(error_of(ints, trn2), "dtype int8 is not an input type of the tensor engine"));
  gen::GemmOptions int_out = o;
  int_out.out_dtype = isa::DType::kInt32;
  CHECK(contains(error_of(int_out, trn2), "out dtype int32"));

  // 64x64 is one output tile: it cannot keep two cores busy.
  gen::GemmOptions split = o;
  split.cores = 2;
  CHECK(contains(error_of(split, trn2), "cannot split the 1x1 grid"));

  config::SystemConfig small_hbm = trn2;
  small_hbm.hbm.capacity_bytes = 1024;
  CHECK(contains(error_of(o, small_hbm), "need 24576 bytes of HBM"));

  config::SystemConfig small_sbuf = trn2;
  small_sbuf.sbuf.bytes_per_partition = 256;  // 64 + 64 + 64 bf16 need 384
  CHECK(contains(error_of(o, small_sbuf), "no schedule fits SBUF"));

  config::SystemConfig no_banks = trn2;
  no_banks.psum.banks = 0;
  CHECK(contains(error_of(o, no_banks), "no room for a GEMM tile"));
}

TEST_CASE("gemm: SBUF just large enough for one slot of each buffer still works") {
  // One 16x512x16 tile: AT 16 bf16 + B 512 bf16 + C 512 bf16 = 2080 bytes per partition.
  config::SystemConfig cfg = tiny_config();
  cfg.sbuf.bytes_per_partition = 2080;
  const GemmCase c{"tiny", 40, 600, 40};
  const Generated g = generate(c.options(), cfg);
  check_structure(c.options(), cfg, g);
  for (Policy policy : {Policy::kIssueLowestFirst, Policy::kIssueHighestFirst}) {
    check_result(c.options(), cfg, g, policy);
  }
  cfg.sbuf.bytes_per_partition = 2078;
  CHECK_THROWS_AS(gen::gemm(c.options(), cfg), InputError);
}

TEST_CASE("gemm: describe() gives one line per core") {
  const GemmCase c{"trn2", 1024, 1024, 1024, 2};
  const std::string text = gen::describe(gen::plan_gemm(c.options(), c.make_config()));
  CHECK(contains(text, "gemm 1024x1024x1024 bf16->bf16: tiles 128x512x128"));
  CHECK(contains(text, "core 0: "));
  CHECK(contains(text, "core 1: "));
}
