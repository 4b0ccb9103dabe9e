#include "gen/norms.h"

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
// Buffer sets in rotation: one loading, one computing, one storing. More would only let
// loads run further ahead of a compute that is not the bottleneck.
constexpr std::uint32_t kMaxSlots = 3;
// Per-partition scalars of one tile (row max, sums, mean, variance, ...): fp32 words.
constexpr std::uint32_t kStatWords = 16;
// Buffer offsets are kept to this alignment, so every access starts on a clean boundary.
constexpr std::uint64_t kAlign = 64;

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) {
  return (a + b - 1) / b;
}
std::uint64_t align_up(std::uint64_t a) {
  return ceil_div(a, kAlign) * kAlign;
}

std::string file_of(NormKind kind) {
  return fmt::format("gen {}", norm_name(kind));
}

[[noreturn]] void fail(NormKind kind, std::string message) {
  throw InputError(file_of(kind), 0, 0, std::move(message));
}

// Parameter rows (gamma, beta) each kind applies.
std::uint32_t param_count(NormKind kind) {
  switch (kind) {
    case NormKind::kSoftmax:
      return 0;
    case NormKind::kLayerNorm:
      return 2;
    case NormKind::kRmsNorm:
      return 1;
  }
  return 0;
}

// Byte layout of one buffer set, per partition.
struct SlotLayout {
  std::uint64_t x = 0, work = 0, y = 0, stats = 0, yt = 0, bytes = 0;
};

// Bytes per partition of one tile's transposed blocks, side by side (0 unless transposed).
std::uint64_t yt_bytes(const NormOptions& o, std::uint32_t blocks, std::uint32_t tile_rows) {
  return o.transposed ? std::uint64_t{blocks} * tile_rows * isa::dtype_bytes(o.dtype) : 0;
}

SlotLayout slot_layout(const NormOptions& o, std::uint64_t yt) {
  const std::uint64_t in = o.cols * isa::dtype_bytes(o.dtype);
  SlotLayout l;
  l.x = 0;
  l.work = align_up(in);
  l.y = l.work + align_up(o.cols * isa::dtype_bytes(kF32));
  l.stats = l.y + align_up(in);
  l.yt = l.stats + align_up(kStatWords * isa::dtype_bytes(kF32));
  l.bytes = l.yt + align_up(yt);
  return l;
}

void validate(const NormOptions& o, const config::SystemConfig& cfg) {
  if (o.rows == 0 || o.cols == 0) {
    fail(o.kind,
         fmt::format("rows and cols must be at least 1, got rows={} cols={}", o.rows, o.cols));
  }
  const std::uint64_t max_dim = std::numeric_limits<std::uint32_t>::max();
  if (o.rows > max_dim) {
    fail(o.kind, fmt::format("rows are limited to {} (a tensor dimension of the trace format), "
                             "got {}",
                             max_dim, o.rows));
  }
  // A row lives in one partition and every compute instruction reads it whole.
  const std::uint64_t max_cols =
      std::min<std::uint64_t>(isa::kMaxPatternSize, isa::kMaxSbufFreeElements);
  if (o.cols > max_cols) {
    fail(o.kind,
         fmt::format("cols={} is too long: a row is one partition's free dimension, which a "
                     "compute instruction takes in one pattern dimension of at most {} elements",
                     o.cols, max_cols));
  }
  if (o.dtype != DType::kBf16 && o.dtype != kF32) {
    fail(o.kind,
         fmt::format("dtype {} is not supported (one of: bf16, fp32)", isa::dtype_name(o.dtype)));
  }
  if (o.kind != NormKind::kSoftmax && (!std::isfinite(o.eps) || o.eps < 0)) {
    fail(o.kind, fmt::format("eps must be a finite number >= 0, got {}", o.eps));
  }
  if (cfg.sbuf.partitions == 0 || cfg.dma.queues == 0 || cfg.dma.engines == 0) {
    fail(o.kind, fmt::format("config '{}' needs sbuf.partitions, dma.engines and dma.queues > 0",
                             cfg.name));
  }
}

// How many queues a class of traffic needs so that issuing its DMAs (descriptor_ns each)
// keeps up with moving them: one, unless a tile moves faster than a descriptor issues.
std::uint32_t queues_for(double tile_bytes, const config::SystemConfig& cfg) {
  const double bandwidth = cfg.dma.engines * cfg.dma.engine_bandwidth_gb_s;  // bytes per ns
  const double tile_ns = tile_bytes / bandwidth;
  if (tile_ns <= 0) return 1;
  return static_cast<std::uint32_t>(std::max(1.0, std::ceil(cfg.dma.descriptor_ns / tile_ns)));
}

std::vector<std::uint8_t> queue_range(std::uint32_t first, std::uint32_t count) {
  std::vector<std::uint8_t> out;
  for (std::uint32_t q = first; q < first + count; ++q)
    out.push_back(static_cast<std::uint8_t>(q));
  return out;
}

// --- emission ------------------------------------------------------------------------------

class NormEmitter {
 public:
  NormEmitter(ProgramBuilder& b, const NormPlan& plan, const config::SystemConfig& cfg)
      : m_b(b), m_plan(plan), m_o(plan.options), m_bank_bytes(cfg.psum.bank_bytes) {
    m_layout = slot_layout(m_o, yt_bytes(m_o, plan.t_blocks, plan.tile_rows));
  }

  void run(std::uint32_t x_tensor, std::uint32_t y_tensor, std::uint32_t gamma_tensor,
           std::uint32_t beta_tensor) {
    m_x_tensor = x_tensor;
    m_y_tensor = y_tensor;
    m_b.begin_core(trace::CoreId{0, 0});
    for (std::uint32_t s = 0; s < m_plan.slots; ++s) {
      m_x.emplace_back(m_b.add_semaphore(fmt::format("x{}", s)));
      m_w.emplace_back(m_b.add_semaphore(fmt::format("w{}", s)));
      m_y.emplace_back(m_b.add_semaphore(fmt::format("y{}", s)));
      m_st.emplace_back(m_b.add_semaphore(fmt::format("st{}", s)));
      if (m_o.transposed) m_yt.emplace_back(m_b.add_semaphore(fmt::format("yt{}", s)));
    }
    for (std::uint32_t b = 0; b < m_plan.t_banks; ++b)
      m_tp.emplace_back(m_b.add_semaphore(fmt::format("tp{}", b)));
    const std::uint32_t params = param_count(m_o.kind);
    if (params >= 1) m_gamma_sem = m_b.add_semaphore("gamma_in");
    if (params >= 2) m_beta_sem = m_b.add_semaphore("beta_in");
    const std::uint32_t partitions =
        static_cast<std::uint32_t>(std::min<std::uint64_t>(m_plan.tile_rows, m_o.rows));
    if (params >= 1)
      m_gamma_dmas = load_param(gamma_tensor, gamma_offset(), partitions, m_gamma_sem);
    if (params >= 2) m_beta_dmas = load_param(beta_tensor, beta_offset(), partitions, m_beta_sem);

    // Each tile's work is split in two stages at its scalar-engine pass: the front ends with
    // it, the back follows it. With two or more buffer sets the back of tile t-1 is emitted
    // after the front of tile t, so that in the vector engine's stream it sits between the
    // two, and the scalar engine's pass over tile t overlaps it instead of waiting behind it.
    // Tiles t-1 and t use different sets, so every buffer still sees its accesses in the
    // order they are registered here.
    const bool skew = m_plan.slots >= 2;
    for (std::uint32_t t = 0; t < m_plan.tiles; ++t) {
      load(tile(t));
      compute(tile(t), Stage::kFront);
      if (!skew) {
        compute(tile(t), Stage::kBack);
        store(tile(t));
      } else if (t > 0) {
        compute(tile(t - 1), Stage::kBack);
        store(tile(t - 1));
      }
    }
    if (skew && m_plan.tiles > 0) {
      compute(tile(m_plan.tiles - 1), Stage::kBack);
      store(tile(m_plan.tiles - 1));
    }
  }

 private:
  enum class Stage : std::uint8_t { kFront, kBack };
  struct Tile {
    std::uint32_t slot = 0;  // buffer set
    std::uint64_t row = 0;   // first row
    std::uint32_t rows = 0;  // partitions
  };
  Tile tile(std::uint32_t t) const {
    const std::uint64_t row = std::uint64_t{t} * m_plan.tile_rows;
    return {t % m_plan.slots, row,
            static_cast<std::uint32_t>(std::min<std::uint64_t>(m_plan.tile_rows, m_o.rows - row))};
  }
  void compute(const Tile& t, Stage stage) {
    switch (m_o.kind) {
      case NormKind::kSoftmax:
        softmax(t.slot, t.rows, stage);
        break;
      case NormKind::kLayerNorm:
        layernorm(t.slot, t.rows, stage);
        break;
      case NormKind::kRmsNorm:
        rmsnorm(t.slot, t.rows, stage);
        break;
    }
  }

  std::uint64_t base(std::uint32_t s) const { return std::uint64_t{s} * m_plan.slot_bytes; }
  std::uint64_t gamma_offset() const { return m_plan.slots * m_plan.slot_bytes; }
  std::uint64_t beta_offset() const {
    return gamma_offset() + align_up(m_o.cols * isa::dtype_bytes(m_o.dtype));
  }
  auto cols() const { return static_cast<std::uint32_t>(m_o.cols); }

  trace::Operand x(std::uint32_t s, std::uint32_t rows) const {
    return m_b.sbuf(rows, base(s) + m_layout.x, m_o.dtype, cols());
  }
  trace::Operand work(std::uint32_t s, std::uint32_t rows) const {
    return m_b.sbuf(rows, base(s) + m_layout.work, kF32, cols());
  }
  trace::Operand y(std::uint32_t s, std::uint32_t rows) const {
    return m_b.sbuf(rows, base(s) + m_layout.y, m_o.dtype, cols());
  }
  // `count` fp32 statistics words from word `word` of the tile's statistics area.
  trace::Operand stat(std::uint32_t s, std::uint32_t rows, std::uint32_t word,
                      std::uint32_t count = 1) const {
    return m_b.sbuf(rows, base(s) + m_layout.stats + word * isa::dtype_bytes(kF32), kF32, count);
  }
  trace::Operand param(std::uint64_t offset, std::uint32_t rows) const {
    return m_b.sbuf(rows, offset, m_o.dtype, cols());
  }

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
  // Readers of gamma and beta wait until every DMA that broadcasts them has landed; nothing
  // overwrites them, so readers need not post.
  Wait gamma_ready() const { return {m_gamma_sem, m_gamma_dmas}; }
  Wait beta_ready() const { return {m_beta_sem, m_beta_dmas}; }

  // gamma or beta ([1, D]) into every partition a tile uses, in their own dtype (a copy that
  // converts moves element by element, far slower; bf16 values are exact in the engines'
  // fp32 anyway). A tensor slice maps its rows onto partitions one to one and cannot
  // broadcast, and a DMA per partition costs a descriptor and a transfer on one engine each
  // (about 100 us for 2 x 128 rows of 4096 on trn2). So the row is loaded into partition 0
  // and then doubled by SBUF -> SBUF copies, [0, n) -> [n, 2n): log2(partitions) + 1 DMAs,
  // each waiting for the ones before it (`ready` counts them), spread over the queues tiles
  // do not use. Returns the number of DMAs, which readers wait for.
  std::int64_t load_param(std::uint32_t tensor, std::uint64_t offset, std::uint32_t partitions,
                          std::uint32_t ready) {
    m_b.emit({Engine::kDma, next(m_plan.param_queues, m_param_turn)}, Opcode::kCopy,
             {op(param(offset, 1)), op(m_b.slice(tensor, 0, 1, 0, m_o.cols))}, {{}, {ready}});
    std::int64_t dmas = 1;
    for (std::uint32_t have = 1; have < partitions; have *= 2) {
      const std::uint32_t n = std::min(have, partitions - have);
      trace::Operand dst = param(offset, n);
      dst.part_begin = have;
      dst.part_end = have + n;
      m_b.emit({Engine::kDma, next(m_plan.param_queues, m_param_turn)}, Opcode::kCopy,
               {op(dst), op(param(offset, n))}, {{Wait{ready, dmas}}, {ready}});
      ++dmas;
    }
    return dmas;
  }

  void load(const Tile& t) {
    GuardedBuffer& xb = m_x[t.slot];
    m_b.emit({Engine::kDma, next(m_plan.load_queues, m_load_turn)}, Opcode::kCopy,
             {op(x(t.slot, t.rows)), op(m_b.slice(m_x_tensor, t.row, t.row + t.rows, 0, m_o.cols))},
             {{xb.write()}, {xb.semaphore()}});
  }

  void store(const Tile& t) {
    if (m_o.transposed) {
      store_transposed(t);
      return;
    }
    GuardedBuffer& yb = m_y[t.slot];
    m_b.emit({Engine::kDma, next(m_plan.store_queues, m_store_turn)}, Opcode::kCopy,
             {op(m_b.slice(m_y_tensor, t.row, t.row + t.rows, 0, m_o.cols)), op(y(t.slot, t.rows))},
             {{yb.read()}, {yb.semaphore()}});
  }

  // YT[c0:c0+w, rows of the tile] for each block of w columns of y: the tensor engine
  // transposes the blocks into a PSUM bank (several per bank, side by side), the scalar
  // engine (the least busy one in every kind) copies each bank's blocks to the tile's yt
  // area, and one DMA per block stores them. Blocks of a bank share one copy when they have
  // the same width (all but a narrower last block of D).
  void store_transposed(const Tile& t) {
    GuardedBuffer &yb = m_y[t.slot], &ytb = m_yt[t.slot];
    const std::uint32_t eb = isa::dtype_bytes(m_o.dtype);
    auto width = [&](std::uint32_t block) {
      return static_cast<std::uint32_t>(
          std::min<std::uint64_t>(m_plan.t_cols, m_o.cols - std::uint64_t{block} * m_plan.t_cols));
    };
    auto yt_at = [&](std::uint32_t block) {
      return base(t.slot) + m_layout.yt + std::uint64_t{block} * t.rows * eb;
    };
    bool first_copy = true;
    for (std::uint32_t g = 0; g < m_plan.t_blocks; g += m_plan.t_per_bank) {
      const std::uint32_t n = std::min(m_plan.t_per_bank, m_plan.t_blocks - g);
      const std::uint32_t bank_index = m_bank_turn++ % m_plan.t_banks;
      GuardedBuffer& bank = m_tp[bank_index];
      auto in_bank = [&](std::uint32_t j, std::uint32_t partitions, std::uint32_t elements) {
        trace::Operand p = m_b.sbuf(partitions, 0, m_o.dtype, elements);
        p.form = trace::OperandForm::kPsumOffset;
        p.offset = std::uint64_t{bank_index} * m_bank_bytes + std::uint64_t{j} * t.rows * eb;
        return p;
      };
      for (std::uint32_t j = 0; j < n; ++j) {
        const std::uint32_t w = width(g + j);
        const trace::Operand src =
            m_b.sbuf(t.rows, base(t.slot) + m_layout.y + std::uint64_t{g + j} * m_plan.t_cols * eb,
                     m_o.dtype, w);
        m_b.emit({Engine::kPe}, Opcode::kTranspose, {op(in_bank(j, w, t.rows)), op(src)},
                 {{yb.read(), j == 0 ? bank.write() : bank.accumulate()},
                  {yb.semaphore(), bank.semaphore()}});
      }
      // Runs of blocks of equal width, one copy each.
      for (std::uint32_t j = 0; j < n;) {
        std::uint32_t e = j + 1;
        while (e < n && width(g + e) == width(g + j))
          ++e;
        const std::uint32_t w = width(g + j);
        m_b.emit({Engine::kAct}, Opcode::kTensorCopy,
                 {op(m_b.sbuf(w, yt_at(g + j), m_o.dtype, (e - j) * t.rows)),
                  op(in_bank(j, w, (e - j) * t.rows))},
                 {{bank.read(), first_copy ? ytb.write() : ytb.accumulate()},
                  {bank.semaphore(), ytb.semaphore()}});
        first_copy = false;
        j = e;
      }
    }
    for (std::uint32_t b = 0; b < m_plan.t_blocks; ++b) {
      const std::uint64_t c0 = std::uint64_t{b} * m_plan.t_cols;
      const std::uint32_t w = width(b);
      m_b.emit({Engine::kDma, next(m_plan.store_queues, m_store_turn)}, Opcode::kCopy,
               {op(m_b.slice(m_y_tensor, c0, c0 + w, t.row, t.row + t.rows)),
                op(m_b.sbuf(w, yt_at(b), m_o.dtype, t.rows))},
               {{ytb.read()}, {ytb.semaphore()}});
    }
  }

  // Statistics words are written and read by turns on several engines; every access but a
  // tile's last takes the whole area exclusively (a write phase of its own), which orders
  // them simply.
  void softmax(std::uint32_t s, std::uint32_t rows, Stage stage) {
    GuardedBuffer &xb = m_x[s], &wb = m_w[s], &yb = m_y[s], &st = m_st[s];
    if (stage == Stage::kFront) {
      // Row max (word 0), negated (word 1): the bias that makes exp's largest argument 0.
      m_b.emit({Engine::kDve}, Opcode::kTensorReduce,
               {op(stat(s, rows, 0)), op(x(s, rows)), attr(Attr::kOp, Word::kMax)},
               {{xb.read(), st.write()}, {xb.semaphore(), st.semaphore()}});
      m_b.emit({Engine::kDve}, Opcode::kTensorScalar,
               {op(stat(s, rows, 1)), op(stat(s, rows, 0)), attr(Attr::kOp0, Word::kMul),
                attr(Attr::kS0, -1.0)},
               {{st.write()}, {st.semaphore()}});
      // e = exp(x - max) in fp32, and the row sums of e (word 2) in the same pass.
      m_b.emit(
          {Engine::kAct}, Opcode::kActivation,
          {op(work(s, rows)), op(x(s, rows)), attr(Attr::kFunc, Word::kExp),
           attr(Attr::kBias, stat(s, rows, 1)), attr(Attr::kAccum, stat(s, rows, 2))},
          {{xb.read(), wb.write(), st.write()}, {xb.semaphore(), wb.semaphore(), st.semaphore()}});
      return;
    }
    // y = e / sum: a division rather than a multiplication by a reciprocal, one rounding.
    m_b.emit(
        {Engine::kDve}, Opcode::kTensorScalar,
        {op(y(s, rows)), op(work(s, rows)), attr(Attr::kOp0, Word::kDiv),
         attr(Attr::kS0, stat(s, rows, 2))},
        {{wb.read(), st.read(), yb.write()}, {wb.semaphore(), st.semaphore(), yb.semaphore()}});
  }

  // r = (var + eps)^-1/2 into word `out` from the variance in word `var`, on the vector
  // engine (pow), next to the statistics it follows.
  void inverse_std(std::uint32_t s, std::uint32_t rows, std::uint32_t out, std::uint32_t var) {
    GuardedBuffer& st = m_st[s];
    m_b.emit({Engine::kDve}, Opcode::kTensorScalar,
             {op(stat(s, rows, out)), op(stat(s, rows, var)), attr(Attr::kOp0, Word::kAdd),
              attr(Attr::kS0, m_o.eps), attr(Attr::kOp1, Word::kPow), attr(Attr::kS1, -0.5)},
             {{st.write()}, {st.semaphore()}});
  }

  void layernorm(std::uint32_t s, std::uint32_t rows, Stage stage) {
    GuardedBuffer &xb = m_x[s], &wb = m_w[s], &yb = m_y[s], &st = m_st[s];
    if (stage == Stage::kFront) {
      // Words 0-5: the bn_stats record; 6, 7: mean, variance; 8: r; 9: -mean * r.
      m_b.emit({Engine::kDve}, Opcode::kBnStats, {op(stat(s, rows, 0, 6)), op(x(s, rows))},
               {{xb.read(), st.write()}, {xb.semaphore(), st.semaphore()}});
      m_b.emit({Engine::kDve}, Opcode::kBnAggr, {op(stat(s, rows, 6, 2)), op(stat(s, rows, 0, 6))},
               {{st.write()}, {st.semaphore()}});
      inverse_std(s, rows, 8, 7);
      m_b.emit(
          {Engine::kDve}, Opcode::kTensorScalar,
          {op(stat(s, rows, 9)), op(stat(s, rows, 6)), attr(Attr::kOp0, Word::kMul),
           attr(Attr::kS0, stat(s, rows, 8)), attr(Attr::kOp1, Word::kMul), attr(Attr::kS1, -1.0)},
          {{st.write()}, {st.semaphore()}});
      // n = x * r - mean * r: the one full pass on the scalar engine.
      m_b.emit(
          {Engine::kAct}, Opcode::kActivation,
          {op(work(s, rows)), op(x(s, rows)), attr(Attr::kFunc, Word::kIdentity),
           attr(Attr::kScale, stat(s, rows, 8)), attr(Attr::kBias, stat(s, rows, 9))},
          {{xb.read(), st.read(), wb.write()}, {xb.semaphore(), st.semaphore(), wb.semaphore()}});
      return;
    }
    // n *= gamma in place (vector), then y = n + beta (GpSimd), so that neither engine makes
    // more than about one pass per tile.
    m_b.emit({Engine::kDve}, Opcode::kTensorTensor,
             {op(work(s, rows)), op(work(s, rows)), op(param(gamma_offset(), rows)),
              attr(Attr::kOp, Word::kMul)},
             {{wb.write(), gamma_ready()}, {wb.semaphore()}});
    m_b.emit({Engine::kPool}, Opcode::kTensorTensor,
             {op(y(s, rows)), op(work(s, rows)), op(param(beta_offset(), rows)),
              attr(Attr::kOp, Word::kAdd)},
             {{wb.read(), yb.write(), beta_ready()}, {wb.semaphore(), yb.semaphore()}});
  }

  void rmsnorm(std::uint32_t s, std::uint32_t rows, Stage stage) {
    GuardedBuffer &xb = m_x[s], &wb = m_w[s], &yb = m_y[s], &st = m_st[s];
    if (stage == Stage::kFront) {
      // Word 0: mean(x^2) as the accum= sum of (x / sqrt(D))^2; the squares themselves are
      // scratch.
      m_b.emit(
          {Engine::kAct}, Opcode::kActivation,
          {op(work(s, rows)), op(x(s, rows)), attr(Attr::kFunc, Word::kSquare),
           attr(Attr::kScale, 1.0 / std::sqrt(static_cast<double>(m_o.cols))),
           attr(Attr::kAccum, stat(s, rows, 0))},
          {{xb.read(), wb.write(), st.write()}, {xb.semaphore(), wb.semaphore(), st.semaphore()}});
      return;
    }
    // Word 1: r; then n = x * r in fp32 and y = n * gamma.
    inverse_std(s, rows, 1, 0);
    m_b.emit(
        {Engine::kDve}, Opcode::kTensorScalar,
        {op(work(s, rows)), op(x(s, rows)), attr(Attr::kOp0, Word::kMul),
         attr(Attr::kS0, stat(s, rows, 1))},
        {{xb.read(), st.read(), wb.write()}, {xb.semaphore(), st.semaphore(), wb.semaphore()}});
    m_b.emit({Engine::kDve}, Opcode::kTensorTensor,
             {op(y(s, rows)), op(work(s, rows)), op(param(gamma_offset(), rows)),
              attr(Attr::kOp, Word::kMul)},
             {{wb.read(), yb.write(), gamma_ready()}, {wb.semaphore(), yb.semaphore()}});
  }

  static std::uint8_t next(const std::vector<std::uint8_t>& queues, std::uint32_t& turn) {
    return queues[turn++ % queues.size()];
  }

  ProgramBuilder& m_b;
  const NormPlan& m_plan;
  const NormOptions& m_o;
  SlotLayout m_layout;
  std::uint32_t m_x_tensor = 0, m_y_tensor = 0;
  std::vector<GuardedBuffer> m_x, m_w, m_y, m_st, m_yt, m_tp;
  std::uint64_t m_bank_bytes = 0;
  std::uint32_t m_bank_turn = 0;
  std::uint32_t m_gamma_sem = trace::kNone, m_beta_sem = trace::kNone;
  std::int64_t m_gamma_dmas = 0, m_beta_dmas = 0;
  std::uint32_t m_load_turn = 0, m_store_turn = 0, m_param_turn = 0;
};

}  // namespace

std::string_view norm_name(NormKind kind) {
  switch (kind) {
    case NormKind::kSoftmax:
      return "softmax";
    case NormKind::kLayerNorm:
      return "layernorm";
    case NormKind::kRmsNorm:
      return "rmsnorm";
  }
  return "norm";
}

NormPlan plan_norm(const NormOptions& options, const config::SystemConfig& cfg) {
  validate(options, cfg);
  NormPlan plan;
  plan.options = options;
  const NormOptions& o = options;
  plan.tile_rows = cfg.sbuf.partitions;
  plan.tiles = static_cast<std::uint32_t>(ceil_div(o.rows, plan.tile_rows));
  if (o.transposed) {
    // A block's columns become PSUM and SBUF partitions through the PE array's columns; a
    // tile's rows, its PE rows.
    plan.t_cols = std::min({cfg.tensor.cols, cfg.psum.partitions, cfg.sbuf.partitions});
    if (plan.tile_rows > cfg.tensor.rows || plan.t_cols == 0) {
      fail(o.kind, fmt::format("--transposed needs a tensor engine of at least {} rows (the "
                               "partitions of a tile); config '{}' has {} rows and {} columns",
                               plan.tile_rows, cfg.name, cfg.tensor.rows, cfg.tensor.cols));
    }
    plan.t_blocks = static_cast<std::uint32_t>(ceil_div(o.cols, plan.t_cols));
    plan.t_per_bank = static_cast<std::uint32_t>(
        cfg.psum.bank_bytes / (std::uint64_t{plan.tile_rows} * isa::dtype_bytes(o.dtype)));
    if (plan.t_per_bank == 0 || cfg.psum.banks == 0) {
      fail(o.kind,
           fmt::format("--transposed needs PSUM banks of at least {} bytes (a block of "
                       "{} {} values); config '{}' has {} banks of {}",
                       plan.tile_rows * isa::dtype_bytes(o.dtype), plan.tile_rows,
                       isa::dtype_name(o.dtype), cfg.name, cfg.psum.banks, cfg.psum.bank_bytes));
    }
    plan.t_per_bank = std::min(plan.t_per_bank, plan.t_blocks);
    // Two banks: the tensor engine transposes into one while the other is copied out.
    plan.t_banks = std::min<std::uint32_t>(2, cfg.psum.banks);
  }
  plan.slot_bytes = slot_layout(o, yt_bytes(o, plan.t_blocks, plan.tile_rows)).bytes;
  plan.param_bytes = param_count(o.kind) * align_up(o.cols * isa::dtype_bytes(o.dtype));
  const std::uint64_t sbuf = cfg.sbuf.bytes_per_partition;
  if (plan.slot_bytes + plan.param_bytes > sbuf) {
    // The largest D whose buffers fit: every term grows by at most its bytes per column.
    const std::uint64_t per_col = 2 * isa::dtype_bytes(o.dtype) + isa::dtype_bytes(kF32) +
                                  param_count(o.kind) * isa::dtype_bytes(o.dtype) +
                                  (o.transposed ? isa::dtype_bytes(o.dtype) : 0);
    fail(o.kind,
         fmt::format("cols={} does not fit SBUF: one tile's buffers (x and y in {}, an fp32 "
                     "work row{}{}) need {} bytes per partition, and config '{}' has {}; at most "
                     "about {} cols fit",
                     o.cols, isa::dtype_name(o.dtype),
                     param_count(o.kind) == 0   ? ""
                     : param_count(o.kind) == 1 ? ", a gamma row"
                                                : ", gamma and beta rows",
                     o.transposed ? ", a transposed copy of y" : "",
                     plan.slot_bytes + plan.param_bytes, cfg.name, sbuf,
                     (sbuf - std::min(sbuf, 4 * kAlign + kStatWords * 4)) / per_col));
  }
  plan.slots = static_cast<std::uint32_t>(
      std::min<std::uint64_t>(kMaxSlots, (sbuf - plan.param_bytes) / plan.slot_bytes));

  const double hbm = static_cast<double>(o.rows) * o.cols * isa::dtype_bytes(o.dtype) * 2 +
                     static_cast<double>(param_count(o.kind)) * o.cols * isa::dtype_bytes(o.dtype);
  if (hbm > static_cast<double>(cfg.hbm.capacity_bytes)) {
    fail(o.kind, fmt::format("X and Y need {:.0f} bytes of HBM; config '{}' has {}", hbm, cfg.name,
                             cfg.hbm.capacity_bytes));
  }
  // A Program numbers its instructions with 32 bits: at most 9 per tile, and far fewer than
  // 2 per partition for the parameters.
  const double instructions = (9.0 + 3.0 * plan.t_blocks) * plan.tiles + 2.0 * plan.tile_rows;
  if (instructions > static_cast<double>(std::numeric_limits<std::uint32_t>::max())) {
    fail(o.kind, fmt::format("{} rows need {:.0f} instructions, more than a trace can hold", o.rows,
                             instructions));
  }

  // Loads and stores each get one queue unless a tile moves faster than a descriptor issues
  // (as gen gemm); parameter rows use the queues left over, or all of them.
  const std::uint32_t queues =
      std::min<std::uint32_t>(cfg.dma.queues, std::numeric_limits<std::uint8_t>::max() + 1);
  const double tile_bytes = static_cast<double>(std::min<std::uint64_t>(plan.tile_rows, o.rows)) *
                            o.cols * isa::dtype_bytes(o.dtype);
  std::uint32_t loads = queues_for(tile_bytes, cfg), stores = loads;
  if (queues < 2) {
    plan.load_queues = plan.store_queues = plan.param_queues = queue_range(0, 1);
    return plan;
  }
  while (loads + stores > queues)
    (loads >= stores ? loads : stores) -= 1;
  plan.load_queues = queue_range(0, loads);
  plan.store_queues = queue_range(loads, stores);
  plan.param_queues = loads + stores < queues ? queue_range(loads + stores, queues - loads - stores)
                                              : queue_range(0, queues);
  return plan;
}

trace::Program norm(const NormOptions& options, const config::SystemConfig& cfg) {
  const NormPlan plan = plan_norm(options, cfg);
  ProgramBuilder b(file_of(options.kind));
  auto tensor = [&](std::string name, std::uint64_t rows, std::uint64_t seed) {
    trace::TensorDecl t;
    t.name = std::move(name);
    t.dtype = options.dtype;
    t.shape = {rows, options.cols};
    t.init = trace::InitKind::kRandom;
    t.seed = seed;
    return b.add_tensor(std::move(t));
  };
  const std::uint32_t x = tensor("X", options.rows, options.seed);
  const std::uint32_t params = param_count(options.kind);
  const std::uint32_t gamma = params >= 1 ? tensor("gamma", 1, options.seed + 1) : trace::kNone;
  const std::uint32_t beta = params >= 2 ? tensor("beta", 1, options.seed + 2) : trace::kNone;
  trace::TensorDecl yt;
  yt.name = options.transposed ? "YT" : "Y";
  yt.dtype = options.dtype;
  yt.shape = options.transposed ? std::vector<std::uint64_t>{options.cols, options.rows}
                                : std::vector<std::uint64_t>{options.rows, options.cols};
  yt.output = true;
  const std::uint32_t y = b.add_tensor(std::move(yt));
  NormEmitter(b, plan, cfg).run(x, y, gamma, beta);
  return b.take();
}

trace::Program softmax(NormOptions options, const config::SystemConfig& cfg) {
  options.kind = NormKind::kSoftmax;
  return norm(options, cfg);
}
trace::Program layernorm(NormOptions options, const config::SystemConfig& cfg) {
  options.kind = NormKind::kLayerNorm;
  return norm(options, cfg);
}
trace::Program rmsnorm(NormOptions options, const config::SystemConfig& cfg) {
  options.kind = NormKind::kRmsNorm;
  return norm(options, cfg);
}

std::string describe(const NormPlan& plan) {
  const NormOptions& o = plan.options;
  std::string out = fmt::format(
      "{} {}x{} {}: {} tiles of {} rows, {} buffer sets of {} B + {} B of parameters per "
      "partition, DMA queues {}/{}/{} (X/Y/params)\n",
      norm_name(o.kind), o.rows, o.cols, isa::dtype_name(o.dtype), plan.tiles, plan.tile_rows,
      plan.slots, plan.slot_bytes, plan.param_bytes, plan.load_queues.size(),
      plan.store_queues.size(), plan.param_queues.size());
  if (o.transposed) {
    out += fmt::format(
        "  written transposed as YT: {} blocks of {} columns per tile, {} per PSUM bank, {} "
        "banks\n",
        plan.t_blocks, plan.t_cols, plan.t_per_bank, plan.t_banks);
  }
  return out;
}

io::Array norm_reference(const NormOptions& o) {
  auto input = [&](std::uint64_t rows, std::uint64_t seed) {
    trace::TensorDecl t;
    t.dtype = o.dtype;
    t.shape = {rows, o.cols};
    t.init = trace::InitKind::kRandom;
    t.seed = seed;
    return functional::random_tensor(t);
  };
  const std::vector<float> x = input(o.rows, o.seed);
  const std::uint32_t params = param_count(o.kind);
  const std::vector<float> gamma = params >= 1 ? input(1, o.seed + 1) : std::vector<float>{};
  const std::vector<float> beta = params >= 2 ? input(1, o.seed + 2) : std::vector<float>{};
  const std::uint64_t d = o.cols;
  std::vector<float> y(o.rows * d);
  for (std::uint64_t r = 0; r < o.rows; ++r) {
    const float* row = &x[r * d];
    float* out = &y[r * d];
    switch (o.kind) {
      case NormKind::kSoftmax: {
        const double max = *std::max_element(row, row + d);
        double sum = 0;
        for (std::uint64_t i = 0; i < d; ++i)
          sum += std::exp(row[i] - max);
        for (std::uint64_t i = 0; i < d; ++i)
          out[i] = static_cast<float>(std::exp(row[i] - max) / sum);
        break;
      }
      case NormKind::kLayerNorm: {
        double mean = 0, var = 0;
        for (std::uint64_t i = 0; i < d; ++i)
          mean += row[i];
        mean /= static_cast<double>(d);
        for (std::uint64_t i = 0; i < d; ++i)
          var += (row[i] - mean) * (row[i] - mean);
        var /= static_cast<double>(d);
        const double r_std = 1.0 / std::sqrt(var + o.eps);
        for (std::uint64_t i = 0; i < d; ++i)
          out[i] = static_cast<float>((row[i] - mean) * r_std * gamma[i] + beta[i]);
        break;
      }
      case NormKind::kRmsNorm: {
        double squares = 0;
        for (std::uint64_t i = 0; i < d; ++i)
          squares += static_cast<double>(row[i]) * row[i];
        const double r_std = 1.0 / std::sqrt(squares / static_cast<double>(d) + o.eps);
        for (std::uint64_t i = 0; i < d; ++i)
          out[i] = static_cast<float>(row[i] * r_std * gamma[i]);
        break;
      }
    }
  }
  if (!o.transposed) return io::make_array(o.dtype, {o.rows, d}, y);
  std::vector<float> yt(y.size());
  for (std::uint64_t r = 0; r < o.rows; ++r)
    for (std::uint64_t c = 0; c < d; ++c)
      yt[c * o.rows + r] = y[r * d + c];
  return io::make_array(o.dtype, {d, o.rows}, yt);
}

}  // namespace trnsim::gen
