// `gen tp-gemm` and the program composition it is built from (gen/compose.h): the trace is
// legal, round-trips through the printer, and under adversarial interleavings
// (trace_interpreter.h) runs without race or deadlock to Y = sum of the chips' partial
// products on every chip; each chunk's all-reduce waits for that chunk's stores only; bad
// options are refused with a clear message.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include "common/diagnostic.h"
#include "config/config_loader.h"
#include "gemm_test_util.h"
#include "gen/compose.h"
#include "gen/gemm.h"
#include "gen/tp_gemm.h"
#include "trace/checker.h"
#include "trace/parser.h"
#include "trace/printer.h"
#include "trace_interpreter.h"

using namespace trnsim;
using namespace trnsim::test;

namespace {

config::SystemConfig preset(const std::string& name) {
  return config::load_config(std::string(TRNSIM_SOURCE_DIR) + "/configs/" + name + ".yaml");
}

// `base` (trn2 defaults or the tiny chip) as `chips` chips on a ring.
config::SystemConfig on_ring(config::SystemConfig cfg, std::uint32_t chips) {
  cfg.name += fmt::format("-ring{}", chips);
  cfg.system.chips = chips;
  cfg.topology.kind = config::TopologyKind::kRing;
  cfg.topology.dims = {chips};
  return cfg;
}

// Every output tensor C_c<c>_j<j> modulo 2^32: rows of chunk j of sum over chips of
// AT_c<c>_j<j>^T . B_c<c> (or chip c's own term alone with gemm_only).
std::vector<std::uint32_t> expected(const gen::TpGemmPlan& plan, std::uint32_t chip,
                                    std::uint32_t j) {
  const gen::TpGemmOptions& o = plan.options;
  const std::uint64_t rows = plan.chunk_rows, n = o.n, k = plan.k_per_chip;
  std::vector<std::uint32_t> y(rows * n, 0);
  for (std::uint32_t c = 0; c < o.chips; ++c) {
    if (o.gemm_only && c != chip) continue;
    const std::uint64_t at_seed = gen::tp_gemm_seed(o, c, false, j);
    const std::uint64_t b_seed = gen::tp_gemm_seed(o, c, true);
    for (std::uint64_t kk = 0; kk < k; ++kk)
      for (std::uint64_t r = 0; r < rows; ++r)
        for (std::uint64_t col = 0; col < n; ++col)
          y[r * n + col] +=
              initial_value(at_seed, kk * rows + r) * initial_value(b_seed, kk * n + col);
  }
  return y;
}

std::string run_all_policies(const trace::Program& program, const config::SystemConfig& cfg,
                             const gen::TpGemmPlan& plan, std::uint32_t random_seeds) {
  std::vector<std::pair<Policy, std::uint64_t>> runs{
      {Policy::kIssueLowestFirst, 0}, {Policy::kIssueHighestFirst, 0}, {Policy::kCompleteFirst, 0}};
  for (std::uint64_t s = 1; s <= random_seeds; ++s) {
    runs.push_back({Policy::kRandom, s});
    runs.push_back({Policy::kRandomLazy, s});
  }
  for (const auto& [policy, seed] : runs) {
    const InterpretResult r = interpret(program, cfg, policy, seed);
    if (!r.error.empty()) return policy_name(policy, seed) + ": " + r.error;
    for (std::uint32_t chip = 0; chip < plan.options.chips; ++chip) {
      for (std::uint32_t j = 0; j < plan.options.chunks; ++j) {
        const std::string name = gen::tp_gemm_output(chip, j);
        const std::uint32_t t = program.find_tensor(name);
        if (t == trace::kNone) return "no tensor " + name;
        if (r.tensors[t] != expected(plan, chip, j))
          return fmt::format("{}: wrong values in {}", policy_name(policy, seed), name);
      }
    }
  }
  return {};
}

void check_tp_gemm(const gen::TpGemmOptions& o, const config::SystemConfig& cfg,
                   std::uint32_t random_seeds = 3) {
  CAPTURE(fmt::format("tp-gemm {}x{}x{} on {} chips of {}, {} chunks, {} cores{}", o.m, o.n, o.k,
                      o.chips, cfg.name, o.chunks, o.cores, o.gemm_only ? ", gemm only" : ""));
  const gen::TpGemmPlan plan = gen::plan_tp_gemm(o, cfg);
  const trace::Program program = gen::tp_gemm(o, cfg);
  const std::string text = trace::print_program(program);
  const trace::Program parsed = trace::parse_trace(text, "generated.trn");
  std::string why;
  CHECK_MESSAGE(trace::equivalent(program, parsed, &why), why);
  CHECK(trace::print_program(parsed) == text);
  DiagnosticList diags;
  CHECK_MESSAGE(trace::check_program(parsed, cfg, text, diags), diags.to_string());
  for (const auto& d : diags.items())
    CHECK_MESSAGE(d.severity != Severity::kError, d.message);
  const std::string problem = run_all_policies(parsed, cfg, plan, random_seeds);
  CHECK_MESSAGE(problem.empty(), problem);
}

gen::TpGemmOptions options(std::uint64_t m, std::uint64_t n, std::uint64_t k, std::uint32_t chips,
                           std::uint32_t chunks, std::uint32_t cores = 1) {
  gen::TpGemmOptions o;
  o.m = m;
  o.n = n;
  o.k = k;
  o.chips = chips;
  o.chunks = chunks;
  o.cores = cores;
  o.seed = 5;
  return o;
}

std::string error_of(const gen::TpGemmOptions& o, const config::SystemConfig& cfg) {
  try {
    gen::tp_gemm(o, cfg);
  } catch (const InputError& e) {
    REQUIRE(e.diagnostics().items().size() == 1);
    const Diagnostic& d = e.diagnostics().items()[0];
    CHECK(d.file == "gen tp-gemm");
    return d.message;
  }
  return {};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("tp-gemm: exact sums without race or deadlock on 2 and 4 chips of a ring") {
  // trn2 tiles (128 rows): two chunks of one row tile each.
  check_tp_gemm(options(256, 64, 128, 2, 2), on_ring(trn2_config(), 2));
  // The 16x16 tiny chip: four chunks of two row tiles, two K tiles per chip, both cores, so
  // every buffer ring wraps inside a chunk and across chunks; only 4 DMA queues, so the
  // all-reduce shares queues with the GEMM.
  check_tp_gemm(options(128, 48, 128, 4, 4, 2), on_ring(tiny_config(), 4));
  check_tp_gemm(options(64, 48, 128, 2, 1, 2), on_ring(tiny_config(), 2));
  // The chunked GEMMs alone.
  gen::TpGemmOptions o = options(128, 48, 128, 4, 4, 2);
  o.gemm_only = true;
  check_tp_gemm(o, on_ring(tiny_config(), 4));
}

TEST_CASE("tp-gemm: exact sums on the 4x4 torus of trn2-16, ring and 2d") {
  const config::SystemConfig cfg = preset("trn2-16");
  gen::TpGemmOptions o = options(256, 32, 256, 16, 2);
  check_tp_gemm(o, cfg, 1);
  o.algo = gen::CollectiveAlgo::k2d;
  o.core = 1;
  check_tp_gemm(o, cfg, 1);
}

TEST_CASE("tp-gemm: each chunk's all-reduce waits for exactly that chunk's stores") {
  const config::SystemConfig cfg = on_ring(tiny_config(), 2);
  const gen::TpGemmOptions o = options(128, 48, 128, 2, 4, 2);
  const gen::TpGemmPlan plan = gen::plan_tp_gemm(o, cfg);
  trace::Program p = gen::tp_gemm(o, cfg);
  for (std::uint32_t chip = 0; chip < o.chips; ++chip) {
    const std::uint32_t core = p.core_index({chip, o.core});
    for (std::uint32_t j = 0; j < o.chunks; ++j) {
      CAPTURE(chip);
      CAPTURE(j);
      const std::uint32_t stored = p.find_semaphore(core, fmt::format("stored_j{}", j));
      REQUIRE(stored != trace::kNone);
      std::int64_t posts = 0, waits = 0;
      for (const trace::Instruction& ins : p.instructions) {
        for (const trace::SyncOp* s = p.syncs_of(ins); s != p.syncs_of(ins) + ins.num_syncs; ++s) {
          if (s->semaphore != stored) continue;
          if (s->kind == trace::SyncKind::kPostAdd) {
            ++posts;
            // Posted by stores of C_c<chip>_j<j>, on any core of the chip.
            const trace::Arg* dst = p.positional(ins, 0);
            REQUIRE(dst != nullptr);
            CHECK(p.tensors[p.operand(dst->operand).tensor].name == gen::tp_gemm_output(chip, j));
          } else {
            ++waits;
            CHECK(s->value == plan.stores_per_chunk);
            CHECK(ins.engine == isa::Engine::kSync);
          }
        }
      }
      CHECK(posts == plan.stores_per_chunk);
      CHECK(waits == 1);
    }
  }
}

TEST_CASE("compose: relocate and append remap tensors, semaphores and queues") {
  const config::SystemConfig cfg = tiny_config();
  gen::GemmOptions g;
  g.m = 32;
  g.n = 32;
  g.k = 64;
  const trace::Program base = gen::gemm(g, cfg);
  const trace::Program moved = gen::relocate(base, 3, "_x");
  CHECK(moved.find_tensor("AT_x") != trace::kNone);
  CHECK(moved.find_tensor("AT") == trace::kNone);
  for (const auto& t : moved.tensors)
    CHECK(t.chip == 3);
  for (const auto& c : moved.cores)
    CHECK(c.id.chip == 3);
  CHECK(moved.find_semaphore(0, "at0") != trace::kNone);

  // Appending the same program twice with continued semaphores: the second copy's waits
  // start where the first copy's posts end, and its first accesses wait for all of them.
  trace::Program twice = base;
  gen::AppendOptions a;
  a.continue_semaphores = true;
  a.bind = {{"AT", "AT"}, {"B", "B"}, {"C", "C"}};
  const gen::AppendMap map = gen::append(twice, base, a);
  CHECK(twice.semaphores.size() == base.semaphores.size());
  CHECK(twice.tensors.size() == base.tensors.size());
  CHECK(twice.instructions.size() == 2 * base.instructions.size());
  const std::vector<std::int64_t> first = gen::posted_totals(base);
  const std::vector<std::int64_t> both = gen::posted_totals(twice);
  for (std::size_t s = 0; s < first.size(); ++s)
    CHECK(both[s] == 2 * first[s]);
  // Every appended instruction waits on each semaphore it posts to, for at least the
  // first copy's total.
  for (std::uint32_t i : map.instructions) {
    const trace::Instruction& ins = twice.instructions[i];
    for (const trace::SyncOp* s = twice.syncs_of(ins); s != twice.syncs_of(ins) + ins.num_syncs;
         ++s) {
      if (s->kind != trace::SyncKind::kPostAdd) continue;
      bool waited = false;
      for (const trace::SyncOp* w = twice.syncs_of(ins); w != twice.syncs_of(ins) + ins.num_syncs;
           ++w) {
        waited = waited || (w->kind == trace::SyncKind::kWaitGe && w->semaphore == s->semaphore &&
                            w->value >= first[s->semaphore]);
      }
      CHECK(waited);
    }
  }
  const InterpretResult r = interpret(twice, cfg, Policy::kRandomLazy, 3);
  CHECK_MESSAGE(r.error.empty(), r.error);

  // Kept apart: clashing semaphore names get the suffix, queues move.
  trace::Program apart = base;
  gen::AppendOptions b;
  b.semaphore_suffix = "_2";
  b.queue_offset = 1;
  b.bind = {{"AT", "AT"}, {"B", "B"}};
  trace::Program other = base;
  other.tensors[other.find_tensor("C")].output = false;
  trace::Program scratch = base;
  CHECK_THROWS_AS(gen::append(scratch, other), std::logic_error);  // two different C
  trace::Program renamed = gen::relocate(base, 0, "_2");
  const gen::AppendMap m2 = gen::append(apart, renamed, b);
  CHECK(apart.find_semaphore(0, "at0_2") != trace::kNone);
  CHECK(apart.find_tensor("C_2") != trace::kNone);
  std::uint32_t lowest = 255;
  for (std::uint32_t i : m2.instructions) {
    if (apart.instructions[i].engine == isa::Engine::kDma)
      lowest = std::min<std::uint32_t>(lowest, apart.instructions[i].queue);
  }
  CHECK(lowest == 1);
}

TEST_CASE("tp-gemm: bad options give clear errors") {
  const config::SystemConfig ring = on_ring(trn2_config(), 4);
  CHECK(contains(error_of(options(256, 64, 130, 4, 2), ring),
                 "--k 130 does not split over 4 chips: K must be a multiple of --chips"));
  CHECK(contains(error_of(options(384, 64, 128, 4, 2), ring),
                 "--chunks 2 does not divide the rows of M=384 into whole tiles: M is 3 tile(s) "
                 "of 128 rows; use a chunk count that divides 3"));
  CHECK(contains(error_of(options(200, 64, 128, 4, 2), ring), "(the last one partial)"));
  CHECK(contains(error_of(options(256, 64, 128, 5, 2), ring), "--chips 5 is out of range"));
  CHECK(contains(error_of(options(256, 64, 128, 1, 2), ring), "at least 2 chips"));
  gen::TpGemmOptions o = options(256, 64, 128, 4, 2);
  o.core = 9;
  CHECK(contains(error_of(o, ring), "--core 9 does not exist"));
  o = options(256, 64, 128, 4, 2);
  o.algo = gen::CollectiveAlgo::kTree;
  CHECK(contains(error_of(o, ring), "--algo tree is not available for tp-gemm"));
  o.algo = gen::CollectiveAlgo::k2d;
  CHECK(
      contains(error_of(o, ring), "the all-reduce of one chunk: --algo 2d needs a 2D or 3D torus"));
  o = options(256, 64, 128, 4, 2);
  o.cores = 9;
  CHECK(contains(error_of(o, ring), "GEMM: cores must be between 1 and 8"));
  // Chunk rows must split into one shard per chip.
  CHECK(contains(error_of(options(48, 64, 128, 32, 1), on_ring(trn2_config(), 32)),
                 "a chunk of 48 rows does not split into 32 equal shards"));
}
