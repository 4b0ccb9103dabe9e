// init=random: the documented generator (splitmix64, Box-Muller) checked against a known
// splitmix64 output, the C library's functions, and the distributions' moments.
#include <cmath>

#include <doctest/doctest.h>

#include "functional/random_init.h"
#include "numerics/numerics.h"

using namespace trnsim;

TEST_CASE("uniform values are splitmix64's top 53 bits scaled to the half-open range -1 to 1") {
  // splitmix64 from state 0 first returns 0xe220a8397b1dcdaf (its reference sequence).
  const std::vector<double> v = functional::random_values(0, trace::Distribution::kUniform, 1);
  CHECK(v[0] == 2 * static_cast<double>(0xe220a8397b1dcdafull >> 11) * 0x1p-53 - 1);
}

TEST_CASE("normal values are Box-Muller pairs, within 1e-13 of the C library's") {
  // The generator's own logarithm, sine and cosine make it portable; here they are checked
  // against libm, from the same uniform draws (uniform = 2u - 1, so u = (v + 1) / 2).
  const std::vector<double> u = functional::random_values(42, trace::Distribution::kUniform, 200);
  const std::vector<double> z = functional::random_values(42, trace::Distribution::kNormal, 200);
  for (std::size_t i = 0; i < 200; i += 2) {
    const double u1 = 1 - (u[i] + 1) / 2;
    const double u2 = (u[i + 1] + 1) / 2;
    const double r = std::sqrt(-2 * std::log(u1));
    CHECK(z[i] == doctest::Approx(r * std::cos(2 * M_PI * u2)).epsilon(1e-13));
    CHECK(z[i + 1] == doctest::Approx(r * std::sin(2 * M_PI * u2)).epsilon(1e-13));
  }
}

TEST_CASE("moments of 200000 draws") {
  // Standard errors: mean 1/sqrt(n) = 0.0022 (normal), 0.0013 (uniform, variance 1/3); the
  // bounds are about five of them.
  constexpr std::size_t n = 200000;
  for (auto dist : {trace::Distribution::kNormal, trace::Distribution::kUniform}) {
    const std::vector<double> v = functional::random_values(7, dist, n);
    double sum = 0, sq = 0, lo = 0, hi = 0;
    for (double x : v) {
      sum += x;
      sq += x * x;
      lo = std::min(lo, x);
      hi = std::max(hi, x);
    }
    const double mean = sum / n, var = sq / n - mean * mean;
    CHECK(std::abs(mean) < 0.011);
    if (dist == trace::Distribution::kNormal) {
      CHECK(var == doctest::Approx(1.0).epsilon(0.02));
    } else {
      CHECK(var == doctest::Approx(1.0 / 3).epsilon(0.02));
      CHECK(lo >= -1);
      CHECK(hi < 1);
    }
  }
}

TEST_CASE("random tensors round each value to fp32, then to the dtype") {
  trace::TensorDecl t;
  t.dtype = isa::DType::kFp8e4;
  t.shape = {3, 5};
  t.seed = 9;
  const std::vector<float> values = functional::random_tensor(t);
  const std::vector<double> raw = functional::random_values(9, trace::Distribution::kNormal, 15);
  REQUIRE(values.size() == 15);
  for (std::size_t i = 0; i < 15; ++i)
    CHECK(values[i] == numerics::round_to(isa::DType::kFp8e4, static_cast<float>(raw[i])));
}
