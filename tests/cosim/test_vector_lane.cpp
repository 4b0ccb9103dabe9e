// Cross-check of rtl/vector_lane.sv against the project's models: every output element
// against fp32 references built on the functional executor's ALU (element-wise ops, and
// the lane's documented reduction order), and the start, every output beat and the
// completion of every instruction against sysc::compute_cycles for the config's vector
// engine. Zero tolerance on both.
//
//   test_cosim_vector_lane --config FILE [--seed N] [--transactions N]
//
// Runs the directed instructions, then N random ones (op, N and values drawn from the
// seed), back to back through one lane. Prints the first divergence (transaction, element
// or beat, expected and got) and exits 1; exits 2 on bad arguments or a config no model
// was built for.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <exception>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "config/config_loader.h"
#include "config/derived.h"
#include "cosim_main.h"
#include "functional/semantics.h"
#include "rtl/vector_lane_models.h"
#include "sysc/compute/compute_timing.h"
#include "trace/parser.h"
#include "vector_lane_harness.h"

using namespace trnsim;
using cosim::VectorLaneInstruction;
using cosim::VectorLaneOp;
using cosim::VectorLaneResult;

namespace {

constexpr std::uint32_t kCanonicalNaN = 0x7FC00000;

struct Case {
  std::string name;
  VectorLaneInstruction ins;
};

const char* op_name(VectorLaneOp op) {
  switch (op) {
    case VectorLaneOp::kAdd:
      return "add";
    case VectorLaneOp::kMul:
      return "mul";
    case VectorLaneOp::kMax:
      return "max";
    default:
      return "min";
  }
}

isa::Word op_word(VectorLaneOp op) {
  switch (op) {
    case VectorLaneOp::kAdd:
      return isa::Word::kAdd;
    case VectorLaneOp::kMul:
      return isa::Word::kMul;
    case VectorLaneOp::kMax:
      return isa::Word::kMax;
    default:
      return isa::Word::kMin;
  }
}

///////////////////
// Timing        //
///////////////////

// The vector engine as the lane implements it: no SRAM access start (the SRAM port is
// outside the lane).
config::ComputeEngineParams rtl_view(const config::ComputeEngineParams& vector) {
  config::ComputeEngineParams p = vector;
  p.access_start_cycles = 0;
  return p;
}

// sysc::compute_cycles of the instruction the lane executes, as a one-line trace on one
// partition: tensor_tensor with one operand in PSUM (the tensor_tensor class: the lane
// combines one element of each stream per slot and cycle; the slow class is two SBUF
// streams sharing a port), or tensor_reduce of fp32 (the tensor_reduce class). Operands
// are dense.
class Timing {
 public:
  Timing(const config::ComputeEngineParams& e, const config::SbufParams& sbuf)
      : m_engine(e), m_sbuf(sbuf) {
    m_no_min_ii = e;
    m_no_min_ii.min_issue_interval_cycles = 0;
  }

  // Occupancy and latency of the instruction (with MIN_II).
  const sysc::ComputeCycles& of(VectorLaneOp op, bool reduce, std::uint64_t n) {
    return lookup(m_cache, m_engine, op, reduce, n);
  }
  // The same without MIN_II: when the first n elements' results are out.
  const sysc::ComputeCycles& stream(VectorLaneOp op, bool reduce, std::uint64_t n) {
    return lookup(m_cache_stream, m_no_min_ii, op, reduce, n);
  }

 private:
  using Key = std::tuple<VectorLaneOp, bool, std::uint64_t>;

  const sysc::ComputeCycles& lookup(std::map<Key, sysc::ComputeCycles>& cache,
                                    const config::ComputeEngineParams& e, VectorLaneOp op,
                                    bool reduce, std::uint64_t n) {
    const Key key{op, reduce, n};
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    const std::string line =
        reduce ? fmt::format(
                     ".trace 1\ndve: tensor_reduce sbuf[0:1]@0x0.fp32[1], "
                     "sbuf[0:1]@0x100.fp32[{}] op={}\n",
                     n, op_name(op))
               : fmt::format(
                     ".trace 1\ndve: tensor_tensor sbuf[0:1]@0x0.fp32[{0}], "
                     "psum[0:1]@bank0.fp32[{0}], sbuf[0:1]@0x8000.fp32[{0}] op={1}\n",
                     n, op_name(op));
    const trace::Program program = trace::parse_trace(line, "vector_lane.trn");
    const sysc::ComputeCycles c =
        sysc::compute_cycles(e, m_sbuf, program, program.instructions.at(0));
    return cache.emplace(key, c).first->second;
  }

  config::ComputeEngineParams m_engine;
  config::ComputeEngineParams m_no_min_ii;
  config::SbufParams m_sbuf;
  std::map<Key, sysc::ComputeCycles> m_cache;
  std::map<Key, sysc::ComputeCycles> m_cache_stream;
};

// The lane works in whole cycles: where compute_cycles gives a fraction (N not a multiple
// of ELEMS), the lane's stream and occupancy end at the next clock edge.
std::uint64_t whole_cycles(double cycles) {
  return static_cast<std::uint64_t>(std::ceil(cycles - 1e-9));
}

///////////////////
// Values        //
///////////////////

float as_float(std::uint32_t bits) {
  return std::bit_cast<float>(bits);
}

// The functional executor's ALU, with every NaN result canonical (the lane's units do not
// propagate payloads).
std::uint32_t reference_op(VectorLaneOp op, std::uint32_t a, std::uint32_t b) {
  const float r = functional::alu(op_word(op), as_float(a), as_float(b));
  return std::isnan(r) ? kCanonicalNaN : std::bit_cast<std::uint32_t>(r);
}

std::uint32_t identity(VectorLaneOp op) {
  switch (op) {
    case VectorLaneOp::kAdd:
      return 0x80000000;  // -0
    case VectorLaneOp::kMul:
      return 0x3F800000;  // 1
    case VectorLaneOp::kMax:
      return 0xFF800000;  // -inf
    default:
      return 0x7F800000;  // +inf
  }
}

// The lane's reduction order (rtl/vector_lane.sv): element j = b * elems + w of beat b
// joins partial (k, w) with k = (B - 1 - b) mod acc_stages, in stream order from the op's
// identity; the partials, indexed q = k * elems + w, are combined pairwise level by level,
// an odd last one passing through.
std::uint32_t reference_reduce(VectorLaneOp op, const std::vector<std::uint32_t>& x,
                               std::uint32_t elems, std::uint32_t acc_stages) {
  const std::uint64_t beats = (x.size() + elems - 1) / elems;
  std::vector<std::uint32_t> part(std::size_t{elems} * acc_stages, identity(op));
  for (std::uint64_t j = 0; j < x.size(); ++j) {
    const std::uint64_t b = j / elems;
    const std::uint64_t w = j % elems;
    const std::uint64_t k = (beats - 1 - b) % acc_stages;
    std::uint32_t& p = part[k * elems + w];
    p = reference_op(op, p, x[j]);
  }
  while (part.size() > 1) {
    std::vector<std::uint32_t> next;
    for (std::size_t i = 0; i < part.size(); i += 2)
      next.push_back(i + 1 < part.size() ? reference_op(op, part[i], part[i + 1]) : part[i]);
    part = std::move(next);
  }
  return part[0];
}

// The functional executor's order (sim/functional tensor_reduce): a left fold from x[0].
std::uint32_t sequential_reduce(VectorLaneOp op, const std::vector<std::uint32_t>& x) {
  float acc = as_float(x[0]);
  for (std::size_t j = 1; j < x.size(); ++j)
    acc = functional::alu(op_word(op), acc, as_float(x[j]));
  return std::isnan(acc) ? kCanonicalNaN : std::bit_cast<std::uint32_t>(acc);
}

///////////////////
// Comparison    //
///////////////////

struct Expected {
  std::vector<std::uint32_t> values;  // N for element-wise, 1 for a reduction
  std::vector<std::uint64_t> beat_cycles;
  std::uint64_t done_cycle = 0;
  std::uint64_t occupancy = 0;  // the next instruction starts this many cycles later
};

Expected expected_of(Timing& timing, std::uint32_t elems, std::uint32_t acc_stages,
                     const VectorLaneInstruction& ins) {
  Expected e;
  const std::uint64_t n = ins.a.size();
  const sysc::ComputeCycles& c = timing.of(ins.op, ins.reduce, n);
  e.occupancy = whole_cycles(c.occupancy);
  e.done_cycle = whole_cycles(c.latency);
  if (ins.reduce) {
    e.values.push_back(reference_reduce(ins.op, ins.a, elems, acc_stages));
    e.beat_cycles.push_back(e.done_cycle);
  } else {
    for (std::uint64_t j = 0; j < n; ++j)
      e.values.push_back(reference_op(ins.op, ins.a[j], ins.b[j]));
    for (std::uint64_t first = 0; first < n; first += elems) {
      const std::uint64_t upto = std::min<std::uint64_t>(n, first + elems);
      e.beat_cycles.push_back(whole_cycles(timing.stream(ins.op, false, upto).latency));
    }
  }
  return e;
}

std::optional<std::string> first_divergence(const Expected& want, const VectorLaneResult& got,
                                            const VectorLaneInstruction& ins, std::uint32_t elems) {
  const std::size_t beats = std::min(want.beat_cycles.size(), got.beat_cycles.size());
  for (std::size_t b = 0; b < beats; ++b) {
    if (got.beat_cycles[b] != want.beat_cycles[b])
      return fmt::format("output beat {}: left in cycle {}, expected cycle {}", b,
                         got.beat_cycles[b], want.beat_cycles[b]);
    for (std::uint32_t w = 0; w < elems; ++w) {
      const std::size_t j = b * elems + w;
      if (j >= want.values.size()) break;
      if (got.values[j] != want.values[j]) {
        if (ins.reduce)
          return fmt::format("reduce {} of {} elements: expected 0x{:08x}, got 0x{:08x}",
                             op_name(ins.op), ins.a.size(), want.values[j], got.values[j]);
        return fmt::format("element {} ({} 0x{:08x}, 0x{:08x}): expected 0x{:08x}, got 0x{:08x}", j,
                           op_name(ins.op), ins.a[j], ins.b[j], want.values[j], got.values[j]);
      }
    }
  }
  // done_o before the beat count: a done_o in the wrong cycle moves beats to a neighbour.
  if (!got.done_cycle)
    return fmt::format("done_o never rose (expected in cycle {})", want.done_cycle);
  if (*got.done_cycle != want.done_cycle)
    return fmt::format("done_o in cycle {}, expected cycle {}", *got.done_cycle, want.done_cycle);
  if (got.beat_cycles.size() != want.beat_cycles.size())
    return fmt::format("{} output beats left the lane, expected {}", got.beat_cycles.size(),
                       want.beat_cycles.size());
  return std::nullopt;
}

///////////////////
// Stimulus      //
///////////////////

class Stimulus {
 public:
  explicit Stimulus(std::uint64_t seed) : m_rng(seed) {}

  // Modulo draws, not std distributions, so a seed gives the same stimulus everywhere.
  std::uint64_t below(std::uint64_t n) { return m_rng() % n; }

  // A value with extra weight on the special cases of fp32.
  std::uint32_t value() {
    static constexpr std::uint32_t kSpecials[] = {
        0x00000000, 0x80000000,  // +-0
        0x00000001, 0x80000001,  // smallest subnormals
        0x007FFFFF, 0x807FFFFF,  // largest subnormals
        0x00800000, 0x80800000,  // smallest normals
        0x7F7FFFFF, 0xFF7FFFFF,  // largest finite
        0x7F800000, 0xFF800000,  // +-inf
        0x7FC00000, 0xFFC00001,  // quiet NaNs, one with a payload
        0x7F800001, 0xFFBFFFFF,  // signalling NaNs
        0x3F800000, 0xBF800000,  // +-1
        0x33800000, 0x3F800001,  // 2^-24 (half an ulp of 1) and 1 + ulp: ties when added
    };
    const std::uint64_t kind = below(16);
    if (kind < 4) return kSpecials[below(std::size(kSpecials))];
    if (kind < 6) return static_cast<std::uint32_t>(m_rng());  // any pattern
    if (kind < 8) {                                            // subnormal or tiny
      return static_cast<std::uint32_t>(below(2) << 31 | below(3) << 23 | below(1u << 23));
    }
    if (kind < 9) {  // huge
      return static_cast<std::uint32_t>(below(2) << 31 | (252 + below(3)) << 23 | below(1u << 23));
    }
    return moderate();
  }

  // Moderate magnitudes around 1, where sums carry and cancel.
  std::uint32_t moderate() {
    return static_cast<std::uint32_t>(below(2) << 31 | (120 + below(16)) << 23 | below(1u << 23));
  }

  // An operand for `a`: sometimes exactly half an ulp of a, so that a + b is a tie.
  std::uint32_t partner(std::uint32_t a) {
    const std::uint32_t exponent = a >> 23 & 0xFF;
    if (below(4) == 0 && exponent > 24 && exponent < 255)
      return static_cast<std::uint32_t>(below(2) << 31 | (exponent - 24) << 23);
    return value();
  }

  std::uint64_t length(std::uint32_t elems, std::uint32_t min_ii) {
    switch (below(6)) {
      case 0:
        return 1 + below(2 * elems + 2);  // a few beats: MIN_II decides
      case 1: {                           // around the point where the stream outlasts MIN_II
        const std::uint64_t edge = std::uint64_t{min_ii} * elems;
        return edge - std::min<std::uint64_t>(edge - 1, elems) + below(2 * elems + 1);
      }
      case 2:
        return 1 + below(4096);
      default:
        return 1 + below(600);
    }
  }

  Case random_case(std::uint32_t elems, std::uint32_t min_ii) {
    VectorLaneInstruction ins;
    ins.op = static_cast<VectorLaneOp>(below(4));
    ins.reduce = below(3) == 0;
    const std::uint64_t n = length(elems, min_ii);
    // A long reduction over random specials is almost always inf or NaN: mostly moderate
    // values there, so that the summation order shows.
    for (std::uint64_t j = 0; j < n; ++j) {
      ins.a.push_back(ins.reduce && below(64) != 0 ? moderate() : value());
      if (!ins.reduce) ins.b.push_back(partner(ins.a.back()));
    }
    return {fmt::format("random: {}{} N={}", ins.reduce ? "reduce " : "", op_name(ins.op), n),
            std::move(ins)};
  }

 private:
  std::mt19937_64 m_rng;
};

Case elementwise(std::string name, VectorLaneOp op, std::vector<std::uint32_t> a,
                 std::vector<std::uint32_t> b) {
  return {std::move(name), {op, false, std::move(a), std::move(b)}};
}

Case reduction(std::string name, VectorLaneOp op, std::vector<std::uint32_t> a) {
  return {std::move(name), {op, true, std::move(a), {}}};
}

std::vector<std::uint32_t> ramp(std::uint64_t n, float start, float step) {
  std::vector<std::uint32_t> v;
  for (std::uint64_t j = 0; j < n; ++j)
    v.push_back(std::bit_cast<std::uint32_t>(start + step * static_cast<float>(j)));
  return v;
}

// Hand-picked instructions; the first ones are the cycle counts worked out in docs/rtl.md.
std::vector<Case> directed(std::uint32_t elems, std::uint32_t min_ii) {
  const std::uint64_t full = std::uint64_t{min_ii} * elems;  // exactly MIN_II beats
  std::vector<Case> cases;
  cases.push_back(elementwise("add, N = MIN_II * ELEMS", VectorLaneOp::kAdd,
                              ramp(full, 1.0f, 0.25f), ramp(full, -3.0f, 0.5f)));
  cases.push_back(
      elementwise("mul, N = 1 (MIN_II decides)", VectorLaneOp::kMul, {0x40400000}, {0xC0000000}));
  cases.push_back(elementwise("add, N = MIN_II * ELEMS + 1 (one more beat)", VectorLaneOp::kAdd,
                              ramp(full + 1, 0.5f, 1.5f), ramp(full + 1, 2.0f, -0.75f)));
  cases.push_back(elementwise("mul, N = 4096", VectorLaneOp::kMul, ramp(4096, -8.0f, 0.004f),
                              ramp(4096, 3.0f, -0.001f)));
  // Signed zeros: ties return the second operand; NaNs are canonical; inf.
  const std::vector<std::uint32_t> za = {0x00000000, 0x80000000, 0x7FC00001, 0x3F800000,
                                         0xFF800000, 0x00000001, 0x80000000, 0x7F800000};
  const std::vector<std::uint32_t> zb = {0x80000000, 0x00000000, 0x3F800000, 0xFFC00000,
                                         0x7F800000, 0x80000001, 0x80000000, 0x7F800000};
  for (const VectorLaneOp op :
       {VectorLaneOp::kMax, VectorLaneOp::kMin, VectorLaneOp::kAdd, VectorLaneOp::kMul})
    cases.push_back(elementwise(fmt::format("{}: zeros, NaN, inf", op_name(op)), op, za, zb));
  // Subnormal sums that become normal, and a tie to even (1 + 2^-24 = 1).
  cases.push_back(elementwise("add: subnormals and ties", VectorLaneOp::kAdd,
                              {0x007FFFFF, 0x00400000, 0x3F800000, 0x3F800001},
                              {0x00000001, 0x00400000, 0x33800000, 0x33800000}));
  // Reductions: one element (a NaN payload comes out canonical), the partials' wrap-around,
  // the identities, and a short reduction right after a long one.
  cases.push_back(reduction("reduce add, N = 1 (NaN payload)", VectorLaneOp::kAdd, {0x7FC12345}));
  cases.push_back(reduction("reduce add, N = 3 * ELEMS * 4 + 1", VectorLaneOp::kAdd,
                            ramp(3 * elems * 4 + 1, 1.0f, 1.0f)));
  cases.push_back(reduction("reduce max of -inf", VectorLaneOp::kMax,
                            std::vector<std::uint32_t>(2 * elems + 1, 0xFF800000)));
  cases.push_back(reduction("reduce min, signed zeros", VectorLaneOp::kMin,
                            {0x00000000, 0x80000000, 0x00000000, 0x3F800000, 0x80000000}));
  cases.push_back(reduction("reduce mul", VectorLaneOp::kMul, ramp(37, 0.9f, 0.01f)));
  cases.push_back(reduction("reduce add, long", VectorLaneOp::kAdd, ramp(3000, 0.1f, 0.37f)));
  cases.push_back(
      reduction("reduce add, N = 1 after a long one", VectorLaneOp::kAdd, {0x40000000}));
  cases.push_back(
      elementwise("add, N = 1 after a reduction", VectorLaneOp::kAdd, {0x3F800000}, {0x3F800000}));
  return cases;
}

///////////////////
// Run           //
///////////////////

using cosim::Options;

template <typename Model>
int cross_check(const Options& opt, const config::ComputeEngineParams& e,
                const config::SbufParams& sbuf, std::uint32_t elems) {
  constexpr std::uint32_t kAccStages = TRNSIM_VECTOR_LANE_ACC_STAGES;
  auto context = std::make_unique<VerilatedContext>();
  auto model = std::make_unique<Model>(context.get());
  cosim::VectorLaneHarness<Model> harness(*model);
  if (harness.model_elems() != elems)
    throw std::runtime_error(
        fmt::format("the verilated lane takes {} elements per cycle, the config {}",
                    harness.model_elems(), elems));
  Timing timing(e, sbuf);
  Stimulus stimulus(opt.seed);

  const std::vector<Case> fixed = directed(elems, e.min_issue_interval_cycles);
  const std::uint64_t total = fixed.size() + opt.transactions;
  // In batches, so that a long run does not hold all its operands; within a batch the
  // instructions run back to back.
  constexpr std::uint64_t kBatch = 200;
  std::uint64_t elements = 0;
  std::uint64_t reductions = 0;
  std::uint64_t reduce_add_differs = 0;
  for (std::uint64_t first = 0; first < total; first += kBatch) {
    std::vector<Case> cases;
    for (std::uint64_t i = first; i < std::min(total, first + kBatch); ++i)
      cases.push_back(i < fixed.size() ? fixed[i]
                                       : stimulus.random_case(elems, e.min_issue_interval_cycles));
    std::vector<VectorLaneInstruction> batch;
    for (const Case& c : cases)
      batch.push_back(c.ins);
    const std::vector<VectorLaneResult> got = harness.run(batch);

    for (std::size_t i = 0; i < cases.size(); ++i) {
      const Case& c = cases[i];
      const Expected want = expected_of(timing, elems, kAccStages, c.ins);
      std::optional<std::string> diff = first_divergence(want, got[i], c.ins, elems);
      if (!diff && i + 1 < cases.size() &&
          got[i + 1].start_cycle - got[i].start_cycle != want.occupancy)
        diff = fmt::format("the next instruction started {} cycles later, expected {} (occupancy)",
                           got[i + 1].start_cycle - got[i].start_cycle, want.occupancy);
      if (diff) {
        fmt::print(stderr, "vector_lane ELEMS={} (seed {}): transaction {} ({}): {}\n", elems,
                   opt.seed, first + i, c.name, *diff);
        model->final();
        return 1;
      }
      elements += c.ins.a.size();
      if (c.ins.reduce) {
        ++reductions;
        if (c.ins.op == VectorLaneOp::kAdd &&
            sequential_reduce(c.ins.op, c.ins.a) != want.values[0])
          ++reduce_add_differs;
      }
    }
  }
  model->final();
  fmt::print(
      "vector_lane ELEMS={} MIN_II={} LATENCY={}: {} directed and {} random instructions (seed "
      "{}) match the models: {} elements, {} reductions ({} reduce-adds differ from the "
      "sequential order of sim/functional), {} cycles\n",
      elems, e.min_issue_interval_cycles, e.fixed_latency_cycles, fixed.size(), opt.transactions,
      opt.seed, elements, reductions, reduce_add_differs, harness.cycle_count());
  return 0;
}

int run(const Options& opt) {
  const config::SystemConfig cfg = config::load_config(opt.config);
  const config::ComputeEngineParams e = rtl_view(cfg.vector);
  // The lane combines ELEMS fp32 elements per cycle, one per slot: a whole rate, and the
  // op classes it implements at one cycle per element per slot.
  const double rate = config::per_dtype(e.elements_per_cycle, isa::DType::kFp32);
  if (rate < 1.0 || rate != std::floor(rate))
    throw std::runtime_error(fmt::format(
        "{}: vector_lane takes a whole number of fp32 elements per cycle, the config says {}",
        opt.config, rate));
  if (e.cycles_per_element.tensor_tensor != 1.0 || e.cycles_per_element.tensor_reduce != 1.0)
    throw std::runtime_error(fmt::format(
        "{}: vector_lane spends one cycle per element and slot on tensor_tensor and "
        "tensor_reduce, the config says {} and {}",
        opt.config, e.cycles_per_element.tensor_tensor, e.cycles_per_element.tensor_reduce));
  const auto elems = static_cast<std::uint32_t>(rate);
#define TRNSIM_TRY_MODEL(ELEMS, MIN_II, LATENCY, Model)              \
  if (elems == (ELEMS) && e.min_issue_interval_cycles == (MIN_II) && \
      e.fixed_latency_cycles == (LATENCY))                           \
    return cross_check<Model>(opt, e, cfg.sbuf, elems);
  TRNSIM_VECTOR_LANE_MODELS(TRNSIM_TRY_MODEL)
#undef TRNSIM_TRY_MODEL
  throw std::runtime_error(
      fmt::format("no verilated vector_lane with ELEMS={} MIN_II={} LATENCY={} in this build "
                  "(rtl/CMakeLists.txt lists the configs)",
                  elems, e.min_issue_interval_cycles, e.fixed_latency_cycles));
}

}  // namespace

int main(int argc, char** argv) {
  cosim::Options defaults;
  defaults.transactions = 1000;
  return cosim::cosim_main(argc, argv, "test_cosim_vector_lane", defaults, true,
                           [](const cosim::Options& opt) { return run(opt); });
}
