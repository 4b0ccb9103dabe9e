// Figures derived from a config, for reports ("achieved vs peak") and sanity checks
// against published numbers. Plain arithmetic on the fields; no modelling here.
#pragma once

#include <cstdint>

#include "config/config.h"
#include "isa/isa.h"

namespace trnsim::config {

// The value of a per-dtype table for `dtype` (fp8e4 and fp8e5 share `fp8`; the integer
// types share `int`).
inline double per_dtype(const PerDtype& table, isa::DType dtype) {
  switch (dtype) {
    case isa::DType::kFp32:
      return table.fp32;
    case isa::DType::kBf16:
      return table.bf16;
    case isa::DType::kFp16:
      return table.fp16;
    case isa::DType::kFp8e4:
    case isa::DType::kFp8e5:
      return table.fp8;
    default:
      return table.int_;
  }
}

// FLOP/s of one tensor engine streaming `columns_per_cycle` moving columns: every PE does
// one multiply-add (2 FLOP) per column.
inline double tensor_peak_flops(const TensorEngineParams& t, double columns_per_cycle) {
  return 2.0 * t.rows * t.cols * columns_per_cycle * t.clock_ghz * 1e9;
}

inline double peak_bf16_flops_per_core(const SystemConfig& c) {
  return tensor_peak_flops(c.tensor, c.tensor.moving_columns_per_cycle.bf16);
}

inline double peak_fp8_flops_per_core(const SystemConfig& c) {
  return tensor_peak_flops(c.tensor, c.tensor.moving_columns_per_cycle.fp8);
}

inline double peak_bf16_flops_per_chip(const SystemConfig& c) {
  return peak_bf16_flops_per_core(c) * c.chip.cores;
}

// Elements per second of a vector/scalar/GpSimd engine at `elements_per_cycle` per lane.
inline double engine_peak_elements_per_s(const ComputeEngineParams& e, double elements_per_cycle) {
  return e.lanes * elements_per_cycle * e.clock_ghz * 1e9;
}

inline std::uint64_t sbuf_bytes(const SbufParams& s) {
  return std::uint64_t{s.partitions} * s.bytes_per_partition;
}

inline std::uint64_t psum_bytes_per_partition(const PsumParams& p) {
  return std::uint64_t{p.banks} * p.bank_bytes;
}

inline std::uint64_t psum_bytes(const PsumParams& p) {
  return psum_bytes_per_partition(p) * p.partitions;
}

// All DMA engines of one core at once, in GB/s.
inline double dma_bandwidth_gb_s_per_core(const DmaParams& d) {
  return d.engines * d.engine_bandwidth_gb_s;
}

inline double hbm_channel_bandwidth_gb_s(const HbmParams& h) {
  return h.bandwidth_gb_s / (static_cast<double>(h.stacks) * h.channels_per_stack);
}

// A clock's period in nanoseconds, unrounded (models build sc_time from it).
inline double clock_period_ns(double clock_ghz) {
  return 1.0 / clock_ghz;
}

// Link ports of each chip on a ring or torus: a + and a - port per dimension of size >= 2
// (sysc/link/topology.h). link.count must split evenly over them.
inline std::uint32_t torus_ports_per_chip(const SystemConfig& c) {
  const TopologyParams& t = c.topology;
  if (t.kind == TopologyKind::kRing && t.dims.empty()) return c.system.chips >= 2 ? 2 : 0;
  std::uint32_t ports = 0;
  for (std::uint32_t d : t.dims)
    ports += d >= 2 ? 2 : 0;
  return ports;
}

}  // namespace trnsim::config
