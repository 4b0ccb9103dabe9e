#include "reference_formats.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace trnsim::test {

namespace {
int bias(const FormatSpec& f) {
  return (1 << (f.exp_bits - 1)) - 1;
}
std::uint32_t exp_field(const FormatSpec& f, std::uint32_t bits) {
  return (bits >> f.man_bits) & ((1u << f.exp_bits) - 1);
}
std::uint32_t man_field(const FormatSpec& f, std::uint32_t bits) {
  return bits & ((1u << f.man_bits) - 1);
}
std::uint32_t sign_bit(const FormatSpec& f) {
  return 1u << (f.exp_bits + f.man_bits);
}
}  // namespace

bool is_nan_pattern(const FormatSpec& f, std::uint32_t bits) {
  const std::uint32_t all_exp = (1u << f.exp_bits) - 1;
  const std::uint32_t all_man = (1u << f.man_bits) - 1;
  if (exp_field(f, bits) != all_exp) return false;
  return f.has_inf ? man_field(f, bits) != 0 : man_field(f, bits) == all_man;
}

double reference_value(const FormatSpec& f, std::uint32_t bits) {
  const double sign = (bits & sign_bit(f)) != 0 ? -1.0 : 1.0;
  const std::uint32_t e = exp_field(f, bits);
  const double m = man_field(f, bits);
  if (is_nan_pattern(f, bits)) return std::numeric_limits<double>::quiet_NaN();
  if (f.has_inf && e == (1u << f.exp_bits) - 1) {
    return sign * std::numeric_limits<double>::infinity();
  }
  if (e == 0) return sign * std::ldexp(m, 1 - bias(f) - f.man_bits);
  return sign * std::ldexp(1.0 + std::ldexp(m, -f.man_bits), static_cast<int>(e) - bias(f));
}

ReferenceEncoder::ReferenceEncoder(const FormatSpec& f) : m_format(f) {
  for (std::uint32_t bits = 0; bits < sign_bit(f); ++bits) {
    const double v = reference_value(f, bits);
    if (std::isfinite(v)) m_values.push_back(v);
  }
}

std::uint32_t ReferenceEncoder::encode(float x) const {
  const FormatSpec& f = m_format;
  const std::uint32_t sign = std::signbit(x) ? sign_bit(f) : 0u;
  const std::uint32_t nan = f.has_inf
                                ? ((1u << f.exp_bits) - 1) << f.man_bits | (1u << (f.man_bits - 1))
                                : sign_bit(f) - 1;
  if (std::isnan(x)) return sign | nan;
  const std::uint32_t max_finite = static_cast<std::uint32_t>(m_values.size() - 1);
  const std::uint32_t inf = max_finite + 1;
  const double a = std::fabs(static_cast<double>(x));
  // IEEE overflow: the first value past the largest finite one would be one ulp above it.
  const double max = m_values.back();
  const double ulp_at_max = max - m_values[max_finite - 1];
  const double beyond = max + ulp_at_max;
  std::uint32_t lower;
  if (a >= max) {
    lower = max_finite;
  } else {
    lower = static_cast<std::uint32_t>(std::upper_bound(m_values.begin(), m_values.end(), a) -
                                       m_values.begin() - 1);
  }
  const double lo = m_values[lower];
  const double hi = lower == max_finite ? beyond : m_values[lower + 1];
  std::uint32_t nearest;
  if (a - lo < hi - a) {
    nearest = lower;
  } else if (a - lo > hi - a) {
    nearest = lower + 1;
  } else {
    nearest = lower % 2 == 0 ? lower : lower + 1;
  }
  if (nearest > max_finite) nearest = f.has_inf ? inf : max_finite;
  if (!f.has_inf && a > max) nearest = max_finite;  // saturation, infinities included
  return sign | nearest;
}

std::vector<float> rounding_probes(const FormatSpec& f) {
  std::vector<float> probes;
  auto add_around = [&probes](double p) {
    // Beyond fp32's range the cast would be undefined; infinity is what is meant.
    const float pf = p > std::numeric_limits<float>::max() ? std::numeric_limits<float>::infinity()
                                                           : static_cast<float>(p);
    for (float q : {pf, std::nextafter(pf, 0.0f), std::nextafter(pf, 1e38f)}) {
      probes.push_back(q);
      probes.push_back(-q);
    }
  };
  double before = 0.0;
  double previous = 0.0;
  for (std::uint32_t bits = 1; bits < sign_bit(f); ++bits) {
    const double v = reference_value(f, bits);
    if (!std::isfinite(v)) break;
    add_around(v);
    add_around((previous + v) / 2);
    before = previous;
    previous = v;
  }
  // Past the largest finite value: the overflow midpoint, and far beyond.
  add_around(previous + (previous - before) / 2);
  add_around(previous * 4);
  for (float far : {std::numeric_limits<float>::max(), std::numeric_limits<float>::infinity()}) {
    probes.push_back(far);
    probes.push_back(-far);
  }
  return probes;
}

}  // namespace trnsim::test
