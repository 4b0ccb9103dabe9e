// Cycle formulas of the tensor engine (a weight-stationary systolic array), as plain
// functions of the config and the operand shapes, so they can be tested exactly and
// reused by the RTL cross-check. The SystemC TensorEngine sequences them in time.
//
// A matmul has two phases:
//  - LoadStationary: the K x M stationary tile is shifted into the array, one row (or
//    `weight_load_rows_per_cycle` rows) per cycle. With background_weight_load the array
//    has a shadow weight buffer, the load runs `fast_weight_load_speedup` times faster and
//    overlaps the previous matmul's streaming.
//  - MultiplyMoving: the N moving columns stream in at the dtype's rate; the array's input
//    port is busy for max(min(MIN_II, M), N / rate) cycles (the published cost); the
//    last result leaves the array rows + cols - 2 cycles after the last column enters
//    (skewed fill and drain), then is written into the PSUM bank.
// Fidelity: the array's fill/drain always spans the full R x C array, since partial sums
// pass through unused PEs; PSUM write bandwidth is a fixed latency, not a contended port.
#pragma once

#include "config/config.h"
#include "isa/isa.h"

namespace trnsim::sysc {

// Moving columns per cycle for an input dtype.
double moving_rate(const config::TensorEngineParams& p, isa::DType dtype);

struct MatmulShape {
  std::uint32_t k = 0;                   // contraction: stationary and moving partitions
  std::uint32_t m = 0;                   // stationary free size: output partitions
  std::uint64_t n = 0;                   // moving free size: output columns
  isa::DType dtype = isa::DType::kBf16;  // moving/stationary input dtype
};

struct MatmulCycles {
  double weight_load = 0;  // LoadStationary, in the foreground or background form
  double stream = 0;       // cycles the moving input port is busy (initiation interval)
  double flow = 0;         // N / rate: cycles until the last column has entered
  double fill_drain = 0;   // rows + cols - 2
  double psum_write = 0;
};

MatmulCycles matmul_cycles(const config::TensorEngineParams& p, const MatmulShape& s);

// Transpose through the array (identity matmul): P x F in, F x P out; the published cost
// is max(P, min(MIN_II, F)) cycles of input-port occupancy.
MatmulCycles transpose_cycles(const config::TensorEngineParams& p, std::uint32_t partitions,
                              std::uint64_t free_elements);

// Cycles from the start of a weight load to the last PSUM write of a single matmul with
// the weight load in the foreground: weight_load + flow + fill_drain + psum_write. With one
// row per cycle, rate 1, psum_write 0 and K=R, M=C this is the textbook 2R + C + T - 2.
double matmul_isolated_latency(const MatmulCycles& c);

}  // namespace trnsim::sysc
