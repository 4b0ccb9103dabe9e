#include "config/config_schema.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include <fmt/format.h>

namespace trnsim::config::schema {

namespace {

// ---------------------------------------------------------------------------------------
// Building fields from pointers to members.

template <class M>
struct MemberOf;
template <class C, class T>
struct MemberOf<T C::*> {
  using Class = C;
  using Type = T;
};

// Each struct that appears as a nested map has a table; these overloads find it by type.
const Table& table_of(const PerDtype*);
const Table& table_of(const OpClassCosts*);
const Table& table_of(const OpClassFixed*);
const Table& table_of(const SystemParams*);
const Table& table_of(const TopologyParams*);
const Table& table_of(const ChipParams*);
const Table& table_of(const CoreParams*);
const Table& table_of(const TensorEngineParams*);
const Table& table_of(const ComputeEngineParams*);
const Table& table_of(const SyncEngineParams*);
const Table& table_of(const SbufParams*);
const Table& table_of(const PsumParams*);
const Table& table_of(const DmaParams*);
const Table& table_of(const HbmParams*);
const Table& table_of(const LinkParams*);

template <class T>
concept HasTable = requires(const T* p) {
  table_of(p);
};

template <auto Member>
Slot slot_of(void* object) {
  using Traits = MemberOf<decltype(Member)>;
  auto& value = static_cast<typename Traits::Class*>(object)->*Member;
  if constexpr (HasTable<typename Traits::Type>) {
    return Section{&table_of(&value), &value};
  } else {
    return &value;
  }
}

template <auto Member>
Field field(std::string_view key, Limits limits, std::string_view unit, std::string_view doc) {
  return Field{key, &slot_of<Member>, limits, unit, doc};
}

// A field without a range: bool, string, enum, or a nested struct.
template <auto Member>
Field field(std::string_view key, std::string_view doc) {
  return Field{key, &slot_of<Member>, {}, "", doc};
}

// A nested struct whose fields have no unit of their own (PerDtype): they inherit `unit`.
template <auto Member>
Field field(std::string_view key, std::string_view unit, std::string_view doc) {
  return Field{key, &slot_of<Member>, {}, unit, doc};
}

constexpr double kInf = std::numeric_limits<double>::infinity();
// Zero is no clock, and 100 GHz catches MHz typed as GHz.
constexpr Limits kClock{.min = 0, .max = 100, .min_exclusive = true};
constexpr Limits kPositive{.min = 0, .max = kInf, .min_exclusive = true};
constexpr Limits kNonNegative{};
constexpr Limits kAtLeastOne{.min = 1};
// Partition counts and lane counts index partitions with shifts and masks in the models.
constexpr Limits kPartitions{.min = 1, .max = 1024, .power_of_two = true};
constexpr Limits kCycles{.min = 0, .max = 1e9};
constexpr Limits kRate{.min = 0, .max = 1024, .min_exclusive = true};

// ---------------------------------------------------------------------------------------
// The tables, one per struct of config.h, fields in declaration order.

const Table& table_of(const PerDtype*) {
  static const Table table{
      "PerDtype",
      {
          field<&PerDtype::fp32>("fp32", kRate, "", "fp32 inputs"),
          field<&PerDtype::bf16>("bf16", kRate, "", "bf16 inputs"),
          field<&PerDtype::fp16>("fp16", kRate, "", "fp16 inputs"),
          field<&PerDtype::fp8>("fp8", kRate, "", "fp8e4 / fp8e5 inputs"),
          field<&PerDtype::int_>("int", kRate, "", "int8/16/32 and uint8 inputs"),
      }};
  return table;
}

const Table& table_of(const OpClassCosts*) {
  constexpr std::string_view kUnit = "cycles/element";
  static const Table table{
      "OpClassCosts",
      {
          field<&OpClassCosts::activation>("activation", kNonNegative, kUnit,
                                           "activation (LUT function, scale, bias)"),
          field<&OpClassCosts::tensor_scalar>("tensor_scalar", kNonNegative, kUnit,
                                              "tensor op scalar"),
          field<&OpClassCosts::tensor_copy>("tensor_copy", kNonNegative, kUnit, "copy / cast"),
          field<&OpClassCosts::tensor_tensor>(
              "tensor_tensor", kNonNegative, kUnit,
              "tensor op tensor: bf16 add/mul/sub contiguous, or one PSUM input"),
          field<&OpClassCosts::tensor_tensor_slow>("tensor_tensor_slow", kNonNegative, kUnit,
                                                   "every other tensor op tensor"),
          field<&OpClassCosts::tensor_reduce>("tensor_reduce", kNonNegative, kUnit,
                                              "reduction along the free dimension"),
          field<&OpClassCosts::tensor_reduce_fast>("tensor_reduce_fast", kNonNegative, kUnit,
                                                   "bf16 add/max reduction"),
          field<&OpClassCosts::memset>("memset", kNonNegative, kUnit, "memset"),
          field<&OpClassCosts::memset_zero_fast>("memset_zero_fast", kNonNegative, kUnit,
                                                 "memset of zero into bf16/fp16"),
          field<&OpClassCosts::iota>("iota", kNonNegative, kUnit, "iota (plus fixed_cycles)"),
          field<&OpClassCosts::affine_select>("affine_select", kNonNegative, kUnit,
                                              "affine_select (plus fixed_cycles)"),
          field<&OpClassCosts::select>("select", kNonNegative, kUnit, "select / max family"),
          field<&OpClassCosts::reciprocal>("reciprocal", kNonNegative, kUnit, "reciprocal"),
          field<&OpClassCosts::transpose>("transpose", kNonNegative, kUnit,
                                          "transpose through the engine"),
          field<&OpClassCosts::bn_stats>("bn_stats", kNonNegative, kUnit, "batch-norm statistics"),
          field<&OpClassCosts::bn_aggr>("bn_aggr", kNonNegative, kUnit,
                                        "batch-norm aggregation (13/3 on NC-v2)"),
          field<&OpClassCosts::partition_reduce>("partition_reduce", kNonNegative, kUnit,
                                                 "reduction across partitions"),
      }};
  return table;
}

const Table& table_of(const OpClassFixed*) {
  static const Table table{
      "OpClassFixed",
      {
          field<&OpClassFixed::iota>("iota", kCycles, "cycles", "fixed cost of iota"),
          field<&OpClassFixed::affine_select>("affine_select", kCycles, "cycles",
                                              "fixed cost of affine_select"),
      }};
  return table;
}

const Table& table_of(const SystemParams*) {
  static const Table table{
      "SystemParams",
      {
          field<&SystemParams::chips>("chips", Limits{.min = 1, .max = 65536}, "chips",
                                      "chips in the system; must match topology"),
      }};
  return table;
}

const Table& table_of(const TopologyParams*) {
  static const Table table{
      "TopologyParams",
      {
          field<&TopologyParams::kind>(
              "kind",
              "how chips connect: none (one chip), ring, torus, switch (all-to-all "
              "through a switch) or edges (explicit list)"),
          field<&TopologyParams::dims>(
              "dims", kAtLeastOne, "chips",
              "ring: [n]; torus: [x, y] or [x, y, z]; the product is system.chips"),
          field<&TopologyParams::edges>("edges", kNonNegative, "",
                                        "kind edges: chip pairs [a, b], one link each"),
      }};
  return table;
}

const Table& table_of(const ChipParams*) {
  static const Table table{"ChipParams",
                           {
                               field<&ChipParams::cores>("cores", Limits{.min = 1, .max = 256}, "",
                                                         "NeuronCores per chip"),
                           }};
  return table;
}

const Table& table_of(const CoreParams*) {
  static const Table table{
      "CoreParams",
      {
          field<&CoreParams::clock_ghz>("clock_ghz", kClock, "GHz",
                                        "clock in which reports count core cycles (the "
                                        "profiler's base clock)"),
      }};
  return table;
}

const Table& table_of(const TensorEngineParams*) {
  using T = TensorEngineParams;
  static const Table table{
      "TensorEngineParams",
      {
          field<&T::clock_ghz>("clock_ghz", kClock, "GHz", "systolic array clock"),
          field<&T::rows>("rows", Limits{.min = 1, .max = 1024}, "",
                          "PE rows: the contraction (partition) dimension K"),
          field<&T::cols>("cols", Limits{.min = 1, .max = 1024}, "",
                          "PE columns: the stationary free size M"),
          field<&T::max_moving_free>("max_moving_free", Limits{.min = 1, .max = 65536}, "elements",
                                     "moving free size N per matmul: one PSUM bank of fp32"),
          field<&T::moving_columns_per_cycle>("moving_columns_per_cycle", "columns/cycle",
                                              "moving columns streamed per cycle, by input "
                                              "dtype (fp32 is 4x slower than bf16)"),
          field<&T::weight_load_rows_per_cycle>("weight_load_rows_per_cycle", kRate, "rows/cycle",
                                                "stationary rows loaded per cycle"),
          field<&T::background_weight_load>(
              "background_weight_load",
              "the array double-buffers weights: a load overlaps the previous matmul"),
          field<&T::fast_weight_load_speedup>("fast_weight_load_speedup",
                                              Limits{.min = 1, .max = 1024}, "x",
                                              "speed-up of a fast weight load over a "
                                              "matmul of the same free size"),
          field<&T::min_issue_interval_cycles>("min_issue_interval_cycles", kCycles, "cycles",
                                               "back-to-back matmuls issue every max(N, this)"),
          field<&T::first_use_init_cycles>("first_use_init_cycles", kCycles, "cycles",
                                           "initialisation before the first matmul"),
          field<&T::psum_write_cycles>("psum_write_cycles", kCycles, "cycles",
                                       "PSUM write latency after the array drains"),
          field<&T::throttle>("throttle",
                              "model power throttling (trn2/trn3): start below peak, ramp up"),
          field<&T::throttle_start_fraction>("throttle_start_fraction",
                                             Limits{.min = 0, .max = 1, .min_exclusive = true},
                                             "fraction", "rate when throttling engages"),
          field<&T::throttle_ramp_us>("throttle_ramp_us", kNonNegative, "us",
                                      "time to ramp from the start fraction to full rate"),
          field<&T::throttle_reengage_us>("throttle_reengage_us", kNonNegative, "us",
                                          "throttling re-engages after this long below half "
                                          "utilisation"),
      }};
  return table;
}

const Table& table_of(const ComputeEngineParams*) {
  using C = ComputeEngineParams;
  static const Table table{
      "ComputeEngineParams",
      {
          field<&C::clock_ghz>("clock_ghz", kClock, "GHz", "engine clock"),
          field<&C::lanes>("lanes", kPartitions, "", "lanes, one per partition"),
          field<&C::elements_per_cycle>("elements_per_cycle", "elements/lane/cycle",
                                        "elements per lane per cycle by dtype (perf modes)"),
          field<&C::min_issue_interval_cycles>("min_issue_interval_cycles", kCycles, "cycles",
                                               "fixed minimum initiation interval (MIN_II)"),
          field<&C::fixed_latency_cycles>("fixed_latency_cycles", kCycles, "cycles",
                                          "pipeline depth from issue to completion"),
          field<&C::dependent_overhead_cycles>("dependent_overhead_cycles", kCycles, "cycles",
                                               "static overhead of a dependent instruction"),
          field<&C::access_start_cycles>("access_start_cycles", kCycles, "cycles",
                                         "cost of starting an SBUF/PSUM access"),
          field<&C::cycles_per_element>("cycles_per_element",
                                        "per-element cost of each op class, at one element "
                                        "per lane per cycle"),
          field<&C::fixed_cycles>("fixed_cycles",
                                  "fixed cycles added to an op class on top of its "
                                  "per-element cost"),
      }};
  return table;
}

const Table& table_of(const SyncEngineParams*) {
  static const Table table{
      "SyncEngineParams",
      {
          field<&SyncEngineParams::clock_ghz>("clock_ghz", kClock, "GHz", "sequencer clock"),
          field<&SyncEngineParams::issue_cycles>("issue_cycles", kCycles, "cycles",
                                                 "cycles to issue one instruction"),
      }};
  return table;
}

const Table& table_of(const SbufParams*) {
  using S = SbufParams;
  static const Table table{
      "SbufParams",
      {
          field<&S::partitions>("partitions", kPartitions, "", "partitions (rows) of SBUF"),
          field<&S::bytes_per_partition>("bytes_per_partition", kAtLeastOne, "bytes",
                                         "capacity of one partition"),
          field<&S::elements_per_cycle>("elements_per_cycle", kAtLeastOne, "elements/cycle",
                                        "per port, innermost stride within wide_stride_bytes"),
          field<&S::wide_stride_bytes>("wide_stride_bytes", kAtLeastOne, "bytes",
                                       "innermost strides beyond this run slower"),
          field<&S::strided_access_factor>("strided_access_factor", Limits{.min = 1, .max = 1024},
                                           "x", "slow-down of wide-stride accesses"),
          field<&S::access_start_cycles>("access_start_cycles", kCycles, "cycles",
                                         "cost of starting an access"),
          field<&S::vector_gpsimd_share_port>(
              "vector_gpsimd_share_port",
              "Vector and GpSimd cannot access SBUF at the same time (NC-v2)"),
      }};
  return table;
}

const Table& table_of(const PsumParams*) {
  using P = PsumParams;
  static const Table table{
      "PsumParams",
      {
          field<&P::partitions>("partitions", kPartitions, "", "partitions of PSUM"),
          field<&P::banks>("banks", Limits{.min = 1, .max = 64}, "",
                           "banks: accumulation groups in flight"),
          field<&P::bank_bytes>("bank_bytes", Limits{.min = 4, .max = kInf, .multiple_of = 4},
                                "bytes", "bytes per bank per partition (fp32 accumulators)"),
          field<&P::vector_scalar_share_port>(
              "vector_scalar_share_port",
              "Vector and Scalar contend for PSUM (NC-v2: always; NC-v3: same bank)"),
          field<&P::vector_scalar_share_same_bank_only>(
              "vector_scalar_share_same_bank_only",
              "with vector_scalar_share_port: contend only when using the same bank"),
      }};
  return table;
}

const Table& table_of(const DmaParams*) {
  using D = DmaParams;
  static const Table table{
      "DmaParams",
      {
          field<&D::engines>("engines", Limits{.min = 1, .max = 1024}, "", "DMA engines per core"),
          field<&D::queues>("queues", Limits{.min = 1, .max = 256}, "",
                            "queues per engine; traces name dma.q0 .. q(queues-1)"),
          field<&D::engine_bandwidth_gb_s>("engine_bandwidth_gb_s", kPositive, "GB/s",
                                           "bandwidth of one engine"),
          field<&D::start_latency_ns>("start_latency_ns", kNonNegative, "ns",
                                      "from semaphore to first byte"),
          field<&D::descriptor_ns>("descriptor_ns", kNonNegative, "ns",
                                   "descriptor generation per instruction"),
          field<&D::queue_depth>("queue_depth", kAtLeastOne, "",
                                 "outstanding descriptors per queue"),
          field<&D::element_overhead_ns>("element_overhead_ns", kNonNegative, "ns",
                                         "cost of each descriptor element (contiguous run)"),
      }};
  return table;
}

const Table& table_of(const HbmParams*) {
  using H = HbmParams;
  static const Table table{
      "HbmParams",
      {
          field<&H::capacity_bytes>("capacity_bytes", kAtLeastOne, "bytes",
                                    "capacity of the chip, all stacks"),
          field<&H::stacks>("stacks", Limits{.min = 1, .max = 64}, "", "HBM stacks per chip"),
          field<&H::channels_per_stack>("channels_per_stack", Limits{.min = 1, .max = 1024}, "",
                                        "independent channels per stack"),
          field<&H::bandwidth_gb_s>("bandwidth_gb_s", kPositive, "GB/s",
                                    "bandwidth of the chip, all stacks"),
          field<&H::latency_ns>("latency_ns", kNonNegative, "ns", "access latency"),
          field<&H::interleave_bytes>("interleave_bytes",
                                      Limits{.min = 1, .max = kInf, .power_of_two = true}, "bytes",
                                      "address interleaving granule across channels"),
      }};
  return table;
}

const Table& table_of(const LinkParams*) {
  using L = LinkParams;
  static const Table table{
      "LinkParams",
      {
          field<&L::count>("count", Limits{.min = 0, .max = 64}, "", "chip-to-chip links per chip"),
          field<&L::bandwidth_gb_s>("bandwidth_gb_s", kPositive, "GB/s", "per link, per direction"),
          field<&L::latency_ns>("latency_ns", kNonNegative, "ns",
                                "one hop: last byte sent -> last byte in the receive buffer"),
          field<&L::buffer_credits>(
              "buffer_credits", kAtLeastOne, "flits",
              "receive buffer per link, direction and virtual channel: the sender's credits"),
          field<&L::packet_bytes>("packet_bytes", kAtLeastOne, "bytes",
                                  "largest packet; transfers are split into these"),
          field<&L::clock_ghz>("clock_ghz", kClock, "GHz",
                               "link-layer clock; flit, wire and credit times are whole cycles"),
          field<&L::flit_bytes>("flit_bytes", kAtLeastOne, "bytes",
                                "unit of flow control: one credit, one receive buffer slot"),
          field<&L::credit_return_ns>(
              "credit_return_ns", kNonNegative, "ns",
              "a flit leaves the receive buffer -> its credit at the sender"),
          field<&L::router_delay_ns>("router_delay_ns", kNonNegative, "ns",
                                     "per hop: a packet's head arrives -> it may leave again"),
          field<&L::injection_window_bytes>(
              "injection_window_bytes", kAtLeastOne, "bytes",
              "per DMA engine: bytes waiting in the link interface before the engine stalls"),
      }};
  return table;
}

}  // namespace

const Table& system_table() {
  using S = SystemConfig;
  static const Table table{
      "SystemConfig",
      {
          field<&S::name>("name", "short name shown in reports"),
          field<&S::description>("description", "free text"),
          field<&S::system>("system", "the whole system"),
          field<&S::topology>("topology", "how the chips are connected"),
          field<&S::chip>("chip", "one chip"),
          field<&S::core>("core", "one NeuronCore"),
          field<&S::tensor>("tensor", "tensor engine: the systolic array"),
          field<&S::vector>("vector", "vector engine"),
          field<&S::scalar>("scalar", "scalar (activation) engine"),
          field<&S::gpsimd>("gpsimd", "GpSimd engine"),
          field<&S::sync>("sync", "sync engine: the sequencer that triggers DMAs"),
          field<&S::sbuf>("sbuf", "state buffer (SBUF), per core"),
          field<&S::psum>("psum", "partial-sum buffer (PSUM), per core"),
          field<&S::dma>("dma", "DMA engines and queues"),
          field<&S::hbm>("hbm", "device memory, per chip"),
          field<&S::link>("link", "chip-to-chip links (NeuronLink)"),
      }};
  return table;
}

const Field* Table::find(std::string_view key) const {
  auto it =
      std::find_if(fields.begin(), fields.end(), [&](const Field& f) { return f.key == key; });
  return it == fields.end() ? nullptr : &*it;
}

std::vector<std::string_view> Table::keys() const {
  std::vector<std::string_view> out;
  for (const auto& f : fields)
    out.push_back(f.key);
  return out;
}

const std::array<std::string_view, 5>& topology_kind_names() {
  static constexpr std::array<std::string_view, 5> kNames{"none", "ring", "torus", "switch",
                                                          "edges"};
  return kNames;
}

std::string_view to_string(TopologyKind kind) {
  return topology_kind_names().at(static_cast<std::size_t>(kind));
}

std::string Limits::range() const {
  if (max == kInf) return fmt::format("{} {}", min_exclusive ? ">" : ">=", min);
  return fmt::format("{}{}, {}]", min_exclusive ? "(" : "[", min, max);
}

std::string Limits::to_string() const {
  std::string out = range();
  if (power_of_two) out += ", power of two";
  if (multiple_of > 1) out += fmt::format(", multiple of {}", multiple_of);
  return out;
}

// ---------------------------------------------------------------------------------------
// Formatting values.

namespace {

std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string format_unsigned(std::uint64_t v, std::string_view unit) {
  // Sizes read better as `224Ki` than as `229376`, and parse back to the same number.
  if (unit == "bytes" && v > 0) {
    static constexpr std::pair<std::uint64_t, std::string_view> kSuffixes[] = {
        {1ull << 30, "Gi"}, {1ull << 20, "Mi"}, {1ull << 10, "Ki"}};
    for (const auto& [scale, suffix] : kSuffixes) {
      if (v % scale == 0) return fmt::format("{}{}", v / scale, suffix);
    }
  }
  return fmt::format("{}", v);
}

std::string format_real(double v) {
  // fmt's shortest form round-trips exactly; keep a `.0` so reals look like reals.
  std::string s = fmt::format("{}", v);
  if (s.find_first_not_of("-0123456789") == std::string::npos) s += ".0";
  return s;
}

}  // namespace

std::string format_value(const Field& field, const Slot& slot) {
  return std::visit(Overloaded{
                        [&](const std::uint32_t* v) { return format_unsigned(*v, field.unit); },
                        [&](const std::uint64_t* v) { return format_unsigned(*v, field.unit); },
                        [](const double* v) { return format_real(*v); },
                        [](const bool* v) { return std::string(*v ? "true" : "false"); },
                        [](const std::string* v) { return quoted(*v); },
                        [](const TopologyKind* v) { return std::string(to_string(*v)); },
                        [](const std::vector<std::uint32_t>* v) {
                          return fmt::format("[{}]", fmt::join(*v, ", "));
                        },
                        [](const std::vector<std::array<std::uint32_t, 2>>* v) {
                          std::vector<std::string> pairs;
                          for (const auto& e : *v)
                            pairs.push_back(fmt::format("[{}, {}]", e[0], e[1]));
                          return fmt::format("[{}]", fmt::join(pairs, ", "));
                        },
                        [](const Section&) { return std::string(); },
                    },
                    slot);
}

std::string type_name(const Slot& slot) {
  return std::visit(
      Overloaded{
          [](std::uint32_t*) { return "uint"; },
          [](std::uint64_t*) { return "uint"; },
          [](double*) { return "real"; },
          [](bool*) { return "bool"; },
          [](std::string*) { return "string"; },
          [](TopologyKind*) { return "enum"; },
          [](std::vector<std::uint32_t>*) { return "list of uint"; },
          [](std::vector<std::array<std::uint32_t, 2>>*) { return "list of [uint, uint]"; },
          [](const Section&) { return "map"; },
      },
      slot);
}

namespace {

void walk_leaves(const Table& table, void* object, const std::string& prefix,
                 std::string_view inherited_unit, const std::function<void(const Leaf&)>& visit) {
  for (const auto& f : table.fields) {
    std::string path = prefix.empty() ? std::string(f.key) : fmt::format("{}.{}", prefix, f.key);
    Slot slot = f.slot(object);
    // A nested PerDtype has no unit of its own; its parent field says what it counts.
    std::string_view unit = f.unit.empty() ? inherited_unit : f.unit;
    if (const auto* section = std::get_if<Section>(&slot)) {
      walk_leaves(*section->table, section->object, path, unit, visit);
    } else {
      visit(Leaf{path, &f, slot, unit});
    }
  }
}

}  // namespace

void for_each_leaf(SystemConfig& cfg, const std::function<void(const Leaf&)>& visit) {
  walk_leaves(system_table(), &cfg, "", "", visit);
}

std::string reference_table() {
  std::string out =
      "| Key | Type | Unit | Default | Range | Meaning |\n"
      "|---|---|---|---|---|---|\n";
  SystemConfig defaults;
  for_each_leaf(defaults, [&](const Leaf& leaf) {
    std::string type = type_name(leaf.slot);
    std::string range;
    if (std::holds_alternative<TopologyKind*>(leaf.slot)) {
      range = fmt::format("{}", fmt::join(topology_kind_names(), ", "));
    } else if (type != "bool" && type != "string") {
      range = leaf.field->limits.to_string();
    }
    out += fmt::format("| `{}` | {} | {} | `{}` | {} | {} |\n", leaf.path, type, leaf.unit,
                       format_value(*leaf.field, leaf.slot), range, leaf.field->doc);
  });
  return out;
}

}  // namespace trnsim::config::schema
