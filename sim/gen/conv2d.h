// `trnsim gen conv2d`: a 2-D convolution Y = conv(X, Wt) as a trace, by implicit im2col.
//
// Layouts: X [N, C, H, W] (NCHW), Wt [R, S, C, F], Y [N, F, OH, OW]. The contraction runs
// over (r, s, c): one matmul per kernel tap (r, s) and chunk of at most 128 input channels,
// all accumulating into one PSUM bank. The stationary operand is Wt[r, s, c0:c1, f0:f1]
// (channels on partitions, output channels as columns); the moving operand is the input
// window of that tap, read straight out of a zero-padded input tile in SBUF by an access
// pattern (row stride = the tile's row pitch times the conv stride, column stride = the
// conv stride, offset = r rows + s columns). So no im2col matrix is ever built: the tensor
// engine's pattern does the gather (docs/generators.md compares this with an explicit
// im2col in HBM).
//
// What is emitted, per core (a contiguous share of the output blocks):
//   - DMA loads of every weight tap into SBUF, once (they stay resident);
//   - per output block (one image, a band of output rows, a range of columns that fits one
//     PSUM bank): GpSimd memsets that zero the tile when it includes padding, DMA loads of
//     the valid interior per channel chunk into a ring of input tiles;
//   - per block and tile of output channels: the matmuls, an evacuation PSUM -> SBUF
//     (scalar and vector engines in turn) into a ring of output slots, and a DMA store into
//     Y[n, f0:f1, oh0:oh1, ow0:ow1].
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

struct Conv2dOptions {
  std::uint64_t batch = 1;         // N
  std::uint64_t in_channels = 0;   // C
  std::uint64_t out_channels = 0;  // F
  std::uint64_t height = 0;        // H
  std::uint64_t width = 0;         // W
  std::uint64_t kernel_h = 0;      // R
  std::uint64_t kernel_w = 0;      // S
  std::uint64_t stride = 1;
  std::uint64_t padding = 0;             // zeros on every side
  isa::DType dtype = isa::DType::kBf16;  // X, Wt and Y: bf16 or fp32
  std::uint32_t cores = 1;               // NeuronCores of chip 0 sharing the output blocks
  std::uint64_t seed = 1;                // X uses seed, Wt seed + 1
};

struct Conv2dPlan {
  Conv2dOptions options;
  std::uint64_t out_h = 0, out_w = 0;  // OH, OW
  std::uint32_t chunk_c = 0;           // channels per chunk (partitions of both operands)
  std::uint32_t chunks = 0;            // ceil(C / chunk_c)
  std::uint32_t tile_f = 0;            // output channels per PSUM tile (its partitions)
  std::uint32_t f_tiles = 0;
  std::uint32_t block_h = 0, block_w = 0;  // output rows and columns of one block
  std::uint32_t blocks_h = 0, blocks_w = 0;
  std::uint64_t blocks = 0;  // N * blocks_h * blocks_w
  // The input tile of a block, in elements per partition: rows x pitch per chunk.
  std::uint32_t tile_rows = 0, pitch = 0;
  std::uint64_t weight_bytes = 0;  // per partition, all taps and chunks, resident
  std::uint64_t in_slot_bytes = 0, out_slot_bytes = 0;
  std::uint32_t in_slots = 0, out_slots = 0;
  std::uint32_t psum_banks = 0;
  std::vector<std::uint8_t> load_queues, store_queues;
  std::vector<std::uint64_t> core_blocks;  // first block of each core, then the end
};

// Validates the options against `cfg` and chooses the tiling. Throws trnsim::InputError (file
// "gen conv2d", line 0) naming the problem: zero sizes, a kernel larger than the padded
// input, a dtype other than bf16/fp32, too many cores, tiles or weights that do not fit
// SBUF, tensors that do not fit HBM.
Conv2dPlan plan_conv2d(const Conv2dOptions& options, const config::SystemConfig& cfg);

// The trace of plan_conv2d(options, cfg); deterministic.
trace::Program conv2d(const Conv2dOptions& options, const config::SystemConfig& cfg);

// The schedule in a few lines, for `--verbose`.
std::string describe(const Conv2dPlan& plan);

// The expected Y from the same random X (seed) and Wt (seed + 1): each output the exact sum
// of products in double over the zero-padded input, rounded once to the dtype.
io::Array conv2d_reference(const Conv2dOptions& options);

}  // namespace trnsim::gen
