// Cross-check of rtl/pe_array.sv against the project's models: every result of every
// moving vector against an independent matrix product (int32 for int8 matmuls; for bf16
// ones fp32 sums in the host's float arithmetic, in the array's documented order), and the
// cycle each leaves against sysc::matmul_cycles for the config's tensor engine. Zero
// tolerance on both; a NaN result must be the canonical NaN 7FC00000.
//
//   test_cosim_pe_array --config FILE [--seed N] [--transactions N]
//
// Runs the directed matmuls, then N random ones (format, K, M, T and the values drawn from
// the seed), back to back through one array of the config's tensor.rows x tensor.cols. Prints
// the first divergence (transaction, moving vector, column or cycle, expected and got) and
// exits 1; exits 2 on bad arguments or a config no model was built for.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <exception>
#include <iterator>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "config/config_loader.h"
#include "config/derived.h"
#include "cosim_main.h"
#include "pe_array_harness.h"
#include "rtl/pe_array_models.h"
#include "sysc/tensor/tensor_timing.h"

using namespace trnsim;
using cosim::PeArrayFormat;
using cosim::PeArrayMatmul;
using cosim::PeArrayResult;

namespace {

struct Case {
  std::string name;
  PeArrayMatmul matmul;
};

constexpr std::uint32_t kCanonicalNaN = 0x7FC00000;

// What the models say the array must produce.
struct Expected {
  PeArrayFormat format = PeArrayFormat::kInt8;
  std::vector<std::vector<std::uint32_t>> rows;  // [t][cols], int32 or fp32 bits
  std::vector<std::uint64_t> cycles;             // the cycle result t leaves
};

isa::DType dtype_of(PeArrayFormat f) {
  return f == PeArrayFormat::kBf16 ? isa::DType::kBf16 : isa::DType::kInt8;
}

float widen_bf16(std::uint16_t bits) {
  return std::bit_cast<float>(std::uint32_t{bits} << 16);
}

// The tensor engine as pe_array implements it: the config's array, load rate and moving
// rate, with the weight load in the foreground (the RTL has no shadow weight buffer) and no
// PSUM write (the results leave the array; PSUM is another block).
config::TensorEngineParams rtl_view(const config::TensorEngineParams& tensor) {
  config::TensorEngineParams p = tensor;
  p.background_weight_load = false;
  p.psum_write_cycles = 0;
  return p;
}

// Result t of an isolated matmul leaves when a matmul of the first t + 1 vectors would
// complete: weight_load + (t + 1) + fill_drain (+ psum_write = 0).
std::uint64_t leave_cycle(const config::TensorEngineParams& p, const PeArrayMatmul& mm,
                          std::uint64_t vectors) {
  const auto c = sysc::matmul_cycles(p, {mm.k, mm.m, vectors, dtype_of(mm.format)});
  return static_cast<std::uint64_t>(sysc::matmul_isolated_latency(c));
}

// The int8 matmul: a plain integer product (columns beyond M hold zero weights).
std::vector<std::uint32_t> int8_row(const config::TensorEngineParams& p, const PeArrayMatmul& mm,
                                    std::size_t t) {
  std::vector<std::uint32_t> row(p.cols, 0);
  for (std::uint32_t c = 0; c < mm.m; ++c) {
    std::int64_t sum = 0;
    for (std::uint32_t k = 0; k < mm.k; ++k) {
      sum += std::int64_t{static_cast<std::int8_t>(mm.moving[t][k] & 0xFF)} *
             std::int64_t{static_cast<std::int8_t>(mm.stationary[k][c] & 0xFF)};
    }
    row[c] = static_cast<std::uint32_t>(static_cast<std::int32_t>(sum));
  }
  return row;
}

// The bf16 matmul in the host's float arithmetic, in the order pe_array documents: the
// operands zero-padded to the whole array (a moving row beyond K is +0, a weight beyond K
// or M is +0), each product rounded to float, the sum from +0 over rows 0 .. ROWS - 1, each
// addition rounded. (Built with -ffp-contract=off: no fused multiply-add.)
std::vector<std::uint32_t> bf16_row(const config::TensorEngineParams& p, const PeArrayMatmul& mm,
                                    std::size_t t) {
  std::vector<std::uint32_t> row(p.cols, 0);
  for (std::uint32_t c = 0; c < p.cols; ++c) {
    float sum = 0.0f;
    for (std::uint32_t r = 0; r < p.rows; ++r) {
      const float x = r < mm.k ? widen_bf16(mm.moving[t][r]) : 0.0f;
      const float w = r < mm.k && c < mm.m ? widen_bf16(mm.stationary[r][c]) : 0.0f;
      const float product = x * w;
      sum = sum + product;
    }
    row[c] = std::bit_cast<std::uint32_t>(sum);
  }
  return row;
}

Expected expected_of(const config::TensorEngineParams& p, const PeArrayMatmul& mm) {
  Expected e;
  e.format = mm.format;
  for (std::size_t t = 0; t < mm.moving.size(); ++t) {
    e.rows.push_back(mm.format == PeArrayFormat::kBf16 ? bf16_row(p, mm, t) : int8_row(p, mm, t));
    e.cycles.push_back(leave_cycle(p, mm, t + 1));
  }
  return e;
}

// A result as the message shows it: the integer, or the float and its bits.
std::string show(PeArrayFormat f, std::uint32_t bits) {
  if (f == PeArrayFormat::kInt8) return fmt::format("{}", static_cast<std::int32_t>(bits));
  return fmt::format("{:.9g} (0x{:08X})", std::bit_cast<float>(bits), bits);
}

bool same(PeArrayFormat f, std::uint32_t want, std::uint32_t got) {
  if (f == PeArrayFormat::kBf16 && std::isnan(std::bit_cast<float>(want)))
    return got == kCanonicalNaN;
  return got == want;
}

// The first difference between what the array did and what the models say, if any.
std::optional<std::string> first_divergence(const Expected& want, const PeArrayResult& got) {
  const std::size_t n = std::min(want.rows.size(), got.rows.size());
  for (std::size_t t = 0; t < n; ++t) {
    if (got.cycles[t] != want.cycles[t])
      return fmt::format("moving vector {}: result left in cycle {}, expected cycle {}", t,
                         got.cycles[t], want.cycles[t]);
    for (std::size_t c = 0; c < want.rows[t].size(); ++c) {
      if (!same(want.format, want.rows[t][c], got.rows[t][c])) {
        const bool nan = want.format == PeArrayFormat::kBf16 &&
                         std::isnan(std::bit_cast<float>(want.rows[t][c]));
        return fmt::format("moving vector {}, column {}: expected {}, got {}", t, c,
                           nan ? fmt::format("the canonical NaN 0x{:08X}", kCanonicalNaN)
                               : show(want.format, want.rows[t][c]),
                           show(want.format, got.rows[t][c]));
      }
    }
  }
  if (got.rows.size() != want.rows.size())
    return fmt::format("{} results left the array, expected {}", got.rows.size(), want.rows.size());
  const std::uint64_t done = want.cycles.back();
  if (!got.done_cycle) return fmt::format("y_last_o never rose (expected in cycle {})", done);
  if (*got.done_cycle != done)
    return fmt::format("done (y_last_o) in cycle {}, expected cycle {}", *got.done_cycle, done);
  return std::nullopt;
}

// A matmul whose elements come from value(which, i, j): which = 0 for the stationary tile
// (row i, column j), 1 for the moving vectors (vector i, row j). int8 values are
// integers, bf16 values are bits.
PeArrayMatmul make(PeArrayFormat format, std::uint32_t k, std::uint32_t m, std::uint32_t t,
                   auto value) {
  const auto bits = [&](auto v) {
    return format == PeArrayFormat::kInt8
               ? static_cast<std::uint16_t>(static_cast<std::uint8_t>(static_cast<int>(v)))
               : static_cast<std::uint16_t>(v);
  };
  PeArrayMatmul mm{format, k, m, {}, {}};
  mm.stationary.assign(k, std::vector<std::uint16_t>(m));
  for (std::uint32_t r = 0; r < k; ++r)
    for (std::uint32_t c = 0; c < m; ++c)
      mm.stationary[r][c] = bits(value(0, r, c));
  mm.moving.assign(t, std::vector<std::uint16_t>(k));
  for (std::uint32_t i = 0; i < t; ++i)
    for (std::uint32_t r = 0; r < k; ++r)
      mm.moving[i][r] = bits(value(1, i, r));
  return mm;
}

PeArrayMatmul make(std::uint32_t k, std::uint32_t m, std::uint32_t t, auto value) {
  return make(PeArrayFormat::kInt8, k, m, t, value);
}

// bf16 bits of small integers and powers of two, for readable directed cases.
std::uint16_t bf16_of(float f) {
  return static_cast<std::uint16_t>(std::bit_cast<std::uint32_t>(f) >> 16);
}

// Hand-picked matmuls; the first is the textbook fold whose cycle count the SystemC
// tests derive by hand (2R + C + T - 2), so an off-by-one in the RTL fails here first.
std::vector<Case> directed(std::uint32_t rows, std::uint32_t cols) {
  std::vector<Case> cases;
  // Full fold, T = 2R: ramps, so every PE's weight and every row's input differ.
  cases.push_back({"full fold, T = 2R", make(rows, cols, 2 * rows, [](int which, int i, int j) {
                     return which == 0 ? (3 * i + 5 * j) % 17 - 8 : (7 * i - 2 * j) % 23 - 11;
                   })});
  // Identity: the moving vector comes back unchanged (in the first min(R, C) columns).
  cases.push_back({"identity, one vector", make(rows, cols, 1, [](int which, int i, int j) {
                     return which == 0 ? (i == j ? 1 : 0) : 100 - 9 * j;
                   })});
  // The largest sums: (-128) * (-128) in every PE, and a mix of both extremes.
  cases.push_back(
      {"extremes: -128 x -128", make(rows, cols, 3, [](int, int, int) { return -128; })});
  cases.push_back({"extremes: 127 and -128", make(rows, cols, 5, [](int which, int i, int j) {
                     return ((i + j + which) % 2 == 0) ? 127 : -128;
                   })});
  // The smallest matmul: one row of weights, one column used, one vector.
  cases.push_back(
      {"K = M = T = 1", make(1, 1, 1, [](int which, int, int) { return which == 0 ? -7 : 9; })});
  // A partial fold: K and M below the array, stale weights below row K must not count.
  cases.push_back({"partial fold, K = R / 2, M = C - 1",
                   make(rows / 2, cols - 1, 3, [](int which, int i, int j) {
                     return which == 0 ? 1 + i - j : 2 * i + j - 5;
                   })});
  // A long stream: results leave while vectors still enter.
  cases.push_back({"long stream, T = 4 (R + C)",
                   make(rows, cols, 4 * (rows + cols), [](int which, int i, int j) {
                     return which == 0 ? (i * j) % 255 - 127 : (i + 31 * j) % 256 - 128;
                   })});

  // bf16. A full fold of ramps (halves and small integers: the sums are exact).
  const auto bf16 = PeArrayFormat::kBf16;
  cases.push_back(
      {"bf16 full fold, T = 2R", make(bf16, rows, cols, 2 * rows, [](int which, int i, int j) {
         return bf16_of(which == 0 ? 0.5f * float((3 * i + 5 * j) % 17 - 8)
                                   : float((7 * i - 2 * j) % 23 - 11));
       })});
  // The order of accumulation: 2^24 + 1 + 1 is 2^24 when 2^24 comes first (each tie rounds
  // to even), 2^24 + 2 when it comes last. Column 0 has it in row 0, column 1 in row 2.
  cases.push_back({"bf16 order of accumulation", make(bf16, 3, 2, 2, [](int which, int i, int j) {
                     if (which == 1) return bf16_of(1.0f);
                     return bf16_of((i == 0 && j == 0) || (i == 2 && j == 1) ? 16777216.0f : 1.0f);
                   })});
  // Subnormal products and underflow: 2^-70 x 2^-70 is an fp32 subnormal, 2^-100 x 2^-50
  // is a tie at half the smallest subnormal (rounds to 0), 3 x 2^-101 x 2^-50 rounds up;
  // bf16 subnormal operands (0x0001, 0x807F).
  cases.push_back(
      {"bf16 subnormals and underflow", make(bf16, rows, cols, 6, [](int which, int i, int j) {
         constexpr std::uint16_t kTiny[] = {0x1C80, 0x0D80, 0x0DC0, 0x2680, 0x0001,
                                            0x807F, 0x0080, 0x8000, 0x3F80};
         return kTiny[static_cast<std::size_t>(3 * i + 5 * j + which) % std::size(kTiny)];
       })});
  // Overflow to infinity and infinities: the largest normal squared, inf + -inf = NaN.
  cases.push_back(
      {"bf16 overflow and infinities", make(bf16, rows, cols, 4, [](int which, int i, int j) {
         constexpr std::uint16_t kHuge[] = {0x7F7F, 0xFF7F, 0x7F00, 0x3F80,
                                            0x7F80, 0xBF80, 0x5F80, 0xFF80};
         return kHuge[static_cast<std::size_t>(i + 2 * j + 7 * which) % std::size(kHuge)];
       })});
  // Cancellation to +0, products of -0, one NaN in one column.
  cases.push_back(
      {"bf16 cancellation, -0 and a NaN", make(bf16, 2, cols, 3, [](int which, int i, int j) {
         if (which == 1) return i == 2 ? bf16_of(-0.0f) : bf16_of(1.5f);
         if (j == 1 && i == 1) return std::uint16_t{0x7FC1};
         return bf16_of(i == 0 ? 3.0f : -3.0f);
       })});
  // A tile of infinities, then a partial fold: rows beyond K must hold zero weights, not
  // the stale infinities (which would turn the zero inputs there into NaN).
  cases.push_back({"bf16 infinities, full fold", make(bf16, rows, cols, 2, [](int which, int, int) {
                     return which == 0 ? std::uint16_t{0x7F80} : bf16_of(2.0f);
                   })});
  cases.push_back({"bf16 partial fold after infinities, K = R / 2",
                   make(bf16, rows / 2, cols, 3, [](int which, int i, int j) {
                     return bf16_of(which == 0 ? float(i - j) : 0.25f * float(i + j));
                   })});
  // int8 right after bf16: the format travels with the vectors.
  cases.push_back({"int8 after bf16", make(rows, cols, 3, [](int which, int i, int j) {
                     return which == 0 ? i - j : 3 * i + j - 20;
                   })});
  return cases;
}

// A bf16 value for random matmuls: mostly moderate exponents (sums with cancellation and
// rounding), with extra weight on the special values; a `wild` matmul draws specials and
// far exponents more often (subnormal products, overflow, infinities, NaN).
std::uint16_t random_bf16(const auto& below, bool wild) {
  constexpr std::uint16_t kSpecial[] = {0x0000, 0x8000, 0x0001, 0x807F, 0x0080, 0x3F80,
                                        0xBF80, 0x7F7F, 0xFF7F, 0x7F80, 0xFF80, 0x7FC0};
  const std::uint32_t sign = below(2) << 15;
  const std::uint32_t fraction = below(128);
  if (below(wild ? 4 : 16) == 0) {
    const std::uint16_t s = kSpecial[below(std::size(kSpecial))];
    // NaN poisons a whole column: keep it rare outside wild matmuls.
    if (s == 0x7FC0 && !wild && below(8) != 0) return static_cast<std::uint16_t>(sign | 0x3F80);
    return s;
  }
  const std::uint32_t exponent =
      wild ? (below(2) == 0 ? below(255) : 40 + below(30) + 60 * below(3)) : 118 + below(18);
  return static_cast<std::uint16_t>(sign | (exponent << 7) | fraction);
}

Case random_case(std::mt19937_64& rng, std::uint32_t rows, std::uint32_t cols) {
  // Modulo draws, not std distributions, so a seed gives the same matmuls everywhere.
  const auto below = [&](std::uint64_t n) { return static_cast<std::uint32_t>(rng() % n); };
  const std::uint32_t k = 1 + below(rows);
  const std::uint32_t m = 1 + below(cols);
  const std::uint32_t t = 1 + below(2 * (rows + cols));
  if (below(2) == 0) {
    const bool wild = below(4) == 0;
    auto mm = make(PeArrayFormat::kBf16, k, m, t,
                   [&](int, int, int) { return random_bf16(below, wild); });
    return {fmt::format("random bf16{}: K={} M={} T={}", wild ? " (wild)" : "", k, m, t),
            std::move(mm)};
  }
  constexpr int kEdges[] = {-128, 127, 0, -1};
  auto mm = make(k, m, t, [&](int, int, int) {
    return below(8) == 0 ? kEdges[below(4)] : static_cast<int>(below(256)) - 128;
  });
  return {fmt::format("random int8: K={} M={} T={}", k, m, t), std::move(mm)};
}

using cosim::Options;

template <typename Model>
int cross_check(const Options& opt, const config::TensorEngineParams& p) {
  auto context = std::make_unique<VerilatedContext>();
  auto model = std::make_unique<Model>(context.get());
  cosim::PeArrayHarness<Model> harness(*model);
  if (harness.model_rows() != p.rows || harness.model_cols() != p.cols)
    throw std::runtime_error(fmt::format("the verilated model is {}x{}, the config {}x{}",
                                         harness.model_rows(), harness.model_cols(), p.rows,
                                         p.cols));

  std::vector<Case> cases = directed(p.rows, p.cols);
  const std::size_t n_directed = cases.size();
  std::mt19937_64 rng(opt.seed);
  for (std::uint64_t i = 0; i < opt.transactions; ++i)
    cases.push_back(random_case(rng, p.rows, p.cols));

  std::uint64_t results = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    const Expected want = expected_of(p, c.matmul);
    const PeArrayResult got = harness.run(c.matmul, want.cycles.back() + 1000);
    if (auto diff = first_divergence(want, got)) {
      fmt::print(stderr, "pe_array {}x{} (seed {}): transaction {} ({}): {}\n", p.rows, p.cols,
                 opt.seed, i, c.name, *diff);
      model->final();
      return 1;
    }
    results += got.rows.size();
  }
  model->final();
  fmt::print(
      "pe_array {}x{}: {} directed and {} random matmuls (seed {}) match the models: "
      "{} result rows, {} cycles\n",
      p.rows, p.cols, n_directed, opt.transactions, opt.seed, results, harness.cycle_count());
  return 0;
}

int run(const Options& opt) {
  const config::SystemConfig cfg = config::load_config(opt.config);
  const config::TensorEngineParams p = rtl_view(cfg.tensor);
  // pe_array shifts one weight row in and one moving vector through per cycle, int8 or
  // bf16; a config that says otherwise describes another array.
  const double int8_rate = config::per_dtype(p.moving_columns_per_cycle, isa::DType::kInt8);
  const double bf16_rate = config::per_dtype(p.moving_columns_per_cycle, isa::DType::kBf16);
  if (p.weight_load_rows_per_cycle != 1.0 || int8_rate != 1.0 || bf16_rate != 1.0) {
    throw std::runtime_error(fmt::format(
        "{}: pe_array loads 1 weight row and streams 1 int8 or bf16 vector per cycle; the "
        "config says {} rows, {} int8 and {} bf16 vectors",
        opt.config, p.weight_load_rows_per_cycle, int8_rate, bf16_rate));
  }
#define TRNSIM_TRY_MODEL(R, C, Model) \
  if (p.rows == (R) && p.cols == (C)) return cross_check<Model>(opt, p);
  TRNSIM_PE_ARRAY_MODELS(TRNSIM_TRY_MODEL)
#undef TRNSIM_TRY_MODEL
  throw std::runtime_error(fmt::format(
      "no verilated pe_array of {}x{} in this build (rtl/CMakeLists.txt lists the sizes)", p.rows,
      p.cols));
}

}  // namespace

int main(int argc, char** argv) {
  return cosim::cosim_main(argc, argv, "test_cosim_pe_array", {}, true,
                           [](const cosim::Options& opt) { return run(opt); });
}
