// Cycle formulas of the vector, scalar (activation) and GpSimd engines, as plain functions
// of the config and the instruction, so they can be tested exactly.
//
// An instruction over N elements per partition occupies the engine for
//     max(MIN_II, N * cost / elements_per_cycle * stride_penalty) + fixed_cycles
// cycles, where cost is the op class's cycles per element (ARCH-FACTS "Instruction
// costs"), elements_per_cycle the engine's per-lane rate for the slowest dtype involved
// ("perf modes"), and stride_penalty applies when an operand's innermost stride exceeds
// the SBUF/PSUM port's wide-stride limit. Completion comes access_start + fixed_latency
// cycles after the occupancy ends (starting the SRAM access, then the pipeline).
// Fidelity: costs per op class and dtype class, not per ALU function; no bank conflicts
// inside SBUF beyond the stride rule.
#pragma once

#include <cstdint>

#include "config/config.h"
#include "trace/program.h"

namespace trnsim::sysc {

struct ComputeCycles {
  double occupancy = 0;        // engine busy: the initiation interval to the next instruction
  double latency = 0;          // issue to completion
  std::uint64_t elements = 0;  // N: elements per partition processed
};

// The op-class cost (cycles per element) of `ins`, choosing fast or slow variants.
double cycles_per_element(const config::ComputeEngineParams& e, const trace::Program& p,
                          const trace::Instruction& ins);

ComputeCycles compute_cycles(const config::ComputeEngineParams& e, const config::SbufParams& sbuf,
                             const trace::Program& p, const trace::Instruction& ins);

// Elements per lane per cycle for a dtype on engine `e`.
double elements_per_cycle(const config::ComputeEngineParams& e, isa::DType dtype);

}  // namespace trnsim::sysc
