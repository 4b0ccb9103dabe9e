// Where the tensor engine takes each matmul's array cycles from. By default the formulas
// (tensor_timing.h); `trnsim run --rtl pe_array` plugs in the verilated RTL array instead
// (rtl/hybrid/), which runs every matmul and transpose through rtl/pe_array.sv and returns
// the cycles it measured. The engine's own policies (background weight load, minimum issue
// interval, throttling, PSUM write, port sharing) stay in TensorEngine either way.
#pragma once

#include <cstdint>

#include "config/config.h"
#include "sysc/tensor/tensor_timing.h"

namespace trnsim::sysc {

class ArrayTiming {
 public:
  virtual ~ArrayTiming() = default;

  // The cycles of a matmul of shape `s` (instruction `instruction` of the program), or of
  // a transpose of `s.k` partitions by `s.m` elements when `transpose` (then s.n = s.k).
  virtual MatmulCycles cycles(const config::TensorEngineParams& p, const MatmulShape& s,
                              bool transpose, std::uint32_t instruction) = 0;
};

}  // namespace trnsim::sysc
