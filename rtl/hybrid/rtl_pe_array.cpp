#include "hybrid/rtl_pe_array.h"

#include <bit>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <verilated.h>
#include <verilated_vcd_c.h>

#include "config/derived.h"
#include "pe_array_harness.h"
#include "rtl/pe_array_models.h"

namespace trnsim::rtl {

namespace {

using cosim::PeArrayFormat;
using cosim::PeArrayMatmul;
using cosim::PeArrayResult;

// Operands are pseudo-random but fixed by the instruction, so runs are reproducible.
class OperandSource {
 public:
  explicit OperandSource(std::uint64_t seed) : m_state(seed) {}

  // An element's bits: an int8 in the low byte, or a bf16 of magnitude 2^-7 .. 2^8 (sums of
  // up to 128 products neither overflow nor lose everything to rounding).
  std::uint16_t next(PeArrayFormat format) {
    const std::uint64_t z = mix();
    if (format == PeArrayFormat::kInt8) return static_cast<std::uint16_t>(z & 0xFF);
    const std::uint64_t exponent = 120 + (z >> 8) % 16;
    return static_cast<std::uint16_t>((z & 0x8000) | exponent << 7 | (z & 0x7F));
  }

  // 1 in either format.
  static std::uint16_t one(PeArrayFormat format) {
    return format == PeArrayFormat::kInt8 ? 1 : 0x3F80;
  }

 private:
  std::uint64_t mix() {
    std::uint64_t z = (m_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t m_state;
};

// A matmul of shape `s` or, for a transpose, the K x M tile as the stationary operand and
// the K x K identity as the moving vectors (result row t is then the tile's row t).
PeArrayMatmul operands(const sysc::MatmulShape& s, bool transpose, std::uint32_t instruction,
                       PeArrayFormat format) {
  OperandSource random(instruction);
  PeArrayMatmul mm;
  mm.format = format;
  mm.k = s.k;
  mm.m = s.m;
  mm.stationary.assign(s.k, std::vector<std::uint16_t>(s.m));
  for (auto& row : mm.stationary)
    for (auto& v : row)
      v = random.next(format);
  const std::uint64_t vectors = transpose ? s.k : s.n;
  mm.moving.assign(vectors, std::vector<std::uint16_t>(s.k));
  for (std::uint64_t t = 0; t < vectors; ++t) {
    for (std::uint32_t k = 0; k < s.k; ++k) {
      if (!transpose) {
        mm.moving[t][k] = random.next(format);
      } else if (t == k) {
        mm.moving[t][k] = OperandSource::one(format);
      }
    }
  }
  return mm;
}

// Result (t, c) as the array computes it, from the operands: an int32 sum of int8
// products; or, for bf16, fp32 products added in the host's float arithmetic in the array's
// order (docs/rtl.md): from +0, row 0 first, through all `rows` rows, those beyond K adding
// the product of two zeros.
std::uint32_t expected(const PeArrayMatmul& mm, std::uint32_t rows, std::size_t t,
                       std::uint32_t c) {
  if (mm.format == PeArrayFormat::kInt8) {
    std::int32_t sum = 0;
    for (std::uint32_t k = 0; c < mm.m && k < mm.k; ++k)
      sum += std::int32_t{static_cast<std::int8_t>(mm.moving[t][k] & 0xFF)} *
             static_cast<std::int8_t>(mm.stationary[k][c] & 0xFF);
    return static_cast<std::uint32_t>(sum);
  }
  const auto widen = [](std::uint16_t bits) {
    return std::bit_cast<float>(std::uint32_t{bits} << 16);
  };
  float sum = 0.0f;
  for (std::uint32_t r = 0; r < rows; ++r) {
    const float x = r < mm.k ? widen(mm.moving[t][r]) : 0.0f;
    const float w = r < mm.k && c < mm.m ? widen(mm.stationary[r][c]) : 0.0f;
    const float product = x * w;
    sum = sum + product;
  }
  if (std::isnan(sum)) return 0x7FC00000;  // the array's only NaN
  return std::bit_cast<std::uint32_t>(sum);
}

// The first result that differs from the expected one, described; nullopt when all match.
std::optional<std::string> data_error(const PeArrayMatmul& mm, std::uint32_t rows,
                                      const PeArrayResult& r) {
  if (r.rows.size() != mm.moving.size())
    return fmt::format("{} result rows left the array, expected {}", r.rows.size(),
                       mm.moving.size());
  for (std::size_t t = 0; t < mm.moving.size(); ++t) {
    for (std::uint32_t c = 0; c < r.rows[t].size(); ++c) {
      const std::uint32_t want = expected(mm, rows, t, c);
      if (r.rows[t][c] == want) continue;
      if (mm.format == PeArrayFormat::kInt8)
        return fmt::format("moving vector {}, column {}: expected {}, got {}", t, c,
                           static_cast<std::int32_t>(want),
                           static_cast<std::int32_t>(r.rows[t][c]));
      return fmt::format("moving vector {}, column {}: expected {:#010x}, got {:#010x} (bf16)", t,
                         c, want, r.rows[t][c]);
    }
  }
  if (!r.done_cycle) return "the array never signalled its last result";
  return std::nullopt;
}

template <typename Model>
class PeArrayModel final : public RtlPeArray {
 public:
  PeArrayModel(const config::TensorEngineParams& p, const std::string& vcd_path)
      : m_context(make_context(!vcd_path.empty())),
        m_model(std::make_unique<Model>(m_context.get(), "pe_array")),
        m_half_period_ps(500.0 / p.clock_ghz) {
    if (!vcd_path.empty()) {
      m_vcd = std::make_unique<VerilatedVcdC>();
      m_model->trace(m_vcd.get(), 99);
      m_vcd->open(vcd_path.c_str());
      if (!m_vcd->isOpen())
        throw std::invalid_argument(fmt::format("{}: cannot open for writing", vcd_path));
    }
    m_harness = std::make_unique<cosim::PeArrayHarness<Model>>(*m_model, [this] { dump(); });
    m_stats.model = fmt::format("rtl/pe_array.sv, verilated {}x{}", p.rows, p.cols);
  }

  ~PeArrayModel() override {
    if (m_vcd) m_vcd->close();
    m_model->final();
  }

  sysc::MatmulCycles cycles(const config::TensorEngineParams& p, const sysc::MatmulShape& s,
                            bool transpose, std::uint32_t instruction) override {
    const sysc::MatmulCycles formula =
        transpose ? sysc::transpose_cycles(p, s.k, s.m) : sysc::matmul_cycles(p, s);
    // bf16 operands run the bf16 datapath; every other dtype the int8 one (the array's
    // cycles do not depend on the datapath).
    const PeArrayFormat format =
        s.dtype == isa::DType::kBf16 ? PeArrayFormat::kBf16 : PeArrayFormat::kInt8;
    const PeArrayMatmul mm = operands(s, transpose, instruction, format);

    const auto wall_start = std::chrono::steady_clock::now();
    const std::uint64_t first_cycle = m_harness->cycle_count();
    const PeArrayResult result = m_harness->run(mm);
    m_stats.rtl_cycles += m_harness->cycle_count() - first_cycle;
    m_stats.rtl_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    ++(transpose ? m_stats.transposes : m_stats.matmuls);
    if (!transpose && sysc::moving_rate(p, s.dtype) != 1.0) ++m_stats.other_rate;

    ++(format == PeArrayFormat::kBf16 ? m_stats.bf16 : m_stats.int8);
    if (auto error = data_error(mm, m_harness->model_rows(), result)) {
      if (m_stats.data_errors++ == 0) m_stats.first_data_error = {instruction, *error};
      return formula;
    }
    // The vectors entered in cycles K .. K + T - 1 (cosim::PeArrayHarness), one per cycle.
    sysc::MatmulCycles measured = formula;
    measured.fill_drain =
        static_cast<double>(*result.done_cycle) - mm.k - static_cast<double>(mm.moving.size());
    if (measured.fill_drain != formula.fill_drain && m_stats.timing_differences++ == 0) {
      m_stats.first_timing_difference = {
          instruction,
          fmt::format("fill/drain {} cycles, formula {}", measured.fill_drain, formula.fill_drain)};
    }
    return measured;
  }

  const PeArrayRunStats& stats() const override { return m_stats; }

 private:
  static std::unique_ptr<VerilatedContext> make_context(bool trace) {
    auto context = std::make_unique<VerilatedContext>();
    context->traceEverOn(trace);  // before the model exists, or it has no trace code
    return context;
  }

  // Called after every evaluation (twice per cycle): time advances half a tensor clock.
  void dump() {
    if (!m_vcd) return;
    m_vcd->dump(static_cast<std::uint64_t>(std::llround(m_half_cycles * m_half_period_ps)));
    ++m_half_cycles;
  }

  std::unique_ptr<VerilatedContext> m_context;
  std::unique_ptr<Model> m_model;
  std::unique_ptr<VerilatedVcdC> m_vcd;
  std::unique_ptr<cosim::PeArrayHarness<Model>> m_harness;
  double m_half_period_ps;
  std::uint64_t m_half_cycles = 0;
  PeArrayRunStats m_stats;
};

}  // namespace

std::vector<std::string> RtlPeArray::built_sizes() {
  std::vector<std::string> sizes;
#define TRNSIM_LIST_SIZE(ROWS, COLS, MODEL) sizes.push_back(#ROWS "x" #COLS);
  TRNSIM_PE_ARRAY_MODELS(TRNSIM_LIST_SIZE)
#undef TRNSIM_LIST_SIZE
  return sizes;
}

std::unique_ptr<RtlPeArray> RtlPeArray::create(const config::TensorEngineParams& p,
                                               const std::string& vcd_path) {
  if (p.weight_load_rows_per_cycle != 1.0) {
    throw std::invalid_argument(
        fmt::format("rtl/pe_array.sv loads one weight row per cycle; the config's "
                    "tensor.weight_load_rows_per_cycle is {}",
                    p.weight_load_rows_per_cycle));
  }
#define TRNSIM_CREATE_MODEL(ROWS, COLS, MODEL) \
  if (p.rows == ROWS && p.cols == COLS) return std::make_unique<PeArrayModel<MODEL>>(p, vcd_path);
  TRNSIM_PE_ARRAY_MODELS(TRNSIM_CREATE_MODEL)
#undef TRNSIM_CREATE_MODEL
  throw std::invalid_argument(fmt::format(
      "this build has no verilated pe_array of {}x{} (tensor.rows x tensor.cols); built: {}. "
      "Use a config of a built size (e.g. --config tiny) or add yours to "
      "TRNSIM_PE_ARRAY_CONFIGS in rtl/CMakeLists.txt",
      p.rows, p.cols, fmt::join(built_sizes(), ", ")));
}

}  // namespace trnsim::rtl
