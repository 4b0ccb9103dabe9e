// `trnsim gen gemm`: a tiled, double-buffered GEMM C[M,N] = A[M,K] . B[K,N] as a trace.
//
// The tensor engine contracts over partitions: a matmul takes its stationary operand as
// K x M and its moving operand as K x N, K on partitions. So A is stored transposed in HBM,
// as `AT` [K, M], and both operands load with K on partitions by plain row slices. C is
// written in out_dtype after an fp32 accumulation over all of K in a PSUM bank.
//
// What is emitted, per core (docs/generators.md has the full story):
//   - DMA loads of AT and B tiles into rings of SBUF slots, one semaphore per slot;
//   - matmuls, acc=start for the first K tile of an output tile and acc=accumulate after,
//     into PSUM banks used in rotation;
//   - evacuations PSUM -> SBUF on the scalar and/or vector engine into a ring of output
//     slots, converting to out_dtype;
//   - DMA stores of the output slots into C.
// Every reuse of a slot or bank is guarded by the phase protocol of program_builder.h, so
// the trace has no race under any timing. The schedule (loop order, which operand stays
// resident, buffer counts) is chosen from the config by plan_gemm(); gemm() emits it.
//
// `trnsim gen bmm` is the same generator with a batch dimension (GemmOptions::batch): the
// tensors gain a leading batch index (AT [batch, K, M], B [batch, K, N], C [batch, M, N]),
// each core walks the groups of its batches one batch after another, and the rings of SBUF
// slots and the PSUM banks keep rotating across batch boundaries, so the loads of batch
// b + 1 overlap the matmuls of batch b. Cores split the batches first, then the tiles.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "isa/isa.h"
#include "trace/program.h"

namespace trnsim::gen {

// Which engines copy finished output tiles out of PSUM.
enum class Evacuation : std::uint8_t {
  kAlternate,  // scalar (activation func=identity) and vector (tensor_copy) in turn
  kScalar,     // scalar engine only
  kVector,     // vector engine only
};

struct GemmOptions {
  std::uint64_t m = 0;
  std::uint64_t n = 0;
  std::uint64_t k = 0;
  isa::DType dtype = isa::DType::kBf16;  // AT and B
  std::optional<isa::DType> out_dtype;   // C; defaults to dtype
  std::uint32_t cores = 1;               // NeuronCores of chip 0 sharing the work
  std::uint64_t seed = 1;                // AT uses seed, B uses seed + 1
  Evacuation evacuation = Evacuation::kAlternate;
  // 0: a plain GEMM with two-dimensional tensors (`gen gemm`). n >= 1: n independent
  // products C[b] = A[b] . B[b] with three-dimensional tensors, batch outermost (`gen bmm`).
  std::uint32_t batch = 0;
};

// Output tiles are processed in groups of group_m x group_n tiles that accumulate over K
// together, one PSUM bank each. kRowsOuter walks the groups of one row block of M before
// the next row block; kColumnsOuter walks one column block of N before the next.
enum class LoopOrder : std::uint8_t { kRowsOuter, kColumnsOuter };

// A half-open range of tile indices.
struct TileRange {
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
  std::uint32_t size() const { return end - begin; }
};

// One ring of equally sized SBUF slots (bytes per partition).
struct Ring {
  std::uint32_t slots = 0;
  std::uint64_t slot_bytes = 0;
  std::uint64_t offset = 0;  // of slot 0
  std::uint64_t bytes() const { return slots * slot_bytes; }
};

// The schedule of one core: its share of the output tiles and how it walks them.
struct CorePlan {
  std::uint32_t core = 0;   // on chip 0
  TileRange batches{0, 1};  // batch indices, one after another; {0, 1} for a plain GEMM
  TileRange m_tiles;
  TileRange n_tiles;
  LoopOrder order = LoopOrder::kRowsOuter;
  std::uint32_t group_m = 1;
  std::uint32_t group_n = 1;
  // Resident: one load of a K tile of this operand serves every group that shares its
  // rows (AT) or columns (B), so the whole K strip stays in SBUF across those groups.
  // Streamed: each group loads its own copy.
  bool at_resident = false;
  bool b_resident = false;
  Ring at;                       // AT tiles: K tile x (group_m * tile.m) columns
  Ring b;                        // B tiles: K tile x (group_n * tile.n) columns
  Ring out;                      // output tiles in out_dtype: tile.m partitions x tile.n
  std::uint32_t psum_banks = 0;  // banks used in rotation
  std::uint64_t load_bytes = 0;  // HBM -> SBUF traffic
  std::uint64_t loads = 0;       // DMA load instructions
  // DMA queues by traffic: loads of AT, loads of B, stores of C; disjoint unless the config
  // has fewer than three queues.
  std::vector<std::uint8_t> at_queues;
  std::vector<std::uint8_t> b_queues;
  std::vector<std::uint8_t> store_queues;
};

struct GemmPlan {
  GemmOptions options;       // out_dtype filled in
  std::uint32_t tile_k = 0;  // partitions of both operands
  std::uint32_t tile_m = 0;  // stationary columns, output partitions
  std::uint32_t tile_n = 0;  // moving columns, one PSUM bank of fp32
  std::uint32_t k_tiles = 0;
  std::uint32_t m_tiles = 0;
  std::uint32_t n_tiles = 0;
  std::vector<CorePlan> cores;
};

// Validates the options against `cfg` and chooses the schedule. Throws trnsim::InputError
// (file "gen gemm", or "gen bmm" when batched, line 0) naming the problem: zero sizes, too many
// cores, a dtype the tensor engine does not take, tiles that cannot fit SBUF/PSUM, tensors that do
// not fit HBM.
GemmPlan plan_gemm(const GemmOptions& options, const config::SystemConfig& cfg);

// The trace of plan_gemm(options, cfg). Deterministic: the same options and config give
// the same program, hence byte-identical printed text.
trace::Program gemm(const GemmOptions& options, const config::SystemConfig& cfg);

// One line per core describing the schedule, for `--verbose` output and docs.
std::string describe(const GemmPlan& plan);

}  // namespace trnsim::gen
