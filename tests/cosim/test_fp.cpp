// Cross-check of the floating-point units (rtl/fp32_add.sv, rtl/fp32_mul.sv, rtl/bf16_mul.sv)
// against the host's IEEE-754 binary32 arithmetic: float a + b, float a * b, and for bf16
// the product of the operands widened exactly to float (a bf16 is the top half of a
// binary32), which rounds only on overflow or underflow, as the RTL must.
//
//   test_cosim_fp [--seed N] [--transactions N]
//
// The units are combinational and have no configurable timing, so there is no --config.
// For each unit: every pair of a directed list of edge values (zeros, subnormals, min and
// max normal, infinities, NaNs, rounding ties, carries, exponent differences above 25),
// then N random pairs from the seed, biased to exponents where rounding, underflow,
// overflow and cancellation happen. Results compare bit for bit, except that a NaN result
// must be the canonical quiet NaN 7FC00000. Prints the first divergence (unit, case, inputs
// in hex, expected and got) and exits 1; exits 2 on bad arguments.
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

#include "Vbf16_mul.h"
#include "Vfp32_add.h"
#include "Vfp32_mul.h"
#include "cosim_main.h"

namespace {

constexpr std::uint32_t kCanonicalNaN = 0x7FC00000;

float as_float(std::uint32_t bits) {
  return std::bit_cast<float>(bits);
}
std::uint32_t bits_of(float f) {
  return std::bit_cast<std::uint32_t>(f);
}
float widen_bf16(std::uint16_t bits) {
  return as_float(std::uint32_t{bits} << 16);
}

// Values where binary32 arithmetic has its corners.
const std::vector<std::uint32_t>& edge_values() {
  static const std::vector<std::uint32_t> values = [] {
    const std::uint32_t magnitudes[] = {
        0x00000000,  // zero
        0x00000001,  // smallest subnormal
        0x00000002, 0x00000003,
        0x00400000,  // a subnormal with only the top fraction bit
        0x007FFFFF,  // largest subnormal
        0x00800000,  // smallest normal
        0x00800001, 0x00FFFFFF, 0x01000000,
        0x33800000,  // 2^-24: half an ulp of 1.0, a rounding tie against it
        0x34000000,  // 2^-23: one ulp of 1.0
        0x30800000,  // 2^-30: 30 exponents below 1.0
        0x0C800000,  // 2^-102: with 2^-24 the product lands at the bottom of the subnormals
        0x3F000000,  // 0.5
        0x3F800000,  // 1.0
        0x3F800001,  // 1.0 + ulp: odd last bit, a tie rounds up
        0x3FC00000,  // 1.5
        0x3FFFFFFF,  // just below 2: sums carry out
        0x40000000,  // 2.0
        0x40400000,  // 3.0
        0x4B800000,  // 2^24
        0x4B800001, 0x5F800000,  // 2^64: its square overflows just past 2^127 x 2
        0x7F000000,              // 2^127
        0x7F7FFFFF,              // largest normal
        0x7F800000,              // infinity
        0x7F800001,              // signalling NaN
        0x7FC00000,              // quiet NaN
        0x7FFFFFFF,
    };
    std::vector<std::uint32_t> v;
    for (std::uint32_t m : magnitudes) {
      v.push_back(m);
      v.push_back(m | 0x80000000u);
    }
    return v;
  }();
  return values;
}

// The bf16 corners: the top halves of the binary32 corners that are bf16 values, and some of
// bf16's own (smallest and largest subnormal and normal).
std::vector<std::uint16_t> bf16_edge_values() {
  std::vector<std::uint16_t> v;
  for (std::uint32_t x : edge_values())
    if ((x & 0xFFFF) == 0) v.push_back(static_cast<std::uint16_t>(x >> 16));
  for (std::uint16_t m : {0x0001, 0x007F, 0x0080, 0x00FF, 0x7F7F, 0x7F80, 0x7F81, 0x3F81}) {
    v.push_back(m);
    v.push_back(static_cast<std::uint16_t>(m | 0x8000));
  }
  return v;
}

// A draw biased to the exponents and fractions where things happen.
class Draw {
 public:
  explicit Draw(std::uint64_t seed) : m_rng(seed) {}

  // Modulo draws, not std distributions, so a seed gives the same cases everywhere.
  std::uint32_t below(std::uint32_t n) { return static_cast<std::uint32_t>(m_rng() % n); }

  std::uint32_t exponent() {
    constexpr std::uint32_t kEdges[] = {0, 1, 2, 24, 103, 126, 127, 128, 230, 253, 254, 255};
    return below(3) == 0 ? kEdges[below(std::size(kEdges))] : below(256);
  }

  std::uint32_t fraction(int bits) {
    const std::uint32_t mask = (1u << bits) - 1;
    switch (below(8)) {
      case 0:
        return 0;
      case 1:
        return mask;
      case 2:
        return 1u << below(bits);
      case 3:
        return mask & ~((1u << below(bits)) - 1);  // low bits clear
      case 4:
        return 1;
      default:
        return static_cast<std::uint32_t>(m_rng()) & mask;
    }
  }

  std::uint32_t fp32(std::uint32_t exponent) {
    return (below(2) << 31) | ((exponent & 0xFF) << 23) | fraction(23);
  }
  std::uint32_t fp32() { return fp32(exponent()); }

  // The second addend: often close in exponent (cancellation, carries, ties), often the
  // first one's negation with a few low bits changed (massive cancellation).
  std::uint32_t addend_for(std::uint32_t a) {
    const int ea = static_cast<int>((a >> 23) & 0xFF);
    switch (below(4)) {
      case 0:
        return fp32(static_cast<std::uint32_t>(std::clamp(ea + int(below(61)) - 30, 0, 255)));
      case 1:
        return (a ^ 0x80000000u) ^ below(16);
      default:
        return fp32();
    }
  }

  // The second factor: often such that the product lands near the bottom of the normal
  // range (subnormal results, rounding at the subnormal's last bit) or near overflow.
  std::uint32_t factor_exponent_for(std::uint32_t ea, std::uint32_t bias_sum_low,
                                    std::uint32_t bias_sum_high) {
    switch (below(4)) {
      case 0:
        return static_cast<std::uint32_t>(
            std::clamp(int(bias_sum_low) + int(below(40)) - int(ea), 0, 255));
      case 1:
        return static_cast<std::uint32_t>(
            std::clamp(int(bias_sum_high) + int(below(10)) - int(ea), 0, 255));
      default:
        return exponent();
    }
  }

 private:
  std::mt19937_64 m_rng;
};

using trnsim::cosim::Options;

// One unit under test: the verilated model and the host's operation on the same bits.
template <typename Model, typename In>
class Unit {
 public:
  using Host = std::uint32_t (*)(In, In);
  using Apply = std::uint32_t (*)(Model&, In, In);

  Unit(std::string name, Host host, Apply apply)
      : m_name(std::move(name)),
        m_host(host),
        m_apply(apply),
        m_context(std::make_unique<VerilatedContext>()),
        m_model(std::make_unique<Model>(m_context.get())) {}

  ~Unit() { m_model->final(); }

  // False (and the first divergence printed) if the RTL disagrees with the host.
  bool check(std::uint64_t index, std::string_view kind, In a, In b) {
    const std::uint32_t want = m_host(a, b);
    const std::uint32_t got = m_apply(*m_model, a, b);
    ++m_checked;
    const bool want_nan = std::isnan(as_float(want));
    if (want_nan ? got == kCanonicalNaN : got == want) return true;
    constexpr int kDigits = sizeof(In) * 2;
    fmt::print(stderr,
               "{}: {} case {}: a = 0x{:0{}X}, b = 0x{:0{}X}: expected {} ({:.9g}), got 0x{:08X} "
               "({:.9g})\n",
               m_name, kind, index, a, kDigits, b, kDigits,
               want_nan ? fmt::format("the canonical NaN 0x{:08X}", kCanonicalNaN)
                        : fmt::format("0x{:08X}", want),
               as_float(want), got, as_float(got));
    return false;
  }

  std::uint64_t checked() const { return m_checked; }
  const std::string& name() const { return m_name; }

 private:
  std::string m_name;
  Host m_host;
  Apply m_apply;
  std::unique_ptr<VerilatedContext> m_context;
  std::unique_ptr<Model> m_model;
  std::uint64_t m_checked = 0;
};

// Presents the operands to a combinational unit and reads its result.
template <typename Model>
void present(Model& model, std::uint32_t a, std::uint32_t b) {
  model.a_i = a;
  model.b_i = b;
  model.eval();
}

int run(const Options& opt) {
  Unit<Vfp32_add, std::uint32_t> add(
      "fp32_add",
      [](std::uint32_t a, std::uint32_t b) { return bits_of(as_float(a) + as_float(b)); },
      [](Vfp32_add& m, std::uint32_t a, std::uint32_t b) {
        present(m, a, b);
        return m.sum_o;
      });
  Unit<Vfp32_mul, std::uint32_t> mul(
      "fp32_mul",
      [](std::uint32_t a, std::uint32_t b) { return bits_of(as_float(a) * as_float(b)); },
      [](Vfp32_mul& m, std::uint32_t a, std::uint32_t b) {
        present(m, a, b);
        return m.prod_o;
      });
  Unit<Vbf16_mul, std::uint16_t> bmul(
      "bf16_mul",
      [](std::uint16_t a, std::uint16_t b) { return bits_of(widen_bf16(a) * widen_bf16(b)); },
      [](Vbf16_mul& m, std::uint16_t a, std::uint16_t b) {
        present(m, a, b);
        return m.prod_o;
      });

  // Directed: every pair of edge values, both orders.
  std::uint64_t i = 0;
  for (std::uint32_t a : edge_values()) {
    for (std::uint32_t b : edge_values()) {
      if (!add.check(i, "directed", a, b) || !mul.check(i, "directed", a, b)) return 1;
      ++i;
    }
  }
  const std::vector<std::uint16_t> bf16_edges = bf16_edge_values();
  i = 0;
  for (std::uint16_t a : bf16_edges)
    for (std::uint16_t b : bf16_edges)
      if (!bmul.check(i++, "directed", a, b)) return 1;
  const std::uint64_t directed = add.checked() + mul.checked() + bmul.checked();

  // Random, biased.
  Draw draw(opt.seed);
  for (i = 0; i < opt.transactions; ++i) {
    const std::uint32_t a = draw.fp32();
    if (!add.check(i, "random", a, draw.addend_for(a))) return 1;
    const std::uint32_t ea = (a >> 23) & 0xFF;
    // Products near 2^-126 (exponent sum ~ 127 - 126 + 127 - 23) and near 2^128.
    const std::uint32_t b = draw.fp32(draw.factor_exponent_for(ea, 80, 378));
    if (!mul.check(i, "random", a, b)) return 1;
    const auto bf = [&](std::uint32_t exponent) {
      return static_cast<std::uint16_t>((draw.below(2) << 15) | ((exponent & 0xFF) << 7) |
                                        draw.fraction(7));
    };
    const std::uint32_t ex = draw.exponent();
    if (!bmul.check(i, "random", bf(ex), bf(draw.factor_exponent_for(ex, 100, 378)))) return 1;
  }
  fmt::print(
      "fp32_add, fp32_mul, bf16_mul match the host's IEEE-754 arithmetic: {} directed and "
      "{} random cases each (seed {}), {} in all\n",
      directed, opt.transactions, opt.seed, add.checked() + mul.checked() + bmul.checked());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  trnsim::cosim::Options defaults;
  defaults.transactions = 2000000;
  return trnsim::cosim::cosim_main(argc, argv, "test_cosim_fp", defaults, false,
                                   [](const trnsim::cosim::Options& opt) { return run(opt); });
}
