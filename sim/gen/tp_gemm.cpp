#include "gen/tp_gemm.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/diagnostic.h"
#include "functional/random_init.h"
#include "gen/compose.h"
#include "gen/gemm.h"

namespace trnsim::gen {

// Why the composed trace is race-free and deadlock-free under any timing.
//
// GEMM chunks of one chip. Every chunk is the same `gen gemm` program (same shape, cores,
// config: the same schedule, SBUF layout, PSUM banks and semaphore names) apart from its
// tensors, so the chunks reuse the same buffers. Chunk j + 1 is appended with its
// semaphores continued (compose.h): each buffer's phases of chunk j + 1 come after all of
// chunk j's, and chunk j + 1's first access of a buffer (always a write: a load, a matmul
// with acc=start, an evacuation) waits until every access of chunk j to it has posted.
// That is the buffer protocol of program_builder.h over the concatenated phase sequence,
// whose argument holds unchanged. Its last phase in chunk j is always a read (matmuls read
// the operand slots, evacuations the banks, stores the output slots), so phases still
// alternate. Chunk j + 1 may thus load while chunk j still computes, as within one GEMM.
//
// GEMM -> all-reduce. Each chunk's stores write only that chunk's tensor C_c<c>_j<j>, and
// every one of them posts `stored_j<j>` on the all-reduce core of its chip when it has
// completed (a post to another core arrives after the instruction's data has landed). The
// all-reduce of chunk j accesses only the tensors C_c<c>_j<j>. In the in-place ring and 2d
// all-reduce (collectives.cpp) the only instruction of chip c that waits for nothing is its
// entry `nop`, which posts chip c's `init` and its ring predecessor's `ready`; every other
// access to chip c's buffer follows it: chip c's sends wait for `init` (or for receives
// that themselves followed the handshake), and every write into chip c by another chip
// waits for chip c's `ready`, posted by the entry nop or by a later handshake that
// follows receives which followed it. Here that entry nop (every instruction of chip c
// without a wait, in general) also waits stored_j<j> >= the stores of chunk j on chip c,
// so no access of the all-reduce overlaps a GEMM store of the same tensor; nothing else
// writes or reads these tensors.
//
// Deadlock. Instructions are appended in the order G_0 (every chip), A_0, G_1, A_1, ...,
// where G_j is chunk j's GEMM and A_j its all-reduce, so each stream holds its part of
// G_j and A_j before anything of later chunks. G_j waits only for G_j and earlier GEMM
// chunks of its chip; A_j waits only for G_j and for A_j of other chips. By induction on
// j, with the all-reduce on queues of its own (or sharing the GEMM's when the config has
// too few, which only delays), every instruction eventually issues.

namespace {

constexpr const char* kFile = "gen tp-gemm";

[[noreturn]] void fail(std::string message) {
  throw InputError(kFile, 0, 0, std::move(message));
}

// Runs `f`, reporting another generator's InputError as one of tp-gemm naming `what`.
template <typename F>
auto as_tp_gemm(std::string_view what, F f) {
  return as_part_of(kFile, what, f);
}

GemmOptions chunk_gemm(const TpGemmOptions& o, std::uint64_t chunk_rows, std::uint64_t k) {
  GemmOptions g;
  g.m = chunk_rows;
  g.n = o.n;
  g.k = k;
  g.dtype = o.dtype;
  g.out_dtype = isa::DType::kFp32;
  g.cores = o.cores;
  return g;
}

CollectiveOptions chunk_allreduce(const TpGemmOptions& o, std::uint64_t chunk_rows) {
  CollectiveOptions c;
  c.collective = Collective::kAllReduce;
  c.algo = o.algo;
  c.chips = o.chips;
  c.bytes = chunk_rows * o.n * isa::dtype_bytes(isa::DType::kFp32);
  c.dtype = isa::DType::kFp32;
  c.core = o.core;
  c.in_place = true;
  c.cols = o.n;
  return c;
}

std::uint32_t max_queue(const trace::Program& p) {
  std::uint32_t q = 0;
  for (const trace::Instruction& ins : p.instructions) {
    if (ins.engine == isa::Engine::kDma) q = std::max<std::uint32_t>(q, ins.queue);
  }
  return q;
}

bool is_store(const trace::Program& p, const trace::Instruction& ins, std::uint32_t c_tensor) {
  if (ins.engine != isa::Engine::kDma) return false;
  const trace::Arg* dst = p.positional(ins, 0);
  return dst && dst->kind == isa::ArgKind::kOperand && p.operand(dst->operand).tensor == c_tensor;
}

}  // namespace

std::uint64_t tp_gemm_seed(const TpGemmOptions& o, std::uint32_t chip, bool b,
                           std::uint32_t chunk) {
  const std::uint64_t base = o.seed + std::uint64_t{chip} * (o.chunks + 1);
  return b ? base : base + 1 + chunk;
}

std::string tp_gemm_output(std::uint32_t chip, std::uint32_t chunk) {
  return fmt::format("C_c{}_j{}", chip, chunk);
}

TpGemmPlan plan_tp_gemm(const TpGemmOptions& options, const config::SystemConfig& cfg) {
  TpGemmPlan plan;
  TpGemmOptions& o = plan.options;
  o = options;
  if (o.chips == 0) o.chips = cfg.system.chips;
  if (o.chips < 2 || o.chips > cfg.system.chips) {
    fail(
        fmt::format("--chips {} is out of range: tp-gemm needs at least 2 chips and config "
                    "'{}' has {} (system.chips)",
                    o.chips, cfg.name, cfg.system.chips));
  }
  if (o.algo != CollectiveAlgo::kRing && o.algo != CollectiveAlgo::k2d)
    fail(fmt::format("--algo {} is not available for tp-gemm; expected ring or 2d",
                     algo_name(o.algo)));
  if (o.m == 0 || o.n == 0 || o.k == 0)
    fail(fmt::format("every size must be at least 1, got M={} N={} K={}", o.m, o.n, o.k));
  if (o.k % o.chips != 0) {
    fail(fmt::format("--k {} does not split over {} chips: K must be a multiple of --chips", o.k,
                     o.chips));
  }
  if (o.chunks == 0) fail("--chunks must be at least 1");
  if (o.core >= cfg.chip.cores) {
    fail(fmt::format("--core {} does not exist: config '{}' has {} cores per chip", o.core,
                     cfg.name, cfg.chip.cores));
  }
  plan.k_per_chip = o.k / o.chips;
  // Chunks are whole tiles of rows, so every chunk's GEMM has the schedule of the others.
  const GemmPlan whole =
      as_tp_gemm("GEMM", [&] { return plan_gemm(chunk_gemm(o, o.m, plan.k_per_chip), cfg); });
  const std::uint64_t tile_m = whole.tile_m;
  const std::uint64_t m_tiles = whole.m_tiles;
  if (o.chunks > 1 && (o.m % tile_m != 0 || m_tiles % o.chunks != 0)) {
    fail(
        fmt::format("--chunks {} does not divide the rows of M={} into whole tiles: M is {} "
                    "tile(s) of {} rows{}; use a chunk count that divides {}",
                    o.chunks, o.m, m_tiles, tile_m,
                    o.m % tile_m != 0 ? " (the last one partial)" : "", m_tiles));
  }
  plan.chunk_rows = o.m / o.chunks;
  const GemmOptions g = chunk_gemm(o, plan.chunk_rows, plan.k_per_chip);
  plan.gemm = as_tp_gemm("the GEMM of one chunk", [&] { return describe(plan_gemm(g, cfg)); });
  const trace::Program base = gemm(g, cfg);
  const std::uint32_t c_tensor = base.find_tensor("C");
  for (const trace::Instruction& ins : base.instructions)
    plan.stores_per_chunk += is_store(base, ins, c_tensor) ? 1 : 0;
  if (!o.gemm_only) {
    const CollectiveOptions c = chunk_allreduce(o, plan.chunk_rows);
    if (plan.chunk_rows % o.chips != 0) {
      fail(
          fmt::format("a chunk of {} rows does not split into {} equal shards of whole rows for "
                      "the all-reduce: M / chunks must be a multiple of --chips",
                      plan.chunk_rows, o.chips));
    }
    plan.collective = as_tp_gemm("the all-reduce of one chunk",
                                 [&] { return describe(plan_collective(c, cfg)); });
    // Queues of their own for the all-reduce when the config has them.
    const std::uint32_t gemm_queues = max_queue(base) + 1;
    const std::uint32_t ar_queues = max_queue(collective(c, cfg)) + 1;
    const std::uint32_t queues = std::max<std::uint32_t>(1, cfg.dma.queues);
    const std::uint32_t first =
        gemm_queues + ar_queues <= queues ? gemm_queues : queues - std::min(queues, ar_queues);
    plan.collective_queue = static_cast<std::uint8_t>(std::min<std::uint32_t>(first, 255));
  }
  return plan;
}

trace::Program tp_gemm(const TpGemmOptions& options, const config::SystemConfig& cfg) {
  const TpGemmPlan plan = plan_tp_gemm(options, cfg);
  const TpGemmOptions& o = plan.options;
  const trace::Program base = gemm(chunk_gemm(o, plan.chunk_rows, plan.k_per_chip), cfg);
  const std::uint32_t c_tensor = base.find_tensor("C");

  trace::Program out;
  out.file = kFile;
  // W's rows of each chip, shared by its chunks; declared first so the chunks bind to it.
  for (std::uint32_t chip = 0; chip < o.chips; ++chip) {
    trace::TensorDecl b = base.tensors[base.find_tensor("B")];
    b.name = fmt::format("B_c{}", chip);
    b.chip = chip;
    b.seed = tp_gemm_seed(o, chip, true);
    out.add_tensor(std::move(b));
  }
  // stored[chip][chunk]: posted by every GEMM store of the chunk on the chip.
  std::vector<std::vector<std::uint32_t>> stored(o.chips);
  if (!o.gemm_only) {
    for (std::uint32_t chip = 0; chip < o.chips; ++chip) {
      const std::uint32_t core = out.core_index({chip, o.core});
      for (std::uint32_t j = 0; j < o.chunks; ++j)
        stored[chip].push_back(out.add_semaphore({fmt::format("stored_j{}", j), core, 0, 0}));
    }
  }

  for (std::uint32_t j = 0; j < o.chunks; ++j) {
    for (std::uint32_t chip = 0; chip < o.chips; ++chip) {
      const std::string suffix = fmt::format("_c{}_j{}", chip, j);
      trace::Program g = relocate(base, chip, suffix);
      g.tensors[g.find_tensor("AT" + suffix)].seed = tp_gemm_seed(o, chip, false, j);
      AppendOptions a;
      a.bind["B" + suffix] = fmt::format("B_c{}", chip);
      a.continue_semaphores = true;
      if (!o.gemm_only) {
        const std::uint32_t post = stored[chip][j];
        a.edit_syncs = [&, post](std::uint32_t i, std::vector<trace::SyncOp>& syncs) {
          if (!is_store(g, g.instructions[i], c_tensor)) return;
          trace::SyncOp s;
          s.semaphore = post;
          s.value = 1;
          s.kind = trace::SyncKind::kPostAdd;
          syncs.push_back(s);
        };
      }
      append(out, g, a);
    }
    if (o.gemm_only) continue;

    trace::Program ar = collective(chunk_allreduce(o, plan.chunk_rows), cfg);
    for (trace::SemaphoreDecl& s : ar.semaphores)
      s.name += fmt::format("_j{}", j);
    AppendOptions a;
    for (std::uint32_t chip = 0; chip < o.chips; ++chip)
      a.bind[fmt::format("Y{}", chip)] = tp_gemm_output(chip, j);
    a.queue_offset = plan.collective_queue;
    a.edit_syncs = [&](std::uint32_t i, std::vector<trace::SyncOp>& syncs) {
      const bool waits = std::any_of(syncs.begin(), syncs.end(), [](const trace::SyncOp& s) {
        return s.kind == trace::SyncKind::kWaitGe;
      });
      if (waits) return;
      const std::uint32_t chip = ar.cores[ar.instructions[i].core_index].id.chip;
      trace::SyncOp w;
      w.semaphore = stored[chip][j];
      w.value = plan.stores_per_chunk;
      w.kind = trace::SyncKind::kWaitGe;
      syncs.insert(syncs.begin(), w);
    };
    append(out, ar, a);
  }
  return out;
}

std::vector<std::pair<std::string, io::Array>> tp_gemm_reference(const TpGemmOptions& options,
                                                                 const config::SystemConfig& cfg) {
  const TpGemmPlan plan = plan_tp_gemm(options, cfg);
  const TpGemmOptions& o = plan.options;
  const std::uint64_t rows = plan.chunk_rows, n = o.n, k = plan.k_per_chip;
  auto random = [&](std::uint64_t r, std::uint64_t c, std::uint64_t seed) {
    trace::TensorDecl t;
    t.dtype = o.dtype;
    t.shape = {r, c};
    t.init = trace::InitKind::kRandom;
    t.seed = seed;
    return functional::random_tensor(t);
  };
  std::vector<std::vector<float>> w;
  for (std::uint32_t chip = 0; chip < o.chips; ++chip)
    w.push_back(random(k, n, tp_gemm_seed(o, chip, true)));
  std::vector<std::pair<std::string, io::Array>> out;
  for (std::uint32_t j = 0; j < o.chunks; ++j) {
    std::vector<std::vector<double>> partial(o.chips, std::vector<double>(rows * n, 0.0));
    for (std::uint32_t chip = 0; chip < o.chips; ++chip) {
      const std::vector<float> at = random(k, rows, tp_gemm_seed(o, chip, false, j));
      for (std::uint64_t kk = 0; kk < k; ++kk) {
        for (std::uint64_t r = 0; r < rows; ++r) {
          const double a = at[kk * rows + r];
          for (std::uint64_t c = 0; c < n; ++c)
            partial[chip][r * n + c] += a * w[chip][kk * n + c];
        }
      }
    }
    std::vector<double> sum(rows * n, 0.0);
    for (const auto& p : partial)
      for (std::uint64_t e = 0; e < sum.size(); ++e)
        sum[e] += p[e];
    for (std::uint32_t chip = 0; chip < o.chips; ++chip) {
      const std::vector<double>& value = o.gemm_only ? partial[chip] : sum;
      const std::vector<float> rounded(value.begin(), value.end());
      out.emplace_back(tp_gemm_output(chip, j),
                       io::make_array(isa::DType::kFp32, {rows, n}, rounded));
    }
  }
  return out;
}

std::string describe(const TpGemmPlan& plan) {
  const TpGemmOptions& o = plan.options;
  std::string out = fmt::format(
      "tp-gemm {}x{}x{} {} over {} chips (K {} per chip), {} chunks of {} rows\n", o.m, o.n, o.k,
      isa::dtype_name(o.dtype), o.chips, plan.k_per_chip, o.chunks, plan.chunk_rows);
  out += "each chunk's GEMM on each chip: " + plan.gemm;
  if (!o.gemm_only) {
    out += fmt::format(
        "each chunk's all-reduce (core {}, DMA queues from {}, after {} stores per chip):\n{}",
        o.core, plan.collective_queue, plan.stores_per_chunk, plan.collective);
  }
  return out;
}

}  // namespace trnsim::gen
