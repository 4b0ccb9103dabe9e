#include "functional/semantics.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace trnsim::functional {

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// The fp32 nearest to acc + p, where p is an exact product in double: the sum is taken in
// double and rounded to odd (if inexact, the neighbour with an odd last bit), which makes
// the final rounding to fp32 a single correct rounding (53 >= 24 + 2 bits).
float add_rounded_once(float acc, double p) {
  const double a = acc;
  double s = a + p;
  const double b = s - a;
  const double err = (a - (s - b)) + (p - b);
  if (err != 0 && std::isfinite(s)) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &s, sizeof bits);
    if ((bits & 1) == 0) s = std::nextafter(s, err > 0 ? HUGE_VAL : -HUGE_VAL);
  }
  return static_cast<float>(s);
}

}  // namespace

float alu(isa::Word op, float a, float b) {
  switch (op) {
    case isa::Word::kAdd:
      return a + b;
    case isa::Word::kSub:
      return a - b;
    case isa::Word::kMul:
      return a * b;
    case isa::Word::kDiv:
      return a / b;
    case isa::Word::kMax:
      return std::isnan(a) || std::isnan(b) ? kNaN : (a > b ? a : b);
    case isa::Word::kMin:
      return std::isnan(a) || std::isnan(b) ? kNaN : (a < b ? a : b);
    case isa::Word::kPow:
      return static_cast<float>(std::pow(static_cast<double>(a), static_cast<double>(b)));
    case isa::Word::kEq:
      return a == b ? 1.0f : 0.0f;
    case isa::Word::kLt:
      return a < b ? 1.0f : 0.0f;
    case isa::Word::kGt:
      return a > b ? 1.0f : 0.0f;
    default:
      return a;  // bypass
  }
}

bool holds(isa::Word cmp, std::int64_t x) {
  switch (cmp) {
    case isa::Word::kGe:
      return x >= 0;
    case isa::Word::kGt:
      return x > 0;
    case isa::Word::kLe:
      return x <= 0;
    case isa::Word::kLt:
      return x < 0;
    case isa::Word::kEq:
      return x == 0;
    default:
      return x != 0;  // ne
  }
}

float activate(isa::Word func, float x) {
  const double v = x;
  double r = v;
  switch (func) {
    case isa::Word::kRelu:
      r = v > 0 ? v : 0.0;
      break;
    case isa::Word::kGelu:
      r = 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
      break;
    case isa::Word::kSilu:
      r = v / (1.0 + std::exp(-v));
      break;
    case isa::Word::kExp:
      r = std::exp(v);
      break;
    case isa::Word::kTanh:
      r = std::tanh(v);
      break;
    case isa::Word::kSigmoid:
      r = 1.0 / (1.0 + std::exp(-v));
      break;
    case isa::Word::kRsqrt:
      r = 1.0 / std::sqrt(v);
      break;
    case isa::Word::kSqrt:
      r = std::sqrt(v);
      break;
    case isa::Word::kSquare:
      r = v * v;
      break;
    case isa::Word::kLog:
      r = std::log(v);
      break;
    case isa::Word::kReciprocal:
      r = 1.0 / v;
      break;
    default:
      break;  // identity
  }
  if (std::isnan(v)) r = v;  // relu(NaN) and friends stay NaN
  return static_cast<float>(r);
}

void matmul(std::span<const float> stationary, std::span<const float> moving, std::uint32_t k,
            std::uint32_t m, std::uint32_t n, bool narrow, std::span<float> out) {
  std::fill(out.begin(), out.end(), 0.0f);
  // k outermost: every output element still receives its products in order k = 0, 1, ...
  // Four output rows at a time share each load of a moving row.
  constexpr std::uint32_t kRows = 4;
  for (std::uint32_t kk = 0; kk < k; ++kk) {
    const float* __restrict b = moving.data() + static_cast<std::size_t>(kk) * n;
    const float* a = stationary.data() + static_cast<std::size_t>(kk) * m;
    std::uint32_t row = 0;
    if (narrow) {
      // The products are exact in fp32, so each addition is the only rounding.
      for (; row + kRows <= m; row += kRows) {
        float* __restrict c0 = out.data() + static_cast<std::size_t>(row) * n;
        float* __restrict c1 = c0 + n;
        float* __restrict c2 = c1 + n;
        float* __restrict c3 = c2 + n;
        const float a0 = a[row], a1 = a[row + 1], a2 = a[row + 2], a3 = a[row + 3];
        for (std::uint32_t j = 0; j < n; ++j) {
          c0[j] += a0 * b[j];
          c1[j] += a1 * b[j];
          c2[j] += a2 * b[j];
          c3[j] += a3 * b[j];
        }
      }
      for (; row < m; ++row) {
        float* __restrict c = out.data() + static_cast<std::size_t>(row) * n;
        const float ar = a[row];
        for (std::uint32_t j = 0; j < n; ++j)
          c[j] += ar * b[j];
      }
      continue;
    }
    for (; row < m; ++row) {
      float* c = out.data() + static_cast<std::size_t>(row) * n;
      const double ar = a[row];
      for (std::uint32_t j = 0; j < n; ++j)
        c[j] = add_rounded_once(c[j], ar * static_cast<double>(b[j]));
    }
  }
}

void bn_stats(std::span<const float> x, std::span<float> record) {
  for (std::size_t parity = 0; parity < 2; ++parity) {
    float count = 0, sum = 0;
    for (std::size_t i = parity; i < x.size(); i += 2) {
      sum += x[i];
      count += 1;
    }
    const float mean = count > 0 ? sum / count : 0.0f;
    float m2 = 0;
    for (std::size_t i = parity; i < x.size(); i += 2) {
      const float d = x[i] - mean;
      m2 += d * d;
    }
    record[3 * parity] = count;
    record[3 * parity + 1] = mean;
    record[3 * parity + 2] = m2;
  }
}

void bn_aggr(std::span<const float> triples, std::span<float> out) {
  // Chan et al.'s pairwise update, one record after the other.
  float count = 0, mean = 0, m2 = 0;
  for (std::size_t i = 0; i + 3 <= triples.size(); i += 3) {
    const float nb = triples[i], mb = triples[i + 1], m2b = triples[i + 2];
    if (nb == 0) continue;
    const float total = count + nb;
    const float delta = mb - mean;
    mean += delta * (nb / total);
    m2 += m2b + delta * delta * (count * nb / total);
    count = total;
  }
  out[0] = mean;
  out[1] = count > 0 ? m2 / count : 0.0f;
}

}  // namespace trnsim::functional
