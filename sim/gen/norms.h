// `trnsim gen softmax|layernorm|rmsnorm`: row-wise normalisations of X [R, D] as traces.
//
// Rows go on partitions, in tiles of up to sbuf.partitions rows, with all D columns of a row
// in the free dimension of one partition, so every statistic of a row (max, sum, mean,
// variance) is a per-partition reduction and never crosses partitions. Per tile:
//   - softmax:   m = max(x) (dve), e = exp(x - m) with accum= the row sums s (act),
//                y = e / s (dve);
//   - layernorm: bn_stats + bn_aggr give mean and variance (dve), r = (var + eps)^-1/2 and
//                b = -mean * r (dve), n = x * r + b (act), n *= gamma (dve), y = n + beta
//                (pool);
//   - rmsnorm:   ms = sum((x / sqrt(D))^2) with accum= (act), r = (ms + eps)^-1/2 (dve),
//                n = x * r (dve), y = n * gamma (dve).
// Tiles rotate through up to three sets of SBUF buffers, so tile i+1 loads while tile i
// computes and tile i-1 stores. gamma and beta are loaded once, into every partition used.
// Every buffer reuse is guarded by the phase protocol of program_builder.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"
#include "io/npy.h"
#include "isa/isa.h"
#include "trace/program.h"

namespace trnsim::gen {

enum class NormKind : std::uint8_t { kSoftmax, kLayerNorm, kRmsNorm };

// "softmax", "layernorm", "rmsnorm": the command and the generator's name in errors.
std::string_view norm_name(NormKind kind);

struct NormOptions {
  NormKind kind = NormKind::kSoftmax;
  std::uint64_t rows = 0;                // R
  std::uint64_t cols = 0;                // D, the normalised dimension
  isa::DType dtype = isa::DType::kBf16;  // X, gamma, beta and Y: bf16 or fp32
  double eps = 1e-5;                     // layernorm and rmsnorm: added to the variance
  std::uint64_t seed = 1;                // X: seed, gamma: seed + 1, beta: seed + 2
  // Write the result transposed, as YT [D, R] instead of Y [R, D]: each tile's y is
  // transposed by the tensor engine in blocks of up to PE-columns columns, into PSUM, copied
  // to SBUF (act) and stored one block at a time. For a consumer that contracts over D
  // (a GEMM's moving operand), which then needs no transpose of its own.
  bool transposed = false;
};

struct NormPlan {
  NormOptions options;
  std::uint32_t tile_rows = 0;  // partitions of a full tile
  std::uint32_t tiles = 0;
  std::uint32_t slots = 0;  // buffer sets in rotation, 1 to 3
  // Bytes per partition: one buffer set (x, work, y, statistics) and the parameters.
  std::uint64_t slot_bytes = 0;
  std::uint64_t param_bytes = 0;
  std::vector<std::uint8_t> load_queues;   // X tiles, in turn
  std::vector<std::uint8_t> store_queues;  // Y tiles, in turn
  std::vector<std::uint8_t> param_queues;  // gamma and beta rows, in turn
  // transposed: columns per transposed block (the PE's columns, at most the partitions),
  // blocks per tile, blocks per PSUM bank, and PSUM banks in rotation.
  std::uint32_t t_cols = 0;
  std::uint32_t t_blocks = 0;
  std::uint32_t t_per_bank = 0;
  std::uint32_t t_banks = 0;
};

// Validates the options against `cfg` and chooses tiles, buffers and queues. Throws
// trnsim::InputError (file "gen <kind>", line 0) naming the problem: a zero or too large
// size, a dtype other than bf16/fp32, a negative or non-finite eps, a row too long for one
// tile's buffers in SBUF, tensors that do not fit HBM.
NormPlan plan_norm(const NormOptions& options, const config::SystemConfig& cfg);

// The trace of plan_norm(options, cfg); deterministic.
trace::Program norm(const NormOptions& options, const config::SystemConfig& cfg);
trace::Program softmax(NormOptions options, const config::SystemConfig& cfg);
trace::Program layernorm(NormOptions options, const config::SystemConfig& cfg);
trace::Program rmsnorm(NormOptions options, const config::SystemConfig& cfg);

// One line describing the plan, for `--verbose`.
std::string describe(const NormPlan& plan);

// The expected Y, computed in double from the same random inputs as the trace's
// init=random tensors (docs/numerics.md), rounded once to the dtype.
io::Array norm_reference(const NormOptions& options);

}  // namespace trnsim::gen
