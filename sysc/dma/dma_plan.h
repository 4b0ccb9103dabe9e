// How one DMA instruction is carried out: which DMA engines move which bytes, from which
// addresses to which.
//
// A transfer is a list of rows: the partitions of the SBUF side (ARCH-FACTS: "a transfer
// is a list of contiguous buffers, at least one per partition for SBUF"), or the outermost
// dimension for HBM-to-HBM copies. Its rows are split evenly, in order, over the core's
// DMA engines (each gets a contiguous share, ~8 partitions of 128 on 16 engines; a single
// row stays on one engine, as one descriptor does in the hardware). A slice counts the
// descriptor elements (contiguous runs) it covers, which cost a fixed overhead each:
// strided transfers are slower.
// Fidelity: the bytes of a row are charged to the memories as if contiguous from the row's
// first byte, even where the pattern strides inside the row.
#pragma once

#include <cstdint>
#include <vector>

#include "config/config.h"
#include "trace/program.h"

namespace trnsim::sysc {

// Equally long rows at a fixed distance, in the system address space
// (memory/address_map.h).
struct DmaRows {
  std::uint64_t address = 0;  // of the first row
  std::int64_t stride = 0;    // bytes between the first bytes of consecutive rows
  std::uint64_t rows = 0;
  std::uint64_t row_bytes = 0;
  std::uint64_t bytes() const { return rows * row_bytes; }
};

// What one engine moves: the same rows on both sides (row lengths differ when the copy
// converts dtypes).
struct DmaSlice {
  std::uint32_t engine = 0;
  DmaRows src;
  DmaRows dst;
  double runs = 0;  // descriptor elements covered
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

// Plans a DMA `copy`/`copy_add` of the program into `plan` (whose storage is reused).
void plan_dma(const trace::Program& program, const trace::Instruction& ins,
              const config::SystemConfig& cfg, const TensorAddresses& tensors, DmaPlan& plan);
// The same, returning a new plan.
DmaPlan plan_dma(const trace::Program& program, const trace::Instruction& ins,
                 const config::SystemConfig& cfg, const TensorAddresses& tensors);

}  // namespace trnsim::sysc
