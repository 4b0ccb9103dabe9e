// A synthetic trace shaped like compiled GEMM + epilogue code, for benchmarks: per tile,
// two DMA loads of tensor slices, a matmul, an activation from PSUM, element-wise work on
// the vector and GpSimd engines, a sync-engine barrier and a DMA store, chained by
// semaphores. Offsets, banks, slices and functions vary from tile to tile, so the operand
// pool holds thousands of distinct operands as in real traces, not a handful.
#pragma once

#include <cstdint>
#include <string>

namespace trnsim::bench {

// Instructions per tile; a trace of N instructions has N / kInstructionsPerTile tiles.
inline constexpr std::uint64_t kInstructionsPerTile = 9;

// Trace text of about `instructions` instructions over `cores` NeuronCores of chip 0.
std::string synthetic_trace(std::uint64_t instructions, std::uint32_t cores);

}  // namespace trnsim::bench
