// `trnsim gen tp-gemm`: a tensor-parallel (row-parallel) linear layer Y = X W over several
// chips, whose all-reduce overlaps the GEMM that produces it.
//
// The contraction K is split over C chips: chip c holds the rows Kc of W (B_c<c>, K/C x N)
// and the columns Kc of X (as X^T, like `gen gemm`'s AT), computes the partial product
// P_c = X[:, Kc] W[Kc, :] (M x N, fp32) with `gen gemm`'s tiling on its cores, and an
// in-place all-reduce (`gen allreduce --in-place`) leaves Y = sum_c P_c on every chip.
//
// Overlap. The rows of Y are split into J chunks. Each chunk is a GEMM of its own over M/J
// rows (`gen gemm` has no per-row-block signal, so a chunk's last store is the end of its
// program), writing its own tensor C_c<c>_j<j> [M/J, N] on chip c, from its own slice of X,
// AT_c<c>_j<j> [K/C, M/J]. Chunk j's all-reduce, over the tensors C_c<c>_j<j> of every
// chip, starts on chip c once every core of chip c has stored chunk j, while the cores go
// on with chunk j + 1. The all-reduce runs on the DMA queues of one core per chip (`core`),
// on queues the GEMM does not use where the config has enough, so it competes with that
// core's GEMM loads and stores for the core's DMA engines, not for its queues.
//
// The trace is composed from the two generators' programs (compose.h); tp_gemm.cpp says
// why the composition is race-free and deadlock-free under any timing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"
#include "gen/collectives.h"
#include "io/npy.h"
#include "isa/isa.h"
#include "trace/program.h"

namespace trnsim::gen {

struct TpGemmOptions {
  std::uint64_t m = 0;
  std::uint64_t n = 0;
  std::uint64_t k = 0;                          // the full contraction; each chip takes K / chips
  std::uint32_t chips = 0;                      // 0: the config's system.chips
  std::uint32_t chunks = 4;                     // row blocks of Y, each all-reduced on its own
  isa::DType dtype = isa::DType::kBf16;         // X and W; partials and Y are fp32
  std::uint32_t cores = 1;                      // GEMM cores per chip
  CollectiveAlgo algo = CollectiveAlgo::kRing;  // ring or 2d
  std::uint32_t core = 0;  // the core of each chip whose DMA queues run the all-reduce
  std::uint64_t seed = 1;  // see tp_gemm_seed()
  bool gemm_only = false;  // the GEMM chunks alone, without any all-reduce (for comparison)
};

// The seed of the random tensors: B_c<c> has seed + c * (chunks + 1), AT_c<c>_j<j> has
// seed + c * (chunks + 1) + 1 + j.
std::uint64_t tp_gemm_seed(const TpGemmOptions& options, std::uint32_t chip, bool b,
                           std::uint32_t chunk = 0);

// The name of a chunk's output (and all-reduce) tensor on a chip: C_c<c>_j<j>.
std::string tp_gemm_output(std::uint32_t chip, std::uint32_t chunk);

struct TpGemmPlan {
  TpGemmOptions options;  // chips filled in
  std::uint64_t chunk_rows = 0;
  std::uint64_t k_per_chip = 0;
  std::uint32_t stores_per_chunk = 0;  // GEMM stores of one chunk on one chip
  std::uint8_t collective_queue = 0;   // first DMA queue of the all-reduce
  std::string gemm;                    // describe() of one chunk's GEMM
  std::string collective;              // describe() of one chunk's all-reduce
};

// Validates the options (throws trnsim::InputError, file "gen tp-gemm", naming the
// problem) and describes what tp_gemm() emits.
TpGemmPlan plan_tp_gemm(const TpGemmOptions& options, const config::SystemConfig& cfg);

trace::Program tp_gemm(const TpGemmOptions& options, const config::SystemConfig& cfg);

// The expected contents of every output tensor, by name (C_c<c>_j<j>): rows of
// Y = sum_c X[:, Kc] W[Kc, :] computed in double from the same random inputs, rounded to
// fp32. With gemm_only, each chip's own partial product instead.
std::vector<std::pair<std::string, io::Array>> tp_gemm_reference(const TpGemmOptions& options,
                                                                 const config::SystemConfig& cfg);

std::string describe(const TpGemmPlan& plan);

}  // namespace trnsim::gen
