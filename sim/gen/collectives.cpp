#include "gen/collectives.h"

#include <algorithm>
#include <array>
#include <iterator>
#include <limits>
#include <numeric>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/diagnostic.h"
#include "config/config_schema.h"
#include "functional/random_init.h"
#include "gen/program_builder.h"

namespace trnsim::gen {

// Why every trace below is race-free under any timing.
//
// Ring passes. A pass runs over rings of k chips; each ring splits a region of the buffer
// into k chunks, and every chip of the ring owns one chunk label. In a reduce-scatter pass
// (RS) the chip at position i sends, at its step s, the chunk of label labels[i - s - 1] to
// the next chip with `copy_add`, so after k - 1 steps it holds the full sum of the chunk
// labels[i]. In an all-gather pass (AG) it sends labels[i - t] with `copy`, forwarding at
// step t the chunk that it received at step t - 1. Per ring dimension d every chip has three
// semaphores:
//   rx[d]    counts the sends of its ring predecessor that have landed in its buffer; it is
//            posted by that DMA itself, so it arrives after the data;
//   sent[d]  counts its own completed sends;
//   ready[d] counts the handshakes of its ring successor: "you may now copy_add into me".
// The g-th send on dimension d (counting every pass on d) waits rx[d] >= g and
// sent[d] >= g. Because a chip's sends are chained (sent[d] >= g), its predecessor's sends
// complete in order, so rx[d] >= g means exactly that the predecessor's first g sends have
// landed, among them the chunk the g-th send reads (RS: the partial sum to add to; AG: the
// chunk to forward). Nothing else writes that chunk meanwhile: a chip's buffer is written
// only by its predecessor's sends and the chunk labels of consecutive steps differ.
//
// Overwrites. The g-th send of a chip requires its predecessor to have finished g sends,
// which each required the predecessor's predecessor to have finished g - 1, and so on
// around the ring: k - 1 hops back, which is the successor, it has finished g - k + 2 sends.
// An AG send t overwrites (g = k - 1 + t after an RS on the same ring) the successor's
// chunk labels[i - t], which the successor read at its RS step t: finished, since
// g - k + 2 = t + 1. So an all-gather never overwrites a chunk that a neighbour's
// reduce-scatter may still be reading.
//
// Entering a pass. The first send of a pass on dimension d also waits for its own data:
// the chip's initial copy (init >= 1; in the first pass, and in every pass of an
// all-gather, which reads the chip's own shard from it) and, after a pass on the other
// dimension d', every receive of that pass (rx[d'] >= all of them). An RS pass writes into
// its successor, so it also waits for the successor's handshake: the successor posts
// ready[d] of its predecessor when the region of the pass is final in its own buffer, from
// its initial copy's DMA (first pass) or from a sync-engine `nop` that waits for the receives
// of the previous pass. An AG pass needs no handshake: it writes only chunks whose labels
// differ from the successor's own, and no earlier pass of the successor touched those
// (2d: the earlier pass on the other dimension worked only on the successor's own chunk;
// allgather: the initial copy fills only the chip's own shard).
//
// Tree and direct algorithms have their own arguments next to their code.

namespace {

constexpr std::uint32_t kNoChip = trace::kNone;
// Bytes of one row of the tensors when the buffer allows it: a DMA pays a fixed cost per
// descriptor element (contiguous run), which a few KiB per row make small
// (config.h, DmaParams::element_overhead_ns).
constexpr std::uint64_t kTargetRowBytes = 4096;

std::string file_of(Collective c) {
  return fmt::format("gen {}", collective_name(c));
}

[[noreturn]] void fail(Collective c, std::string message) {
  throw InputError(file_of(c), 0, 0, std::move(message));
}

std::uint32_t mod(std::int64_t a, std::uint32_t n) {
  const std::int64_t m = a % static_cast<std::int64_t>(n);
  return static_cast<std::uint32_t>(m < 0 ? m + n : m);
}

bool is_full_torus(const config::TopologyParams& t, std::uint32_t config_chips, std::uint32_t n) {
  if (t.kind != config::TopologyKind::kTorus || n != config_chips) return false;
  if (t.dims.size() < 2 || t.dims.size() > 3) return false;
  std::uint64_t product = 1;
  for (auto d : t.dims)
    product *= d;
  return product == n;
}

// The grid of the 2d algorithm: x chips per row ring (consecutive chip numbers), and the
// column rings' order of the q = chip / x index (the ring order of [y, z] on a 3D torus).
struct Grid {
  std::uint32_t x = 0;
  std::uint32_t q = 0;
  std::vector<std::uint32_t> column_order;  // q indices in ring order
};

// One chip's part in one ring pass.
struct Member {
  std::vector<std::uint32_t> ring;    // chips in ring order
  std::vector<std::uint32_t> labels;  // chunk label of each ring position
  std::uint32_t pos = 0;
  std::uint64_t region_row = 0;  // first row of the region the pass splits into chunks
  std::uint64_t chunk_rows = 0;
  std::uint32_t prev() const { return ring[mod(std::int64_t{pos} - 1, size())]; }
  std::uint32_t next() const { return ring[(pos + 1) % size()]; }
  std::uint32_t size() const { return static_cast<std::uint32_t>(ring.size()); }
};

struct Pass {
  bool reduce = false;  // RS (copy_add) or AG (copy)
  std::uint32_t dim = 0;
  std::vector<Member> members;  // per chip
};

struct Resolved {
  CollectiveOptions o;
  std::uint32_t n = 0;
  std::uint64_t rows = 0;  // of the full buffer
  std::uint64_t cols = 0;
  std::uint64_t shards = 1;
  std::uint64_t shard_rows = 0;  // rows / shards
  Grid grid;
  std::vector<Pass> passes;  // ring and 2d
  std::vector<std::string> dim_names;
};

std::uint64_t largest_divisor_at_most(std::uint64_t value, std::uint64_t limit,
                                      std::uint64_t min_quotient) {
  for (std::uint64_t d = std::min(value, limit); d >= 1; --d) {
    if (value % d == 0 && value / d >= min_quotient) return d;
  }
  return 0;
}

Grid make_grid(const CollectiveOptions& o, const config::SystemConfig& cfg, std::uint32_t n) {
  Grid g;
  if (o.grid_x != 0 || o.grid_y != 0) {
    if (std::uint64_t{o.grid_x} * o.grid_y != n) {
      fail(o.collective, fmt::format("--grid {}x{} has {} chips, but --chips is {}", o.grid_x,
                                     o.grid_y, std::uint64_t{o.grid_x} * o.grid_y, n));
    }
    g.x = o.grid_x;
    g.q = o.grid_y;
    g.column_order.resize(g.q);
    std::iota(g.column_order.begin(), g.column_order.end(), 0u);
  } else if (is_full_torus(cfg.topology, cfg.system.chips, n)) {
    const auto& dims = cfg.topology.dims;
    g.x = dims[0];
    g.q = n / g.x;
    // The column rings close through a wrap link when the [y, z] torus has an even side.
    config::TopologyParams columns;
    columns.kind = config::TopologyKind::kTorus;
    columns.dims.assign(dims.begin() + 1, dims.end());
    g.column_order = ring_order(columns, g.q, g.q);
  } else {
    fail(o.collective,
         fmt::format(
             "--algo 2d needs a 2D or 3D torus of {} chips, but the config's topology is "
             "{}{} with {} chips; give the chip grid as --grid XxY (X * Y = {})",
             n, config::schema::to_string(cfg.topology.kind),
             cfg.topology.dims.empty() ? "" : fmt::format(" {}", fmt::join(cfg.topology.dims, "x")),
             cfg.system.chips, n));
  }
  if (g.x < 2 || g.q < 2) {
    fail(o.collective, fmt::format("--algo 2d needs at least 2 chips in each grid dimension, "
                                   "got {}x{}; use --algo ring",
                                   g.x, g.q));
  }
  return g;
}

// A pass over rings that each split [region_row, region_row + k * chunk_rows) of every
// member; `ring_of(chip)` gives the ring, `label_of(chip)` the chip's chunk label and
// `region_of(chip)` the first row of its region.
template <typename RingOf, typename LabelOf, typename RegionOf>
Pass make_pass(bool reduce, std::uint32_t dim, std::uint32_t n, std::uint64_t chunk_rows,
               RingOf ring_of, LabelOf label_of, RegionOf region_of) {
  Pass p;
  p.reduce = reduce;
  p.dim = dim;
  for (std::uint32_t c = 0; c < n; ++c) {
    Member m;
    m.ring = ring_of(c);
    for (std::uint32_t i = 0; i < m.ring.size(); ++i) {
      if (m.ring[i] == c) m.pos = i;
      m.labels.push_back(label_of(m.ring[i]));
    }
    m.region_row = region_of(c);
    m.chunk_rows = chunk_rows;
    p.members.push_back(std::move(m));
  }
  return p;
}

void plan_passes(Resolved& r, const config::SystemConfig& cfg) {
  const CollectiveOptions& o = r.o;
  const std::uint32_t n = r.n;
  if (o.algo == CollectiveAlgo::kRing) {
    const std::vector<std::uint32_t> order = ring_order(cfg.topology, cfg.system.chips, n);
    auto ring = [&](std::uint32_t) { return order; };
    auto label = [](std::uint32_t chip) { return chip; };  // chip c ends with shard c
    auto region = [](std::uint32_t) { return std::uint64_t{0}; };
    r.dim_names = {""};
    if (o.collective != Collective::kAllGather)
      r.passes.push_back(make_pass(true, 0, n, r.shard_rows, ring, label, region));
    if (o.collective != Collective::kReduceScatter)
      r.passes.push_back(make_pass(false, 0, n, r.shard_rows, ring, label, region));
    return;
  }
  // 2d. Row rings: the x chips with the same q, in x order (their wrap link closes the
  // ring). Column rings: the q chips with the same x, in the grid's column order.
  const Grid& g = r.grid;
  auto row_ring = [&](std::uint32_t chip) {
    std::vector<std::uint32_t> ring;
    for (std::uint32_t x = 0; x < g.x; ++x)
      ring.push_back(chip / g.x * g.x + x);
    return ring;
  };
  auto col_ring = [&](std::uint32_t chip) {
    std::vector<std::uint32_t> ring;
    for (std::uint32_t q : g.column_order)
      ring.push_back(q * g.x + chip % g.x);
    return ring;
  };
  auto x_of = [&](std::uint32_t chip) { return chip % g.x; };
  auto q_of = [&](std::uint32_t chip) { return chip / g.x; };
  const std::uint64_t s = r.shard_rows;
  r.dim_names = {"_x", "_y"};
  if (o.collective == Collective::kAllReduce) {
    // Rows split the buffer into x chunks (label x); columns split chunk x into q pieces.
    auto whole = [](std::uint32_t) { return std::uint64_t{0}; };
    auto chunk_x = [&](std::uint32_t chip) { return x_of(chip) * g.q * s; };
    auto pos_label = [&](std::uint32_t chip) {
      const auto it = std::find(g.column_order.begin(), g.column_order.end(), q_of(chip));
      return static_cast<std::uint32_t>(it - g.column_order.begin());
    };
    r.passes.push_back(make_pass(true, 0, n, g.q * s, row_ring, x_of, whole));
    r.passes.push_back(make_pass(true, 1, n, s, col_ring, pos_label, chunk_x));
    r.passes.push_back(make_pass(false, 1, n, s, col_ring, pos_label, chunk_x));
    r.passes.push_back(make_pass(false, 0, n, g.q * s, row_ring, x_of, whole));
    return;
  }
  // reducescatter and allgather: chip c = x + X * q must end with (or start from) shard c,
  // rows [c * s, (c + 1) * s): chunk q of the column pass holds shards q * X ... q * X + X - 1
  // and the row pass splits it by x.
  auto whole = [](std::uint32_t) { return std::uint64_t{0}; };
  auto chunk_q = [&](std::uint32_t chip) { return q_of(chip) * g.x * s; };
  if (o.collective == Collective::kReduceScatter) {
    r.passes.push_back(make_pass(true, 1, n, g.x * s, col_ring, q_of, whole));
    r.passes.push_back(make_pass(true, 0, n, s, row_ring, x_of, chunk_q));
  } else {
    r.passes.push_back(make_pass(false, 0, n, s, row_ring, x_of, chunk_q));
    r.passes.push_back(make_pass(false, 1, n, g.x * s, col_ring, q_of, whole));
  }
}

Resolved resolve(const CollectiveOptions& options, const config::SystemConfig& cfg) {
  Resolved r;
  r.o = options;
  CollectiveOptions& o = r.o;
  const Collective c = o.collective;
  if (o.algo == CollectiveAlgo::kDefault)
    o.algo = c == Collective::kAllToAll ? CollectiveAlgo::kDirect : CollectiveAlgo::kRing;
  const bool supported = (c == Collective::kAllReduce &&
                          (o.algo == CollectiveAlgo::kRing || o.algo == CollectiveAlgo::kTree ||
                           o.algo == CollectiveAlgo::k2d)) ||
                         ((c == Collective::kAllGather || c == Collective::kReduceScatter) &&
                          (o.algo == CollectiveAlgo::kRing || o.algo == CollectiveAlgo::k2d)) ||
                         (c == Collective::kAllToAll && o.algo == CollectiveAlgo::kDirect);
  if (!supported) {
    const char* valid = c == Collective::kAllReduce  ? "ring, tree, 2d"
                        : c == Collective::kAllToAll ? "direct"
                                                     : "ring, 2d";
    fail(c, fmt::format("--algo {} is not available for {}; expected one of: {}", algo_name(o.algo),
                        collective_name(c), valid));
  }
  if (o.algo != CollectiveAlgo::k2d && (o.grid_x != 0 || o.grid_y != 0))
    fail(c, "--grid applies only to --algo 2d");
  if (o.in_place && c != Collective::kAllReduce)
    fail(c, fmt::format("--in-place applies only to allreduce, not {}", collective_name(c)));
  r.n = o.chips == 0 ? cfg.system.chips : o.chips;
  o.chips = r.n;
  if (r.n < 2 || r.n > cfg.system.chips) {
    fail(c, fmt::format("--chips {} is out of range: a collective needs at least 2 chips and "
                        "the config '{}' has {} (system.chips)",
                        r.n, cfg.name, cfg.system.chips));
  }
  if (o.core >= cfg.chip.cores) {
    fail(c, fmt::format("--core {} does not exist: the config '{}' has {} cores per chip", o.core,
                        cfg.name, cfg.chip.cores));
  }
  if (o.dtype != isa::DType::kFp32 && o.dtype != isa::DType::kBf16) {
    fail(c, fmt::format("--dtype {} is not supported; expected fp32 or bf16",
                        isa::dtype_name(o.dtype)));
  }
  if (o.algo == CollectiveAlgo::k2d) r.grid = make_grid(o, cfg, r.n);
  r.shards = o.algo == CollectiveAlgo::kTree ? 1 : r.n;
  const std::uint64_t esize = isa::dtype_bytes(o.dtype);
  const std::uint64_t unit = r.shards * esize;
  if (o.bytes == 0 || o.bytes % unit != 0) {
    const std::uint64_t up = std::max<std::uint64_t>(unit, (o.bytes + unit - 1) / unit * unit);
    fail(c, fmt::format("--bytes {} does not split into {} equal {}of whole {} elements; use a "
                        "multiple of {} bytes, e.g. {}",
                        o.bytes, r.shards, r.shards == 1 ? "buffer " : "shards ",
                        isa::dtype_name(o.dtype), unit, up));
  }
  const std::uint64_t shard_elements = o.bytes / unit;
  // Enough rows per shard to spread a shard's copy over every DMA engine, rows of a few KiB.
  const std::uint64_t max_cols = std::max<std::uint64_t>(1, kTargetRowBytes / esize);
  std::uint64_t cols = o.cols;
  if (cols != 0 && shard_elements % cols != 0) {
    fail(c, fmt::format("a shard of {} elements is not a whole number of rows of {} elements",
                        shard_elements, cols));
  }
  if (cols == 0) cols = largest_divisor_at_most(shard_elements, max_cols, cfg.dma.engines);
  if (cols == 0) cols = largest_divisor_at_most(shard_elements, max_cols, 1);
  r.cols = cols;
  r.shard_rows = shard_elements / cols;
  r.rows = r.shard_rows * r.shards;
  if (r.rows > std::numeric_limits<std::uint32_t>::max()) {
    fail(c, fmt::format("--bytes {} needs {} rows of {} elements, beyond the trace format's "
                        "limit of 2^32 - 1 per dimension",
                        o.bytes, r.rows, r.cols));
  }
  // X and Y, plus the work buffer of reducescatter; the shard-sized tensor is Y of
  // reducescatter and X of allgather.
  const std::uint64_t shard_bytes = o.bytes / r.n;
  std::uint64_t per_chip = 2 * o.bytes;
  if (c == Collective::kReduceScatter) per_chip = 2 * o.bytes + shard_bytes;
  if (c == Collective::kAllGather) per_chip = o.bytes + shard_bytes;
  if (per_chip > cfg.hbm.capacity_bytes) {
    fail(c, fmt::format("the buffers need {} bytes of HBM per chip, more than the {} of the "
                        "config '{}' (hbm.capacity_bytes)",
                        per_chip, cfg.hbm.capacity_bytes, cfg.name));
  }
  if (o.algo == CollectiveAlgo::kRing || o.algo == CollectiveAlgo::k2d) plan_passes(r, cfg);
  return r;
}

// --- emission ------------------------------------------------------------------------------

struct Tensors {
  std::vector<std::uint32_t> x, y, work;  // per chip; work is y unless reducescatter
};

class Emitter {
 public:
  Emitter(const Resolved& r, const config::SystemConfig& cfg)
      : m_r(r),
        m_b(file_of(r.o.collective)),
        m_queues(std::max<std::uint32_t>(1, cfg.dma.queues)) {}

  trace::Program run() {
    declare_tensors();
    switch (m_r.o.algo) {
      case CollectiveAlgo::kRing:
      case CollectiveAlgo::k2d:
        emit_rings();
        break;
      case CollectiveAlgo::kTree:
        emit_tree();
        break;
      default:
        emit_direct();
        break;
    }
    return m_b.take();
  }

  void set_tree(Tree tree) { m_tree = std::move(tree); }

 private:
  StreamId dma(std::uint32_t queue) const {
    return {isa::Engine::kDma, static_cast<std::uint8_t>(queue % m_queues)};
  }
  trace::CoreId core(std::uint32_t chip) const { return {chip, m_r.o.core}; }
  trace::Operand rows(std::uint32_t tensor, std::uint64_t begin, std::uint64_t count) const {
    return m_b.slice(tensor, begin, begin + count, 0, m_r.cols);
  }
  void emit(StreamId where, isa::Opcode op, const trace::Operand& dst, const trace::Operand& src,
            const std::vector<Wait>& all_waits, const std::vector<std::uint32_t>& posts) {
    Sync sync({}, {});
    std::vector<Wait> waits;
    std::copy_if(all_waits.begin(), all_waits.end(), std::back_inserter(waits),
                 [](const Wait& w) { return w.value > 0; });  // the others always hold
    if (waits.size() > Sync::kMax || posts.size() > Sync::kMax)
      throw std::logic_error("gen collectives: too many waits or posts");
    std::copy(waits.begin(), waits.end(), sync.waits.begin());
    std::copy(posts.begin(), posts.end(), sync.posts.begin());
    sync.num_waits = static_cast<std::uint8_t>(waits.size());
    sync.num_posts = static_cast<std::uint8_t>(posts.size());
    if (op == isa::Opcode::kNop) {
      m_b.emit(where, op, {}, sync);
    } else {
      m_b.emit(where, op, {m_b.operand(dst), m_b.operand(src)}, sync);
    }
  }

  void declare_tensors() {
    const std::uint32_t n = m_r.n;
    const Collective c = m_r.o.collective;
    const std::uint64_t x_rows = c == Collective::kAllGather ? m_r.shard_rows : m_r.rows;
    const std::uint64_t y_rows = c == Collective::kReduceScatter ? m_r.shard_rows : m_r.rows;
    if (m_r.o.in_place) {
      // Y holds the input and receives the result: no X, no initial copy.
      for (std::uint32_t chip = 0; chip < n; ++chip) {
        trace::TensorDecl y;
        y.name = fmt::format("Y{}", chip);
        y.chip = chip;
        y.dtype = m_r.o.dtype;
        y.shape = {y_rows, m_r.cols};
        y.init = trace::InitKind::kRandom;
        y.seed = m_r.o.seed + chip;
        y.dist = trace::Distribution::kUniform;
        y.output = true;
        m_t.y.push_back(m_b.add_tensor(y));
        m_t.x.push_back(m_t.y.back());
        m_t.work.push_back(m_t.y.back());
      }
      return;
    }
    for (std::uint32_t chip = 0; chip < n; ++chip) {
      trace::TensorDecl x;
      x.name = fmt::format("X{}", chip);
      x.chip = chip;
      x.dtype = m_r.o.dtype;
      x.shape = {x_rows, m_r.cols};
      x.init = trace::InitKind::kRandom;
      x.seed = m_r.o.seed + chip;
      x.dist = trace::Distribution::kUniform;
      m_t.x.push_back(m_b.add_tensor(x));
      trace::TensorDecl y = x;
      y.name = fmt::format("Y{}", chip);
      y.shape = {y_rows, m_r.cols};
      y.init = trace::InitKind::kZeros;
      y.seed = 0;
      y.dist = trace::Distribution::kNormal;
      y.output = true;
      m_t.y.push_back(m_b.add_tensor(y));
    }
    for (std::uint32_t chip = 0; chip < n; ++chip) {
      if (c != Collective::kReduceScatter) {
        m_t.work.push_back(m_t.y[chip]);
        continue;
      }
      trace::TensorDecl w;
      w.name = fmt::format("W{}", chip);
      w.chip = chip;
      w.dtype = m_r.o.dtype;
      w.shape = {m_r.rows, m_r.cols};
      w.init = trace::InitKind::kNone;  // fully written by the initial copy before any read
      m_t.work.push_back(m_b.add_tensor(w));
    }
  }

  // --- ring and 2d (the argument is at the top of this file) ---
  struct RingSems {
    std::uint32_t init = trace::kNone;
    std::array<std::uint32_t, 2> rx{trace::kNone, trace::kNone};
    std::array<std::uint32_t, 2> sent{trace::kNone, trace::kNone};
    std::array<std::uint32_t, 2> ready{trace::kNone, trace::kNone};
  };

  void emit_rings() {
    const std::uint32_t n = m_r.n;
    const Collective c = m_r.o.collective;
    std::array<bool, 2> used{}, reduced{};
    for (const Pass& p : m_r.passes) {
      used[p.dim] = true;
      reduced[p.dim] = reduced[p.dim] || p.reduce;
    }
    std::vector<RingSems> sems(n);
    for (std::uint32_t chip = 0; chip < n; ++chip) {
      m_b.begin_core(core(chip));
      sems[chip].init = m_b.add_semaphore("init");
      for (std::uint32_t d = 0; d < 2; ++d) {
        if (!used[d]) continue;
        const std::string& suffix = m_r.dim_names[d];
        sems[chip].rx[d] = m_b.add_semaphore("rx" + suffix);
        sems[chip].sent[d] = m_b.add_semaphore("sent" + suffix);
        if (reduced[d]) sems[chip].ready[d] = m_b.add_semaphore("ready" + suffix);
      }
    }
    for (std::uint32_t chip = 0; chip < n; ++chip) {
      m_b.begin_core(core(chip));
      const RingSems& me = sems[chip];
      // The initial copy into the work buffer; when the first pass reduces into this chip,
      // its completion is also the handshake to the ring predecessor.
      const Pass& first = m_r.passes.front();
      std::vector<std::uint32_t> init_posts{me.init};
      if (first.reduce) init_posts.push_back(sems[first.members[chip].prev()].ready[first.dim]);
      if (m_r.o.in_place) {
        // The data is in place from the start: the copy's posts, made at once.
        emit({isa::Engine::kSync, 0}, isa::Opcode::kNop, {}, {}, {}, init_posts);
      } else if (c == Collective::kAllGather) {
        emit(dma(0), isa::Opcode::kCopy,
             rows(m_t.work[chip], chip * m_r.shard_rows, m_r.shard_rows),
             rows(m_t.x[chip], 0, m_r.shard_rows), {}, init_posts);
      } else {
        emit(dma(0), isa::Opcode::kCopy, rows(m_t.work[chip], 0, m_r.rows),
             rows(m_t.x[chip], 0, m_r.rows), {}, init_posts);
      }
      std::array<std::int64_t, 2> steps{0, 0}, readies{0, 0};
      for (std::size_t pi = 0; pi < m_r.passes.size(); ++pi) {
        const Pass& p = m_r.passes[pi];
        const Member& m = p.members[chip];
        const std::uint32_t d = p.dim;
        // The data this pass starts from: the initial copy, and every receive of the
        // previous pass when it ran on the other dimension. After a first pass that
        // reduces, those receives imply the initial copy (the predecessor's first send
        // waited for its handshake); an all-gather's later pass, on another queue, must wait
        // for it itself, since it reads the chip's own shard. A wait the queue has already
        // made is dropped by the builder.
        std::vector<Wait> entry;
        if (pi == 0 || !first.reduce) entry.push_back({me.init, 1});
        if (pi != 0 && m_r.passes[pi - 1].dim != d) {
          const std::uint32_t prev_dim = m_r.passes[pi - 1].dim;
          entry.push_back({me.rx[prev_dim], steps[prev_dim]});
        }
        if (p.reduce) {
          if (pi != 0) {
            // Handshake: the region of this pass is final here; the predecessor may add.
            emit({isa::Engine::kSync, 0}, isa::Opcode::kNop, {}, {}, entry,
                 {sems[m.prev()].ready[d]});
          }
          entry.push_back({me.ready[d], ++readies[d]});
        }
        const std::uint32_t next = m.next();
        for (std::uint32_t s = 0; s + 1 < m.size(); ++s) {
          const std::uint32_t label =
              m.labels[mod(std::int64_t{m.pos} - s - (p.reduce ? 1 : 0), m.size())];
          const std::uint64_t row = m.region_row + label * m.chunk_rows;
          std::vector<Wait> waits{{me.rx[d], steps[d]}, {me.sent[d], steps[d]}};
          if (s == 0) waits.insert(waits.end(), entry.begin(), entry.end());
          emit(dma(d), p.reduce ? isa::Opcode::kCopyAdd : isa::Opcode::kCopy,
               rows(m_t.work[next], row, m.chunk_rows), rows(m_t.work[chip], row, m.chunk_rows),
               waits, {sems[next].rx[d], me.sent[d]});
          ++steps[d];
        }
      }
      if (c == Collective::kReduceScatter) {
        // Shard `chip` is complete once every receive of the last pass has landed; nothing
        // writes it afterwards.
        const std::uint32_t d = m_r.passes.back().dim;
        emit(dma(0), isa::Opcode::kCopy, rows(m_t.y[chip], 0, m_r.shard_rows),
             rows(m_t.work[chip], chip * m_r.shard_rows, m_r.shard_rows), {{me.rx[d], steps[d]}},
             {});
      }
    }
  }

  // --- tree ---
  // Reduce: each chip copy_adds its whole Y into its parent's Y once its own initial copy
  // and every child's add into it have landed (rx_up >= children, posted by those DMAs).
  // Two children must not add into one parent at once (each add reads and writes the whole
  // buffer), so a child adds only after `turn` is posted: for the first child by the
  // parent's initial copy (which the add must follow anyway), for the second by a parent's
  // sync `nop` that waits until the first child's add has landed. Broadcast: a chip copies
  // its Y to each child once its final value is there: the root once all children have
  // added (rx_up), any other chip once its parent's copy has landed (rx_down, posted by that
  // DMA). The child's own add into its parent, which reads the child's Y, completed before
  // the parent's rx_up allowed the broadcast, so the copy down never overwrites data still
  // being read.
  void emit_tree() {
    const std::uint32_t n = m_r.n;
    struct TreeSems {
      std::uint32_t init, turn, up, down;
    };
    std::vector<TreeSems> sems(n);
    for (std::uint32_t chip = 0; chip < n; ++chip) {
      m_b.begin_core(core(chip));
      sems[chip].init = m_b.add_semaphore("init");
      sems[chip].turn = chip == 0 ? trace::kNone : m_b.add_semaphore("turn");
      sems[chip].up = m_tree.children[chip].empty() ? trace::kNone : m_b.add_semaphore("rx_up");
      sems[chip].down = chip == 0 ? trace::kNone : m_b.add_semaphore("rx_down");
    }
    for (std::uint32_t chip = 0; chip < n; ++chip) {
      m_b.begin_core(core(chip));
      const TreeSems& me = sems[chip];
      const auto& kids = m_tree.children[chip];
      const auto whole = [&](std::uint32_t c) { return rows(m_t.y[c], 0, m_r.rows); };
      std::vector<std::uint32_t> init_posts{me.init};
      if (!kids.empty()) init_posts.push_back(sems[kids[0]].turn);
      if (m_r.o.in_place) {
        emit({isa::Engine::kSync, 0}, isa::Opcode::kNop, {}, {}, {}, init_posts);
      } else {
        emit(dma(0), isa::Opcode::kCopy, whole(chip), rows(m_t.x[chip], 0, m_r.rows), {},
             init_posts);
      }
      for (std::size_t k = 1; k < kids.size(); ++k) {
        emit({isa::Engine::kSync, 0}, isa::Opcode::kNop, {}, {},
             {{me.up, static_cast<std::int64_t>(k)}}, {sems[kids[k]].turn});
      }
      const std::int64_t all_kids = static_cast<std::int64_t>(kids.size());
      if (chip != 0) {
        const std::uint32_t parent = m_tree.parent[chip];
        std::vector<Wait> waits{{me.init, 1}, {me.turn, 1}};
        if (!kids.empty()) waits.push_back({me.up, all_kids});
        emit(dma(0), isa::Opcode::kCopyAdd, whole(parent), whole(chip), waits, {sems[parent].up});
      }
      const Wait final_value = chip == 0 ? Wait{me.up, all_kids} : Wait{me.down, 1};
      for (std::size_t k = 0; k < kids.size(); ++k) {
        emit(dma(static_cast<std::uint32_t>(k)), isa::Opcode::kCopy, whole(kids[k]), whole(chip),
             {final_value}, {sems[kids[k]].down});
      }
    }
  }

  // --- direct alltoall ---
  // Chip c copies chunk j of X<c> to chunk c of Y<j>. Each chunk of every Y has exactly one
  // writer, one DMA, and X is only read, so no two accesses conflict and no semaphore is
  // needed. Chip c starts with chip c + 1 so that not every chip sends to the same chip
  // first, and spreads its copies over its DMA queues.
  void emit_direct() {
    const std::uint32_t n = m_r.n;
    const std::uint64_t s = m_r.shard_rows;
    for (std::uint32_t chip = 0; chip < n; ++chip) {
      m_b.begin_core(core(chip));
      for (std::uint32_t k = 0; k < n; ++k) {
        const std::uint32_t j = (chip + 1 + k) % n;
        emit(dma(k), isa::Opcode::kCopy, rows(m_t.y[j], chip * s, s), rows(m_t.x[chip], j * s, s),
             {}, {});
      }
    }
  }

  const Resolved& m_r;
  ProgramBuilder m_b;
  std::uint32_t m_queues;
  Tensors m_t;
  Tree m_tree;
};

std::string chip_list(const std::vector<std::uint32_t>& chips) {
  return fmt::format("{}", fmt::join(chips, " "));
}

}  // namespace

std::string_view collective_name(Collective c) {
  switch (c) {
    case Collective::kAllReduce:
      return "allreduce";
    case Collective::kAllGather:
      return "allgather";
    case Collective::kReduceScatter:
      return "reducescatter";
    case Collective::kAllToAll:
      break;
  }
  return "alltoall";
}

std::string_view algo_name(CollectiveAlgo a) {
  switch (a) {
    case CollectiveAlgo::kDefault:
      return "default";
    case CollectiveAlgo::kRing:
      return "ring";
    case CollectiveAlgo::kTree:
      return "tree";
    case CollectiveAlgo::k2d:
      return "2d";
    case CollectiveAlgo::kDirect:
      break;
  }
  return "direct";
}

std::vector<std::uint32_t> snake_order(const std::vector<std::uint32_t>& dims) {
  // Boustrophedon: the outermost coordinate advances slowest; each sweep of the inner box
  // runs forwards or backwards in turn, so consecutive entries are neighbours.
  std::vector<std::uint32_t> order{0};
  std::uint32_t stride = 1;
  for (std::uint32_t d : dims) {
    std::vector<std::uint32_t> next;
    next.reserve(order.size() * d);
    for (std::uint32_t i = 0; i < d; ++i) {
      if (i % 2 == 0) {
        for (auto v : order)
          next.push_back(v + i * stride);
      } else {
        for (auto it = order.rbegin(); it != order.rend(); ++it)
          next.push_back(*it + i * stride);
      }
    }
    stride *= d;
    order = std::move(next);
  }
  return order;
}

std::vector<std::uint32_t> ring_order(const config::TopologyParams& topology,
                                      std::uint32_t config_chips, std::uint32_t n) {
  std::vector<std::uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  if (!is_full_torus(topology, config_chips, n)) return order;
  // The snake ends next to its start (a wrap link of the outermost dimension) when the
  // outermost dimension has an even size: make an even dimension the outermost.
  const auto& dims = topology.dims;
  std::vector<std::uint32_t> axes(dims.size());
  std::iota(axes.begin(), axes.end(), 0u);
  for (std::size_t a = axes.size(); a-- > 0;) {
    if (dims[a] % 2 == 0) {
      std::rotate(axes.begin() + static_cast<std::ptrdiff_t>(a),
                  axes.begin() + static_cast<std::ptrdiff_t>(a) + 1, axes.end());
      break;
    }
  }
  std::vector<std::uint32_t> sizes;
  for (auto a : axes)
    sizes.push_back(dims[a]);
  // Map each snake position (in the permuted axes) back to the chip number.
  std::vector<std::uint32_t> strides(dims.size(), 1);
  for (std::size_t a = 1; a < dims.size(); ++a)
    strides[a] = strides[a - 1] * dims[a - 1];
  for (std::size_t i = 0; const auto lin : snake_order(sizes)) {
    std::uint32_t rest = lin, chip = 0;
    for (std::size_t k = 0; k < axes.size(); ++k) {
      chip += rest % sizes[k] * strides[axes[k]];
      rest /= sizes[k];
    }
    order[i++] = chip;
  }
  return order;
}

Tree reduction_tree(const config::TopologyParams& topology, std::uint32_t config_chips,
                    std::uint32_t n) {
  Tree t;
  t.parent.assign(n, kNoChip);
  t.children.assign(n, {});
  if (is_full_torus(topology, config_chips, n)) {
    // Along x from chip 0 on the first column position, then down each column (a snake over
    // the other dimensions): every edge is one link, every chip has at most two children.
    const std::uint32_t x = topology.dims[0];
    const auto columns = snake_order({topology.dims.begin() + 1, topology.dims.end()});
    for (std::uint32_t p = 0; p < columns.size(); ++p) {
      for (std::uint32_t i = 0; i < x; ++i) {
        const std::uint32_t chip = columns[p] * x + i;
        if (p > 0)
          t.parent[chip] = columns[p - 1] * x + i;
        else if (i > 0)
          t.parent[chip] = i - 1;
      }
    }
  } else if (topology.kind == config::TopologyKind::kRing && n == config_chips) {
    // Two chains from chip 0, one each way round the ring.
    const std::uint32_t half = n / 2;
    for (std::uint32_t chip = 1; chip < n; ++chip)
      t.parent[chip] = chip <= half ? chip - 1 : (chip + 1) % n;
  } else {
    // Switch, edge list, or a subset of chips: a balanced binary tree (heap order).
    for (std::uint32_t chip = 1; chip < n; ++chip)
      t.parent[chip] = (chip - 1) / 2;
  }
  // Children by chip number (on a torus the x neighbour comes first).
  for (std::uint32_t chip = 1; chip < n; ++chip)
    t.children[t.parent[chip]].push_back(chip);
  return t;
}

CollectivePlan plan_collective(const CollectiveOptions& options, const config::SystemConfig& cfg) {
  const Resolved r = resolve(options, cfg);
  CollectivePlan plan;
  plan.options = r.o;
  plan.rows = r.rows;
  plan.cols = r.cols;
  plan.shards = r.shards;
  const std::uint64_t row_bytes = r.cols * isa::dtype_bytes(r.o.dtype);
  if (r.o.algo == CollectiveAlgo::kRing || r.o.algo == CollectiveAlgo::k2d) {
    for (const Pass& p : r.passes) {
      const Member& m0 = p.members[0];
      std::vector<std::vector<std::uint32_t>> rings;
      for (const Member& m : p.members) {
        if (std::find(rings.begin(), rings.end(), m.ring) == rings.end()) rings.push_back(m.ring);
      }
      std::vector<std::string> ring_text;
      for (const auto& ring : rings)
        ring_text.push_back(fmt::format("[{}]", chip_list(ring)));
      plan.steps.push_back(fmt::format(
          "{} ({}): {} steps, each chip sends one chunk of {} rows ({} bytes) per step "
          "with {} over rings {}",
          p.reduce ? "reduce-scatter" : "all-gather",
          r.o.algo == CollectiveAlgo::kRing ? "ring" : (p.dim == 0 ? "rows" : "columns"),
          m0.size() - 1, m0.chunk_rows, m0.chunk_rows * row_bytes, p.reduce ? "copy_add" : "copy",
          fmt::join(ring_text, " ")));
    }
  } else if (r.o.algo == CollectiveAlgo::kTree) {
    const Tree t = reduction_tree(cfg.topology, cfg.system.chips, r.n);
    std::vector<std::string> edges;
    for (std::uint32_t c = 0; c < r.n; ++c) {
      if (!t.children[c].empty())
        edges.push_back(fmt::format("{}<-[{}]", c, chip_list(t.children[c])));
    }
    plan.steps.push_back(
        fmt::format("reduce: each chip copy_adds its whole buffer ({} bytes) "
                    "into its parent once its children have; tree {}",
                    r.o.bytes, fmt::join(edges, " ")));
    plan.steps.push_back("broadcast: each chip copies the result to its children");
  } else {
    plan.steps.push_back(
        fmt::format("direct: each chip copies {} chunks of {} rows ({} bytes), "
                    "chunk j to chip j",
                    r.n, r.shard_rows, r.shard_rows * row_bytes));
  }
  return plan;
}

trace::Program collective(const CollectiveOptions& options, const config::SystemConfig& cfg) {
  const Resolved r = resolve(options, cfg);
  Emitter e(r, cfg);
  if (r.o.algo == CollectiveAlgo::kTree)
    e.set_tree(reduction_tree(cfg.topology, cfg.system.chips, r.n));
  return e.run();
}

std::vector<io::Array> collective_reference(const CollectiveOptions& options,
                                            const config::SystemConfig& cfg) {
  const Resolved r = resolve(options, cfg);
  const Collective c = r.o.collective;
  const std::uint64_t x_rows = c == Collective::kAllGather ? r.shard_rows : r.rows;
  std::vector<std::vector<float>> inputs;
  for (std::uint32_t chip = 0; chip < r.n; ++chip) {
    trace::TensorDecl t;
    t.dtype = r.o.dtype;
    t.shape = {x_rows, r.cols};
    t.init = trace::InitKind::kRandom;
    t.seed = r.o.seed + chip;
    t.dist = trace::Distribution::kUniform;
    inputs.push_back(functional::random_tensor(t));
  }
  const std::uint64_t shard = r.shard_rows * r.cols;
  const std::uint64_t total = r.rows * r.cols;
  std::vector<io::Array> out;
  std::vector<double> sum;
  if (c == Collective::kAllReduce || c == Collective::kReduceScatter) {
    sum.assign(total, 0.0);
    for (const auto& in : inputs)
      for (std::uint64_t e = 0; e < total; ++e)
        sum[e] += in[e];
  }
  for (std::uint32_t chip = 0; chip < r.n; ++chip) {
    std::vector<float> y;
    switch (c) {
      case Collective::kAllReduce:
        y.assign(sum.begin(), sum.end());
        break;
      case Collective::kReduceScatter:
        y.assign(sum.begin() + static_cast<std::ptrdiff_t>(chip * shard),
                 sum.begin() + static_cast<std::ptrdiff_t>((chip + 1) * shard));
        break;
      case Collective::kAllGather:
        for (const auto& in : inputs)
          y.insert(y.end(), in.begin(), in.end());
        break;
      case Collective::kAllToAll:
        for (std::uint32_t j = 0; j < r.n; ++j) {
          const auto& in = inputs[j];
          y.insert(y.end(), in.begin() + static_cast<std::ptrdiff_t>(chip * shard),
                   in.begin() + static_cast<std::ptrdiff_t>((chip + 1) * shard));
        }
        break;
    }
    const std::uint64_t y_rows = c == Collective::kReduceScatter ? r.shard_rows : r.rows;
    out.push_back(io::make_array(r.o.dtype, {y_rows, r.cols}, y));
  }
  return out;
}

std::string describe(const CollectivePlan& plan) {
  const CollectiveOptions& o = plan.options;
  std::string out = fmt::format(
      "{} --algo {}: {} chips, core {}, {} bytes per chip as [{}, {}] {} ({} shards of {} rows)\n",
      collective_name(o.collective), algo_name(o.algo), o.chips, o.core, o.bytes, plan.rows,
      plan.cols, isa::dtype_name(o.dtype), plan.shards, plan.rows / plan.shards);
  for (const auto& s : plan.steps)
    out += "  " + s + "\n";
  return out;
}

}  // namespace trnsim::gen
