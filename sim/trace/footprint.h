// The bytes an operand touches, in the memory it names: the one description of "where an
// access pattern lands" that the DMA planner, the race detector and functional execution
// share.
//
// On-chip (SBUF, PSUM) an operand covers partitions [p0, p1) of one core and, in each of
// them, the same byte pattern from `base`; in HBM it covers one byte pattern of one chip
// (p0 = 0, p1 = 1). A pattern is up to 1 + kMaxPatternDims dimensions of (size, stride in
// bytes) over elements of elem_bytes, outermost first.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "config/config.h"
#include "isa/isa.h"
#include "trace/program.h"

namespace trnsim::trace {

struct Footprint {
  isa::Memory memory = isa::Memory::kSbuf;
  std::uint32_t chip = 0;
  std::uint32_t core = 0;  // the core whose SBUF/PSUM it is (on-chip only)
  std::uint32_t p0 = 0;
  std::uint32_t p1 = 1;
  std::int64_t base = 0;  // byte offset in each partition, or the HBM byte address
  std::uint32_t elem_bytes = 1;
  std::uint32_t ndims = 0;
  std::array<std::uint64_t, 1 + isa::kMaxPatternDims> size{};
  std::array<std::int64_t, 1 + isa::kMaxPatternDims> stride{};

  std::uint64_t elements() const;  // per partition (on-chip) or in all (HBM)
  // The bytes [lo, hi) of a partition (or of HBM) between the lowest and the highest byte
  // touched.
  std::int64_t lo() const;
  std::int64_t hi() const;
  // The memory instance it lies in, as a map key: a chip's HBM, or one core's SBUF or PSUM.
  std::uint64_t memory_key() const {
    const std::uint64_t owner = memory == isa::Memory::kHbm ? 0 : core;
    return static_cast<std::uint64_t>(memory) | (std::uint64_t{chip} << 8) | (owner << 32);
  }
};

// `where`: the core issuing the instruction (whose SBUF/PSUM on-chip operands name);
// `tensor_addresses`: each tensor's HBM address (trace::assign_tensor_addresses).
Footprint footprint(const Program& program, const Operand& op, CoreId where,
                    const config::SystemConfig& cfg,
                    const std::vector<std::uint64_t>& tensor_addresses);

// The contiguous byte runs [first, second) of one partition, sorted and merged. Stops
// after `max_runs` runs and returns false if there were more.
bool byte_runs(const Footprint& f, std::size_t max_runs,
               std::vector<std::pair<std::int64_t, std::int64_t>>& runs);

}  // namespace trnsim::trace
