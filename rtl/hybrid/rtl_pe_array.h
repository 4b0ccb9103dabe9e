// The verilated rtl/pe_array.sv as the tensor engine's array in a full simulation
// (`trnsim run --rtl pe_array`, docs/rtl.md "Hybrid runs").
//
// Every matmul and transpose the tensor engines issue runs through the RTL array, in the
// order the engines issue them, with deterministic pseudo-random operands of the
// instruction's shape (a transpose: the tile as the stationary operand, the identity as the
// moving vectors): bf16 ones on the bf16 datapath for bf16 instructions, int8 ones on the
// int8 datapath for the rest. What the array measures replaces the formula: the cycles from the
// last moving vector entering to the last result leaving (fill and drain). The array's load and
// streaming rates are its design (one weight row, one vector per cycle), checked against
// the config when the model is created; the engine's policies (background weight load,
// minimum issue interval, throttling, PSUM write) stay in the SystemC engine. Every result
// row is compared with an independent product (int32, or fp32 in the array's order of
// accumulation), so a hybrid run also checks the RTL's data.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "sysc/tensor/array_timing.h"

namespace trnsim::rtl {

// Where the RTL and the formulas disagreed, or the RTL computed a wrong number.
struct PeArrayDifference {
  std::uint32_t instruction = 0;  // into Program::instructions
  std::string what;               // e.g. "fill/drain 31 cycles, formula 30"
};

struct PeArrayRunStats {
  std::string model;             // e.g. "rtl/pe_array.sv, verilated 16x16"
  std::uint64_t matmuls = 0;     // run on the RTL
  std::uint64_t transposes = 0;  // run on the RTL
  std::uint64_t bf16 = 0;        // of those, on the bf16 datapath (bf16 operands)
  std::uint64_t int8 = 0;        // on the int8 datapath (every other dtype)
  std::uint64_t other_rate = 0;  // at a moving rate other than one vector per cycle
  std::uint64_t rtl_cycles = 0;  // clock cycles the model simulated
  double rtl_seconds = 0;        // wall time spent in the model
  std::uint64_t timing_differences = 0;
  std::uint64_t data_errors = 0;
  std::optional<PeArrayDifference> first_timing_difference;
  std::optional<PeArrayDifference> first_data_error;
};

class RtlPeArray : public sysc::ArrayTiming {
 public:
  // The verilated model of the config's tensor.rows x tensor.cols. Throws
  // std::invalid_argument, with a message naming what was expected, when no model of that
  // size was built or the config's array rates differ from the RTL's. `vcd_path`, when not
  // empty, receives the model's waveforms (time axis: the model's own cycles at the tensor
  // clock, matmuls back to back).
  static std::unique_ptr<RtlPeArray> create(const config::TensorEngineParams& p,
                                            const std::string& vcd_path);

  // The array sizes this build has models of, as "RxC".
  static std::vector<std::string> built_sizes();

  virtual const PeArrayRunStats& stats() const = 0;
};

}  // namespace trnsim::rtl
