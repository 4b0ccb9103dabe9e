// Slow, obviously correct conversions written from the format definitions, to check the
// fast bit-twiddling ones in sim/numerics against. They share no code with it: values are
// computed with ldexp in double, and rounding picks the nearer of two neighbours.
#pragma once

#include <cstdint>
#include <vector>

namespace trnsim::test {

struct FormatSpec {
  const char* name;
  int exp_bits;
  int man_bits;
  bool has_inf;  // false: OCP E4M3FN, where only the all-ones pattern is NaN
};

inline constexpr FormatSpec kBf16Spec{"bf16", 8, 7, true};
inline constexpr FormatSpec kFp16Spec{"fp16", 5, 10, true};
inline constexpr FormatSpec kFp8e4Spec{"fp8e4", 4, 3, false};
inline constexpr FormatSpec kFp8e5Spec{"fp8e5", 5, 2, true};

bool is_nan_pattern(const FormatSpec& f, std::uint32_t bits);
// The value of a pattern: (-1)^s * 2^(e - bias) * 1.m, or 2^(1 - bias) * 0.m when e = 0.
double reference_value(const FormatSpec& f, std::uint32_t bits);

// Round to nearest, ties to the even pattern, from a table of the format's values.
class ReferenceEncoder {
 public:
  explicit ReferenceEncoder(const FormatSpec& f);
  std::uint32_t encode(float x) const;

 private:
  FormatSpec m_format;
  std::vector<double> m_values;  // every finite non-negative value, by pattern (= ascending)
};

// fp32 values that stress a format's rounding: every midpoint between neighbouring
// values, the floats just beside each midpoint, and each value itself, both signs.
std::vector<float> rounding_probes(const FormatSpec& f);

}  // namespace trnsim::test
