// How one DMA instruction is carried out: which DMA engines move which bytes, in bursts of
// at most `dma.chunk_bytes`, from which address to which.
//
// A transfer is a list of rows: the partitions of the SBUF side (ARCH-FACTS: "a transfer
// is a list of contiguous buffers, at least one per partition for SBUF"), or the outermost
// dimension for HBM-to-HBM copies. Its rows are split evenly, in order, over the core's
// DMA engines (each gets a contiguous share, ~8 partitions of 128 on 16 engines; a single
// row stays on one engine, as one descriptor does in the hardware), each row cut into
// bursts. A burst counts the descriptor elements (contiguous runs) it
// covers, which cost a fixed overhead each: strided transfers are slower.
// Fidelity: a burst's HBM address is that of its first byte; its bytes are charged to the
// HBM channels as if contiguous from there, even where the pattern strides.
#pragma once

#include <cstdint>
#include <vector>

#include "config/config.h"
#include "trace/program.h"

namespace trnsim::sysc {

struct DmaBurst {
  std::uint64_t src_address = 0;  // system addresses (memory/address_map.h)
  std::uint64_t dst_address = 0;
  std::uint64_t src_bytes = 0;
  std::uint64_t dst_bytes = 0;
  double runs = 0;  // descriptor elements covered (a share of one when a run is cut)
};

struct DmaSlice {
  std::uint32_t engine = 0;
  std::vector<DmaBurst> bursts;
};

struct DmaPlan {
  std::vector<DmaSlice> slices;  // one per engine used, in engine order
  std::uint64_t src_bytes = 0;
  std::uint64_t dst_bytes = 0;
  isa::Memory src_memory = isa::Memory::kHbm;
  isa::Memory dst_memory = isa::Memory::kSbuf;
};

// Where each tensor of the program lives in its chip's HBM (index = tensor index).
using TensorAddresses = std::vector<std::uint64_t>;

// Plans a DMA `copy`/`copy_add` issued by core `core_index` of the program.
DmaPlan plan_dma(const trace::Program& program, const trace::Instruction& ins,
                 const config::SystemConfig& cfg, const TensorAddresses& tensors);

}  // namespace trnsim::sysc
