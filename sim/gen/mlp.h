// `trnsim gen mlp`: a SwiGLU MLP Y = (silu(X Wg) * (X Wu)) Wd as a trace, X [T, H] (tokens x
// hidden), Wg and Wu [H, F], Wd [F, H], without any transpose.
//
// The tensor engine contracts over partitions, so X is stored transposed in HBM, as `XT`
// [H, T] (as gen gemm stores AT). Tokens are processed in blocks of up to one PSUM bank of
// fp32 columns. Per block:
//   - stage 1, for each F tile of up to 128 rows: gate^T = Wg[:, f]^T X^T and up^T =
//     Wu[:, f]^T X^T accumulate over H chunks in two PSUM banks (stationary: a weight
//     chunk, H on partitions and f as columns; moving: the block's XT chunk), then
//     h^T = silu(gate^T) * up^T (act, then dve) lands in SBUF in the dtype, f on partitions:
//     exactly the layout stage 2 contracts over;
//   - stage 2, for each sub-block of up to 128 tokens and each hidden tile of up to one PSUM
//     bank: Y = sum over F tiles of h^T[f, tokens]^T Wd[f, hidden] (stationary: h^T,
//     moving: Wd), evacuated in out_dtype and stored.
// h^T of the whole block stays in SBUF, so the intermediate never goes to HBM; the token
// block is chosen so that it fits. Blocks narrower than a bank put several stage-1 tiles side
// by side in one PSUM bank, so that decode shapes load long weight rows. Weights stream through
// rings of SBUF slots, XT blocks are double-buffered, PSUM banks rotate, and cores share the token
// blocks. Every buffer reuse is guarded by the phase protocol of program_builder.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "io/npy.h"
#include "isa/isa.h"
#include "trace/program.h"

namespace trnsim::gen {

struct MlpOptions {
  std::uint64_t tokens = 0;              // T
  std::uint64_t hidden = 0;              // H
  std::uint64_t ffn = 0;                 // F
  isa::DType dtype = isa::DType::kBf16;  // XT, the weights and h: bf16, fp8e4 or fp32
  std::optional<isa::DType> out_dtype;   // Y; defaults to dtype
  std::uint32_t cores = 1;               // NeuronCores of chip 0 sharing the token blocks
  std::uint64_t seed = 1;                // XT: seed, Wg: seed + 1, Wu: seed + 2, Wd: seed + 3
};

// One ring of equally sized SBUF slots (bytes per partition).
struct MlpRing {
  std::uint32_t slots = 0;
  std::uint64_t slot_bytes = 0;
  std::uint64_t offset = 0;  // of slot 0
  std::uint64_t bytes() const { return slots * slot_bytes; }
};

struct MlpPlan {
  MlpOptions options;            // out_dtype filled in
  std::uint32_t tile_h = 0;      // H rows per stage-1 chunk (partitions)
  std::uint32_t tile_f = 0;      // F rows per tile: stage-1 columns, stage-2 partitions
  std::uint32_t tile_t = 0;      // tokens per stage-2 sub-block (output partitions)
  std::uint32_t tile_n = 0;      // hidden columns per stage-2 output tile (one PSUM bank)
  std::uint32_t block = 0;       // tokens per block (stage-1 moving columns)
  std::uint32_t blocks = 0;      // token blocks in all
  std::uint32_t h_chunks = 0;    // ceil(H / tile_h)
  std::uint32_t f_tiles = 0;     // ceil(F / tile_f)
  std::uint32_t n_tiles = 0;     // ceil(H / tile_n)
  std::uint32_t f_group = 0;     // F tiles whose gate/up accumulate together
  std::uint32_t f_pack = 0;      // stage-1 tiles side by side in one PSUM bank (small blocks)
  std::uint32_t t_group = 0;     // stage-2 sub-blocks sharing each Wd load
  std::uint32_t n_group = 0;     // hidden tiles per Wd load
  std::uint32_t psum_banks = 0;  // banks in rotation
  // SBUF, bytes per partition: XT block sets, h^T of a block, silu results, weight slots
  // (Wg and Wu side by side), Wd slots, output slots.
  MlpRing xt, h, work, w1, wd, out;
  std::uint64_t sbuf_bytes = 0;  // in all
  // Token blocks of each core, [first, end).
  std::vector<std::pair<std::uint32_t, std::uint32_t>> core_blocks;
  // DMA queues by traffic.
  std::vector<std::uint8_t> xt_queues, w1_queues, wd_queues, store_queues;
};

// Validates the options against `cfg` and chooses the schedule. Throws trnsim::InputError
// (file "gen mlp", line 0) naming the problem: zero or too large sizes, a dtype other than
// bf16/fp8e4/fp32, too many cores for the token blocks, h^T of even a one-token block not
// fitting SBUF, tensors that do not fit HBM, a config without room for the tiles.
MlpPlan plan_mlp(const MlpOptions& options, const config::SystemConfig& cfg);

// The trace of plan_mlp(options, cfg); deterministic.
trace::Program mlp(const MlpOptions& options, const config::SystemConfig& cfg);

// Lines describing the plan, for `--verbose`.
std::string describe(const MlpPlan& plan);

// The expected Y, computed in double from the same random inputs as the trace's
// init=random tensors: gate and up exact, h = silu(gate) * up rounded to the dtype (as the
// trace stores it), Y = h Wd rounded once to out_dtype.
io::Array mlp_reference(const MlpOptions& options);

}  // namespace trnsim::gen
