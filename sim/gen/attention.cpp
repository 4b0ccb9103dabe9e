#include "gen/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "common/diagnostic.h"
#include "functional/random_init.h"
#include "gen/program_builder.h"

namespace trnsim::gen {

namespace {

using isa::Attr;
using isa::DType;
using isa::Engine;
using isa::Opcode;
using isa::Word;

constexpr DType kF32 = DType::kFp32;
constexpr const char* kFile = "gen attention";
// Buffer offsets are kept to this alignment, so every access starts on a clean boundary.
constexpr std::uint64_t kAlign = 64;
// K/V block buffers in rotation: at least one per step in flight (see plan_attention), so
// that the loads of the block a front emits never land in the buffer of a step whose P V is
// still to be emitted; so a block's DMAs are well under way before it is needed.
constexpr std::uint32_t kKvSlots = 3;
// The other per-step buffers (masked S, P, P^T, statistics) rotate over the steps in
// flight: the skew plus two (see plan_attention). Per-tile buffers (Q, l, nm, O) rotate over
// two groups of tiles: the group finishing and the group starting.
// Most steps whose front is emitted ahead of an earlier step's P^T.
constexpr std::uint32_t kMaxSkew = 3;
// Most query tiles sharing one K/V block load.
constexpr std::uint32_t kMaxGroup = 2;
// Per-partition fp32 words of one block's statistics: rm, rs, corr.
constexpr std::uint32_t kStatWords = 3;
constexpr std::uint32_t kRm = 0, kRs = 1, kCorr = 2;
// Per-partition fp32 words of one tile's running state: l, and nm of the last two blocks
// (alternating, so a block reads its predecessor's while writing its own).
constexpr std::uint32_t kTileWords = 3;

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) {
  return (a + b - 1) / b;
}
std::uint64_t align_up(std::uint64_t a) {
  return ceil_div(a, kAlign) * kAlign;
}

[[noreturn]] void fail(std::string message) {
  throw InputError(kFile, 0, 0, std::move(message));
}

// Byte layout of SBUF, per partition.
struct Layout {
  std::uint64_t q = 0, q_bytes = 0;          // tile_slots Q^T tiles [dk x dc*T]
  std::uint64_t out = 0, out_bytes = 0;      // tile_slots O tiles [T x d] in the dtype
  std::uint64_t ot = 0, ot_bytes = 0;        // transposed_out: tile_slots O^T tiles [d x T]
  std::uint64_t l = 0;                       // tile_slots running states (kTileWords)
  std::uint64_t k = 0, k_bytes = 0;          // kv_slots K^T blocks [dk x dc*B]
  std::uint64_t v = 0, v_bytes = 0;          // kv_slots V blocks [T x chunks*d]
  std::uint64_t smask = 0, smask_bytes = 0;  // step_slots masked S [T x B] fp32
  std::uint64_t p = 0, p_bytes = 0;          // step_slots P [T x B]
  std::uint64_t pt = 0, pt_bytes = 0;        // step_slots P^T [T x chunks*T]
  std::uint64_t stats = 0, stats_bytes = 0;  // step_slots statistics words
  std::uint64_t total = 0;
};

Layout layout(const AttentionPlan& plan) {
  const AttentionOptions& o = plan.options;
  const std::uint64_t eb = isa::dtype_bytes(o.dtype);
  const std::uint64_t dc = o.head_dim / plan.dk;
  const std::uint64_t chunks = plan.block / plan.tile;
  Layout l;
  std::uint64_t at = 0;
  auto take = [&](std::uint64_t& offset, std::uint64_t& bytes, std::uint64_t size,
                  std::uint64_t count) {
    offset = at;
    bytes = align_up(size);
    at += bytes * count;
  };
  std::uint64_t l_bytes = 0;
  take(l.q, l.q_bytes, dc * plan.tile * eb, plan.tile_slots);
  take(l.out, l.out_bytes, o.head_dim * eb, plan.tile_slots);
  take(l.ot, l.ot_bytes, o.transposed_out ? plan.tile * eb : 0, plan.tile_slots);
  take(l.l, l_bytes, kTileWords * isa::dtype_bytes(kF32), plan.tile_slots);
  take(l.k, l.k_bytes, dc * plan.block * eb, plan.kv_slots);
  take(l.v, l.v_bytes, chunks * o.head_dim * eb, plan.kv_slots);
  take(l.smask, l.smask_bytes, plan.block * isa::dtype_bytes(kF32), plan.step_slots);
  take(l.p, l.p_bytes, plan.block * eb, plan.step_slots);
  take(l.pt, l.pt_bytes, chunks * plan.tile * eb, plan.step_slots);
  take(l.stats, l.stats_bytes, kStatWords * isa::dtype_bytes(kF32), plan.step_slots);
  l.total = at;
  return l;
}

void validate(const AttentionOptions& o, const config::SystemConfig& cfg) {
  if (o.seq == 0 || o.heads == 0 || o.head_dim == 0) {
    fail(
        fmt::format("seq, heads and head-dim must be at least 1, got seq={} heads={} "
                    "head-dim={}",
                    o.seq, o.heads, o.head_dim));
  }
  if (o.dtype != DType::kBf16 && o.dtype != kF32) {
    fail(fmt::format("dtype {} is not supported (one of: bf16, fp32)", isa::dtype_name(o.dtype)));
  }
  if (o.scale && (!std::isfinite(*o.scale) || *o.scale <= 0)) {
    fail(fmt::format("scale must be a finite number > 0, got {}", *o.scale));
  }
  if (o.causal && o.kv_seq != 0 && o.kv_seq < o.seq) {
    fail(
        fmt::format("causal attention needs kv-seq >= seq (the queries are the last seq "
                    "positions), got seq={} kv-seq={}",
                    o.seq, o.kv_seq));
  }
  if (o.transposed_out && (o.head_dim > cfg.tensor.cols || o.head_dim > cfg.psum.partitions)) {
    fail(
        fmt::format("a transposed O needs head-dim <= {} (the PE's columns, PSUM's partitions "
                    "of config '{}'), got {}",
                    std::min(cfg.tensor.cols, cfg.psum.partitions), cfg.name, o.head_dim));
  }
  if (o.cores == 0 || o.cores > cfg.chip.cores) {
    fail(fmt::format("cores={} is out of range: config '{}' has {} cores per chip", o.cores,
                     cfg.name, cfg.chip.cores));
  }
  if (cfg.sbuf.partitions == 0 || cfg.dma.queues == 0 || cfg.psum.banks < 3 ||
      cfg.tensor.rows == 0 || cfg.tensor.cols == 0) {
    fail(
        fmt::format("config '{}' needs sbuf.partitions, tensor.rows, tensor.cols and dma.queues "
                    "> 0 and psum.banks >= 3 (S, P^T and O each take a bank)",
                    cfg.name));
  }
}

std::vector<std::uint8_t> queue_range(std::uint32_t first, std::uint32_t count) {
  std::vector<std::uint8_t> out;
  for (std::uint32_t q = first; q < first + count; ++q)
    out.push_back(static_cast<std::uint8_t>(q));
  return out;
}

// --- emission ------------------------------------------------------------------------------

// The trace of one core: the heads it owns, one after the other.
// The keys of query tile t of a head: all of them, or (causal) up to the tile's last query,
// whose position is kv_seq - seq + (t + 1) T - 1.
std::uint64_t keys_of_tile(const AttentionPlan& plan, std::uint64_t t) {
  const AttentionOptions& o = plan.options;
  return o.causal ? plan.kv_seq - o.seq + (t + 1) * plan.tile : plan.kv_seq;
}

// The most K/V blocks that skew + 2 consecutive steps of one core use: the steps are walked
// as AttentionEmitter::run walks them, and their K/V load indices only grow.
std::uint32_t kv_blocks_in_flight(const AttentionPlan& plan) {
  const AttentionOptions& o = plan.options;
  if (plan.tile == 0 || plan.group == 0 || plan.block == 0) return 1;
  const std::uint64_t tiles = o.seq / plan.tile;
  const std::size_t window = plan.skew + 2;
  const std::uint64_t cores = std::min<std::uint64_t>(o.cores, o.heads);
  std::uint32_t most = 1;
  for (std::uint64_t core = 0; core < cores; ++core) {
    std::vector<std::uint32_t> kv;  // per step
    std::uint32_t kv_index = 0;
    for (std::uint64_t h = core; h < o.heads; h += cores) {
      for (std::uint64_t t0 = 0; t0 < tiles; t0 += plan.group) {
        const std::uint64_t group = std::min<std::uint64_t>(plan.group, tiles - t0);
        const std::uint64_t group_keys = keys_of_tile(plan, t0 + group - 1);
        for (std::uint64_t key = 0; key < group_keys; key += plan.block) {
          for (std::uint64_t t = t0; t < t0 + group; ++t)
            if (key < keys_of_tile(plan, t)) kv.push_back(kv_index);
          ++kv_index;
        }
      }
    }
    for (std::size_t i = 0; i < kv.size(); ++i) {
      const std::size_t last = std::min(kv.size(), i + window) - 1;
      most = std::max(most, kv[last] - kv[i] + 1);
    }
  }
  return most;
}

class AttentionEmitter {
 public:
  AttentionEmitter(ProgramBuilder& b, const AttentionPlan& plan, const config::SystemConfig& cfg,
                   std::uint32_t qt, std::uint32_t kt, std::uint32_t v, std::uint32_t out)
      : m_b(b),
        m_plan(plan),
        m_o(plan.options),
        m_cfg(cfg),
        m_layout(layout(plan)),
        m_qt(qt),
        m_kt(kt),
        m_v(v),
        m_out(out) {}

  void run(std::uint32_t core) {
    m_b.begin_core(trace::CoreId{0, core});
    auto sems = [&](std::vector<GuardedBuffer>& into, const char* name, std::uint32_t count) {
      for (std::uint32_t i = 0; i < count; ++i)
        into.emplace_back(m_b.add_semaphore(fmt::format("{}{}", name, i)));
    };
    sems(m_q, "q", m_plan.tile_slots);
    sems(m_os, "o_sb", m_plan.tile_slots);
    if (m_o.transposed_out) sems(m_ot, "ot_sb", m_plan.tile_slots);
    sems(m_l, "l", m_plan.tile_slots);
    sems(m_nm, "nm", 2 * m_plan.tile_slots);
    sems(m_opsum, "o_ps", m_plan.o_banks);
    sems(m_k, "k", m_plan.kv_slots);
    sems(m_vb, "v", m_plan.kv_slots);
    sems(m_s, "s_ps", m_plan.s_banks);
    sems(m_sm, "s_sb", m_plan.step_slots);
    sems(m_p, "p", m_plan.step_slots);
    sems(m_ptp, "pt_ps", m_plan.pt_banks);
    sems(m_pts, "pt_sb", m_plan.step_slots);
    for (std::uint32_t w = 0; w < kStatWords; ++w) {
      m_stat.emplace_back();
      for (std::uint32_t s = 0; s < m_plan.step_slots; ++s) {
        static constexpr const char* kNames[kStatWords] = {"rm", "rs", "corr"};
        m_stat[w].emplace_back(m_b.add_semaphore(fmt::format("{}{}", kNames[w], s)));
      }
    }

    // Every block of every tile of every head this core owns, in order; front(g + skew) is
    // emitted before back(g) (see the header).
    // The tiles of a group share each K/V block load: for every block, the group's tiles
    // that need it, in turn.
    std::vector<Step> steps;
    std::uint32_t tile_index = 0, kv_index = 0;
    const std::uint64_t tiles = m_o.seq / T();
    for (std::uint64_t h = core; h < m_o.heads; h += m_o.cores) {
      for (std::uint64_t t0 = 0; t0 < tiles; t0 += m_plan.group) {
        const std::uint64_t group = std::min<std::uint64_t>(m_plan.group, tiles - t0);
        // Causal: tile t's queries sit at positions kv_seq - seq + t*T .., so its keys end
        // with the chunk of its own positions, masked on the diagonal.
        auto keys_of = [&](std::uint64_t t) { return keys_of_tile(m_plan, t); };
        const std::uint64_t group_keys = keys_of(t0 + group - 1);
        for (std::uint64_t key = 0; key < group_keys; key += m_plan.block) {
          bool loads = true;
          for (std::uint64_t t = t0; t < t0 + group; ++t) {
            const std::uint64_t keys = keys_of(t);
            if (key >= keys) continue;
            Step s;
            s.head = h;
            s.row = t * T();
            s.tile = tile_index + static_cast<std::uint32_t>(t - t0);
            s.block = key / m_plan.block;
            s.key = key;
            s.keys = static_cast<std::uint32_t>(std::min<std::uint64_t>(m_plan.block, keys - key));
            s.kv_index = kv_index;
            s.kv_keys =
                static_cast<std::uint32_t>(std::min<std::uint64_t>(m_plan.block, group_keys - key));
            s.loads = loads;
            s.first = key == 0;
            s.last = key + m_plan.block >= keys;
            s.masked = m_o.causal && s.last;
            steps.push_back(s);
            loads = false;
          }
          ++kv_index;
        }
        tile_index += static_cast<std::uint32_t>(group);
      }
    }
    // Each step in four parts, emitted as rescale(g - 1), front(g + skew), middle(g),
    // accumulate(g - 1). So the tensor engine's stream runs Q K^T of step g + skew, the
    // transposes of step g, then P V of step g - 1, whose P^T the vector engine copied and
    // whose accumulator it rescaled before: the tensor engine never waits on a round trip
    // through another engine for work it has just done, and the vector engine's rescale
    // (which needs only P V of step g - 2) does not queue behind the row max of step g + skew.
    const std::size_t skew = m_plan.skew, n = steps.size();
    for (std::size_t g = 0; g < n + skew + 1; ++g) {
      if (g >= skew + 1) rescale(steps[g - skew - 1]);
      if (g < n) {
        steps[g].index = static_cast<std::uint32_t>(g);
        front(steps[g]);
      }
      if (g >= skew && g - skew < n) middle(steps[g - skew]);
      if (g >= skew + 1) accumulate(steps[g - skew - 1]);
    }
  }

 private:
  struct Step {
    std::uint64_t head = 0, row = 0, block = 0, key = 0;
    std::uint32_t tile = 0;      // tiles of this core so far
    std::uint32_t index = 0;     // steps of this core so far
    std::uint32_t kv_index = 0;  // K/V block loads of this core so far
    std::uint32_t keys = 0;      // keys of this tile in this block, a multiple of T
    std::uint32_t kv_keys = 0;   // keys loaded for this block (its group's widest tile)
    bool loads = false;          // this step loads the block's K and V
    bool first = false, last = false, masked = false;
  };

  std::uint32_t T() const { return m_plan.tile; }
  std::uint32_t d() const { return static_cast<std::uint32_t>(m_o.head_dim); }
  std::uint32_t dc() const { return d() / m_plan.dk; }
  DType dt() const { return m_o.dtype; }
  std::uint64_t eb() const { return isa::dtype_bytes(m_o.dtype); }

  // Buffer slots of a step and of a tile.
  std::uint32_t ts(const Step& s) const { return s.tile % m_plan.tile_slots; }
  std::uint32_t ss(const Step& s) const { return s.index % m_plan.step_slots; }
  std::uint32_t kv(const Step& s) const { return s.kv_index % m_plan.kv_slots; }
  std::uint32_t s_bank(const Step& s) const { return s.index % m_plan.s_banks; }
  std::uint32_t pt_bank(const Step& s) const { return m_plan.s_banks + s.index % m_plan.pt_banks; }
  std::uint32_t o_bank(const Step& s) const {
    return m_plan.s_banks + m_plan.pt_banks + s.tile % m_plan.o_banks;
  }
  GuardedBuffer& stat_buf(std::uint32_t word, std::uint32_t slot) { return m_stat[word][slot]; }

  trace::Operand sb(std::uint32_t parts, std::uint64_t offset, DType dtype,
                    std::uint32_t elements) const {
    return m_b.sbuf(parts, offset, dtype, elements);
  }
  trace::Operand stat(const Step& s, std::uint32_t word) const {
    return sb(T(), m_layout.stats + ss(s) * m_layout.stats_bytes + word * 4, kF32, 1);
  }
  // The tile's nm of block `block` (alternating words).
  trace::Operand nm_word(const Step& s, std::uint64_t block) const {
    return sb(T(), m_layout.l + ts(s) * kAlign + (1 + block % 2) * 4, kF32, 1);
  }
  GuardedBuffer& nm_buf(const Step& s, std::uint64_t block) { return m_nm[ts(s) * 2 + block % 2]; }
  trace::Operand l_word(const Step& s) const {
    return sb(T(), m_layout.l + ts(s) * kAlign, kF32, 1);
  }
  // PSUM from byte `offset` of bank `bank`.
  trace::Operand psum(std::uint32_t parts, std::uint32_t bank, std::uint64_t offset, DType dtype,
                      std::uint32_t elements) const {
    trace::Operand op = m_b.psum_bank(parts, bank, dtype, elements);
    if (offset == 0) return op;
    op.form = trace::OperandForm::kPsumOffset;
    op.offset = bank * m_cfg.psum.bank_bytes + offset;
    return op;
  }
  trace::Operand s_psum(const Step& s) const { return psum(T(), s_bank(s), 0, kF32, s.keys); }
  trace::Operand smask(const Step& s, std::uint64_t from = 0, std::uint32_t n = 0) const {
    return sb(T(), m_layout.smask + ss(s) * m_layout.smask_bytes + from * 4, kF32, n ? n : s.keys);
  }
  trace::Operand p_tile(const Step& s, std::uint32_t chunk, std::uint32_t n) const {
    return sb(T(), m_layout.p + ss(s) * m_layout.p_bytes + chunk * T() * eb(), dt(), n);
  }
  std::uint32_t chunks(const Step& s) const { return s.keys / T(); }

  trace::Arg op(const trace::Operand& operand) { return m_b.operand(operand); }
  trace::Arg attr(Attr key, const trace::Operand& operand) {
    trace::Arg a = m_b.operand(operand);
    a.key = key;
    return a;
  }
  static trace::Arg attr(Attr key, Word value) { return ProgramBuilder::word(key, value); }
  static trace::Arg attr(Attr key, double value) {
    trace::Arg a;
    a.key = key;
    a.kind = isa::ArgKind::kReal;
    a.real = value;
    return a;
  }
  static trace::Arg attr_int(Attr key, std::int64_t value) {
    trace::Arg a;
    a.key = key;
    a.kind = isa::ArgKind::kInt;
    a.integer = value;
    return a;
  }
  std::uint8_t load_queue() {
    return m_plan.load_queues[m_load_turn++ % m_plan.load_queues.size()];
  }

  // Loads of the block's K^T (one DMA per dk rows of the head dim) and V (one per T keys),
  // and, for a tile's first block, of its Q^T.
  void loads(const Step& s) {
    if (s.first) {
      GuardedBuffer& qb = m_q[ts(s)];
      for (std::uint32_t c = 0; c < dc(); ++c) {
        const std::uint64_t row = s.head * d() + std::uint64_t{c} * m_plan.dk;
        m_b.emit(
            {Engine::kDma, m_plan.q_queue}, Opcode::kCopy,
            {op(sb(m_plan.dk, m_layout.q + ts(s) * m_layout.q_bytes + c * T() * eb(), dt(), T())),
             op(m_b.slice(m_qt, row, row + m_plan.dk, s.row, s.row + T()))},
            {{c == 0 ? qb.write() : qb.accumulate()}, {qb.semaphore()}});
      }
    }
    if (!s.loads) return;
    GuardedBuffer& kb = m_k[kv(s)];
    for (std::uint32_t c = 0; c < dc(); ++c) {
      const std::uint64_t row = s.head * d() + std::uint64_t{c} * m_plan.dk;
      m_b.emit({Engine::kDma, load_queue()}, Opcode::kCopy,
               {op(sb(m_plan.dk, m_layout.k + kv(s) * m_layout.k_bytes + c * m_plan.block * eb(),
                      dt(), s.kv_keys)),
                op(m_b.slice(m_kt, row, row + m_plan.dk, s.key, s.key + s.kv_keys))},
               {{c == 0 ? kb.write() : kb.accumulate()}, {kb.semaphore()}});
    }
    GuardedBuffer& vb = m_vb[kv(s)];
    for (std::uint32_t c = 0; c < s.kv_keys / T(); ++c) {
      const std::uint64_t key = s.key + std::uint64_t{c} * T();
      const std::uint64_t row = m_o.v_by_token ? key : s.head * m_plan.kv_seq + key;
      const std::uint64_t col = m_o.v_by_token ? s.head * d() : 0;
      m_b.emit({Engine::kDma, load_queue()}, Opcode::kCopy,
               {op(sb(T(), m_layout.v + kv(s) * m_layout.v_bytes + c * d() * eb(), dt(), d())),
                op(m_b.slice(m_v, row, row + T(), col, col + d()))},
               {{c == 0 ? vb.write() : vb.accumulate()}, {vb.semaphore()}});
    }
  }

  // Up to the exp: S, the mask, the running max, corr and P with its row sums.
  void front(const Step& s) {
    loads(s);
    GuardedBuffer &qb = m_q[ts(s)], &kb = m_k[kv(s)], &sp = m_s[s_bank(s)];
    // S = Q K^T, contracting the head dim dk rows at a time.
    for (std::uint32_t c = 0; c < dc(); ++c) {
      m_b.emit(
          {Engine::kPe}, Opcode::kMatmul,
          {op(s_psum(s)),
           op(sb(m_plan.dk, m_layout.q + ts(s) * m_layout.q_bytes + c * T() * eb(), dt(), T())),
           op(sb(m_plan.dk, m_layout.k + kv(s) * m_layout.k_bytes + c * m_plan.block * eb(), dt(),
                 s.keys)),
           attr(Attr::kAcc, c == 0 ? Word::kStart : Word::kAccumulate)},
          {{qb.read(), kb.read(), c == 0 ? sp.write() : sp.accumulate()},
           {qb.semaphore(), kb.semaphore(), sp.semaphore()}});
    }
    // The scores the softmax reads: S itself, or its masked copy in SBUF (GpSimd, which
    // masks, reads SBUF only). Only the block's last chunk of T keys reaches past the
    // diagonal: its key i and query p keep i <= p.
    trace::Operand scores = s_psum(s);
    GuardedBuffer* src = &sp;
    if (s.masked) {
      GuardedBuffer& mb = m_sm[ss(s)];
      m_b.emit({Engine::kDve}, Opcode::kTensorCopy, {op(smask(s)), op(s_psum(s))},
               {{sp.read(), mb.write()}, {sp.semaphore(), mb.semaphore()}});
      const trace::Operand diag = smask(s, s.keys - T(), T());
      m_b.emit({Engine::kPool}, Opcode::kAffineSelect,
               {op(diag), op(diag), attr(Attr::kCmp, Word::kGe), attr_int(Attr::kPcoef, 1),
                attr_int(Attr::kFcoef, -1), attr_int(Attr::kOffset, 0),
                attr(Attr::kFill, -std::numeric_limits<double>::infinity())},
               {{mb.write()}, {mb.semaphore()}});
      scores = smask(s);
      src = &mb;
    }
    const std::uint32_t slot = ss(s);
    GuardedBuffer &rm = stat_buf(kRm, slot), &nm = nm_buf(s, s.block),
                  &nm_prev = nm_buf(s, s.block + 1), &rs = stat_buf(kRs, slot),
                  &corr = stat_buf(kCorr, slot);
    m_b.emit({Engine::kDve}, Opcode::kTensorReduce,
             {op(stat(s, kRm)), op(scores), attr(Attr::kOp, Word::kMax)},
             {{src->read(), rm.write()}, {src->semaphore(), rm.semaphore()}});
    // nm = -scale * running max, so exp's bias is nm itself; with scale > 0 the max of the
    // scores becomes the min of their negations.
    if (s.first) {
      m_b.emit({Engine::kPool}, Opcode::kTensorScalar,
               {op(nm_word(s, s.block)), op(stat(s, kRm)), attr(Attr::kOp0, Word::kMul),
                attr(Attr::kS0, -m_plan.scale)},
               {{rm.read(), nm.write()}, {rm.semaphore(), nm.semaphore()}});
    } else {
      m_b.emit({Engine::kPool}, Opcode::kTensorScalar,
               {op(nm_word(s, s.block)), op(stat(s, kRm)), attr(Attr::kOp0, Word::kMul),
                attr(Attr::kS0, -m_plan.scale), attr(Attr::kOp1, Word::kMin),
                attr(Attr::kS1, nm_word(s, s.block + 1))},
               {{rm.read(), nm_prev.read(), nm.write()},
                {rm.semaphore(), nm_prev.semaphore(), nm.semaphore()}});
      // corr = exp(scale * (m_prev - m)) = exp(nm - nm_prev).
      m_b.emit({Engine::kAct}, Opcode::kActivation,
               {op(stat(s, kCorr)), op(nm_word(s, s.block + 1)), attr(Attr::kFunc, Word::kExp),
                attr(Attr::kScale, -1.0), attr(Attr::kBias, nm_word(s, s.block))},
               {{nm_prev.read(), nm.read(), corr.write()},
                {nm_prev.semaphore(), nm.semaphore(), corr.semaphore()}});
    }
    GuardedBuffer& pb = m_p[ss(s)];
    m_b.emit({Engine::kAct}, Opcode::kActivation,
             {op(p_tile(s, 0, s.keys)), op(scores), attr(Attr::kFunc, Word::kExp),
              attr(Attr::kScale, m_plan.scale), attr(Attr::kBias, nm_word(s, s.block)),
              attr(Attr::kAccum, stat(s, kRs))},
             {{src->read(), nm.read(), pb.write(), rs.write()},
              {src->semaphore(), nm.semaphore(), pb.semaphore(), rs.semaphore()}});
  }

  // P^T: the transposes and the copy to SBUF.
  void middle(const Step& s) {
    GuardedBuffer &pb = m_p[ss(s)], &ptp = m_ptp[s.index % m_plan.pt_banks], &pts = m_pts[ss(s)];
    const std::uint32_t n = chunks(s);
    for (std::uint32_t c = 0; c < n; ++c) {
      m_b.emit({Engine::kPe}, Opcode::kTranspose,
               {op(psum(T(), pt_bank(s), c * T() * eb(), dt(), T())), op(p_tile(s, c, T()))},
               {{pb.read(), c == 0 ? ptp.write() : ptp.accumulate()},
                {pb.semaphore(), ptp.semaphore()}});
    }
    const std::uint64_t pt_sb = m_layout.pt + ss(s) * m_layout.pt_bytes;
    m_b.emit({Engine::kDve}, Opcode::kTensorCopy,
             {op(sb(T(), pt_sb, dt(), n * T())), op(psum(T(), pt_bank(s), 0, dt(), n * T()))},
             {{ptp.read(), pts.write()}, {ptp.semaphore(), pts.semaphore()}});
  }

  // The running sum and the rescaled accumulator.
  void rescale(const Step& s) {
    GuardedBuffer &ob = m_opsum[s.tile % m_plan.o_banks], &lb = m_l[ts(s)];
    GuardedBuffer &rs = stat_buf(kRs, ss(s)), &corr = stat_buf(kCorr, ss(s));
    // l = l * corr + rs (GpSimd: off the busier vector engine).
    if (s.first) {
      m_b.emit({Engine::kPool}, Opcode::kTensorCopy, {op(l_word(s)), op(stat(s, kRs))},
               {{rs.read(), lb.write()}, {rs.semaphore(), lb.semaphore()}});
    } else {
      m_b.emit({Engine::kPool}, Opcode::kTensorScalar,
               {op(l_word(s)), op(l_word(s)), attr(Attr::kOp0, Word::kMul),
                attr(Attr::kS0, stat(s, kCorr)), attr(Attr::kOp1, Word::kAdd),
                attr(Attr::kS1, stat(s, kRs))},
               {{rs.read(), corr.read(), lb.write()},
                {rs.semaphore(), corr.semaphore(), lb.semaphore()}});
      // O_acc *= corr, in the bank the next matmuls accumulate into.
      const trace::Operand acc = psum(T(), o_bank(s), 0, kF32, d());
      m_b.emit({Engine::kDve}, Opcode::kTensorScalar,
               {op(acc), op(acc), attr(Attr::kOp0, Word::kMul), attr(Attr::kS0, stat(s, kCorr))},
               {{corr.read(), ob.write()}, {corr.semaphore(), ob.semaphore()}});
    }
  }

  // O_acc += (P^T chunk)^T V chunk: a new write phase after the rescale, one accumulation;
  // after a tile's last block O = O_acc / l and the store.
  void accumulate(const Step& s) {
    GuardedBuffer &pts = m_pts[ss(s)], &vb = m_vb[kv(s)], &ob = m_opsum[s.tile % m_plan.o_banks],
                  &lb = m_l[ts(s)];
    const std::uint32_t n = chunks(s);
    const std::uint64_t pt_sb = m_layout.pt + ss(s) * m_layout.pt_bytes;
    for (std::uint32_t c = 0; c < n; ++c) {
      m_b.emit(
          {Engine::kPe}, Opcode::kMatmul,
          {op(psum(T(), o_bank(s), 0, kF32, d())), op(sb(T(), pt_sb + c * T() * eb(), dt(), T())),
           op(sb(T(), m_layout.v + kv(s) * m_layout.v_bytes + c * d() * eb(), dt(), d())),
           attr(Attr::kAcc, s.first && c == 0 ? Word::kStart : Word::kAccumulate)},
          {{pts.read(), vb.read(), c == 0 ? ob.write() : ob.accumulate()},
           {pts.semaphore(), vb.semaphore(), ob.semaphore()}});
    }
    if (!s.last) return;
    GuardedBuffer& os = m_os[ts(s)];
    const trace::Operand out_sb = sb(T(), m_layout.out + ts(s) * m_layout.out_bytes, dt(), d());
    m_b.emit(
        {Engine::kDve}, Opcode::kTensorScalar,
        {op(out_sb), op(psum(T(), o_bank(s), 0, kF32, d())), attr(Attr::kOp0, Word::kDiv),
         attr(Attr::kS0, l_word(s))},
        {{ob.read(), lb.read(), os.write()}, {ob.semaphore(), lb.semaphore(), os.semaphore()}});
    if (m_o.transposed_out) {
      store_transposed(s, out_sb);
      return;
    }
    const std::uint64_t row = s.head * m_o.seq + s.row;
    m_b.emit({Engine::kDma, m_plan.store_queue}, Opcode::kCopy,
             {op(m_b.slice(m_out, row, row + T(), 0, d())), op(out_sb)},
             {{os.read()}, {os.semaphore()}});
  }

  // O^T of a finished tile: transposed by the tensor engine into the tile's O bank (free
  // once O_acc / l has been read out of it; the next tile in that bank starts after this
  // copy), copied to SBUF by the scalar engine (the vector engine is the busier one) and
  // stored into OT's rows of the head, columns of the tile.
  void store_transposed(const Step& s, const trace::Operand& out_sb) {
    GuardedBuffer &os = m_os[ts(s)], &ob = m_opsum[s.tile % m_plan.o_banks], &ot = m_ot[ts(s)];
    const trace::Operand ot_psum = psum(d(), o_bank(s), 0, dt(), T());
    const trace::Operand ot_sb = sb(d(), m_layout.ot + ts(s) * m_layout.ot_bytes, dt(), T());
    m_b.emit({Engine::kPe}, Opcode::kTranspose, {op(ot_psum), op(out_sb)},
             {{os.read(), ob.write()}, {os.semaphore(), ob.semaphore()}});
    m_b.emit({Engine::kAct}, Opcode::kTensorCopy, {op(ot_sb), op(ot_psum)},
             {{ob.read(), ot.write()}, {ob.semaphore(), ot.semaphore()}});
    const std::uint64_t row = s.head * d();
    m_b.emit({Engine::kDma, m_plan.store_queue}, Opcode::kCopy,
             {op(m_b.slice(m_out, row, row + d(), s.row, s.row + T())), op(ot_sb)},
             {{ot.read()}, {ot.semaphore()}});
  }

  ProgramBuilder& m_b;
  const AttentionPlan& m_plan;
  const AttentionOptions& m_o;
  const config::SystemConfig& m_cfg;
  Layout m_layout;
  std::uint32_t m_qt, m_kt, m_v, m_out;
  std::vector<GuardedBuffer> m_ot, m_q, m_os, m_l, m_nm, m_opsum, m_k, m_vb, m_s, m_sm, m_p, m_ptp,
      m_pts;
  std::vector<std::vector<GuardedBuffer>> m_stat;  // [word][step slot]
  std::uint32_t m_load_turn = 0;
};

}  // namespace

AttentionPlan plan_attention(const AttentionOptions& options, const config::SystemConfig& cfg) {
  validate(options, cfg);
  const AttentionOptions& o = options;
  AttentionPlan plan;
  plan.options = o;
  plan.kv_seq = o.kv_seq == 0 ? o.seq : o.kv_seq;
  plan.scale = o.scale ? *o.scale : 1.0 / std::sqrt(static_cast<double>(o.head_dim));
  // T: queries of a tile are P's partitions and S's PE columns; keys of a chunk are P^T's
  // partitions and P V's contraction.
  plan.tile =
      std::min({cfg.sbuf.partitions, cfg.psum.partitions, cfg.tensor.rows, cfg.tensor.cols});
  const std::uint32_t t = plan.tile;
  if (o.seq % t != 0 || plan.kv_seq % t != 0) {
    fail(
        fmt::format("seq={} and kv-seq={} must be multiples of {}, the partitions of config "
                    "'{}' (a query tile, a key chunk)",
                    o.seq, plan.kv_seq, t, cfg.name));
  }
  // Tensor dimensions of the trace format are 32-bit: O has H*L rows, V H*Lk, QT and KT H*d.
  const double max_dim = std::numeric_limits<std::uint32_t>::max();
  if (static_cast<double>(o.heads) * static_cast<double>(std::max(o.seq, plan.kv_seq)) > max_dim ||
      static_cast<double>(o.heads) * static_cast<double>(o.head_dim) > max_dim) {
    fail(
        fmt::format("heads={} x seq={} (kv-seq={}) rows are more than a tensor dimension of the "
                    "trace format holds ({})",
                    o.heads, o.seq, plan.kv_seq, max_dim));
  }
  // The head dim is S's contraction (dk rows at a time) and O's free size (one PSUM bank of
  // fp32).
  plan.dk = static_cast<std::uint32_t>(
      std::min<std::uint64_t>({o.head_dim, cfg.tensor.rows, cfg.sbuf.partitions}));
  const std::uint64_t max_d =
      std::min<std::uint64_t>(cfg.tensor.max_moving_free, cfg.psum.bank_bytes / 4);
  if (o.head_dim % plan.dk != 0 || o.head_dim > max_d) {
    fail(
        fmt::format("head-dim={} is not supported on config '{}': it must be at most {} (one "
                    "PSUM bank of fp32) and at most {} or a multiple of it (the PE rows)",
                    o.head_dim, cfg.name, max_d, plan.dk));
  }
  // A block: as many keys as one PSUM bank of fp32 holds and one matmul moves, whole chunks.
  const std::uint64_t bank_keys =
      std::min<std::uint64_t>(cfg.tensor.max_moving_free, cfg.psum.bank_bytes / 4);
  if (bank_keys < t) {
    fail(
        fmt::format("config '{}' holds {} fp32 per PSUM bank and matmul, fewer than a chunk of "
                    "{} keys",
                    cfg.name, bank_keys, t));
  }
  plan.block = static_cast<std::uint32_t>(bank_keys / t * t);
  plan.kv_slots = kKvSlots;
  // Banks: one each for S, P^T and O, then a second for S (so Q K^T of the next block can
  // run while the exp reads this one), O (tiles overlap) and P^T, then more for S. Each S
  // bank holds one block in flight between its Q K^T and its exp: with s_banks of them the
  // front of block g + s_banks - 1 is emitted before the back of block g, so the tensor
  // engine's matmuls run that many blocks ahead of the chain row max -> exp -> transpose ->
  // P V, whose latency (each step waits for the one before on another engine) would
  // otherwise leave every engine idle part of the time.
  plan.s_banks = plan.pt_banks = plan.o_banks = 1;
  std::uint32_t spare = cfg.psum.banks - 3;
  for (std::uint32_t* b : {&plan.s_banks, &plan.o_banks, &plan.pt_banks}) {
    if (spare > 0) {
      ++*b;
      --spare;
    }
  }
  plan.s_banks += std::min(spare, kMaxSkew + 1 - plan.s_banks);
  plan.skew = std::max<std::uint32_t>(1, plan.s_banks - 1);
  // A step's buffers live from its front to its tail, emitted skew + 1 steps later.
  plan.step_slots = plan.skew + 2;
  // Tiles of a group share each K/V load (which otherwise bounds the run: a block's K and V
  // cost about as much DMA time as its compute), one O bank each.
  plan.group = std::min<std::uint32_t>(kMaxGroup, plan.o_banks);
  plan.tile_slots = 2 * plan.group;
  // K/V buffers likewise: the front of step g + skew (its loads) is emitted before the P V
  // of step g - 1, so skew + 2 consecutive steps hold K/V buffers at once: as many blocks as
  // they span (kv_blocks_in_flight), up to skew + 2 when groups have one tile (one head per
  // core after another, or a group whose first tile ends on a block boundary). With fewer
  // buffers a load emitted ahead would be registered on a buffer before the P V that must
  // still read the older block there: race-free by the protocol, but P V would read the
  // newer block.
  plan.kv_slots = std::max(kKvSlots, kv_blocks_in_flight(plan));
  // Shorter blocks, then fewer K/V buffers, when the buffers do not fit SBUF (a small
  // chip's); never fewer than one chunk of keys or the blocks in flight.
  Layout l = layout(plan);
  while (l.total > cfg.sbuf.bytes_per_partition &&
         (plan.block > t || plan.kv_slots > kv_blocks_in_flight(plan))) {
    if (plan.block > t) {
      plan.block -= t;
      plan.kv_slots = std::max(plan.kv_slots, kv_blocks_in_flight(plan));
    } else {
      --plan.kv_slots;
    }
    l = layout(plan);
  }
  plan.sbuf_bytes = l.total;
  if (l.total > cfg.sbuf.bytes_per_partition) {
    fail(fmt::format("head-dim={} needs {} bytes of SBUF per partition; config '{}' has {}",
                     o.head_dim, l.total, cfg.name, cfg.sbuf.bytes_per_partition));
  }
  const double eb = isa::dtype_bytes(o.dtype);
  const double hbm = static_cast<double>(o.heads) * o.head_dim * eb *
                     (2.0 * static_cast<double>(o.seq) + 2.0 * static_cast<double>(plan.kv_seq));
  if (hbm > static_cast<double>(cfg.hbm.capacity_bytes)) {
    fail(fmt::format("QT, KT, V and O need {:.0f} bytes of HBM; config '{}' has {}", hbm, cfg.name,
                     cfg.hbm.capacity_bytes));
  }
  // Instructions per step: at most 16 of its own, 3 per chunk of keys (a V load, a transpose,
  // a P V matmul) and 2 per dk rows of the head dim (a K load, a Q K^T matmul).
  const double blocks = static_cast<double>(o.heads) * (o.seq / t) *
                        static_cast<double>(ceil_div(plan.kv_seq, plan.block));
  const double per_block = 16.0 + 3.0 * (plan.block / t) + 2.0 * (o.head_dim / plan.dk);
  if (blocks * per_block > static_cast<double>(std::numeric_limits<std::uint32_t>::max())) {
    fail(fmt::format("{} blocks need about {:.0f} instructions, more than a trace can hold", blocks,
                     blocks * per_block));
  }
  // Queues: Q tiles and O tiles one each (one DMA per tile, rare), K and V chunks the rest, in
  // turn, so that descriptors of one block issue in parallel.
  const std::uint32_t queues =
      std::min<std::uint32_t>(cfg.dma.queues, std::numeric_limits<std::uint8_t>::max() + 1);
  if (queues < 3) {
    plan.load_queues = queue_range(0, queues);
    plan.q_queue = 0;
    plan.store_queue = static_cast<std::uint8_t>(queues - 1);
  } else {
    plan.load_queues = queue_range(0, queues - 2);
    plan.q_queue = static_cast<std::uint8_t>(queues - 2);
    plan.store_queue = static_cast<std::uint8_t>(queues - 1);
  }
  return plan;
}

trace::Program attention(const AttentionOptions& options, const config::SystemConfig& cfg) {
  const AttentionPlan plan = plan_attention(options, cfg);
  const AttentionOptions& o = options;
  ProgramBuilder b(kFile);
  auto tensor = [&](std::string name, std::uint64_t rows, std::uint64_t cols, std::uint64_t seed,
                    bool output) {
    trace::TensorDecl t;
    t.name = std::move(name);
    t.dtype = o.dtype;
    t.shape = {rows, cols};
    if (output) {
      t.output = true;
    } else {
      t.init = trace::InitKind::kRandom;
      t.seed = seed;
    }
    return b.add_tensor(std::move(t));
  };
  const std::uint32_t qt = tensor("QT", o.heads * o.head_dim, o.seq, o.seed, false);
  const std::uint32_t kt = tensor("KT", o.heads * o.head_dim, plan.kv_seq, o.seed + 1, false);
  const std::uint32_t v = o.v_by_token
                              ? tensor("V", plan.kv_seq, o.heads * o.head_dim, o.seed + 2, false)
                              : tensor("V", o.heads * plan.kv_seq, o.head_dim, o.seed + 2, false);
  const std::uint32_t out = o.transposed_out ? tensor("OT", o.heads * o.head_dim, o.seq, 0, true)
                                             : tensor("O", o.heads * o.seq, o.head_dim, 0, true);
  const auto cores = static_cast<std::uint32_t>(std::min<std::uint64_t>(o.cores, o.heads));
  for (std::uint32_t c = 0; c < cores; ++c)
    AttentionEmitter(b, plan, cfg, qt, kt, v, out).run(c);
  return b.take();
}

std::string describe(const AttentionPlan& plan) {
  const AttentionOptions& o = plan.options;
  return fmt::format(
      "attention H={} L={} Lk={} d={} {}{} scale={}: tiles of {} queries, blocks of {} keys, "
      "skew {} blocks, groups of {} tiles, {} K/V buffers, PSUM banks {}/{}/{} (S/P^T/O), {} B of "
      "SBUF per "
      "partition, {} K/V DMA queues, {} cores\n",
      o.heads, o.seq, plan.kv_seq, o.head_dim, isa::dtype_name(o.dtype), o.causal ? " causal" : "",
      plan.scale, plan.tile, plan.block, plan.skew, plan.group, plan.kv_slots, plan.s_banks,
      plan.pt_banks, plan.o_banks, plan.sbuf_bytes, plan.load_queues.size(),
      std::min<std::uint64_t>(o.cores, o.heads));
}

double attention_flops(const AttentionOptions& o) {
  const double lq = static_cast<double>(o.seq);
  const double lk = static_cast<double>(o.kv_seq == 0 ? o.seq : o.kv_seq);
  // Causal: query q attends to lk - lq + q + 1 keys.
  const double pairs = o.causal ? lq * (lk - lq) + lq * (lq + 1) / 2 : lq * lk;
  return 4.0 * pairs * static_cast<double>(o.head_dim) * static_cast<double>(o.heads);
}

io::Array attention_reference(const AttentionOptions& o) {
  const std::uint64_t lq = o.seq, lk = o.kv_seq == 0 ? o.seq : o.kv_seq, d = o.head_dim;
  auto input = [&](std::uint64_t rows, std::uint64_t cols, std::uint64_t seed) {
    trace::TensorDecl t;
    t.dtype = o.dtype;
    t.shape = {rows, cols};
    t.init = trace::InitKind::kRandom;
    t.seed = seed;
    return functional::random_tensor(t);
  };
  const std::vector<float> qt = input(o.heads * d, lq, o.seed);
  const std::vector<float> kt = input(o.heads * d, lk, o.seed + 1);
  // V [H*Lk, d], or by token [Lk, H*d].
  const std::vector<float> v_in =
      input(o.v_by_token ? lk : o.heads * lk, o.v_by_token ? o.heads * d : d, o.seed + 2);
  auto v = [&](std::uint64_t h, std::uint64_t k, std::uint64_t e) {
    return o.v_by_token ? v_in[k * o.heads * d + h * d + e] : v_in[(h * lk + k) * d + e];
  };
  const double scale = o.scale ? *o.scale : 1.0 / std::sqrt(static_cast<double>(d));
  std::vector<float> out(o.heads * lq * d);
  std::vector<double> s(lk), acc(d);
  for (std::uint64_t h = 0; h < o.heads; ++h) {
    for (std::uint64_t q = 0; q < lq; ++q) {
      const std::uint64_t keys = o.causal ? lk - lq + q + 1 : lk;
      double max = -std::numeric_limits<double>::infinity();
      for (std::uint64_t k = 0; k < keys; ++k) {
        double dot = 0;
        for (std::uint64_t e = 0; e < d; ++e)
          dot += static_cast<double>(qt[(h * d + e) * lq + q]) * kt[(h * d + e) * lk + k];
        s[k] = dot * scale;
        max = std::max(max, s[k]);
      }
      double sum = 0;
      std::fill(acc.begin(), acc.end(), 0.0);
      for (std::uint64_t k = 0; k < keys; ++k) {
        const double p = std::exp(s[k] - max);
        sum += p;
        for (std::uint64_t e = 0; e < d; ++e)
          acc[e] += p * v(h, k, e);
      }
      for (std::uint64_t e = 0; e < d; ++e) {
        const float value = static_cast<float>(acc[e] / sum);
        if (o.transposed_out) {
          out[(h * d + e) * lq + q] = value;
        } else {
          out[(h * lq + q) * d + e] = value;
        }
      }
    }
  }
  if (o.transposed_out) return io::make_array(o.dtype, {o.heads * d, lq}, out);
  return io::make_array(o.dtype, {o.heads * lq, d}, out);
}

}  // namespace trnsim::gen
