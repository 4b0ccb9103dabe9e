// The configuration of a simulated system: plain structs, one per hardware block, with
// defaults and units in the field names. Loaded from YAML in one place (config_loader.h),
// validated once, then passed as `const&` to the models, which never parse anything.
//
// Units: `_ghz` gigahertz, `_ns` nanoseconds, `_us` microseconds, `_gb_s` 10^9 bytes
// per second, `_bytes` bytes, `_cycles` cycles of the block's own clock.
// Defaults are the trn2 (NeuronCore-v3) figures of configs/trn2.yaml, so a struct built in
// a test without a file is a sensible chip. One deliberate exception: tensor.throttle is
// off by default (on in the preset), so model tests built from defaults see peak rates.
// tests/config checks that configs/trn2.yaml differs from the defaults in nothing else.
//
// The field tables in config_schema.cpp describe every field here (YAML key, range, unit,
// doc); a field added to a struct must be added there too, or tests/config fails.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace trnsim::config {

// A value per input data type class. fp8 covers fp8e4 and fp8e5; int covers int8/16/32
// and uint8.
struct PerDtype {
  double fp32 = 1.0;
  double bf16 = 1.0;
  double fp16 = 1.0;
  double fp8 = 1.0;
  double int_ = 1.0;  // YAML key `int`

  bool operator==(const PerDtype&) const = default;
};

struct SystemParams {
  std::uint32_t chips = 1;

  bool operator==(const SystemParams&) const = default;
};

struct ChipParams {
  std::uint32_t cores = 8;

  bool operator==(const ChipParams&) const = default;
};

struct CoreParams {
  // The clock in which reports count "core cycles" (the profiler's base clock).
  double clock_ghz = 1.2;

  bool operator==(const CoreParams&) const = default;
};

struct TensorEngineParams {
  double clock_ghz = 2.4;
  std::uint32_t rows = 128;             // PE rows: the contraction (partition) dimension K
  std::uint32_t cols = 128;             // PE columns: the stationary free size M
  std::uint32_t max_moving_free = 512;  // N per matmul: one PSUM bank of fp32
  // Moving columns streamed per cycle, by input dtype (fp32 is 4x slower than bf16).
  PerDtype moving_columns_per_cycle{0.25, 1.0, 1.0, 2.0, 1.0};
  // Stationary rows loaded per cycle by a weight load.
  double weight_load_rows_per_cycle = 1.0;
  // True when the array double-buffers weights, so a load overlaps the previous matmul.
  bool background_weight_load = true;
  // Speed-up of a "fast" background weight load over a matmul of the same free size.
  double fast_weight_load_speedup = 4.0;
  std::uint32_t min_issue_interval_cycles = 64;  // back-to-back matmuls: max(N, this)
  std::uint32_t first_use_init_cycles = 64;
  std::uint32_t psum_write_cycles = 1;  // fixed latency of the PSUM write after the array drains
  // Throttling (trn2/trn3): starts at a fraction of peak, ramps to full over ramp_us,
  // re-engages after reengage_us below half utilisation.
  bool throttle = false;
  double throttle_start_fraction = 0.5;
  double throttle_ramp_us = 3.0;
  double throttle_reengage_us = 3.0;

  bool operator==(const TensorEngineParams&) const = default;
};

// Cycles per element per partition for each op class, at one element per lane per cycle.
struct OpClassCosts {
  double activation = 1.0;
  double tensor_scalar = 1.0;
  double tensor_copy = 1.0;
  double tensor_tensor = 1.0;       // bf16 add/mul/sub contiguous or one PSUM input
  double tensor_tensor_slow = 2.0;  // every other tensor_tensor
  double tensor_reduce = 1.0;
  double tensor_reduce_fast = 0.5;  // bf16 add/max
  double memset = 1.0;
  double memset_zero_fast = 0.5;  // zero into bf16/fp16
  double iota = 1.0;
  double affine_select = 1.0;
  double select = 1.0;
  double reciprocal = 8.0;
  double transpose = 1.0;
  double bn_stats = 1.0;
  double bn_aggr = 4.333;
  double partition_reduce = 1.0;

  bool operator==(const OpClassCosts&) const = default;
};

// Fixed cycles added to an op class on top of its per-element cost.
struct OpClassFixed {
  double iota = 150.0;
  double affine_select = 150.0;

  bool operator==(const OpClassFixed&) const = default;
};

// Vector, scalar (activation) and GpSimd engines share this shape.
struct ComputeEngineParams {
  double clock_ghz = 1.2;
  std::uint32_t lanes = 128;
  // Elements per lane per cycle by dtype ("perf modes": trn2's vector engine does 4 bf16).
  PerDtype elements_per_cycle{1.0, 1.0, 1.0, 1.0, 1.0};
  std::uint32_t min_issue_interval_cycles = 64;
  std::uint32_t fixed_latency_cycles = 64;  // pipeline depth from issue to completion
  std::uint32_t dependent_overhead_cycles = 100;
  std::uint32_t access_start_cycles = 60;
  OpClassCosts cycles_per_element;
  OpClassFixed fixed_cycles;

  bool operator==(const ComputeEngineParams&) const = default;
};

// trn2's vector engine is slower-clocked but wider than the struct default: 0.96 GHz,
// 512 bf16 / 256 other elements per cycle over 128 lanes.
inline ComputeEngineParams trn2_vector_engine() {
  ComputeEngineParams p;
  p.clock_ghz = 0.96;
  p.elements_per_cycle = {2.0, 4.0, 2.0, 2.0, 2.0};
  return p;
}

struct SyncEngineParams {
  double clock_ghz = 1.2;
  std::uint32_t issue_cycles = 1;

  bool operator==(const SyncEngineParams&) const = default;
};

struct SbufParams {
  std::uint32_t partitions = 128;
  std::uint64_t bytes_per_partition = 224 * 1024;
  std::uint32_t elements_per_cycle = 128;  // per port, innermost stride within the limit
  std::uint32_t wide_stride_bytes = 16;    // innermost strides beyond this run at half rate
  double strided_access_factor = 2.0;
  std::uint32_t access_start_cycles = 60;
  // NC-v2: Vector and GpSimd cannot access SBUF at the same time.
  bool vector_gpsimd_share_port = false;

  bool operator==(const SbufParams&) const = default;
};

struct PsumParams {
  std::uint32_t partitions = 128;
  std::uint32_t banks = 8;
  std::uint64_t bank_bytes = 2048;  // per partition
  // NC-v2: Vector and Scalar cannot access PSUM at the same time; NC-v3 allows it when they
  // use different banks.
  bool vector_scalar_share_port = false;
  bool vector_scalar_share_same_bank_only = true;

  bool operator==(const PsumParams&) const = default;
};

struct DmaParams {
  std::uint32_t engines = 16;           // per core
  std::uint32_t queues = 16;            // per engine; trace queues dma.q0..q(queues-1)
  double engine_bandwidth_gb_s = 23.0;  // practical figure, see the preset's comment
  double start_latency_ns = 1300.0;     // from semaphore to first byte
  double descriptor_ns = 600.0;         // descriptor generation per instruction
  std::uint32_t queue_depth = 64;       // outstanding descriptors per queue
  // Fixed cost of each descriptor element (contiguous run) an engine processes; chosen so
  // that >= 4 KiB per partition reaches > 95 % of the engine's bandwidth.
  double element_overhead_ns = 8.0;

  bool operator==(const DmaParams&) const = default;
};

struct HbmParams {
  std::uint64_t capacity_bytes = 96ull << 30;
  std::uint32_t stacks = 4;
  std::uint32_t channels_per_stack = 16;
  double bandwidth_gb_s = 2900.0;  // whole chip, all stacks
  double latency_ns = 100.0;
  std::uint64_t interleave_bytes = 256;

  bool operator==(const HbmParams&) const = default;
};

// One direction of a chip-to-chip link is credit flow-controlled (sysc/link/credit_link.h):
// the sender holds one credit per free flit buffer at the receiver. Its timing is counted
// in cycles of the link clock, so that the RTL (rtl/link_port.sv) and the model agree
// exactly: a flit occupies ceil(flit_bytes / (bandwidth_gb_s / clock_ghz)) cycles,
// the wire ceil(latency_ns * clock_ghz), a credit's way back ceil(credit_return_ns * clock_ghz).
struct LinkParams {
  std::uint32_t count = 4;              // per chip
  double bandwidth_gb_s = 320.0;        // per link, per direction
  double latency_ns = 500.0;            // wire: last byte sent to last byte in the receive buffer
  std::uint32_t buffer_credits = 4096;  // receive buffer in flits, = the sender's credits
  std::uint64_t packet_bytes = 4096;
  double clock_ghz = 2.5;           // link-layer clock, the unit of the cycle counts above
  std::uint32_t flit_bytes = 128;   // unit of flow control: one credit, one buffer slot
  double credit_return_ns = 500.0;  // flit leaves the receive buffer -> its credit at the sender
  double router_delay_ns = 50.0;    // per hop: a packet's head arrives -> it may leave again
  // Bytes one DMA engine may have waiting in its chip's link interface (written, not yet on
  // a link); a full window holds the engine, which is how a slow network slows the DMA.
  std::uint64_t injection_window_bytes = 16384;

  bool operator==(const LinkParams&) const = default;
};

enum class TopologyKind { kNone, kRing, kTorus, kSwitch, kEdges };

struct TopologyParams {
  TopologyKind kind = TopologyKind::kNone;
  std::vector<std::uint32_t> dims;                  // ring: [n]; torus: [x, y] or [x, y, z]
  std::vector<std::array<std::uint32_t, 2>> edges;  // kEdges: chip pairs

  bool operator==(const TopologyParams&) const = default;
};

struct SystemConfig {
  std::string name = "trn2";
  std::string description;
  SystemParams system;
  TopologyParams topology;
  ChipParams chip;
  CoreParams core;
  TensorEngineParams tensor;
  ComputeEngineParams vector = trn2_vector_engine();
  ComputeEngineParams scalar;
  ComputeEngineParams gpsimd;
  SyncEngineParams sync;
  SbufParams sbuf;
  PsumParams psum;
  DmaParams dma;
  HbmParams hbm;
  LinkParams link;

  bool operator==(const SystemConfig&) const = default;
};

}  // namespace trnsim::config
