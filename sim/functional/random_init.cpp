#include "functional/random_init.h"

#include <array>
#include <cmath>

#include "numerics/numerics.h"

namespace trnsim::functional {

namespace {

class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : m_state(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (m_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // The top 53 bits as a multiple of 2^-53 in [0, 1): exact in a double.
  double unit() { return static_cast<double>(next() >> 11) * 0x1p-53; }

 private:
  std::uint64_t m_state;
};

constexpr double kLn2 = 0.6931471805599453094;
constexpr double kHalfPi = 1.5707963267948966192;

// Coefficients of the series below, folded by the compiler with IEEE rounding: the same
// constants everywhere.
constexpr int kLogTerms = 16;   // s, s^3, ..., s^31
constexpr int kTrigTerms = 13;  // up to x^25 (sine) and x^24 (cosine)
struct Coefficients {
  std::array<double, kLogTerms> log{};   // 1 / (2k + 1)
  std::array<double, kTrigTerms> sin{};  // (-1)^k / (2k + 1)!
  std::array<double, kTrigTerms> cos{};  // (-1)^k / (2k)!
};
constexpr Coefficients make_coefficients() {
  Coefficients c;
  for (int k = 0; k < kLogTerms; ++k)
    c.log[k] = 1.0 / (2 * k + 1);
  double factorial = 1;  // (2k)!
  for (int k = 0; k < kTrigTerms; ++k) {
    if (k > 0) factorial *= (2.0 * k - 1) * (2.0 * k);
    const double sign = k % 2 == 0 ? 1.0 : -1.0;
    c.cos[k] = sign / factorial;
    c.sin[k] = sign / (factorial * (2 * k + 1));
  }
  return c;
}
constexpr Coefficients kCoefficients = make_coefficients();

// Horner's rule for sum_k c[k] y^k.
template <std::size_t N>
double horner(const std::array<double, N>& c, double y) {
  double sum = c[N - 1];
  for (std::size_t k = N - 1; k-- > 0;)
    sum = sum * y + c[k];
  return sum;
}

// ln(x) for x > 0: x = m * 2^e with m in [sqrt(1/2), sqrt(2)) (exact scaling), then
// ln(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.172, whose odd series reaches double
// precision by s^31.
double portable_log(double x) {
  int e = 0;
  double m = std::frexp(x, &e);  // exact: m in [0.5, 1)
  if (m < 0.70710678118654752440) {
    m *= 2;
    --e;
  }
  const double s = (m - 1) / (m + 1);
  return 2 * s * horner(kCoefficients.log, s * s) + e * kLn2;
}

// sin and cos of x in [0, pi/2] by their Taylor series, which reach double precision by
// the 25th power there.
void sin_cos_quadrant(double x, double& s, double& c) {
  const double x2 = x * x;
  s = x * horner(kCoefficients.sin, x2);
  c = horner(kCoefficients.cos, x2);
}

// sin(2 pi u) and cos(2 pi u) for u in [0, 1): the quadrant comes from 4u exactly, so the
// series only ever sees angles in [0, pi/2).
void sin_cos_turn(double u, double& s, double& c) {
  const double t = 4 * u;  // exact
  const int quadrant = static_cast<int>(t);
  double qs = 0, qc = 0;
  sin_cos_quadrant((t - quadrant) * kHalfPi, qs, qc);
  switch (quadrant) {
    case 0:
      s = qs;
      c = qc;
      break;
    case 1:
      s = qc;
      c = -qs;
      break;
    case 2:
      s = -qs;
      c = -qc;
      break;
    default:
      s = -qc;
      c = qs;
      break;
  }
}

}  // namespace

std::vector<double> random_values(std::uint64_t seed, trace::Distribution dist,
                                  std::uint64_t count) {
  std::vector<double> out(count);
  SplitMix64 rng(seed);
  if (dist == trace::Distribution::kUniform) {
    for (double& v : out)
      v = 2 * rng.unit() - 1;
    return out;
  }
  // Box-Muller: each pair of draws (u1, u2) gives elements 2j and 2j + 1. 1 - u1 lies in
  // (0, 1], so the logarithm is finite.
  for (std::uint64_t i = 0; i < count; i += 2) {
    const double u1 = 1 - rng.unit();
    const double u2 = rng.unit();
    const double r = std::sqrt(-2 * portable_log(u1));
    double s = 0, c = 0;
    sin_cos_turn(u2, s, c);
    out[i] = r * c;
    if (i + 1 < count) out[i + 1] = r * s;
  }
  return out;
}

std::vector<float> random_tensor(const trace::TensorDecl& tensor) {
  const std::vector<double> values = random_values(tensor.seed, tensor.dist, tensor.elements());
  std::vector<float> out(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    out[i] = numerics::round_to(tensor.dtype, static_cast<float>(values[i]));
  }
  return out;
}

}  // namespace trnsim::functional
