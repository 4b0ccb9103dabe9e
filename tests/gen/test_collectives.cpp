// `gen allreduce|allgather|reducescatter|alltoall`: every collective and algorithm, on
// several chip counts and topologies, is legal, round-trips through the printer, and under
// adversarial interleavings (trace_interpreter.h) runs without race or deadlock to the
// expected values; every wait of a ring all-reduce is needed; ring orders and trees follow
// torus links; bad options are refused with a clear message.
#include <doctest/doctest.h>

#include <set>

#include <fmt/format.h>

#include "common/diagnostic.h"
#include "config/config_loader.h"
#include "functional/random_init.h"
#include "gen/collectives.h"
#include "trace/checker.h"
#include "trace/parser.h"
#include "trace/printer.h"
#include "trace_interpreter.h"

using namespace trnsim;
using namespace trnsim::test;
using gen::Collective;
using gen::CollectiveAlgo;

namespace {

config::SystemConfig preset(const std::string& name) {
  return config::load_config(std::string(TRNSIM_SOURCE_DIR) + "/configs/" + name + ".yaml");
}

config::SystemConfig ring_config(std::uint32_t chips) {
  config::SystemConfig cfg;
  cfg.name = fmt::format("ring{}", chips);
  cfg.system.chips = chips;
  cfg.topology.kind = config::TopologyKind::kRing;
  cfg.topology.dims = {chips};
  return cfg;
}

config::SystemConfig torus_config(std::vector<std::uint32_t> dims) {
  config::SystemConfig cfg;
  std::uint32_t chips = 1;
  for (auto d : dims)
    chips *= d;
  cfg.name = fmt::format("torus{}", fmt::join(dims, "x"));
  cfg.system.chips = chips;
  cfg.topology.kind = config::TopologyKind::kTorus;
  cfg.topology.dims = std::move(dims);
  return cfg;
}

std::string name_of(const gen::CollectiveOptions& o, const config::SystemConfig& cfg) {
  return fmt::format("{} --algo {} on {} chips of {}{}", gen::collective_name(o.collective),
                     gen::algo_name(o.algo), o.chips, cfg.name,
                     o.grid_x ? fmt::format(" --grid {}x{}", o.grid_x, o.grid_y) : "");
}

// Element e of Y<chip> modulo 2^32, from the interpreter's initial values of X<j>.
std::vector<std::uint32_t> expected_y(const gen::CollectiveOptions& o, std::uint32_t n,
                                      std::uint64_t y_elements, std::uint64_t shard,
                                      std::uint32_t chip) {
  std::vector<std::uint32_t> y(y_elements, 0);
  for (std::uint64_t e = 0; e < y_elements; ++e) {
    switch (o.collective) {
      case Collective::kAllReduce:
        for (std::uint32_t j = 0; j < n; ++j)
          y[e] += initial_value(o.seed + j, e);
        break;
      case Collective::kReduceScatter:
        for (std::uint32_t j = 0; j < n; ++j)
          y[e] += initial_value(o.seed + j, chip * shard + e);
        break;
      case Collective::kAllGather:
        y[e] = initial_value(o.seed + e / shard, e % shard);
        break;
      case Collective::kAllToAll:
        y[e] = initial_value(o.seed + e / shard, chip * shard + e % shard);
        break;
    }
  }
  return y;
}

// Runs `program` under every policy (and several random seeds); returns the first problem.
std::string run_all_policies(const trace::Program& program, const config::SystemConfig& cfg,
                             const gen::CollectiveOptions& o, std::uint32_t random_seeds) {
  const std::uint32_t n = o.chips;
  std::vector<std::pair<Policy, std::uint64_t>> runs{
      {Policy::kIssueLowestFirst, 0}, {Policy::kIssueHighestFirst, 0}, {Policy::kCompleteFirst, 0}};
  for (std::uint64_t s = 1; s <= random_seeds; ++s) {
    runs.push_back({Policy::kRandom, s});
    runs.push_back({Policy::kRandomLazy, s});
  }
  for (const auto& [policy, seed] : runs) {
    const InterpretResult r = interpret(program, cfg, policy, seed);
    if (!r.error.empty()) return policy_name(policy, seed) + ": " + r.error;
    for (std::uint32_t chip = 0; chip < n; ++chip) {
      const std::uint32_t y = program.find_tensor(fmt::format("Y{}", chip));
      const auto& values = r.tensors[y];
      const std::uint64_t shard =
          o.collective == Collective::kReduceScatter ? values.size() : values.size() / n;
      if (values != expected_y(o, n, values.size(), shard, chip)) {
        return fmt::format("{}: wrong values in Y{}", policy_name(policy, seed), chip);
      }
    }
  }
  return {};
}

// A small buffer: 16 rows (one per DMA engine) of 8 elements per shard.
std::uint64_t small_bytes(const gen::CollectiveOptions& o, std::uint32_t n) {
  const std::uint64_t shards = o.algo == CollectiveAlgo::kTree ? 1 : n;
  return shards * 16 * 8 * isa::dtype_bytes(o.dtype);
}

void check_collective(gen::CollectiveOptions o, const config::SystemConfig& cfg,
                      std::uint32_t random_seeds = 4) {
  o.bytes = small_bytes(o, o.chips);
  CAPTURE(name_of(o, cfg));
  const trace::Program program = gen::collective(o, cfg);
  const std::string text = trace::print_program(program);
  const trace::Program parsed = trace::parse_trace(text, "generated.trn");
  std::string why;
  CHECK_MESSAGE(trace::equivalent(program, parsed, &why), why);
  CHECK(trace::print_program(parsed) == text);
  DiagnosticList diags;
  CHECK_MESSAGE(trace::check_program(parsed, cfg, text, diags), diags.to_string());
  for (const auto& d : diags.items())
    CHECK_MESSAGE(d.severity != Severity::kError, d.message);
  const std::string problem = run_all_policies(parsed, cfg, o, random_seeds);
  CHECK_MESSAGE(problem.empty(), problem);
}

gen::CollectiveOptions options(Collective c, CollectiveAlgo a, std::uint32_t chips) {
  gen::CollectiveOptions o;
  o.collective = c;
  o.algo = a;
  o.chips = chips;
  o.seed = 7;
  return o;
}

std::string error_of(const gen::CollectiveOptions& o, const config::SystemConfig& cfg) {
  try {
    gen::collective(o, cfg);
  } catch (const InputError& e) {
    REQUIRE(e.diagnostics().items().size() == 1);
    const Diagnostic& d = e.diagnostics().items()[0];
    CHECK(d.file == fmt::format("gen {}", gen::collective_name(o.collective)));
    return d.message;
  }
  return {};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Torus coordinates of a chip (x fastest), and whether two chips share a link.
std::vector<std::uint32_t> coords(std::uint32_t chip, const std::vector<std::uint32_t>& dims) {
  std::vector<std::uint32_t> c;
  for (auto d : dims) {
    c.push_back(chip % d);
    chip /= d;
  }
  return c;
}
bool torus_neighbours(std::uint32_t a, std::uint32_t b, const std::vector<std::uint32_t>& dims) {
  const auto ca = coords(a, dims), cb = coords(b, dims);
  std::uint32_t differ = 0;
  bool adjacent = true;
  for (std::size_t k = 0; k < dims.size(); ++k) {
    if (ca[k] == cb[k]) continue;
    ++differ;
    adjacent = adjacent && ((ca[k] + 1) % dims[k] == cb[k] || (cb[k] + 1) % dims[k] == ca[k]);
  }
  return differ == 1 && adjacent;
}

constexpr Collective kAll[] = {Collective::kAllReduce, Collective::kAllGather,
                               Collective::kReduceScatter, Collective::kAllToAll};

std::vector<CollectiveAlgo> algos_of(Collective c) {
  switch (c) {
    case Collective::kAllReduce:
      return {CollectiveAlgo::kRing, CollectiveAlgo::kTree, CollectiveAlgo::k2d};
    case Collective::kAllToAll:
      return {CollectiveAlgo::kDirect};
    default:
      return {CollectiveAlgo::kRing, CollectiveAlgo::k2d};
  }
}

// A 2d grid for n chips on a ring config, or none.
std::pair<std::uint32_t, std::uint32_t> grid_for(std::uint32_t n) {
  if (n == 4) return {2, 2};
  if (n == 8) return {2, 4};
  if (n == 16) return {4, 4};
  return {0, 0};
}

}  // namespace

TEST_CASE("collectives: every collective and algorithm on 2 to 16 chips of a ring") {
  for (std::uint32_t n : {2u, 3u, 4u, 8u, 16u}) {
    const config::SystemConfig cfg = ring_config(n);
    for (Collective c : kAll) {
      for (CollectiveAlgo a : algos_of(c)) {
        gen::CollectiveOptions o = options(c, a, n);
        if (a == CollectiveAlgo::k2d) {
          std::tie(o.grid_x, o.grid_y) = grid_for(n);
          if (o.grid_x == 0) continue;
        }
        check_collective(o, cfg);
      }
    }
  }
}

TEST_CASE("collectives: every collective and algorithm on the 4x4 torus of trn2-16, bf16") {
  const config::SystemConfig cfg = preset("trn2-16");
  for (Collective c : kAll) {
    for (CollectiveAlgo a : algos_of(c)) {
      gen::CollectiveOptions o = options(c, a, 16);
      o.dtype = isa::DType::kBf16;
      check_collective(o, cfg);
    }
  }
}

TEST_CASE("collectives: in-place all-reduce, every algorithm, on rings and the 4x4 torus") {
  for (std::uint32_t n : {2u, 3u, 4u, 8u, 16u}) {
    const config::SystemConfig cfg = n == 16 ? preset("trn2-16") : ring_config(n);
    for (CollectiveAlgo a : algos_of(Collective::kAllReduce)) {
      gen::CollectiveOptions o = options(Collective::kAllReduce, a, n);
      o.in_place = true;
      if (a == CollectiveAlgo::k2d && n != 16) {
        std::tie(o.grid_x, o.grid_y) = grid_for(n);
        if (o.grid_x == 0) continue;
      }
      check_collective(o, cfg);
      // No input tensor, no initial copy: only the reduction's DMAs.
      o.bytes = small_bytes(o, n);
      const trace::Program p = gen::collective(o, cfg);
      CHECK(p.find_tensor("X0") == trace::kNone);
    }
  }
  auto o = options(Collective::kAllGather, CollectiveAlgo::kRing, 4);
  o.bytes = 1 << 20;
  o.in_place = true;
  CHECK(
      contains(error_of(o, ring_config(4)), "--in-place applies only to allreduce, not allgather"));
}

TEST_CASE("collectives: 3D tori, odd tori, fewer chips than the config, another core") {
  for (const auto& dims : std::vector<std::vector<std::uint32_t>>{{2, 2, 4}, {3, 3}, {2, 3, 3}}) {
    const config::SystemConfig cfg = torus_config(dims);
    for (Collective c : kAll) {
      for (CollectiveAlgo a : algos_of(c))
        check_collective(options(c, a, cfg.system.chips), cfg, 2);
    }
  }
  const config::SystemConfig cfg = preset("trn2-16");
  gen::CollectiveOptions o = options(Collective::kAllReduce, CollectiveAlgo::kRing, 5);
  o.core = 3;
  check_collective(o, cfg);
  check_collective(options(Collective::kAllReduce, CollectiveAlgo::kTree, 6), cfg);
}

TEST_CASE("collectives: switch topology of trn3-64 passes the static checks") {
  const config::SystemConfig cfg = preset("trn3-64");
  for (Collective c : kAll) {
    for (CollectiveAlgo a : algos_of(c)) {
      gen::CollectiveOptions o = options(c, a, 64);
      if (a == CollectiveAlgo::k2d) o.grid_x = 8, o.grid_y = 8;
      o.bytes = small_bytes(o, 64);
      CAPTURE(name_of(o, cfg));
      const trace::Program program = gen::collective(o, cfg);
      const std::string text = trace::print_program(program);
      const trace::Program parsed = trace::parse_trace(text, "generated.trn");
      std::string why;
      CHECK_MESSAGE(trace::equivalent(program, parsed, &why), why);
      DiagnosticList diags;
      CHECK_MESSAGE(trace::check_program(parsed, cfg, text, diags), diags.to_string());
    }
  }
  // The interpreter on one 64-chip ring all-reduce and the 8x8 2d.
  check_collective(options(Collective::kAllReduce, CollectiveAlgo::kRing, 64), cfg, 1);
  gen::CollectiveOptions o = options(Collective::kAllReduce, CollectiveAlgo::k2d, 64);
  o.grid_x = o.grid_y = 8;
  check_collective(o, cfg, 1);
}

TEST_CASE("collectives: every wait of a ring all-reduce, reduce-scatter, all-gather is needed") {
  for (auto [c, n] :
       {std::pair{Collective::kAllReduce, 3u}, std::pair{Collective::kAllReduce, 4u},
        std::pair{Collective::kReduceScatter, 4u}, std::pair{Collective::kAllGather, 4u}}) {
    const config::SystemConfig cfg = ring_config(n);
    gen::CollectiveOptions o = options(c, CollectiveAlgo::kRing, n);
    o.bytes = small_bytes(o, n);
    const trace::Program program = gen::collective(o, cfg);
    REQUIRE(run_all_policies(program, cfg, o, 8).empty());
    std::uint32_t waits = 0;
    for (std::size_t k = 0; k < program.syncs.size(); ++k) {
      if (program.syncs[k].kind != trace::SyncKind::kWaitGe) continue;
      ++waits;
      trace::Program weakened = program;
      weakened.syncs[k].value = 0;  // always holds: the wait is gone
      CAPTURE(name_of(o, cfg));
      CAPTURE(program.semaphores[program.syncs[k].semaphore].name);
      CAPTURE(program.syncs[k].value);
      CHECK_FALSE(run_all_policies(weakened, cfg, o, 64).empty());
    }
    CHECK(waits >= 2 * n);
  }
}

TEST_CASE("collectives: ring order on tori is a cycle of neighbours") {
  using Dims = std::vector<std::uint32_t>;
  for (const Dims& dims :
       {Dims{4, 4}, Dims{2, 2}, Dims{2, 3}, Dims{3, 4}, Dims{5, 2}, Dims{4, 4, 4}, Dims{2, 2, 2},
        Dims{3, 3, 2}, Dims{3, 4, 5}, Dims{3, 3}, Dims{3, 5, 3}}) {
    const config::SystemConfig cfg = torus_config(dims);
    const std::uint32_t n = cfg.system.chips;
    const auto order = gen::ring_order(cfg.topology, n, n);
    CAPTURE(cfg.name);
    REQUIRE(order.size() == n);
    CHECK(std::set<std::uint32_t>(order.begin(), order.end()).size() == n);
    CHECK(order[0] == 0);
    for (std::uint32_t i = 0; i + 1 < n; ++i) {
      CAPTURE(i);
      CHECK(torus_neighbours(order[i], order[i + 1], dims));
    }
    bool any_even = false;
    for (auto d : dims)
      any_even = any_even || d % 2 == 0;
    // The closing hop is a wrap link whenever some dimension is even (an all-odd torus has
    // no snake that closes).
    if (any_even) CHECK(torus_neighbours(order[n - 1], order[0], dims));
  }
  // Not a torus of all the config's chips: plain order.
  const auto plain = gen::ring_order(preset("trn2-16").topology, 16, 8);
  CHECK(plain == std::vector<std::uint32_t>{0, 1, 2, 3, 4, 5, 6, 7});
  CHECK(gen::ring_order(preset("trn3-64").topology, 64, 4) ==
        std::vector<std::uint32_t>{0, 1, 2, 3});
}

TEST_CASE("collectives: on a torus with an even side, ring, 2d and tree move data over links") {
  using Dims = std::vector<std::uint32_t>;
  for (const Dims& dims :
       {Dims{4, 4}, Dims{2, 3, 3}, Dims{3, 3, 2}, Dims{3, 2, 3}, Dims{4, 2, 2}}) {
    const config::SystemConfig cfg = torus_config(dims);
    const std::uint32_t n = cfg.system.chips;
    for (Collective c : kAll) {
      for (CollectiveAlgo a : algos_of(c)) {
        if (a == CollectiveAlgo::kDirect) continue;
        // 2d's column rings run over [y, z]; with both odd, their closing hop is no link.
        if (a == CollectiveAlgo::k2d && dims.size() == 3 && dims[1] % 2 == 1 && dims[2] % 2 == 1)
          continue;
        gen::CollectiveOptions o = options(c, a, n);
        o.bytes = small_bytes(o, n);
        CAPTURE(name_of(o, cfg));
        const trace::Program p = gen::collective(o, cfg);
        for (const auto& ins : p.instructions) {
          if (ins.opcode != isa::Opcode::kCopy && ins.opcode != isa::Opcode::kCopyAdd) continue;
          const std::uint32_t dst = p.tensors[p.operand(p.positional(ins, 0)->operand).tensor].chip;
          const std::uint32_t src = p.tensors[p.operand(p.positional(ins, 1)->operand).tensor].chip;
          if (dst != src) CHECK(torus_neighbours(dst, src, dims));
        }
      }
    }
  }
}

TEST_CASE("collectives: reduction trees are binary and follow links") {
  using Dims = std::vector<std::uint32_t>;
  for (const Dims& dims : {Dims{4, 4}, Dims{2, 3}, Dims{4, 2, 2}}) {
    const config::SystemConfig cfg = torus_config(dims);
    const std::uint32_t n = cfg.system.chips;
    const gen::Tree t = gen::reduction_tree(cfg.topology, n, n);
    CAPTURE(cfg.name);
    for (std::uint32_t c = 1; c < n; ++c) {
      CHECK(torus_neighbours(c, t.parent[c], dims));
      std::uint32_t hops = 0, v = c;
      while (v != 0 && hops <= n)
        v = t.parent[v], ++hops;
      CHECK(v == 0);
    }
    for (const auto& kids : t.children)
      CHECK(kids.size() <= 2);
  }
  const config::SystemConfig ring = ring_config(7);
  const gen::Tree t = gen::reduction_tree(ring.topology, 7, 7);
  for (std::uint32_t c = 1; c < 7; ++c) {
    const std::uint32_t p = t.parent[c];
    CHECK(((c + 1) % 7 == p || (p + 1) % 7 == c));
  }
}

TEST_CASE("collectives: bad options give clear errors") {
  const config::SystemConfig torus = preset("trn2-16");
  const config::SystemConfig ring = ring_config(8);
  auto o = options(Collective::kAllGather, CollectiveAlgo::kTree, 16);
  o.bytes = 1 << 20;
  CHECK(contains(error_of(o, torus),
                 "--algo tree is not available for allgather; expected one "
                 "of: ring, 2d"));
  o = options(Collective::kAllToAll, CollectiveAlgo::kRing, 16);
  o.bytes = 1 << 20;
  CHECK(contains(error_of(o, torus), "expected one of: direct"));
  o = options(Collective::kAllReduce, CollectiveAlgo::kRing, 17);
  o.bytes = 1 << 20;
  CHECK(contains(error_of(o, torus), "--chips 17 is out of range"));
  o.chips = 1;
  CHECK(contains(error_of(o, torus), "at least 2 chips"));
  o.chips = 3;
  o.bytes = 1000;
  CHECK(contains(error_of(o, torus),
                 "--bytes 1000 does not split into 3 equal shards of whole "
                 "fp32 elements; use a multiple of 12 bytes, e.g. 1008"));
  o.bytes = 0;
  CHECK(contains(error_of(o, torus), "--bytes 0"));
  o = options(Collective::kAllReduce, CollectiveAlgo::k2d, 8);
  o.bytes = 1 << 20;
  CHECK(contains(error_of(o, ring),
                 "--algo 2d needs a 2D or 3D torus of 8 chips, but the "
                 "config's topology is ring 8 with 8 chips; give the chip grid "
                 "as --grid XxY"));
  CHECK(contains(error_of(o, torus), "--algo 2d needs a 2D or 3D torus of 8 chips"));
  o.grid_x = 3;
  o.grid_y = 3;
  CHECK(contains(error_of(o, ring), "--grid 3x3 has 9 chips, but --chips is 8"));
  o.grid_x = 1;
  o.grid_y = 8;
  CHECK(contains(error_of(o, ring), "at least 2 chips in each grid dimension"));
  o = options(Collective::kAllReduce, CollectiveAlgo::kRing, 4);
  o.bytes = 1 << 20;
  o.grid_x = 2;
  o.grid_y = 2;
  CHECK(contains(error_of(o, ring), "--grid applies only to --algo 2d"));
  o = options(Collective::kAllReduce, CollectiveAlgo::kRing, 4);
  o.bytes = 1 << 20;
  o.dtype = isa::DType::kFp8e4;
  CHECK(contains(error_of(o, ring), "--dtype fp8e4 is not supported; expected fp32 or bf16"));
  o.dtype = isa::DType::kFp32;
  o.core = 8;
  CHECK(contains(error_of(o, ring), "--core 8 does not exist"));
  o.core = 0;
  o.bytes = 64ull << 30;
  CHECK(contains(error_of(o, ring), "bytes of HBM per chip, more than"));
  // A given row width must divide a shard: 1 MiB over 4 chips is 65536 fp32 per shard.
  o.bytes = 1 << 20;
  o.cols = 96;
  CHECK(contains(error_of(o, ring),
                 "a shard of 65536 elements is not a whole number of rows of 96 elements"));
  o.cols = 128;
  const gen::CollectivePlan plan = gen::plan_collective(o, ring);
  CHECK(plan.cols == 128);
  CHECK(plan.rows == 2048);
}

TEST_CASE("collectives: the reference is the sum, the shard, the gather and the exchange") {
  const config::SystemConfig cfg = ring_config(4);
  const std::uint64_t shard = 16 * 8;
  auto input = [](std::uint64_t seed, std::uint64_t rows) {
    trace::TensorDecl t;
    t.dtype = isa::DType::kFp32;
    t.shape = {rows, 8};
    t.init = trace::InitKind::kRandom;
    t.seed = seed;
    t.dist = trace::Distribution::kUniform;
    return functional::random_tensor(t);
  };
  for (Collective c : kAll) {
    gen::CollectiveOptions o = options(c, algos_of(c).front(), 4);
    o.bytes = small_bytes(o, 4);
    CAPTURE(gen::collective_name(c));
    const auto refs = gen::collective_reference(o, cfg);
    REQUIRE(refs.size() == 4);
    const std::uint64_t x_rows = c == Collective::kAllGather ? 16 : 64;
    std::vector<std::vector<float>> x;
    for (std::uint32_t j = 0; j < 4; ++j)
      x.push_back(input(o.seed + j, x_rows));
    for (std::uint32_t chip = 0; chip < 4; ++chip) {
      const auto y = refs[chip].to_floats();
      CHECK(refs[chip].shape ==
            std::vector<std::uint64_t>{c == Collective::kReduceScatter ? 16u : 64u, 8});
      for (std::uint64_t e = 0; e < y.size(); ++e) {
        double want = 0;
        switch (c) {
          case Collective::kAllReduce:
          case Collective::kReduceScatter:
            for (std::uint32_t j = 0; j < 4; ++j)
              want += x[j][(c == Collective::kAllReduce ? 0 : chip * shard) + e];
            break;
          case Collective::kAllGather:
            want = x[e / shard][e % shard];
            break;
          case Collective::kAllToAll:
            want = x[e / shard][chip * shard + e % shard];
            break;
        }
        REQUIRE(y[e] == static_cast<float>(want));
      }
    }
  }
}
