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

// A DMA-bound trace of `transfers` copies on one NeuronCore: tiles of a [8192, 4096] bf16
// tensor loaded into SBUF on queues 0-7 and stored back to another tensor from queues 8-15,
// in sizes from 512 B to 8 KiB per partition, some of them strided (a column block of
// the tensor). Each load/store pair shares an SBUF buffer; semaphores keep a buffer from
// being reloaded before its store has read it.
std::string dma_trace(std::uint64_t transfers);

}  // namespace trnsim::bench
