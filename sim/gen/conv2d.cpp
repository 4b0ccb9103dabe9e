#include "gen/conv2d.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "common/diagnostic.h"
#include "functional/random_init.h"
#include "gen/program_builder.h"

namespace trnsim::gen {

namespace {

constexpr const char* kFile = "gen conv2d";

[[noreturn]] void fail(std::string message) {
  throw InputError(kFile, 0, 0, std::move(message));
}

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) {
  return (a + b - 1) / b;
}
std::uint64_t align_up(std::uint64_t a, std::uint64_t b) {
  return ceil_div(a, b) * b;
}

// Slots start on this many bytes, so that every access is aligned for any dtype.
constexpr std::uint64_t kSlotAlign = 64;

void validate(const Conv2dOptions& o, const config::SystemConfig& cfg) {
  if (o.batch == 0 || o.in_channels == 0 || o.out_channels == 0 || o.height == 0 || o.width == 0 ||
      o.kernel_h == 0 || o.kernel_w == 0 || o.stride == 0) {
    fail(
        fmt::format("batch, channels, height, width, kernel and stride must be at least 1, got "
                    "N={} C={} F={} H={} W={} kernel {}x{} stride {}",
                    o.batch, o.in_channels, o.out_channels, o.height, o.width, o.kernel_h,
                    o.kernel_w, o.stride));
  }
  if (o.dtype != isa::DType::kBf16 && o.dtype != isa::DType::kFp32) {
    fail(fmt::format("dtype must be bf16 or fp32, got {}", isa::dtype_name(o.dtype)));
  }
  const std::uint64_t max_dim = std::numeric_limits<std::uint32_t>::max();
  for (std::uint64_t v : {o.batch, o.in_channels, o.out_channels, o.height, o.width, o.kernel_h,
                          o.kernel_w, o.stride, o.padding}) {
    if (v > max_dim) {
      fail(fmt::format("sizes are limited to {} (a tensor dimension of the trace format), got {}",
                       max_dim, v));
    }
  }
  if (o.height + 2 * o.padding < o.kernel_h || o.width + 2 * o.padding < o.kernel_w) {
    fail(fmt::format(
        "the {}x{} kernel is larger than the padded {}x{} input (H, W + 2 x padding "
        "{}): there is no output",
        o.kernel_h, o.kernel_w, o.height + 2 * o.padding, o.width + 2 * o.padding, o.padding));
  }
  if (o.cores == 0 || o.cores > cfg.chip.cores) {
    fail(
        fmt::format("cores must be between 1 and {} (the cores of one chip in config '{}'), got {}",
                    cfg.chip.cores, cfg.name, o.cores));
  }
  if (cfg.tensor.rows == 0 || cfg.tensor.cols == 0 || cfg.tensor.max_moving_free == 0 ||
      cfg.sbuf.partitions == 0 || cfg.psum.partitions == 0 || cfg.psum.banks == 0 ||
      cfg.psum.bank_bytes < isa::dtype_bytes(isa::DType::kFp32) || cfg.dma.queues == 0) {
    fail(
        fmt::format("config '{}' has no room for a conv tile: tensor.rows, tensor.cols, "
                    "tensor.max_moving_free, sbuf/psum partitions, psum.banks and dma.queues "
                    "must be positive and a PSUM bank must hold an fp32",
                    cfg.name));
  }
}

// The queues of loads and stores: the first half of the config's queues load (weights and
// input tiles, in turn), the second half stores; one queue serves both.
void assign_queues(const config::SystemConfig& cfg, Conv2dPlan& plan) {
  const std::uint32_t queues =
      std::min<std::uint32_t>(cfg.dma.queues, std::numeric_limits<std::uint8_t>::max() + 1);
  const std::uint32_t loads = std::max(1u, queues / 2);
  for (std::uint32_t q = 0; q < loads; ++q)
    plan.load_queues.push_back(static_cast<std::uint8_t>(q));
  for (std::uint32_t q = loads; q < queues; ++q)
    plan.store_queues.push_back(static_cast<std::uint8_t>(q));
  if (plan.store_queues.empty()) plan.store_queues = plan.load_queues;
}

}  // namespace

Conv2dPlan plan_conv2d(const Conv2dOptions& options, const config::SystemConfig& cfg) {
  validate(options, cfg);
  const Conv2dOptions& o = options;
  Conv2dPlan p;
  p.options = o;
  p.out_h = (o.height + 2 * o.padding - o.kernel_h) / o.stride + 1;
  p.out_w = (o.width + 2 * o.padding - o.kernel_w) / o.stride + 1;
  const std::uint32_t bytes = isa::dtype_bytes(o.dtype);

  // Channels contract on partitions; output channels become the PSUM partitions; the pixels
  // of a block are the moving columns, one PSUM bank of fp32.
  p.chunk_c = static_cast<std::uint32_t>(
      std::min<std::uint64_t>({o.in_channels, cfg.tensor.rows, cfg.sbuf.partitions}));
  p.chunks = static_cast<std::uint32_t>(ceil_div(o.in_channels, p.chunk_c));
  p.tile_f = static_cast<std::uint32_t>(std::min<std::uint64_t>(
      {o.out_channels, cfg.tensor.cols, cfg.psum.partitions, cfg.sbuf.partitions}));
  p.f_tiles = static_cast<std::uint32_t>(ceil_div(o.out_channels, p.tile_f));
  const std::uint64_t bank_pixels = std::min<std::uint64_t>(
      {cfg.tensor.max_moving_free, cfg.psum.bank_bytes / isa::dtype_bytes(isa::DType::kFp32),
       isa::kMaxPsumFreeElements, isa::kMaxPatternSize});
  // A row wider than a bank is split into equal column ranges, one output row per block;
  // otherwise a block is as many whole rows as the bank holds.
  p.blocks_w = static_cast<std::uint32_t>(ceil_div(p.out_w, bank_pixels));
  p.block_w = static_cast<std::uint32_t>(ceil_div(p.out_w, p.blocks_w));
  p.block_h = static_cast<std::uint32_t>(
      p.blocks_w > 1 ? 1 : std::min<std::uint64_t>(p.out_h, bank_pixels / p.block_w));
  p.blocks_h = static_cast<std::uint32_t>(ceil_div(p.out_h, p.block_h));
  p.blocks = o.batch * p.blocks_h * p.blocks_w;
  if (o.cores > p.blocks) {
    fail(fmt::format(
        "{} cores but only {} output blocks ({} images x {} row bands x {} column "
        "ranges of at most {}x{} pixels): use at most {} cores",
        o.cores, p.blocks, o.batch, p.blocks_h, p.blocks_w, p.block_h, p.block_w, p.blocks));
  }

  // The input tile of a block: the padded rows and columns its windows touch.
  const std::uint64_t rows = (std::uint64_t{p.block_h} - 1) * o.stride + o.kernel_h;
  const std::uint64_t pitch = (std::uint64_t{p.block_w} - 1) * o.stride + o.kernel_w;
  if (pitch > isa::kMaxPatternSize || rows > isa::kMaxPatternSize) {
    fail(
        fmt::format("an input tile of {} rows x {} columns exceeds {} elements in one access "
                    "pattern dimension",
                    rows, pitch, isa::kMaxPatternSize));
  }
  p.tile_rows = static_cast<std::uint32_t>(rows);
  p.pitch = static_cast<std::uint32_t>(pitch);

  const std::uint64_t sbuf = cfg.sbuf.bytes_per_partition;
  p.weight_bytes = align_up(
      std::uint64_t{p.chunks} * o.kernel_h * o.kernel_w * o.out_channels * bytes, kSlotAlign);
  p.in_slot_bytes = align_up(std::uint64_t{p.chunks} * rows * pitch * bytes, kSlotAlign);
  p.out_slot_bytes = align_up(std::uint64_t{p.block_h} * p.block_w * bytes, kSlotAlign);
  // Weights stay resident; the input ring gets three tiles (one loading, one computing, one
  // spare so that a slow memset never holds the loads back) or two, the output ring one slot
  // per F tile of two blocks, or fewer down to one slot each when SBUF is short.
  bool fits = false;
  for (std::uint32_t in_slots : {3u, 2u, 1u}) {
    for (std::uint32_t out_slots : {2 * p.f_tiles, p.f_tiles, 2u, 1u}) {
      if (p.weight_bytes + in_slots * p.in_slot_bytes + out_slots * p.out_slot_bytes <= sbuf) {
        p.in_slots = in_slots;
        p.out_slots = out_slots;
        fits = true;
        break;
      }
    }
    if (fits) break;
  }
  if (!fits) {
    fail(fmt::format(
        "the weights ({} bytes per partition, resident), one input tile ({} rows x {} "
        "columns x {} channel chunks: {} bytes) and one output slot ({} bytes) do "
        "not fit the {} bytes of SBUF per partition of config '{}'",
        p.weight_bytes, rows, pitch, p.chunks, p.in_slot_bytes, p.out_slot_bytes, sbuf, cfg.name));
  }
  p.psum_banks = cfg.psum.banks;
  assign_queues(cfg, p);

  // HBM and the trace's 32-bit instruction numbering.
  const double hbm =
      (static_cast<double>(o.batch) * o.in_channels * o.height * o.width +
       static_cast<double>(o.kernel_h) * o.kernel_w * o.in_channels * o.out_channels +
       static_cast<double>(o.batch) * o.out_channels * p.out_h * p.out_w) *
      bytes;
  if (hbm > static_cast<double>(cfg.hbm.capacity_bytes)) {
    fail(fmt::format("X, Wt and Y need {:.0f} bytes of HBM; config '{}' has {}", hbm, cfg.name,
                     cfg.hbm.capacity_bytes));
  }
  const double instructions =
      static_cast<double>(p.blocks) *
      (2.0 * p.chunks + p.f_tiles * (static_cast<double>(p.chunks) * o.kernel_h * o.kernel_w + 2));
  if (instructions > static_cast<double>(std::numeric_limits<std::uint32_t>::max())) {
    fail(fmt::format("the conv needs about {:.0f} instructions, more than a trace can hold",
                     instructions));
  }

  for (std::uint32_t c = 0; c <= o.cores; ++c)
    p.core_blocks.push_back(p.blocks * c / o.cores);
  return p;
}

namespace {

// One output block: image n, output rows [oh0, oh0 + oh), columns [ow0, ow0 + ow).
struct Block {
  std::uint64_t n = 0, oh0 = 0, oh = 0, ow0 = 0, ow = 0;
};

Block block_of(const Conv2dPlan& p, std::uint64_t b) {
  Block k;
  const std::uint64_t per_image = std::uint64_t{p.blocks_h} * p.blocks_w;
  k.n = b / per_image;
  const std::uint64_t bh = b % per_image / p.blocks_w, bw = b % p.blocks_w;
  k.oh0 = bh * p.block_h;
  k.oh = std::min<std::uint64_t>(p.block_h, p.out_h - k.oh0);
  k.ow0 = bw * p.block_w;
  k.ow = std::min<std::uint64_t>(p.block_w, p.out_w - k.ow0);
  return k;
}

class Conv2dEmitter {
 public:
  Conv2dEmitter(ProgramBuilder& b, const Conv2dPlan& plan, std::uint32_t core,
                std::array<std::uint32_t, 3> tensors)
      : m_b(b),
        m_p(plan),
        m_o(plan.options),
        m_core(core),
        m_x(tensors[0]),
        m_w(tensors[1]),
        m_y(tensors[2]),
        m_bytes(isa::dtype_bytes(plan.options.dtype)) {}

  void run() {
    m_b.begin_core(trace::CoreId{0, m_core});
    m_w_sem = m_b.add_semaphore("w");
    declare("in", m_p.in_slots, m_in);
    declare("ps", m_p.psum_banks, m_banks);
    declare("out", m_p.out_slots, m_out);
    load_weights();
    for (std::uint64_t b = m_p.core_blocks[m_core]; b < m_p.core_blocks[m_core + 1]; ++b) {
      const Block k = block_of(m_p, b);
      load_input(k);
      for (std::uint32_t ft = 0; ft < m_p.f_tiles; ++ft) {
        matmuls(k, ft);
        evacuate_and_store(k, ft);
        ++m_tile;
      }
      ++m_block;
    }
  }

 private:
  void declare(std::string_view prefix, std::uint32_t count, std::vector<GuardedBuffer>& out) {
    for (std::uint32_t i = 0; i < count; ++i)
      out.emplace_back(m_b.add_semaphore(fmt::format("{}{}", prefix, i)));
  }
  std::uint8_t load_queue() { return m_p.load_queues[m_load_turn++ % m_p.load_queues.size()]; }
  std::uint8_t store_queue() { return m_p.store_queues[m_store_turn++ % m_p.store_queues.size()]; }
  std::uint32_t chunk_channels(std::uint32_t chunk) const {
    return static_cast<std::uint32_t>(
        std::min<std::uint64_t>(m_p.chunk_c, m_o.in_channels - std::uint64_t{chunk} * m_p.chunk_c));
  }
  std::uint32_t f_width(std::uint32_t ft) const {
    return static_cast<std::uint32_t>(
        std::min<std::uint64_t>(m_p.tile_f, m_o.out_channels - std::uint64_t{ft} * m_p.tile_f));
  }
  // SBUF layout: weights, then the input ring, then the output ring.
  std::uint64_t weight_offset(std::uint32_t chunk, std::uint64_t r, std::uint64_t s) const {
    return ((chunk * m_o.kernel_h + r) * m_o.kernel_w + s) * m_o.out_channels * m_bytes;
  }
  std::uint64_t in_offset(std::uint32_t chunk) const {
    return m_p.weight_bytes + (m_block % m_p.in_slots) * m_p.in_slot_bytes +
           std::uint64_t{chunk} * m_p.tile_rows * m_p.pitch * m_bytes;
  }
  std::uint64_t out_offset() const {
    return m_p.weight_bytes + m_p.in_slots * m_p.in_slot_bytes +
           (m_tile % m_p.out_slots) * m_p.out_slot_bytes;
  }
  // An SBUF operand with a two-dimensional pattern [rows : row_stride, cols : col_stride].
  trace::Operand sbuf_2d(std::uint32_t partitions, std::uint64_t offset, std::uint64_t rows,
                         std::uint64_t row_stride, std::uint64_t cols,
                         std::uint64_t col_stride) const {
    trace::Operand op =
        m_b.sbuf(partitions, offset, m_o.dtype, static_cast<std::uint32_t>(rows * cols));
    op.ndims = 2;
    op.dims[0] =
        trace::Dim{static_cast<std::uint32_t>(rows), static_cast<std::int64_t>(row_stride)};
    op.dims[1] =
        trace::Dim{static_cast<std::uint32_t>(cols), static_cast<std::int64_t>(col_stride)};
    return op;
  }

  // Every tap of every chunk, all output channels: loaded once, read by every matmul.
  void load_weights() {
    for (std::uint32_t chunk = 0; chunk < m_p.chunks; ++chunk) {
      const std::uint64_t c0 = std::uint64_t{chunk} * m_p.chunk_c;
      const std::uint32_t cc = chunk_channels(chunk);
      for (std::uint64_t r = 0; r < m_o.kernel_h; ++r) {
        for (std::uint64_t s = 0; s < m_o.kernel_w; ++s) {
          m_b.emit({isa::Engine::kDma, load_queue()}, isa::Opcode::kCopy,
                   {m_b.operand(m_b.sbuf(cc, weight_offset(chunk, r, s), m_o.dtype,
                                         static_cast<std::uint32_t>(m_o.out_channels))),
                    m_b.operand(m_b.slice(
                        m_w, {{r, r + 1}, {s, s + 1}, {c0, c0 + cc}, {0, m_o.out_channels}}))},
                   {{}, {m_w_sem}});
          ++m_weight_loads;
        }
      }
    }
  }

  // The zero-padded input of block k: padded rows [pr0, pr0 + rows), columns [pc0, pc0 +
  // pitch); padded row pr is input row pr - padding.
  void load_input(const Block& k) {
    GuardedBuffer& slot = m_in[m_block % m_p.in_slots];
    const std::uint64_t pad = m_o.padding;
    const std::uint64_t pr0 = k.oh0 * m_o.stride, pc0 = k.ow0 * m_o.stride;
    const std::uint64_t rows = (k.oh - 1) * m_o.stride + m_o.kernel_h;
    const std::uint64_t cols = (k.ow - 1) * m_o.stride + m_o.kernel_w;
    // The part of the tile inside the real input: padded rows [rlo, rhi), columns
    // [clo, chi).
    const std::uint64_t rlo = std::max(pr0, pad), rhi = std::min(pr0 + rows, pad + m_o.height);
    const std::uint64_t clo = std::max(pc0, pad), chi = std::min(pc0 + cols, pad + m_o.width);
    const bool empty = rhi <= rlo || chi <= clo;
    const bool padded = empty || rlo != pr0 || rhi != pr0 + rows || clo != pc0 || chi != pc0 + cols;
    bool first = true;
    auto write = [&] {
      const Wait w = first ? slot.write() : slot.accumulate();
      first = false;
      return w;
    };
    if (padded) {
      // Zero the whole tile of every chunk; the loads below overwrite the interior.
      for (std::uint32_t chunk = 0; chunk < m_p.chunks; ++chunk) {
        m_b.emit({isa::Engine::kPool}, isa::Opcode::kMemset,
                 {m_b.operand(sbuf_2d(chunk_channels(chunk), in_offset(chunk), m_p.tile_rows,
                                      m_p.pitch, m_p.pitch, 1))},
                 {{write()}, {slot.semaphore()}});
      }
      first = true;  // the loads are a new write phase: they wait for the zeros
    }
    if (empty) return;
    for (std::uint32_t chunk = 0; chunk < m_p.chunks; ++chunk) {
      const std::uint64_t ch0 = std::uint64_t{chunk} * m_p.chunk_c;
      const std::uint32_t cc = chunk_channels(chunk);
      const std::uint64_t offset =
          in_offset(chunk) + ((rlo - pr0) * m_p.pitch + (clo - pc0)) * m_bytes;
      m_b.emit(
          {isa::Engine::kDma, load_queue()}, isa::Opcode::kCopy,
          {m_b.operand(sbuf_2d(cc, offset, rhi - rlo, m_p.pitch, chi - clo, 1)),
           m_b.operand(m_b.slice(
               m_x,
               {{k.n, k.n + 1}, {ch0, ch0 + cc}, {rlo - pad, rhi - pad}, {clo - pad, chi - pad}}))},
          {{write()}, {slot.semaphore()}});
    }
  }

  void matmuls(const Block& k, std::uint32_t ft) {
    GuardedBuffer& slot = m_in[m_block % m_p.in_slots];
    const std::uint32_t bank_no = m_tile % m_p.psum_banks;
    GuardedBuffer& bank = m_banks[bank_no];
    const std::uint32_t fw = f_width(ft);
    const auto pixels = static_cast<std::uint32_t>(k.oh * k.ow);
    const Wait weights{m_w_sem, m_weight_loads};
    bool start = true;
    for (std::uint32_t chunk = 0; chunk < m_p.chunks; ++chunk) {
      const std::uint32_t cc = chunk_channels(chunk);
      for (std::uint64_t r = 0; r < m_o.kernel_h; ++r) {
        for (std::uint64_t s = 0; s < m_o.kernel_w; ++s) {
          const std::uint64_t stationary =
              weight_offset(chunk, r, s) + std::uint64_t{ft} * m_p.tile_f * m_bytes;
          // Tap (r, s) of output pixel (i, j) reads tile row i * stride + r, column
          // j * stride + s.
          const trace::Operand moving =
              sbuf_2d(cc, in_offset(chunk) + (r * m_p.pitch + s) * m_bytes, k.oh,
                      m_o.stride * m_p.pitch, k.ow, m_o.stride);
          m_b.emit({isa::Engine::kPe}, isa::Opcode::kMatmul,
                   {m_b.operand(m_b.psum_bank(fw, bank_no, isa::DType::kFp32, pixels)),
                    m_b.operand(m_b.sbuf(cc, stationary, m_o.dtype, fw)), m_b.operand(moving),
                    ProgramBuilder::word(isa::Attr::kAcc,
                                         start ? isa::Word::kStart : isa::Word::kAccumulate)},
                   {{weights, slot.read(), start ? bank.write() : bank.accumulate()},
                    {slot.semaphore(), bank.semaphore()}});
          start = false;
        }
      }
    }
  }

  void evacuate_and_store(const Block& k, std::uint32_t ft) {
    const std::uint32_t bank_no = m_tile % m_p.psum_banks;
    GuardedBuffer& bank = m_banks[bank_no];
    GuardedBuffer& out = m_out[m_tile % m_p.out_slots];
    const std::uint32_t fw = f_width(ft);
    const auto pixels = static_cast<std::uint32_t>(k.oh * k.ow);
    const trace::Operand dst = m_b.sbuf(fw, out_offset(), m_o.dtype, pixels);
    const trace::Operand src = m_b.psum_bank(fw, bank_no, isa::DType::kFp32, pixels);
    const Sync sync{{bank.read(), out.write()}, {bank.semaphore(), out.semaphore()}};
    if (m_tile % 2 == 0) {
      m_b.emit({isa::Engine::kAct}, isa::Opcode::kActivation,
               {m_b.operand(dst), m_b.operand(src),
                ProgramBuilder::word(isa::Attr::kFunc, isa::Word::kIdentity)},
               sync);
    } else {
      m_b.emit({isa::Engine::kDve}, isa::Opcode::kTensorCopy, {m_b.operand(dst), m_b.operand(src)},
               sync);
    }
    const std::uint64_t f0 = std::uint64_t{ft} * m_p.tile_f;
    m_b.emit(
        {isa::Engine::kDma, store_queue()}, isa::Opcode::kCopy,
        {m_b.operand(m_b.slice(
             m_y, {{k.n, k.n + 1}, {f0, f0 + fw}, {k.oh0, k.oh0 + k.oh}, {k.ow0, k.ow0 + k.ow}})),
         m_b.operand(dst)},
        {{out.read()}, {out.semaphore()}});
  }

  ProgramBuilder& m_b;
  const Conv2dPlan& m_p;
  const Conv2dOptions& m_o;
  std::uint32_t m_core;
  std::uint32_t m_x, m_w, m_y;
  std::uint32_t m_bytes;
  std::uint32_t m_w_sem = 0;
  std::int64_t m_weight_loads = 0;
  std::vector<GuardedBuffer> m_in, m_banks, m_out;
  std::uint32_t m_load_turn = 0, m_store_turn = 0;
  std::uint64_t m_block = 0;  // blocks emitted on this core
  std::uint64_t m_tile = 0;   // (block, F tile) pairs emitted on this core
};

}  // namespace

trace::Program conv2d(const Conv2dOptions& options, const config::SystemConfig& cfg) {
  const Conv2dPlan plan = plan_conv2d(options, cfg);
  const Conv2dOptions& o = options;
  ProgramBuilder b(kFile);
  auto tensor = [&](std::string name, std::vector<std::uint64_t> shape) {
    trace::TensorDecl t;
    t.name = std::move(name);
    t.dtype = o.dtype;
    t.shape = std::move(shape);
    return t;
  };
  trace::TensorDecl x = tensor("X", {o.batch, o.in_channels, o.height, o.width});
  x.init = trace::InitKind::kRandom;
  x.seed = o.seed;
  trace::TensorDecl w = tensor("Wt", {o.kernel_h, o.kernel_w, o.in_channels, o.out_channels});
  w.init = trace::InitKind::kRandom;
  w.seed = o.seed + 1;
  trace::TensorDecl y = tensor("Y", {o.batch, o.out_channels, plan.out_h, plan.out_w});
  y.output = true;
  const std::array<std::uint32_t, 3> tensors = {
      b.add_tensor(std::move(x)), b.add_tensor(std::move(w)), b.add_tensor(std::move(y))};
  for (std::uint32_t core = 0; core < o.cores; ++core)
    Conv2dEmitter(b, plan, core, tensors).run();
  return b.take();
}

std::string describe(const Conv2dPlan& p) {
  const Conv2dOptions& o = p.options;
  std::string out =
      fmt::format("conv2d N={} C={} F={} {}x{} kernel {}x{} stride {} padding {} {} -> {}x{}\n",
                  o.batch, o.in_channels, o.out_channels, o.height, o.width, o.kernel_h, o.kernel_w,
                  o.stride, o.padding, isa::dtype_name(o.dtype), p.out_h, p.out_w);
  out += fmt::format(
      "tiles: {} channel chunks of {}, {} F tiles of {}, blocks of {}x{} output pixels ({} "
      "blocks: {} per image x {}); input tile {} rows x {} columns\n",
      p.chunks, p.chunk_c, p.f_tiles, p.tile_f, p.block_h, p.block_w, p.blocks,
      std::uint64_t{p.blocks_h} * p.blocks_w, o.batch, p.tile_rows, p.pitch);
  out += fmt::format(
      "SBUF per partition: weights {} B resident, input ring {} x {} B, output ring {} x {} B; "
      "{} PSUM banks; DMA queues {} load / {} store\n",
      p.weight_bytes, p.in_slots, p.in_slot_bytes, p.out_slots, p.out_slot_bytes, p.psum_banks,
      p.load_queues.size(), p.store_queues.size());
  for (std::uint32_t c = 0; c < o.cores; ++c)
    out += fmt::format("core {}: blocks [{}, {})\n", c, p.core_blocks[c], p.core_blocks[c + 1]);
  return out;
}

io::Array conv2d_reference(const Conv2dOptions& o) {
  auto random = [&](std::vector<std::uint64_t> shape, std::uint64_t seed) {
    trace::TensorDecl t;
    t.dtype = o.dtype;
    t.shape = std::move(shape);
    t.init = trace::InitKind::kRandom;
    t.seed = seed;
    return functional::random_tensor(t);
  };
  const std::uint64_t n_ = o.batch, c_ = o.in_channels, f_ = o.out_channels, h = o.height,
                      w = o.width, kr = o.kernel_h, ks = o.kernel_w;
  const std::uint64_t oh = (h + 2 * o.padding - kr) / o.stride + 1;
  const std::uint64_t ow = (w + 2 * o.padding - ks) / o.stride + 1;
  const std::vector<float> x = random({n_, c_, h, w}, o.seed);
  const std::vector<float> wt = random({kr, ks, c_, f_}, o.seed + 1);
  std::vector<double> y(n_ * f_ * oh * ow, 0.0);
  std::vector<double> acc(f_);
  for (std::uint64_t n = 0; n < n_; ++n) {
    for (std::uint64_t i = 0; i < oh; ++i) {
      for (std::uint64_t j = 0; j < ow; ++j) {
        std::fill(acc.begin(), acc.end(), 0.0);
        for (std::uint64_t r = 0; r < kr; ++r) {
          const std::int64_t hi =
              static_cast<std::int64_t>(i * o.stride + r) - static_cast<std::int64_t>(o.padding);
          if (hi < 0 || hi >= static_cast<std::int64_t>(h)) continue;
          for (std::uint64_t s = 0; s < ks; ++s) {
            const std::int64_t wi =
                static_cast<std::int64_t>(j * o.stride + s) - static_cast<std::int64_t>(o.padding);
            if (wi < 0 || wi >= static_cast<std::int64_t>(w)) continue;
            for (std::uint64_t c = 0; c < c_; ++c) {
              const double xv = x[((n * c_ + c) * h + static_cast<std::uint64_t>(hi)) * w +
                                  static_cast<std::uint64_t>(wi)];
              const float* wrow = &wt[((r * ks + s) * c_ + c) * f_];
              for (std::uint64_t f = 0; f < f_; ++f)
                acc[f] += xv * wrow[f];
            }
          }
        }
        for (std::uint64_t f = 0; f < f_; ++f)
          y[((n * f_ + f) * oh + i) * ow + j] = acc[f];
      }
    }
  }
  const std::vector<float> rounded(y.begin(), y.end());
  return io::make_array(o.dtype, {n_, f_, oh, ow}, rounded);
}

}  // namespace trnsim::gen
