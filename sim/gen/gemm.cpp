#include "gen/gemm.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <tuple>

#include <fmt/format.h>

#include "common/diagnostic.h"
#include "gen/program_builder.h"

namespace trnsim::gen {

namespace {

// Error messages and the Program name the generator the user ran.
const char* file_name(const GemmOptions& o) {
  return o.batch == 0 ? "gen gemm" : "gen bmm";
}

[[noreturn]] void fail(const GemmOptions& o, std::string message) {
  throw InputError(file_name(o), 0, 0, std::move(message));
}

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) {
  return (a + b - 1) / b;
}
std::uint64_t align_up(std::uint64_t a, std::uint64_t b) {
  return ceil_div(a, b) * b;
}

constexpr isa::DType kFloatTypes[] = {isa::DType::kFp32, isa::DType::kBf16, isa::DType::kFp16,
                                      isa::DType::kFp8e4, isa::DType::kFp8e5};

std::string float_type_list() {
  std::string out;
  for (auto t : kFloatTypes)
    out += fmt::format("{}{}", out.empty() ? "" : ", ", isa::dtype_name(t));
  return out;
}

// The sizes that every part of the planner needs.
struct Shape {
  std::uint64_t m = 0, n = 0, k = 0;  // elements
  std::uint32_t tile_m = 0, tile_n = 0, tile_k = 0;
  std::uint32_t k_tiles = 0;
  std::uint32_t in_bytes = 0, out_bytes = 0;
  std::uint32_t psum_banks = 0;
  std::uint64_t sbuf_bytes = 0;  // per partition
  std::uint32_t dma_queues = 0;
  double descriptor_ns = 0;  // a DMA queue's time to issue one instruction
  // The least time a matmul of a full tile takes: at the fastest moving-column rate of any
  // dtype, so that it bounds how fast the tensor engine can use loaded tiles.
  double matmul_ns = 0;

  std::uint64_t m_end(std::uint32_t tile) const {
    return std::min(m, std::uint64_t{tile} * tile_m);
  }
  std::uint64_t n_end(std::uint32_t tile) const {
    return std::min(n, std::uint64_t{tile} * tile_n);
  }
  std::uint32_t k_rows(std::uint32_t kt) const {
    return static_cast<std::uint32_t>(
        std::min<std::uint64_t>(k - std::uint64_t{kt} * tile_k, tile_k));
  }
  // Elements of the columns [begin, end) of tiles of AT (rows of C) or of B.
  std::uint64_t m_width(TileRange r) const {
    return m_end(r.end) - std::uint64_t{r.begin} * tile_m;
  }
  std::uint64_t n_width(TileRange r) const {
    return n_end(r.end) - std::uint64_t{r.begin} * tile_n;
  }
};

// A set of output tiles of one batch that accumulate over K together, one PSUM bank each.
struct Group {
  std::uint32_t batch = 0;
  TileRange m;
  TileRange n;
};

// Splits `r` into consecutive blocks of at most `size` tiles.
std::vector<TileRange> blocks(TileRange r, std::uint32_t size) {
  std::vector<TileRange> out;
  for (std::uint32_t b = r.begin; b < r.end; b += size)
    out.push_back({b, std::min(r.end, b + size)});
  return out;
}

// The order in which a core visits its work, shared by planning and emission so that both
// see the same loads: its batches in order, the groups of each batch in order, and for each
// group the K tiles in order (a "step" is one K tile of one group). Loads are identified by
// keys: a resident operand's K tile is shared by every group of the same batch with the
// same rows (AT) or columns (B), a streamed one belongs to its group. Batches share nothing,
// but their loads number on in the same rings, so a ring never drains between batches.
class CoreWalk {
 public:
  CoreWalk(const Shape& shape, const CorePlan& plan) : m_plan(plan), m_k_tiles(shape.k_tiles) {
    const auto mb = blocks(plan.m_tiles, plan.group_m);
    const auto nb = blocks(plan.n_tiles, plan.group_n);
    m_m_blocks = static_cast<std::uint32_t>(mb.size());
    m_n_blocks = static_cast<std::uint32_t>(nb.size());
    for (std::uint32_t batch = plan.batches.begin; batch < plan.batches.end; ++batch) {
      if (plan.order == LoopOrder::kRowsOuter) {
        for (const auto& m : mb)
          for (const auto& n : nb)
            m_groups.push_back({batch, m, n});
      } else {
        for (const auto& n : nb)
          for (const auto& m : mb)
            m_groups.push_back({batch, m, n});
      }
    }
  }

  const std::vector<Group>& groups() const { return m_groups; }
  std::uint32_t at_keys() const { return key_space(m_plan.at_resident, m_m_blocks); }
  std::uint32_t b_keys() const { return key_space(m_plan.b_resident, m_n_blocks); }
  std::uint32_t at_key(std::uint32_t g, std::uint32_t kt) const {
    const std::uint32_t block = (m_groups[g].m.begin - m_plan.m_tiles.begin) / m_plan.group_m;
    return key(m_plan.at_resident, g, block, m_m_blocks, kt);
  }
  std::uint32_t b_key(std::uint32_t g, std::uint32_t kt) const {
    const std::uint32_t block = (m_groups[g].n.begin - m_plan.n_tiles.begin) / m_plan.group_n;
    return key(m_plan.b_resident, g, block, m_n_blocks, kt);
  }

 private:
  std::uint32_t key(bool resident, std::uint32_t g, std::uint32_t block, std::uint32_t blocks,
                    std::uint32_t kt) const {
    const std::uint32_t batch = m_groups[g].batch - m_plan.batches.begin;
    return (resident ? batch * blocks + block : g) * m_k_tiles + kt;
  }
  std::uint32_t key_space(bool resident, std::uint32_t blocks) const {
    return (resident ? m_plan.batches.size() * blocks
                     : static_cast<std::uint32_t>(m_groups.size())) *
           m_k_tiles;
  }

  const CorePlan& m_plan;
  std::uint32_t m_k_tiles;
  std::uint32_t m_m_blocks = 0;
  std::uint32_t m_n_blocks = 0;
  std::vector<Group> m_groups;
};

// Numbers the loads of one operand in order of first use; a load is "unit" i of its ring
// and goes to slot i mod slots.
class UnitTable {
 public:
  explicit UnitTable(std::uint32_t keys) : m_index(keys, trace::kNone) {}
  // The unit of `key`, and whether this is its first use.
  std::pair<std::uint32_t, bool> use(std::uint32_t key) {
    if (m_index[key] != trace::kNone) return {m_index[key], false};
    m_index[key] = m_count++;
    return {m_index[key], true};
  }
  std::uint32_t count() const { return m_count; }

 private:
  std::vector<std::uint32_t> m_index;
  std::uint32_t m_count = 0;
};

// The steps at which each unit of a ring is first and last used.
struct Liveness {
  std::vector<std::uint32_t> first, last;

  void use(std::pair<std::uint32_t, bool> unit, std::uint32_t step) {
    if (unit.second) first.push_back(step), last.push_back(step);
    last[unit.first] = step;
  }
  // The fewest slots such that unit u's load never waits for a unit still in use when u is
  // first needed: last[u - slots] < first[u] for every u. Fewer slots would deadlock.
  std::uint32_t min_slots() const {
    std::uint32_t slots = 1;
    std::size_t oldest = 0;  // first unit still in use at first[u]
    for (std::size_t u = 0; u < first.size(); ++u) {
      while (last[oldest] < first[u])
        ++oldest;
      slots = std::max(slots, static_cast<std::uint32_t>(u - oldest + 1));
    }
    return slots;
  }
};

// Loads, slots and traffic of one candidate schedule.
struct Evaluation {
  std::uint32_t at_units = 0, b_units = 0;
  std::uint32_t at_min = 0, b_min = 0;
  std::uint64_t load_bytes = 0;
};

Evaluation evaluate(const Shape& s, const CorePlan& plan) {
  CoreWalk walk(s, plan);
  UnitTable at(walk.at_keys()), b(walk.b_keys());
  Liveness at_live, b_live;
  Evaluation e;
  std::uint32_t step = 0;
  for (std::uint32_t g = 0; g < walk.groups().size(); ++g) {
    const Group& group = walk.groups()[g];
    for (std::uint32_t kt = 0; kt < s.k_tiles; ++kt, ++step) {
      auto a = at.use(walk.at_key(g, kt));
      auto bb = b.use(walk.b_key(g, kt));
      if (a.second) e.load_bytes += s.k_rows(kt) * s.m_width(group.m) * s.in_bytes;
      if (bb.second) e.load_bytes += s.k_rows(kt) * s.n_width(group.n) * s.in_bytes;
      at_live.use(a, step);
      b_live.use(bb, step);
    }
  }
  e.at_units = at.count();
  e.b_units = b.count();
  e.at_min = at_live.min_slots();
  e.b_min = b_live.min_slots();
  return e;
}

// The output tiles of a core, over all its batches.
std::uint32_t core_tiles(const CorePlan& c) {
  return c.batches.size() * c.m_tiles.size() * c.n_tiles.size();
}

// Places the three rings in SBUF; returns the bytes per partition they need.
std::uint64_t lay_out(const Shape& s, CorePlan& plan) {
  plan.at.offset = 0;
  plan.b.offset = align_up(plan.at.bytes(), s.in_bytes);
  plan.out.offset = align_up(plan.b.offset + plan.b.bytes(), s.out_bytes);
  return plan.out.offset + plan.out.bytes();
}

// Gives each ring more slots than the minimum, one at a time in turn, while SBUF has room:
// extra AT/B slots let loads run up to a whole K strip ahead of the tensor engine, extra
// output slots let evacuation of one group overlap the stores of the previous one.
void add_spare_slots(const Shape& s, CorePlan& plan, const Evaluation& e) {
  const std::uint32_t tiles = core_tiles(plan);
  const std::uint32_t group = plan.group_m * plan.group_n;
  Ring* rings[] = {&plan.out, &plan.b, &plan.at};
  const std::uint32_t targets[] = {std::min(tiles, 2 * group),
                                   std::min(e.b_units, e.b_min + s.k_tiles),
                                   std::min(e.at_units, e.at_min + s.k_tiles)};
  for (bool grew = true; grew;) {
    grew = false;
    for (std::size_t r = 0; r < std::size(rings); ++r) {
      if (rings[r]->slots >= targets[r]) continue;
      ++rings[r]->slots;
      if (lay_out(s, plan) <= s.sbuf_bytes) {
        grew = true;
      } else {
        --rings[r]->slots;
      }
    }
  }
  lay_out(s, plan);
}

// The candidate group shapes of a core: every height and width whose tiles fit the PSUM
// banks, tallest (most reuse of each B tile) and widest (most reuse of each AT tile) first.
// Small groups load less per step, so they may fit SBUF where large ones do not.
std::vector<std::pair<std::uint32_t, std::uint32_t>> group_shapes(const Shape& s, TileRange m,
                                                                  TileRange n) {
  // A load's free size stays within one access-pattern dimension.
  const std::uint32_t max_m = std::min(m.size(), isa::kMaxPatternSize / s.tile_m);
  const std::uint32_t max_n = std::min(n.size(), isa::kMaxPatternSize / s.tile_n);
  std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
  for (std::uint32_t gm = std::min(s.psum_banks, max_m); gm >= 1; --gm) {
    for (std::uint32_t gn = std::min(s.psum_banks / gm, max_n); gn >= 1; --gn) {
      out.push_back({gm, gn});
    }
  }
  return out;
}

// The slots a candidate starts with. Bare: the fewest that cannot deadlock. Overlapped:
// one spare slot per load ring, so the next load lands while the current one is read, and
// one output slot per tile of a group, so a group's evacuations never wait for its stores.
void set_minimum_slots(CorePlan& c, const Evaluation& e, bool overlapped) {
  const std::uint32_t tiles = core_tiles(c);
  const std::uint32_t spare = overlapped ? 1 : 0;
  c.at.slots = std::min(e.at_units, e.at_min + spare);
  c.b.slots = std::min(e.b_units, e.b_min + spare);
  c.out.slots = overlapped ? std::min(tiles, c.group_m * c.group_n) : 1;
}

// The DMA queues of each class of traffic. A queue spends dma.descriptor_ns issuing one
// instruction and serves its instructions in order; a core's DMA engines serve its queues
// round-robin. Loads of AT, and of B, are each needed one per step of a group, in order: one
// queue keeps them landing in that order at full bandwidth, as long as it can issue a load
// per step; only when a step of matmuls is shorter than the descriptor time do more queues
// help. More than needed hurt: the engines then share their bandwidth between several loads
// at once, so every tile lands later. Stores come in a burst of one per tile when a group
// ends, and the last group's burst is the tail of the run: one queue per tile of a group.
// With fewer than three queues, AT and B loads share queue 0 and stores use the last one.
void assign_queues(const Shape& s, CorePlan& c) {
  auto queues = [](std::uint32_t first, std::uint32_t count) {
    std::vector<std::uint8_t> out;
    for (std::uint32_t q = first; q < first + count; ++q)
      out.push_back(static_cast<std::uint8_t>(q));
    return out;
  };
  if (s.dma_queues < 3) {
    c.at_queues = c.b_queues = queues(0, 1);
    c.store_queues = queues(s.dma_queues - 1, 1);
    return;
  }
  const std::uint32_t group = c.group_m * c.group_n;
  const auto loads = static_cast<std::uint32_t>(std::ceil(s.descriptor_ns / (group * s.matmul_ns)));
  std::array<std::uint32_t, 3> count = {std::max(1u, loads), std::max(1u, loads), group};
  while (count[0] + count[1] + count[2] > s.dma_queues)
    --*std::max_element(count.begin(), count.end());
  c.at_queues = queues(0, count[0]);
  c.b_queues = queues(count[0], count[1]);
  c.store_queues = queues(count[0] + count[1], count[2]);
}

// Chooses the schedule of one core: among every loop order, group shape and choice of
// resident operands whose overlapped minimum fits SBUF (else, whose bare minimum fits), the
// one that loads the fewest bytes, then the fewest DMAs, then the first in this order.
// Returns false when nothing fits.
bool plan_core(const Shape& s, CorePlan& core) {
  struct Candidate {
    CorePlan plan;
    Evaluation eval;
  };
  std::vector<Candidate> candidates;
  for (auto order : {LoopOrder::kRowsOuter, LoopOrder::kColumnsOuter}) {
    for (auto [gm, gn] : group_shapes(s, core.m_tiles, core.n_tiles)) {
      for (bool at_resident : {true, false}) {
        for (bool b_resident : {false, true}) {
          CorePlan c = core;
          c.order = order;
          c.group_m = gm;
          c.group_n = gn;
          c.at_resident = at_resident;
          c.b_resident = b_resident;
          const Evaluation e = evaluate(s, c);
          const TileRange first_m{c.m_tiles.begin,
                                  c.m_tiles.begin + std::min(gm, c.m_tiles.size())};
          const TileRange first_n{c.n_tiles.begin,
                                  c.n_tiles.begin + std::min(gn, c.n_tiles.size())};
          c.at.slot_bytes = s.m_width(first_m) * s.in_bytes;
          c.b.slot_bytes = s.n_width(first_n) * s.in_bytes;
          c.out.slot_bytes = std::min<std::uint64_t>(s.tile_n, s.n_width(c.n_tiles)) * s.out_bytes;
          c.load_bytes = e.load_bytes;
          c.loads = std::uint64_t{e.at_units} + e.b_units;
          c.psum_banks = std::min(s.psum_banks, core_tiles(c));
          candidates.push_back({c, e});
        }
      }
    }
  }
  for (bool overlapped : {true, false}) {
    const Candidate* best = nullptr;
    for (Candidate& c : candidates) {
      set_minimum_slots(c.plan, c.eval, overlapped);
      if (lay_out(s, c.plan) > s.sbuf_bytes) continue;
      if (!best || std::tie(c.plan.load_bytes, c.plan.loads) <
                       std::tie(best->plan.load_bytes, best->plan.loads)) {
        best = &c;
      }
    }
    if (best) {
      core = best->plan;
      add_spare_slots(s, core, best->eval);
      assign_queues(s, core);
      return true;
    }
  }
  return false;
}

// Splits tiles [0, count) into `parts` nearly equal consecutive ranges.
TileRange share(std::uint32_t count, std::uint32_t parts, std::uint32_t i) {
  auto at = [&](std::uint32_t j) {
    return static_cast<std::uint32_t>(std::uint64_t{count} * j / parts);
  };
  return {at(i), at(i + 1)};
}

void validate(const GemmOptions& o, const config::SystemConfig& cfg) {
  if (o.m == 0 || o.n == 0 || o.k == 0) {
    fail(o, fmt::format("every GEMM size must be at least 1, got M={} N={} K={}", o.m, o.n, o.k));
  }
  const std::uint64_t max_dim = std::numeric_limits<std::uint32_t>::max();
  if (o.m > max_dim || o.n > max_dim || o.k > max_dim) {
    fail(o,
         fmt::format("GEMM sizes are limited to {} (a tensor dimension of the trace format), got "
                     "M={} N={} K={}",
                     max_dim, o.m, o.n, o.k));
  }
  if (o.cores == 0 || o.cores > cfg.chip.cores) {
    fail(o, fmt::format(
                "cores must be between 1 and {} (the cores of one chip in config '{}'), got {}",
                cfg.chip.cores, cfg.name, o.cores));
  }
  auto is_float = [](isa::DType t) {
    return std::find(std::begin(kFloatTypes), std::end(kFloatTypes), t) != std::end(kFloatTypes);
  };
  if (!is_float(o.dtype)) {
    fail(o, fmt::format("dtype {} is not an input type of the tensor engine (one of: {})",
                        isa::dtype_name(o.dtype), float_type_list()));
  }
  if (o.out_dtype && !is_float(*o.out_dtype)) {
    fail(o, fmt::format("out dtype {} cannot hold a floating-point GEMM result (one of: {})",
                        isa::dtype_name(*o.out_dtype), float_type_list()));
  }
  if (cfg.tensor.rows == 0 || cfg.tensor.cols == 0 || cfg.tensor.max_moving_free == 0 ||
      cfg.sbuf.partitions == 0 || cfg.psum.partitions == 0 || cfg.psum.banks == 0 ||
      cfg.psum.bank_bytes < isa::dtype_bytes(isa::DType::kFp32) || cfg.dma.queues == 0) {
    fail(o,
         fmt::format("config '{}' has no room for a GEMM tile: tensor.rows, tensor.cols, "
                     "tensor.max_moving_free, sbuf/psum partitions, psum.banks and dma.queues must "
                     "be positive and a PSUM bank must hold an fp32",
                     cfg.name));
  }
}

Shape make_shape(const GemmOptions& o, const config::SystemConfig& cfg) {
  Shape s;
  s.m = o.m;
  s.n = o.n;
  s.k = o.k;
  // K is on partitions for both operands; M becomes the partitions of the PSUM result and of
  // the evacuated tile; N is one PSUM bank of fp32, which vector/scalar engines can read.
  s.tile_k = std::min(cfg.tensor.rows, cfg.sbuf.partitions);
  s.tile_m = std::min({cfg.tensor.cols, cfg.psum.partitions, cfg.sbuf.partitions});
  s.tile_n = static_cast<std::uint32_t>(std::min<std::uint64_t>(
      {cfg.tensor.max_moving_free, cfg.psum.bank_bytes / isa::dtype_bytes(isa::DType::kFp32),
       isa::kMaxPsumFreeElements, isa::kMaxPatternSize}));
  s.k_tiles = static_cast<std::uint32_t>(ceil_div(o.k, s.tile_k));
  s.in_bytes = isa::dtype_bytes(o.dtype);
  s.out_bytes = isa::dtype_bytes(*o.out_dtype);
  s.psum_banks = cfg.psum.banks;
  s.sbuf_bytes = cfg.sbuf.bytes_per_partition;
  // Queue numbers are 8-bit in the trace format.
  s.dma_queues =
      std::min<std::uint32_t>(cfg.dma.queues, std::numeric_limits<std::uint8_t>::max() + 1);
  s.descriptor_ns = cfg.dma.descriptor_ns;
  const config::PerDtype& rate = cfg.tensor.moving_columns_per_cycle;
  const double columns_per_cycle = std::max({rate.fp32, rate.bf16, rate.fp16, rate.fp8, rate.int_});
  s.matmul_ns =
      std::max<double>(s.tile_n / columns_per_cycle, cfg.tensor.min_issue_interval_cycles) /
      cfg.tensor.clock_ghz;
  return s;
}

// --- emission ------------------------------------------------------------------------------

// Emits one core's instructions. The order of emission is the order in which the program
// means things to happen to each buffer: for each step, the loads first used there, then
// its matmuls; after a group's last step, its evacuations and stores.
class CoreEmitter {
 public:
  CoreEmitter(ProgramBuilder& b, const GemmPlan& plan, const Shape& s, const CorePlan& core,
              std::array<std::uint32_t, 3> tensors)
      : m_b(b),
        m_plan(plan),
        m_s(s),
        m_core(core),
        m_at_tensor(tensors[0]),
        m_b_tensor(tensors[1]),
        m_c_tensor(tensors[2]) {}

  void run() {
    m_b.begin_core(trace::CoreId{0, m_core.core});
    declare("at", m_core.at.slots, m_at_slots);
    declare("b", m_core.b.slots, m_b_slots);
    declare("ps", m_core.psum_banks, m_banks);
    declare("c", m_core.out.slots, m_out_slots);

    CoreWalk walk(m_s, m_core);
    UnitTable at_units(walk.at_keys()), b_units(walk.b_keys());
    for (std::uint32_t g = 0; g < walk.groups().size(); ++g) {
      const Group& group = walk.groups()[g];
      for (std::uint32_t kt = 0; kt < m_s.k_tiles; ++kt) {
        const auto at = at_units.use(walk.at_key(g, kt));
        const auto b = b_units.use(walk.b_key(g, kt));
        if (at.second)
          load(m_at_tensor, m_at_slots, m_core.at, at.first, group.batch, kt, m_s.m_width(group.m),
               std::uint64_t{group.m.begin} * m_s.tile_m, m_core.at_queues, m_at_queue);
        if (b.second)
          load(m_b_tensor, m_b_slots, m_core.b, b.first, group.batch, kt, m_s.n_width(group.n),
               std::uint64_t{group.n.begin} * m_s.tile_n, m_core.b_queues, m_b_queue);
        matmuls(group, kt, at.first, b.first);
      }
      for (std::uint32_t mt = group.m.begin; mt < group.m.end; ++mt) {
        for (std::uint32_t nt = group.n.begin; nt < group.n.end; ++nt)
          evacuate_and_store(group, mt, nt);
      }
      m_first_tile += group.m.size() * group.n.size();
    }
  }

 private:
  void declare(std::string_view prefix, std::uint32_t count, std::vector<GuardedBuffer>& out) {
    for (std::uint32_t i = 0; i < count; ++i) {
      out.emplace_back(m_b.add_semaphore(fmt::format("{}{}", prefix, i)));
    }
  }

  static std::uint8_t next_queue(const std::vector<std::uint8_t>& queues, std::uint32_t& turn) {
    return queues[turn++ % queues.size()];
  }

  // hbm:TENSOR[r0:r1, c0:c1], or [batch, r0:r1, c0:c1] of a batched GEMM's tensors.
  trace::Operand slice(std::uint32_t tensor, std::uint32_t batch, std::uint64_t row_begin,
                       std::uint64_t row_end, std::uint64_t col_begin,
                       std::uint64_t col_end) const {
    if (m_plan.options.batch == 0) return m_b.slice(tensor, row_begin, row_end, col_begin, col_end);
    return m_b.slice(tensor, batch, row_begin, row_end, col_begin, col_end);
  }

  // DMA of K tile `kt` of `tensor`'s columns [col, col + width) of `batch` into slot
  // unit % slots.
  void load(std::uint32_t tensor, std::vector<GuardedBuffer>& slots, const Ring& ring,
            std::uint32_t unit, std::uint32_t batch, std::uint32_t kt, std::uint64_t width,
            std::uint64_t col, const std::vector<std::uint8_t>& queues, std::uint32_t& turn) {
    GuardedBuffer& slot = slots[unit % ring.slots];
    const std::uint32_t rows = m_s.k_rows(kt);
    const std::uint64_t row = std::uint64_t{kt} * m_s.tile_k;
    m_b.emit({isa::Engine::kDma, next_queue(queues, turn)}, isa::Opcode::kCopy,
             {m_b.operand(m_b.sbuf(rows, slot_offset(ring, unit), m_plan.options.dtype,
                                   static_cast<std::uint32_t>(width))),
              m_b.operand(slice(tensor, batch, row, row + rows, col, col + width))},
             {{slot.write()}, {slot.semaphore()}});
  }

  void matmuls(const Group& group, std::uint32_t kt, std::uint32_t at_unit, std::uint32_t b_unit) {
    GuardedBuffer& at = m_at_slots[at_unit % m_core.at.slots];
    GuardedBuffer& b = m_b_slots[b_unit % m_core.b.slots];
    const std::uint64_t at_offset = slot_offset(m_core.at, at_unit);
    const std::uint64_t b_offset = slot_offset(m_core.b, b_unit);
    const std::uint32_t rows = m_s.k_rows(kt);
    const isa::DType dtype = m_plan.options.dtype;
    for (std::uint32_t mt = group.m.begin; mt < group.m.end; ++mt) {
      const auto m = static_cast<std::uint32_t>(m_s.m_width({mt, mt + 1}));
      const std::uint64_t stationary =
          at_offset + std::uint64_t{mt - group.m.begin} * m_s.tile_m * m_s.in_bytes;
      for (std::uint32_t nt = group.n.begin; nt < group.n.end; ++nt) {
        const auto n = static_cast<std::uint32_t>(m_s.n_width({nt, nt + 1}));
        const std::uint64_t moving =
            b_offset + std::uint64_t{nt - group.n.begin} * m_s.tile_n * m_s.in_bytes;
        const std::uint32_t bank_no = tile_index(group, mt, nt) % m_core.psum_banks;
        GuardedBuffer& bank = m_banks[bank_no];
        const bool start = kt == 0;
        m_b.emit({isa::Engine::kPe}, isa::Opcode::kMatmul,
                 {m_b.operand(m_b.psum_bank(m, bank_no, isa::DType::kFp32, n)),
                  m_b.operand(m_b.sbuf(rows, stationary, dtype, m)),
                  m_b.operand(m_b.sbuf(rows, moving, dtype, n)),
                  ProgramBuilder::word(isa::Attr::kAcc,
                                       start ? isa::Word::kStart : isa::Word::kAccumulate)},
                 {{at.read(), b.read(), start ? bank.write() : bank.accumulate()},
                  {at.semaphore(), b.semaphore(), bank.semaphore()}});
      }
    }
  }

  void evacuate_and_store(const Group& group, std::uint32_t mt, std::uint32_t nt) {
    const std::uint32_t t = tile_index(group, mt, nt);
    const auto m = static_cast<std::uint32_t>(m_s.m_width({mt, mt + 1}));
    const auto n = static_cast<std::uint32_t>(m_s.n_width({nt, nt + 1}));
    const std::uint32_t bank_no = t % m_core.psum_banks;
    GuardedBuffer& bank = m_banks[bank_no];
    GuardedBuffer& out = m_out_slots[t % m_core.out.slots];
    const trace::Operand dst =
        m_b.sbuf(m, slot_offset(m_core.out, t), *m_plan.options.out_dtype, n);
    const trace::Operand src = m_b.psum_bank(m, bank_no, isa::DType::kFp32, n);
    const Sync sync{{bank.read(), out.write()}, {bank.semaphore(), out.semaphore()}};
    if (on_scalar(t)) {
      m_b.emit({isa::Engine::kAct}, isa::Opcode::kActivation,
               {m_b.operand(dst), m_b.operand(src),
                ProgramBuilder::word(isa::Attr::kFunc, isa::Word::kIdentity)},
               sync);
    } else {
      m_b.emit({isa::Engine::kDve}, isa::Opcode::kTensorCopy, {m_b.operand(dst), m_b.operand(src)},
               sync);
    }
    const std::uint64_t row = std::uint64_t{mt} * m_s.tile_m;
    const std::uint64_t col = std::uint64_t{nt} * m_s.tile_n;
    m_b.emit(
        {isa::Engine::kDma, next_queue(m_core.store_queues, m_store_queue)}, isa::Opcode::kCopy,
        {m_b.operand(slice(m_c_tensor, group.batch, row, row + m, col, col + n)), m_b.operand(dst)},
        {{out.read()}, {out.semaphore()}});
  }

  bool on_scalar(std::uint32_t tile) const {
    switch (m_plan.options.evacuation) {
      case Evacuation::kScalar:
        return true;
      case Evacuation::kVector:
        return false;
      case Evacuation::kAlternate:
        break;
    }
    return tile % 2 == 0;
  }

  // Tiles are numbered in the order of their groups, row-major inside a group; tile t uses
  // PSUM bank t mod banks and output slot t mod slots. A group never holds more tiles than
  // there are banks, so the tiles of one group never share a bank.
  std::uint32_t tile_index(const Group& group, std::uint32_t mt, std::uint32_t nt) const {
    return m_first_tile + (mt - group.m.begin) * group.n.size() + (nt - group.n.begin);
  }
  // Where the `unit`-th tile loaded into a ring lives: slot unit mod slots.
  static std::uint64_t slot_offset(const Ring& ring, std::uint32_t unit) {
    return ring.offset + std::uint64_t{unit % ring.slots} * ring.slot_bytes;
  }

  ProgramBuilder& m_b;
  const GemmPlan& m_plan;
  const Shape& m_s;
  const CorePlan& m_core;
  std::uint32_t m_at_tensor, m_b_tensor, m_c_tensor;
  std::vector<GuardedBuffer> m_at_slots, m_b_slots, m_banks, m_out_slots;
  std::uint32_t m_at_queue = 0, m_b_queue = 0, m_store_queue = 0;
  std::uint32_t m_first_tile = 0;  // of the current group
};

}  // namespace

GemmPlan plan_gemm(const GemmOptions& options, const config::SystemConfig& cfg) {
  const GemmOptions& o = options;
  validate(options, cfg);
  GemmPlan plan;
  plan.options = options;
  if (!plan.options.out_dtype) plan.options.out_dtype = options.dtype;
  const Shape s = make_shape(plan.options, cfg);
  plan.tile_k = s.tile_k;
  plan.tile_m = s.tile_m;
  plan.tile_n = s.tile_n;
  plan.k_tiles = s.k_tiles;
  plan.m_tiles = static_cast<std::uint32_t>(ceil_div(s.m, s.tile_m));
  plan.n_tiles = static_cast<std::uint32_t>(ceil_div(s.n, s.tile_n));

  // A Program numbers its instructions with 32 bits. Per output tile and K tile there is one
  // matmul and at most two loads; per output tile one evacuation and one store.
  const std::uint32_t batches = std::max(1u, options.batch);
  const double tiles = static_cast<double>(batches) * plan.m_tiles * plan.n_tiles;
  const double instructions = tiles * (3.0 * plan.k_tiles + 2.0);
  if (instructions > static_cast<double>(std::numeric_limits<std::uint32_t>::max())) {
    fail(o, fmt::format("{} {}x{}x{} GEMM needs up to {:.0f} instructions, more than a trace can "
                        "hold ({})",
                        options.batch == 0 ? "a" : fmt::format("a batch of {}", options.batch), s.m,
                        s.n, s.k, instructions, std::numeric_limits<std::uint32_t>::max()));
  }

  // Sizes are below 2^32 each, so these products of three can overflow 64 bits: compare in
  // floating point, which is exact enough for a capacity check.
  const double hbm_bytes = batches * (static_cast<double>(s.k) * s.m * s.in_bytes +
                                      static_cast<double>(s.k) * s.n * s.in_bytes +
                                      static_cast<double>(s.m) * s.n * s.out_bytes);
  if (hbm_bytes > static_cast<double>(cfg.hbm.capacity_bytes)) {
    fail(o, fmt::format("AT, B and C need {:.0f} bytes of HBM; config '{}' has {}", hbm_bytes,
                        cfg.name, cfg.hbm.capacity_bytes));
  }

  // Split the batches into cores_b ranges and the grid of output tiles into cores_m x
  // cores_n rectangles, one (batch range, rectangle) per core, trying every factorisation of
  // the core count; keep the one whose busiest core loads the fewest bytes (then the fewest
  // in all). Ties go to splitting the batches, which share nothing, then to splitting N,
  // which leaves each core whole columns of B. A plain GEMM has one batch.
  bool any_split = false, found = false;
  std::tuple<std::uint64_t, std::uint64_t> best_cost{};
  for (std::uint32_t cores_b = std::min(options.cores, batches); cores_b >= 1; --cores_b) {
    if (options.cores % cores_b != 0) continue;
    const std::uint32_t per_batch = options.cores / cores_b;
    for (std::uint32_t cores_n = std::min(per_batch, plan.n_tiles); cores_n >= 1; --cores_n) {
      if (per_batch % cores_n != 0) continue;
      const std::uint32_t cores_m = per_batch / cores_n;
      if (cores_m > plan.m_tiles) continue;
      any_split = true;
      std::vector<CorePlan> cores;
      std::uint64_t busiest = 0, total = 0;
      bool fits = true;
      for (std::uint32_t c = 0; c < options.cores && fits; ++c) {
        CorePlan core;
        core.core = c;
        core.batches = share(batches, cores_b, c / per_batch);
        core.m_tiles = share(plan.m_tiles, cores_m, c % per_batch / cores_n);
        core.n_tiles = share(plan.n_tiles, cores_n, c % cores_n);
        fits = plan_core(s, core);
        busiest = std::max(busiest, core.load_bytes);
        total += core.load_bytes;
        cores.push_back(std::move(core));
      }
      if (!fits) continue;
      auto cost = std::make_tuple(busiest, total);
      if (!found || cost < best_cost) {
        found = true;
        best_cost = cost;
        plan.cores = std::move(cores);
      }
    }
  }
  if (!any_split) {
    fail(o, fmt::format("cannot split {}the {}x{} grid of {}x{} output tiles of a {}x{} "
                        "result over {} cores: each core gets a range of whole batches and a "
                        "rectangle of whole tiles, and {} is not a product of a batch count <= "
                        "{}, a row count <= {} and a column count <= {}",
                        options.batch == 0
                            ? ""
                            : fmt::format("{} batch{} of ", batches, batches == 1 ? "" : "es"),
                        plan.m_tiles, plan.n_tiles, s.tile_m, s.tile_n, s.m, s.n, options.cores,
                        options.cores, batches, plan.m_tiles, plan.n_tiles));
  }
  if (!found) {
    const std::uint64_t minimal = std::uint64_t{s.tile_m} * s.in_bytes +
                                  std::uint64_t{s.tile_n} * s.in_bytes +
                                  std::uint64_t{s.tile_n} * s.out_bytes;
    fail(o, fmt::format("no schedule fits SBUF: one slot each for an AT tile, a B tile and an "
                        "output tile of {}x{}x{} (MxNxK) needs up to {} bytes per partition, and "
                        "config '{}' has {}",
                        s.tile_m, s.tile_n, s.tile_k, minimal, cfg.name, s.sbuf_bytes));
  }
  return plan;
}

trace::Program gemm(const GemmOptions& options, const config::SystemConfig& cfg) {
  const GemmPlan plan = plan_gemm(options, cfg);
  const Shape s = make_shape(plan.options, cfg);
  ProgramBuilder b(file_name(options));
  // A batched GEMM's tensors have the batch index outermost.
  auto tensor = [&](std::string name, isa::DType dtype, std::uint64_t rows, std::uint64_t cols) {
    trace::TensorDecl t;
    t.name = std::move(name);
    t.dtype = dtype;
    if (options.batch == 0) {
      t.shape = {rows, cols};
    } else {
      t.shape = {options.batch, rows, cols};
    }
    return t;
  };
  trace::TensorDecl at = tensor("AT", options.dtype, s.k, s.m);
  at.init = trace::InitKind::kRandom;
  at.seed = options.seed;
  trace::TensorDecl bt = tensor("B", options.dtype, s.k, s.n);
  bt.init = trace::InitKind::kRandom;
  bt.seed = options.seed + 1;
  trace::TensorDecl c = tensor("C", *plan.options.out_dtype, s.m, s.n);
  c.output = true;
  const std::array<std::uint32_t, 3> tensors = {
      b.add_tensor(std::move(at)), b.add_tensor(std::move(bt)), b.add_tensor(std::move(c))};
  for (const CorePlan& core : plan.cores)
    CoreEmitter(b, plan, s, core, tensors).run();
  return b.take();
}

std::string describe(const GemmPlan& plan) {
  std::string out =
      fmt::format("{} {}x{}x{} {}->{}: tiles {}x{}x{} (MxNxK), {}x{}x{} tiles\n",
                  plan.options.batch == 0 ? "gemm" : fmt::format("bmm {} x", plan.options.batch),
                  plan.options.m, plan.options.n, plan.options.k,
                  isa::dtype_name(plan.options.dtype), isa::dtype_name(*plan.options.out_dtype),
                  plan.tile_m, plan.tile_n, plan.tile_k, plan.m_tiles, plan.n_tiles, plan.k_tiles);
  auto ring = [](const Ring& r) { return fmt::format("{} x {} B", r.slots, r.slot_bytes); };
  for (const CorePlan& c : plan.cores) {
    out += fmt::format(
        "core {}: {}M tiles [{}, {}), N tiles [{}, {}), {} outer, groups {}x{}, AT {} {}, B {} {}, "
        "out {}, {} PSUM banks, {} loads of {} bytes, DMA queues {}/{}/{} (AT/B/C)\n",
        c.core,
        plan.options.batch == 0 ? ""
                                : fmt::format("batches [{}, {}), ", c.batches.begin, c.batches.end),
        c.m_tiles.begin, c.m_tiles.end, c.n_tiles.begin, c.n_tiles.end,
        c.order == LoopOrder::kRowsOuter ? "rows" : "columns", c.group_m, c.group_n,
        c.at_resident ? "resident" : "streamed", ring(c.at), c.b_resident ? "resident" : "streamed",
        ring(c.b), ring(c.out), c.psum_banks, c.loads, c.load_bytes, c.at_queues.size(),
        c.b_queues.size(), c.store_queues.size());
  }
  return out;
}

}  // namespace trnsim::gen
