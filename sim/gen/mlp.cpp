#include "gen/mlp.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "common/diagnostic.h"
#include "functional/random_init.h"
#include "gen/program_builder.h"
#include "numerics/numerics.h"

namespace trnsim::gen {

namespace {

using isa::DType;
using isa::Engine;
using isa::Opcode;
using isa::Word;

constexpr const char* kFile = "gen mlp";
constexpr DType kF32 = DType::kFp32;
// Buffer offsets are kept to this alignment, so every access starts on a clean boundary.
constexpr std::uint64_t kAlign = 64;
// Weight slots beyond the two that double-buffer: each lets loads run one more step ahead
// of the tensor engine, absorbing DMA jitter; more would only take SBUF from h^T.
constexpr std::uint32_t kMaxWeightSlots = 8;
// Bytes per partition of one weight load that small blocks grow their F groups to: a DMA
// spends a fixed cost per partition row (dma.element_overhead_ns, as configs note, >= 4 KiB
// rows reach > 95 % of an engine's bandwidth), so short rows waste the weight stream.
constexpr std::uint64_t kWeightRowBytes = 4096;

[[noreturn]] void fail(std::string message) {
  throw InputError(kFile, 0, 0, std::move(message));
}

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) {
  return (a + b - 1) / b;
}
std::uint64_t align_up(std::uint64_t a) {
  return ceil_div(a, kAlign) * kAlign;
}

constexpr DType kInputTypes[] = {DType::kBf16, DType::kFp8e4, DType::kFp32};
constexpr DType kOutputTypes[] = {DType::kFp32, DType::kBf16, DType::kFp16, DType::kFp8e4,
                                  DType::kFp8e5};

template <std::size_t N>
bool is_one_of(DType t, const DType (&list)[N]) {
  return std::find(std::begin(list), std::end(list), t) != std::end(list);
}
template <std::size_t N>
std::string names_of(const DType (&list)[N]) {
  std::string out;
  for (auto t : list)
    out += fmt::format("{}{}", out.empty() ? "" : ", ", isa::dtype_name(t));
  return out;
}

void validate(const MlpOptions& o, const config::SystemConfig& cfg) {
  if (o.tokens == 0 || o.hidden == 0 || o.ffn == 0) {
    fail(fmt::format("tokens, hidden and ffn must be at least 1, got T={} H={} F={}", o.tokens,
                     o.hidden, o.ffn));
  }
  const std::uint64_t max_dim = std::numeric_limits<std::uint32_t>::max();
  if (o.tokens > max_dim || o.hidden > max_dim || o.ffn > max_dim) {
    fail(
        fmt::format("sizes are limited to {} (a tensor dimension of the trace format), got T={} "
                    "H={} F={}",
                    max_dim, o.tokens, o.hidden, o.ffn));
  }
  if (o.cores == 0 || o.cores > cfg.chip.cores) {
    fail(
        fmt::format("cores must be between 1 and {} (the cores of one chip in config '{}'), got {}",
                    cfg.chip.cores, cfg.name, o.cores));
  }
  if (!is_one_of(o.dtype, kInputTypes)) {
    fail(fmt::format("dtype {} is not supported (one of: {})", isa::dtype_name(o.dtype),
                     names_of(kInputTypes)));
  }
  if (o.out_dtype && !is_one_of(*o.out_dtype, kOutputTypes)) {
    fail(fmt::format("out dtype {} cannot hold a floating-point result (one of: {})",
                     isa::dtype_name(*o.out_dtype), names_of(kOutputTypes)));
  }
  // Stage 1 needs the gate and the up tile of one F tile in PSUM at once.
  if (cfg.tensor.rows == 0 || cfg.tensor.cols == 0 || cfg.tensor.max_moving_free == 0 ||
      cfg.sbuf.partitions == 0 || cfg.psum.partitions == 0 || cfg.psum.banks < 2 ||
      cfg.psum.bank_bytes < isa::dtype_bytes(kF32) || cfg.dma.queues == 0) {
    fail(
        fmt::format("config '{}' has no room for the MLP's tiles: tensor.rows, tensor.cols, "
                    "tensor.max_moving_free, sbuf/psum partitions and dma.queues must be "
                    "positive, psum.banks at least 2 (gate and up) and a bank must hold an fp32",
                    cfg.name));
  }
}

std::vector<std::uint8_t> queue_range(std::uint32_t first, std::uint32_t count) {
  std::vector<std::uint8_t> out;
  for (std::uint32_t q = first; q < first + count; ++q)
    out.push_back(static_cast<std::uint8_t>(q));
  return out;
}

// Queues by traffic. XT blocks get one queue of their own, so the next block's loads start
// as soon as its buffer set is free instead of queueing behind weight loads. Weights are
// loaded one per step of matmuls, which can be shorter than the time a queue takes to issue
// one DMA (dma.descriptor_ns) when blocks are small; so the weights of the two stages take
// most queues, in equal shares, and stores (one per output tile, rarer) about a fifth. With
// fewer than four queues, everything loads on queue 0 and stores use the last.
void assign_queues(const config::SystemConfig& cfg, MlpPlan& plan) {
  const std::uint32_t queues =
      std::min<std::uint32_t>(cfg.dma.queues, std::numeric_limits<std::uint8_t>::max() + 1);
  if (queues < 4) {
    plan.xt_queues = plan.w1_queues = plan.wd_queues = queue_range(0, 1);
    plan.store_queues = queue_range(queues - 1, 1);
    return;
  }
  const std::uint32_t rest = queues - 1;
  const std::uint32_t stores = std::max(1u, rest / 5);
  const std::uint32_t w1 = (rest - stores + 1) / 2;
  const std::uint32_t wd = rest - stores - w1;
  plan.xt_queues = queue_range(0, 1);
  plan.w1_queues = queue_range(1, w1);
  plan.wd_queues = queue_range(1 + w1, wd);
  plan.store_queues = queue_range(1 + w1 + wd, stores);
}

// Places the rings in SBUF in a fixed order; returns the bytes per partition they need.
std::uint64_t lay_out(MlpPlan& p) {
  std::uint64_t at = 0;
  for (MlpRing* r : {&p.xt, &p.h, &p.work, &p.w1, &p.wd, &p.out}) {
    r->offset = at;
    at += r->bytes();
  }
  p.sbuf_bytes = at;
  return at;
}

// Sizes every ring for token blocks of `block` tokens with the fewest slots that overlap
// loads with compute; returns whether that fits SBUF.
bool size_for_block(MlpPlan& p, std::uint32_t block, std::uint32_t cores, std::uint64_t sbuf) {
  const MlpOptions& o = p.options;
  const std::uint32_t in = isa::dtype_bytes(o.dtype);
  const std::uint32_t out = isa::dtype_bytes(*o.out_dtype);
  p.block = block;
  p.blocks = static_cast<std::uint32_t>(ceil_div(o.tokens, block));
  // Half the banks accumulate while the other half are evacuated: gate and up of an F group
  // take a bank each per f_pack tiles. A block narrower than a bank leaves room for several
  // tiles side by side, and a wider F group then loads longer weight rows (decode shapes,
  // whose matmuls are short and whose time is the weight stream).
  p.f_pack = std::max(1u, p.tile_n / block);
  const std::uint32_t banks = std::max(1u, p.psum_banks / 4);
  const auto by_row = static_cast<std::uint32_t>(
      std::max<std::uint64_t>(1, kWeightRowBytes / (std::uint64_t{p.tile_f} * in)));
  p.f_group = std::clamp(std::min(banks * p.f_pack, std::max(banks, by_row)), 1u, p.f_tiles);
  const std::uint32_t sub_blocks = static_cast<std::uint32_t>(ceil_div(block, p.tile_t));
  const std::uint32_t half = std::max(1u, p.psum_banks / 2);
  p.t_group = std::min(sub_blocks, half);
  p.n_group = std::clamp(half / p.t_group, 1u, p.n_tiles);
  // Two XT sets let the next block load while this one computes, if a core has a next one.
  const bool several = ceil_div(p.blocks, cores) > 1;
  p.xt = {several ? 2u : 1u, align_up(std::uint64_t{p.h_chunks} * block * in), 0};
  p.h = {p.f_tiles, align_up(std::uint64_t{block} * in), 0};
  p.work = {2, align_up(std::uint64_t{block} * isa::dtype_bytes(kF32)), 0};
  p.w1 = {2, align_up(2ull * p.f_group * p.tile_f * in), 0};
  p.wd = {2, align_up(std::min<std::uint64_t>(o.hidden, std::uint64_t{p.n_group} * p.tile_n) * in),
          0};
  p.out = {1, align_up(std::min<std::uint64_t>(o.hidden, p.tile_n) * out), 0};
  if (lay_out(p) <= sbuf) return true;
  // Longer weight rows are only worth having if they fit; the plain group may.
  const std::uint32_t plain = std::min(banks, p.f_tiles);
  if (p.f_group == plain) return false;
  p.f_group = plain;
  p.w1.slot_bytes = align_up(2ull * p.f_group * p.tile_f * in);
  return lay_out(p) <= sbuf;
}

// Gives the weight and output rings spare slots, one at a time in turn, while SBUF has room.
void add_spare_slots(MlpPlan& p, std::uint64_t sbuf) {
  const std::uint32_t out_target = 2 * p.t_group * p.n_group;
  MlpRing* rings[] = {&p.out, &p.w1, &p.wd};
  const std::uint32_t targets[] = {out_target, kMaxWeightSlots, kMaxWeightSlots};
  for (bool grew = true; grew;) {
    grew = false;
    for (std::size_t r = 0; r < std::size(rings); ++r) {
      if (rings[r]->slots >= targets[r]) continue;
      ++rings[r]->slots;
      if (lay_out(p) <= sbuf) {
        grew = true;
      } else {
        --rings[r]->slots;
      }
    }
  }
  lay_out(p);
}

// --- emission ------------------------------------------------------------------------------

struct Tensors {
  std::uint32_t xt = 0, wg = 0, wu = 0, wd = 0, y = 0;
};

// Emits one core's instructions, in the order the program means things to happen to each
// buffer: per block its XT loads, then stage 1 (per F group: per H chunk the weight loads and
// matmuls, then silu and the product into h^T), then stage 2 (per group of output tiles: per
// F tile a Wd load and its matmuls, then the evacuations and stores).
class MlpEmitter {
 public:
  MlpEmitter(ProgramBuilder& b, const MlpPlan& plan, std::uint32_t core, const Tensors& t,
             std::uint64_t bank_bytes)
      : m_b(b), m_p(plan), m_o(plan.options), m_core(core), m_t(t), m_bank_bytes(bank_bytes) {}

  void run() {
    m_b.begin_core(trace::CoreId{0, m_core});
    declare("xt", m_p.xt.slots * m_p.h_chunks, m_xt);
    declare("h", m_p.h.slots, m_h);
    declare("work", m_p.work.slots, m_work);
    declare("w", m_p.w1.slots, m_w1);
    declare("wd", m_p.wd.slots, m_wd);
    declare("ps", m_p.psum_banks, m_banks);
    declare("y", m_p.out.slots, m_out);
    const auto [first, end] = m_p.core_blocks[m_core];
    for (std::uint32_t blk = first; blk < end; ++blk) {
      Block b;
      b.set = (blk - first) % m_p.xt.slots;
      b.t0 = std::uint64_t{blk} * m_p.block;
      b.len = static_cast<std::uint32_t>(std::min<std::uint64_t>(m_p.block, m_o.tokens - b.t0));
      load_xt(b);
      stage1(b);
      stage2(b);
    }
  }

 private:
  struct Block {
    std::uint32_t set = 0;  // XT buffer set
    std::uint64_t t0 = 0;   // first token
    std::uint32_t len = 0;  // tokens
  };

  void declare(std::string_view prefix, std::uint32_t count, std::vector<GuardedBuffer>& out) {
    for (std::uint32_t i = 0; i < count; ++i)
      out.emplace_back(m_b.add_semaphore(fmt::format("{}{}", prefix, i)));
  }
  static std::uint8_t next(const std::vector<std::uint8_t>& queues, std::uint32_t& turn) {
    return queues[turn++ % queues.size()];
  }
  std::uint32_t in_bytes() const { return isa::dtype_bytes(m_o.dtype); }
  std::uint32_t rows_of(std::uint64_t size, std::uint32_t tile, std::uint32_t i) const {
    return static_cast<std::uint32_t>(
        std::min<std::uint64_t>(size - std::uint64_t{i} * tile, tile));
  }
  std::uint32_t next_bank() { return m_bank_turn++ % m_p.psum_banks; }
  trace::Arg op(const trace::Operand& operand) { return m_b.operand(operand); }
  static trace::Arg acc(bool start) {
    return ProgramBuilder::word(isa::Attr::kAcc, start ? Word::kStart : Word::kAccumulate);
  }

  // The block's XT [H, len] as H chunks side by side, chunk c at c * block columns. Each
  // chunk has its own semaphore, so the first matmuls start as soon as the first chunk lands
  // rather than after the whole block.
  GuardedBuffer& xt_chunk(const Block& b, std::uint32_t c) {
    return m_xt[b.set * m_p.h_chunks + c];
  }
  void load_xt(const Block& b) {
    for (std::uint32_t c = 0; c < m_p.h_chunks; ++c) {
      GuardedBuffer& xs = xt_chunk(b, c);
      const std::uint32_t rows = rows_of(m_o.hidden, m_p.tile_h, c);
      const std::uint64_t row = std::uint64_t{c} * m_p.tile_h;
      m_b.emit({Engine::kDma, next(m_p.xt_queues, m_xt_turn)}, Opcode::kCopy,
               {op(m_b.sbuf(rows, xt_offset(b, c), m_o.dtype, b.len)),
                op(m_b.slice(m_t.xt, row, row + rows, b.t0, b.t0 + b.len))},
               {{xs.write()}, {xs.semaphore()}});
    }
  }

  void stage1(const Block& b) {
    for (std::uint32_t fg = 0; fg < m_p.f_tiles; fg += m_p.f_group) {
      const std::uint32_t fe = std::min(m_p.f_tiles, fg + m_p.f_group);
      const std::uint64_t c0 = std::uint64_t{fg} * m_p.tile_f;
      const std::uint64_t c1 = std::min<std::uint64_t>(m_o.ffn, std::uint64_t{fe} * m_p.tile_f);
      // Tile i of the group accumulates in gate[i / f_pack] and up[i / f_pack], at column
      // (i % f_pack) * block: every matmul into one bank belongs to one write phase.
      std::vector<std::uint32_t> gate, up;
      for (std::uint32_t i = 0; i < fe - fg; i += m_p.f_pack) {
        gate.push_back(next_bank());
        up.push_back(next_bank());
      }
      std::vector<bool> started(m_p.psum_banks, false);
      for (std::uint32_t c = 0; c < m_p.h_chunks; ++c) {
        const std::uint32_t rows = rows_of(m_o.hidden, m_p.tile_h, c);
        const std::uint64_t row = std::uint64_t{c} * m_p.tile_h;
        const std::uint32_t unit = m_w1_units++;
        GuardedBuffer& ws = m_w1[unit % m_p.w1.slots];
        GuardedBuffer& xs = xt_chunk(b, c);
        const std::uint64_t wg_at = slot(m_p.w1, unit);
        const std::uint64_t wu_at = wg_at + std::uint64_t{m_p.f_group} * m_p.tile_f * in_bytes();
        const auto width = static_cast<std::uint32_t>(c1 - c0);
        m_b.emit({Engine::kDma, next(m_p.w1_queues, m_w1_turn)}, Opcode::kCopy,
                 {op(m_b.sbuf(rows, wg_at, m_o.dtype, width)),
                  op(m_b.slice(m_t.wg, row, row + rows, c0, c1))},
                 {{ws.write()}, {ws.semaphore()}});
        m_b.emit({Engine::kDma, next(m_p.w1_queues, m_w1_turn)}, Opcode::kCopy,
                 {op(m_b.sbuf(rows, wu_at, m_o.dtype, width)),
                  op(m_b.slice(m_t.wu, row, row + rows, c0, c1))},
                 {{ws.accumulate()}, {ws.semaphore()}});
        for (std::uint32_t ft = fg; ft < fe; ++ft) {
          const std::uint32_t f = rows_of(m_o.ffn, m_p.tile_f, ft);
          const std::uint64_t col = std::uint64_t{ft - fg} * m_p.tile_f * in_bytes();
          const std::uint32_t i = ft - fg;
          const std::pair<std::uint32_t, std::uint64_t> halves[] = {
              {gate[i / m_p.f_pack], wg_at + col}, {up[i / m_p.f_pack], wu_at + col}};
          for (const auto& [bank_no, stationary] : halves) {
            GuardedBuffer& bank = m_banks[bank_no];
            const Wait bank_wait = started[bank_no] ? bank.accumulate() : bank.write();
            started[bank_no] = true;
            m_b.emit(
                {Engine::kPe}, Opcode::kMatmul,
                {op(packed(f, bank_no, i, b.len)), op(m_b.sbuf(rows, stationary, m_o.dtype, f)),
                 op(m_b.sbuf(rows, xt_offset(b, c), m_o.dtype, b.len)), acc(c == 0)},
                {{ws.read(), xs.read(), bank_wait},
                 {ws.semaphore(), xs.semaphore(), bank.semaphore()}});
          }
        }
      }
      // h^T = silu(gate^T) * up^T: the scalar engine applies silu into an fp32 work row, the
      // vector engine multiplies and rounds once to the dtype.
      for (std::uint32_t ft = fg; ft < fe; ++ft) {
        const std::uint32_t f = rows_of(m_o.ffn, m_p.tile_f, ft);
        const std::uint32_t unit = m_work_units++;
        GuardedBuffer& wk = m_work[unit % m_p.work.slots];
        const std::uint32_t i = ft - fg;
        GuardedBuffer& g = m_banks[gate[i / m_p.f_pack]];
        GuardedBuffer& u = m_banks[up[i / m_p.f_pack]];
        GuardedBuffer& h = m_h[ft];
        const trace::Operand work = m_b.sbuf(f, slot(m_p.work, unit), kF32, b.len);
        m_b.emit({Engine::kAct}, Opcode::kActivation,
                 {op(work), op(packed(f, gate[i / m_p.f_pack], i, b.len)),
                  ProgramBuilder::word(isa::Attr::kFunc, Word::kSilu)},
                 {{g.read(), wk.write()}, {g.semaphore(), wk.semaphore()}});
        m_b.emit(
            {Engine::kDve}, Opcode::kTensorTensor,
            {op(m_b.sbuf(f, slot(m_p.h, ft), m_o.dtype, b.len)), op(work),
             op(packed(f, up[i / m_p.f_pack], i, b.len)),
             ProgramBuilder::word(isa::Attr::kOp, Word::kMul)},
            {{wk.read(), u.read(), h.write()}, {wk.semaphore(), u.semaphore(), h.semaphore()}});
      }
    }
  }

  void stage2(const Block& b) {
    const auto subs = static_cast<std::uint32_t>(ceil_div(b.len, m_p.tile_t));
    for (std::uint32_t tg = 0; tg < subs; tg += m_p.t_group) {
      const std::uint32_t te = std::min(subs, tg + m_p.t_group);
      for (std::uint32_t ng = 0; ng < m_p.n_tiles; ng += m_p.n_group) {
        const std::uint32_t ne = std::min(m_p.n_tiles, ng + m_p.n_group);
        const std::uint64_t c0 = std::uint64_t{ng} * m_p.tile_n;
        const std::uint64_t c1 =
            std::min<std::uint64_t>(m_o.hidden, std::uint64_t{ne} * m_p.tile_n);
        std::vector<std::uint32_t> banks;  // (sub-block, hidden tile) row-major
        for (std::uint32_t i = 0; i < (te - tg) * (ne - ng); ++i)
          banks.push_back(next_bank());
        for (std::uint32_t ft = 0; ft < m_p.f_tiles; ++ft) {
          const std::uint32_t f = rows_of(m_o.ffn, m_p.tile_f, ft);
          const std::uint64_t row = std::uint64_t{ft} * m_p.tile_f;
          const std::uint32_t unit = m_wd_units++;
          GuardedBuffer& ws = m_wd[unit % m_p.wd.slots];
          GuardedBuffer& h = m_h[ft];
          m_b.emit(
              {Engine::kDma, next(m_p.wd_queues, m_wd_turn)}, Opcode::kCopy,
              {op(m_b.sbuf(f, slot(m_p.wd, unit), m_o.dtype, static_cast<std::uint32_t>(c1 - c0))),
               op(m_b.slice(m_t.wd, row, row + f, c0, c1))},
              {{ws.write()}, {ws.semaphore()}});
          for (std::uint32_t ts = tg; ts < te; ++ts) {
            const std::uint32_t t = rows_of(b.len, m_p.tile_t, ts);
            const std::uint64_t stationary =
                slot(m_p.h, ft) + std::uint64_t{ts} * m_p.tile_t * in_bytes();
            for (std::uint32_t nt = ng; nt < ne; ++nt) {
              const std::uint32_t n = rows_of(m_o.hidden, m_p.tile_n, nt);
              const std::uint32_t bank_no = banks[(ts - tg) * (ne - ng) + (nt - ng)];
              GuardedBuffer& bank = m_banks[bank_no];
              const std::uint64_t moving =
                  slot(m_p.wd, unit) + std::uint64_t{nt - ng} * m_p.tile_n * in_bytes();
              m_b.emit({Engine::kPe}, Opcode::kMatmul,
                       {op(m_b.psum_bank(t, bank_no, kF32, n)),
                        op(m_b.sbuf(f, stationary, m_o.dtype, t)),
                        op(m_b.sbuf(f, moving, m_o.dtype, n)), acc(ft == 0)},
                       {{ws.read(), h.read(), ft == 0 ? bank.write() : bank.accumulate()},
                        {ws.semaphore(), h.semaphore(), bank.semaphore()}});
            }
          }
        }
        for (std::uint32_t ts = tg; ts < te; ++ts) {
          for (std::uint32_t nt = ng; nt < ne; ++nt)
            evacuate_and_store(b, ts, nt, banks[(ts - tg) * (ne - ng) + (nt - ng)]);
        }
      }
    }
  }

  // Output tiles alternate between the scalar and the vector engine, which both also do
  // stage 1's silu and product, so neither becomes the only one evacuating.
  void evacuate_and_store(const Block& b, std::uint32_t ts, std::uint32_t nt,
                          std::uint32_t bank_no) {
    const std::uint32_t t = rows_of(b.len, m_p.tile_t, ts);
    const std::uint32_t n = rows_of(m_o.hidden, m_p.tile_n, nt);
    const std::uint32_t unit = m_out_units++;
    GuardedBuffer& bank = m_banks[bank_no];
    GuardedBuffer& out = m_out[unit % m_p.out.slots];
    const trace::Operand dst = m_b.sbuf(t, slot(m_p.out, unit), *m_o.out_dtype, n);
    const trace::Operand src = m_b.psum_bank(t, bank_no, kF32, n);
    const Sync sync{{bank.read(), out.write()}, {bank.semaphore(), out.semaphore()}};
    if (unit % 2 == 0) {
      m_b.emit({Engine::kAct}, Opcode::kActivation,
               {op(dst), op(src), ProgramBuilder::word(isa::Attr::kFunc, Word::kIdentity)}, sync);
    } else {
      m_b.emit({Engine::kDve}, Opcode::kTensorCopy, {op(dst), op(src)}, sync);
    }
    const std::uint64_t row = b.t0 + std::uint64_t{ts} * m_p.tile_t;
    const std::uint64_t col = std::uint64_t{nt} * m_p.tile_n;
    m_b.emit({Engine::kDma, next(m_p.store_queues, m_store_turn)}, Opcode::kCopy,
             {op(m_b.slice(m_t.y, row, row + t, col, col + n)), op(dst)},
             {{out.read()}, {out.semaphore()}});
  }

  // Stage-1 tile i of a group in its bank: the bank itself when tiles are not packed (as
  // `@bankB`), else `block` fp32 columns at position i mod f_pack (as a byte offset).
  trace::Operand packed(std::uint32_t partitions, std::uint32_t bank, std::uint32_t i,
                        std::uint32_t len) const {
    if (m_p.f_pack == 1) return m_b.psum_bank(partitions, bank, kF32, len);
    const std::uint64_t column = std::uint64_t{i % m_p.f_pack} * m_p.block;
    trace::Operand o =
        m_b.sbuf(partitions, std::uint64_t{bank} * m_bank_bytes + column * isa::dtype_bytes(kF32),
                 kF32, len);
    o.form = trace::OperandForm::kPsumOffset;
    return o;
  }
  std::uint64_t xt_offset(const Block& b, std::uint32_t chunk) const {
    return slot(m_p.xt, b.set) + std::uint64_t{chunk} * m_p.block * in_bytes();
  }
  // Slot `unit` mod slots of a ring.
  static std::uint64_t slot(const MlpRing& ring, std::uint32_t unit) {
    return ring.offset + std::uint64_t{unit % ring.slots} * ring.slot_bytes;
  }

  ProgramBuilder& m_b;
  const MlpPlan& m_p;
  const MlpOptions& m_o;
  std::uint32_t m_core;
  Tensors m_t;
  std::uint64_t m_bank_bytes;
  std::vector<GuardedBuffer> m_xt, m_h, m_work, m_w1, m_wd, m_banks, m_out;
  std::uint32_t m_w1_units = 0, m_wd_units = 0, m_work_units = 0, m_out_units = 0;
  std::uint32_t m_bank_turn = 0;
  std::uint32_t m_xt_turn = 0, m_w1_turn = 0, m_wd_turn = 0, m_store_turn = 0;
};

std::vector<float> random_input(DType dtype, std::uint64_t rows, std::uint64_t cols,
                                std::uint64_t seed) {
  trace::TensorDecl t;
  t.dtype = dtype;
  t.shape = {rows, cols};
  t.init = trace::InitKind::kRandom;
  t.seed = seed;
  return functional::random_tensor(t);
}

}  // namespace

MlpPlan plan_mlp(const MlpOptions& options, const config::SystemConfig& cfg) {
  validate(options, cfg);
  MlpPlan p;
  p.options = options;
  if (!p.options.out_dtype) p.options.out_dtype = options.dtype;
  const MlpOptions& o = p.options;
  // Stage 1 contracts H on partitions and puts F tiles on the output partitions; stage 2
  // contracts those same F tiles on partitions, so an F tile must fit both.
  p.tile_h = std::min(cfg.tensor.rows, cfg.sbuf.partitions);
  p.tile_t = std::min({cfg.tensor.cols, cfg.psum.partitions, cfg.sbuf.partitions});
  p.tile_f = std::min(p.tile_t, p.tile_h);
  p.tile_n = static_cast<std::uint32_t>(std::min<std::uint64_t>(
      {cfg.tensor.max_moving_free, cfg.psum.bank_bytes / isa::dtype_bytes(kF32),
       isa::kMaxPsumFreeElements, isa::kMaxPatternSize}));
  p.h_chunks = static_cast<std::uint32_t>(ceil_div(o.hidden, p.tile_h));
  p.f_tiles = static_cast<std::uint32_t>(ceil_div(o.ffn, p.tile_f));
  p.n_tiles = static_cast<std::uint32_t>(ceil_div(o.hidden, p.tile_n));
  p.psum_banks = cfg.psum.banks;

  const std::uint64_t in = isa::dtype_bytes(o.dtype);
  const double hbm = (static_cast<double>(o.hidden) * o.tokens + 3.0 * o.hidden * o.ffn) * in +
                     static_cast<double>(o.tokens) * o.hidden * isa::dtype_bytes(*o.out_dtype);
  if (hbm > static_cast<double>(cfg.hbm.capacity_bytes)) {
    fail(fmt::format("XT, Wg, Wu, Wd and Y need {:.0f} bytes of HBM; config '{}' has {}", hbm,
                     cfg.name, cfg.hbm.capacity_bytes));
  }

  // The token block: as wide as one PSUM bank of fp32 (the most reuse of each weight tile),
  // but no wider than the cores' shares, and narrow enough that XT of a block (twice) and
  // h^T of a block fit SBUF next to the weight rings. Below one stage-2 sub-block the width
  // halves, above it steps down by whole sub-blocks.
  const std::uint64_t sbuf = cfg.sbuf.bytes_per_partition;
  auto block =
      static_cast<std::uint32_t>(std::min<std::uint64_t>(p.tile_n, ceil_div(o.tokens, o.cores)));
  while (!size_for_block(p, block, o.cores, sbuf)) {
    if (block == 1) {
      fail(fmt::format(
          "h^T does not fit SBUF even for a block of one token: H={} and F={} in {} need {} bytes "
          "per partition (XT, h^T, work rows and the weight and output slots), and config '{}' "
          "has {}; reduce F or H",
          o.hidden, o.ffn, isa::dtype_name(o.dtype), p.sbuf_bytes, cfg.name, sbuf));
    }
    block = block > p.tile_t ? (block - 1) / p.tile_t * p.tile_t : block / 2;
  }
  if (p.blocks < o.cores) {
    fail(
        fmt::format("T={} tokens make {} token block(s) of up to {}, fewer than the {} cores "
                    "asked for: each core takes whole blocks; use at most {} cores",
                    o.tokens, p.blocks, p.block, o.cores, p.blocks));
  }
  add_spare_slots(p, sbuf);
  for (std::uint32_t c = 0; c < o.cores; ++c) {
    p.core_blocks.emplace_back(
        static_cast<std::uint32_t>(std::uint64_t{p.blocks} * c / o.cores),
        static_cast<std::uint32_t>(std::uint64_t{p.blocks} * (c + 1) / o.cores));
  }

  // A Program numbers its instructions with 32 bits. Per block: stage 1 has two loads per H
  // chunk and F group, two matmuls per H chunk and F tile and two instructions per F tile;
  // stage 2 at most one load and one matmul per F tile and output tile, and two instructions
  // per output tile.
  const double subs = static_cast<double>(ceil_div(p.block, p.tile_t));
  const double per_block = 2.0 * p.h_chunks * (p.f_tiles + ceil_div(p.f_tiles, p.f_group)) +
                           2.0 * p.f_tiles + subs * p.n_tiles * (2.0 * p.f_tiles + 2.0) +
                           p.h_chunks;
  if (per_block * p.blocks > static_cast<double>(std::numeric_limits<std::uint32_t>::max())) {
    fail(fmt::format("T={} H={} F={} needs about {:.0f} instructions, more than a trace can hold",
                     o.tokens, o.hidden, o.ffn, per_block * p.blocks));
  }
  assign_queues(cfg, p);
  return p;
}

trace::Program mlp(const MlpOptions& options, const config::SystemConfig& cfg) {
  const MlpPlan plan = plan_mlp(options, cfg);
  const MlpOptions& o = plan.options;
  ProgramBuilder b(kFile);
  auto tensor = [&](std::string name, DType dtype, std::uint64_t rows, std::uint64_t cols,
                    std::optional<std::uint64_t> seed) {
    trace::TensorDecl t;
    t.name = std::move(name);
    t.dtype = dtype;
    t.shape = {rows, cols};
    if (seed) {
      t.init = trace::InitKind::kRandom;
      t.seed = *seed;
    } else {
      t.output = true;
    }
    return b.add_tensor(std::move(t));
  };
  Tensors t;
  t.xt = tensor("XT", o.dtype, o.hidden, o.tokens, o.seed);
  t.wg = tensor("Wg", o.dtype, o.hidden, o.ffn, o.seed + 1);
  t.wu = tensor("Wu", o.dtype, o.hidden, o.ffn, o.seed + 2);
  t.wd = tensor("Wd", o.dtype, o.ffn, o.hidden, o.seed + 3);
  t.y = tensor("Y", *o.out_dtype, o.tokens, o.hidden, std::nullopt);
  for (std::uint32_t c = 0; c < o.cores; ++c)
    MlpEmitter(b, plan, c, t, cfg.psum.bank_bytes).run();
  return b.take();
}

std::string describe(const MlpPlan& p) {
  const MlpOptions& o = p.options;
  auto ring = [](const MlpRing& r) { return fmt::format("{} x {} B", r.slots, r.slot_bytes); };
  std::string out = fmt::format(
      "mlp T={} H={} F={} {}->{}: {} token blocks of {}, tiles H {} / F {} / tokens {} / hidden "
      "{}, F group {} ({} per PSUM bank), stage-2 groups {}x{} (sub-blocks x hidden tiles), {} "
      "PSUM banks\n",
      o.tokens, o.hidden, o.ffn, isa::dtype_name(o.dtype), isa::dtype_name(*o.out_dtype), p.blocks,
      p.block, p.tile_h, p.tile_f, p.tile_t, p.tile_n, p.f_group, p.f_pack, p.t_group, p.n_group,
      p.psum_banks);
  out += fmt::format(
      "SBUF per partition: XT {}, h^T {}, work {}, Wg+Wu {}, Wd {}, out {}: {} B; DMA queues "
      "{}/{}/{}/{} (XT/Wg+Wu/Wd/Y)\n",
      ring(p.xt), ring(p.h), ring(p.work), ring(p.w1), ring(p.wd), ring(p.out), p.sbuf_bytes,
      p.xt_queues.size(), p.w1_queues.size(), p.wd_queues.size(), p.store_queues.size());
  for (std::uint32_t c = 0; c < p.core_blocks.size(); ++c) {
    out += fmt::format("core {}: token blocks [{}, {})\n", c, p.core_blocks[c].first,
                       p.core_blocks[c].second);
  }
  return out;
}

io::Array mlp_reference(const MlpOptions& options) {
  const std::uint64_t t_count = options.tokens, hd = options.hidden, fd = options.ffn;
  const DType dtype = options.dtype;
  const std::vector<float> xt = random_input(dtype, hd, t_count, options.seed);
  const std::vector<float> wg = random_input(dtype, hd, fd, options.seed + 1);
  const std::vector<float> wu = random_input(dtype, hd, fd, options.seed + 2);
  const std::vector<float> wd = random_input(dtype, fd, hd, options.seed + 3);
  std::vector<float> y(t_count * hd);
  std::vector<double> gate(fd), up(fd), acc(hd);
  std::vector<double> h(fd);
  for (std::uint64_t t = 0; t < t_count; ++t) {
    std::fill(gate.begin(), gate.end(), 0.0);
    std::fill(up.begin(), up.end(), 0.0);
    for (std::uint64_t k = 0; k < hd; ++k) {
      const double x = xt[k * t_count + t];
      const float* g = &wg[k * fd];
      const float* u = &wu[k * fd];
      for (std::uint64_t f = 0; f < fd; ++f) {
        gate[f] += x * g[f];
        up[f] += x * u[f];
      }
    }
    for (std::uint64_t f = 0; f < fd; ++f) {
      const double silu = gate[f] / (1.0 + std::exp(-gate[f]));
      h[f] = numerics::round_to(dtype, static_cast<float>(silu * up[f]));
    }
    std::fill(acc.begin(), acc.end(), 0.0);
    for (std::uint64_t f = 0; f < fd; ++f) {
      const float* d = &wd[f * hd];
      for (std::uint64_t n = 0; n < hd; ++n)
        acc[n] += h[f] * d[n];
    }
    for (std::uint64_t n = 0; n < hd; ++n)
      y[t * hd + n] = static_cast<float>(acc[n]);
  }
  return io::make_array(options.out_dtype.value_or(dtype), {t_count, hd}, y);
}

}  // namespace trnsim::gen
