#include "sysc/tensor/tensor_timing.h"

#include <algorithm>

#include "config/derived.h"

namespace trnsim::sysc {

double moving_rate(const config::TensorEngineParams& p, isa::DType dtype) {
  return config::per_dtype(p.moving_columns_per_cycle, dtype);
}

MatmulCycles matmul_cycles(const config::TensorEngineParams& p, const MatmulShape& s) {
  MatmulCycles c;
  const double load_rate = p.background_weight_load
                               ? p.weight_load_rows_per_cycle * p.fast_weight_load_speedup
                               : p.weight_load_rows_per_cycle;
  c.weight_load = s.k / load_rate;
  c.flow = static_cast<double>(s.n) / moving_rate(p, s.dtype);
  const double min_ii = std::min<double>(p.min_issue_interval_cycles, s.m);
  c.stream = std::max(min_ii, c.flow);
  c.fill_drain = static_cast<double>(p.rows) + p.cols - 2;
  c.psum_write = p.psum_write_cycles;
  return c;
}

MatmulCycles transpose_cycles(const config::TensorEngineParams& p, std::uint32_t partitions,
                              std::uint64_t free_elements) {
  MatmulCycles c;
  // The identity is the stationary operand: loaded like any weight tile.
  const double load_rate = p.background_weight_load
                               ? p.weight_load_rows_per_cycle * p.fast_weight_load_speedup
                               : p.weight_load_rows_per_cycle;
  c.weight_load = partitions / load_rate;
  c.flow = static_cast<double>(partitions);
  c.stream =
      std::max<double>(partitions, std::min<double>(p.min_issue_interval_cycles, free_elements));
  c.fill_drain = static_cast<double>(p.rows) + p.cols - 2;
  c.psum_write = p.psum_write_cycles;
  return c;
}

double matmul_isolated_latency(const MatmulCycles& c) {
  return c.weight_load + c.flow + c.fill_drain + c.psum_write;
}

}  // namespace trnsim::sysc
