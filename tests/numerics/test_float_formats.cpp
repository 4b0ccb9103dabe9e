// fp32 <-> bf16, fp16, fp8e4, fp8e5: every pattern, every rounding tie, the edges.
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <ios>
#include <limits>

#include "numerics/numerics.h"
#include "reference_formats.h"

using namespace trnsim;
using namespace trnsim::test;
using isa::DType;

namespace {

struct FormatCase {
  DType dtype;
  const FormatSpec* spec;
};
const FormatCase kFormats[] = {{DType::kBf16, &kBf16Spec},
                               {DType::kFp16, &kFp16Spec},
                               {DType::kFp8e4, &kFp8e4Spec},
                               {DType::kFp8e5, &kFp8e5Spec}};

std::uint32_t pattern_count(DType t) {
  return 1u << (8 * isa::dtype_bytes(t));
}

float f(double x) {
  return static_cast<float>(x);
}

std::uint32_t bits_of(float x) {
  return std::bit_cast<std::uint32_t>(x);
}

}  // namespace

TEST_CASE("every 8- and 16-bit float pattern decodes to its defined value") {
  for (const auto& [dtype, spec] : kFormats) {
    INFO(spec->name);
    for (std::uint32_t bits = 0; bits < pattern_count(dtype); ++bits) {
      const double expected = reference_value(*spec, bits);
      const float got = numerics::to_float(dtype, bits);
      if (std::isnan(expected)) {
        CHECK_MESSAGE(std::isnan(got), "pattern " << bits);
      } else if (static_cast<double>(got) != expected ||
                 std::signbit(got) != std::signbit(expected)) {
        FAIL_CHECK("pattern " << bits << " decodes to " << got << ", expected " << expected);
      }
    }
  }
}

TEST_CASE("bits to float to bits is the identity for every non-NaN pattern, and NaN stays NaN") {
  for (const auto& [dtype, spec] : kFormats) {
    INFO(spec->name);
    std::uint32_t nans = 0;
    for (std::uint32_t bits = 0; bits < pattern_count(dtype); ++bits) {
      const float value = numerics::to_float(dtype, bits);
      const std::uint32_t back = numerics::from_float(dtype, value);
      if (is_nan_pattern(*spec, bits)) {
        ++nans;
        CHECK_MESSAGE(std::isnan(value), "pattern " << bits);
        CHECK_MESSAGE(is_nan_pattern(*spec, back), "pattern " << bits);
        // The sign of a NaN is kept both ways.
        CHECK(std::signbit(value) == ((bits >> (8 * isa::dtype_bytes(dtype) - 1)) != 0));
        CHECK((back >> (8 * isa::dtype_bytes(dtype) - 1)) ==
              (bits >> (8 * isa::dtype_bytes(dtype) - 1)));
      } else if (back != bits) {
        FAIL_CHECK("pattern " << bits << " comes back as " << back);
      }
    }
    // bf16 and fp16: 2 signs x (2^m - 1) NaN mantissas; e5m2: 2 x 3; e4m3fn: 0x7f and 0xff.
    const std::uint32_t expected_nans = dtype == DType::kBf16    ? 2 * 127
                                        : dtype == DType::kFp16  ? 2 * 1023
                                        : dtype == DType::kFp8e5 ? 2 * 3
                                                                 : 2;
    CHECK(nans == expected_nans);
  }
}

TEST_CASE("rounding matches the reference at every midpoint and its neighbours") {
  for (const auto& [dtype, spec] : kFormats) {
    INFO(spec->name);
    const ReferenceEncoder reference(*spec);
    const std::vector<float> probes = rounding_probes(*spec);
    std::size_t wrong = 0;
    for (const float x : probes) {
      const std::uint32_t got = numerics::from_float(dtype, x);
      const std::uint32_t expected = reference.encode(x);
      if (got != expected && ++wrong <= 10) {
        FAIL_CHECK(x << " (0x" << std::hex << bits_of(x) << ") encodes to 0x" << got
                     << ", expected 0x" << expected);
      }
    }
    CHECK(wrong == 0);
    // Six probes around each value and each midpoint: the sweep did run.
    CHECK(probes.size() >= 12 * (pattern_count(dtype) / 4));
  }
}

TEST_CASE("rounding matches the reference on a sweep over all fp32 patterns") {
  // Every 65521st pattern (a prime stride, so every exponent and many mantissas are hit).
  for (const auto& [dtype, spec] : kFormats) {
    INFO(spec->name);
    const ReferenceEncoder reference(*spec);
    std::size_t wrong = 0;
    for (std::uint64_t b = 0; b < (std::uint64_t{1} << 32); b += 65521) {
      const float x = std::bit_cast<float>(static_cast<std::uint32_t>(b));
      const std::uint32_t got = numerics::from_float(dtype, x);
      const std::uint32_t expected = reference.encode(x);
      const bool both_nan = is_nan_pattern(*spec, got) && is_nan_pattern(*spec, expected);
      if (got != expected && !both_nan && ++wrong <= 10) {
        FAIL_CHECK("0x" << std::hex << b << " encodes to 0x" << got << ", expected 0x" << expected);
      }
    }
    CHECK(wrong == 0);
  }
}

TEST_CASE("fp16 agrees with the compiler's _Float16 conversion") {
  std::vector<float> probes = rounding_probes(kFp16Spec);
  for (std::uint64_t b = 0; b < (std::uint64_t{1} << 32); b += 65521)
    probes.push_back(std::bit_cast<float>(static_cast<std::uint32_t>(b)));
  std::size_t wrong = 0;
  for (const float x : probes) {
    const _Float16 h = static_cast<_Float16>(x);
    std::uint16_t expected;
    std::memcpy(&expected, &h, sizeof expected);
    const std::uint16_t got = numerics::float_to_fp16(x);
    const bool both_nan = std::isnan(x) && (got & 0x7fff) > 0x7c00 && (expected & 0x7fff) > 0x7c00;
    if (got != expected && !both_nan && ++wrong <= 10) {
      FAIL_CHECK(x << " encodes to 0x" << std::hex << got << ", _Float16 gives 0x" << expected);
    }
    const float decoded = numerics::fp16_to_float(expected);
    CHECK((decoded == static_cast<float>(h) || (std::isnan(decoded) && std::isnan(x))));
  }
  CHECK(wrong == 0);
}

TEST_CASE("bf16: ties go to the even mantissa") {
  // One bf16 ulp at 1.0 is 2^-7; 2^-8 is half of it.
  CHECK(numerics::float_to_bf16(f(1.0 + std::ldexp(1.0, -8))) == 0x3f80);      // -> 1.0
  CHECK(numerics::float_to_bf16(f(1.0 + 3 * std::ldexp(1.0, -8))) == 0x3f82);  // -> 1 + 2^-6
  CHECK(numerics::float_to_bf16(std::nextafter(f(1.0 + std::ldexp(1.0, -8)), 2.0f)) == 0x3f81);
  CHECK(numerics::float_to_bf16(f(-1.0 - std::ldexp(1.0, -8))) == 0xbf80);
  CHECK(numerics::round_to(DType::kBf16, 1.00390625f) == 1.0f);
}

TEST_CASE("largest finite values, and what lies past them") {
  CHECK(numerics::to_float(DType::kBf16, 0x7f7f) == doctest::Approx(3.3895e38).epsilon(1e-4));
  CHECK(numerics::to_float(DType::kBf16, 0x7f7f) == f(std::ldexp(255.0, 120)));
  CHECK(numerics::to_float(DType::kFp16, 0x7bff) == 65504.0f);
  CHECK(numerics::to_float(DType::kFp8e5, 0x7b) == 57344.0f);
  CHECK(numerics::to_float(DType::kFp8e4, 0x7e) == 448.0f);

  // fp16: the overflow midpoint 65520 is a tie between 65504 (odd) and 2^16: infinity.
  CHECK(numerics::float_to_fp16(65519.996f) == 0x7bff);
  CHECK(numerics::float_to_fp16(65520.0f) == 0x7c00);
  CHECK(numerics::float_to_fp16(-1e6f) == 0xfc00);
  // bf16: midpoint of 0x7f7f and 2^128 rounds to infinity; FLT_MAX is past it.
  CHECK(numerics::float_to_bf16(std::numeric_limits<float>::max()) == 0x7f80);
  CHECK(numerics::float_to_bf16(f(std::ldexp(255.0, 120))) == 0x7f7f);
  // e5m2: 61440 is the midpoint between 57344 (odd mantissa) and 2^16: infinity.
  CHECK(numerics::float_to_fp8e5(57344.0f) == 0x7b);
  CHECK(numerics::float_to_fp8e5(61439.996f) == 0x7b);
  CHECK(numerics::float_to_fp8e5(61440.0f) == 0x7c);
  CHECK(numerics::float_to_fp8e5(-1e30f) == 0xfc);
  CHECK(numerics::float_to_fp8e5(std::numeric_limits<float>::infinity()) == 0x7c);
  // e4m3fn has no infinity: everything past 448, infinities too, saturates.
  CHECK(numerics::float_to_fp8e4(464.0f) == 0x7e);  // tie between 448 and 480: even 448
  CHECK(numerics::float_to_fp8e4(470.0f) == 0x7e);
  CHECK(numerics::float_to_fp8e4(1e9f) == 0x7e);
  CHECK(numerics::float_to_fp8e4(-1e9f) == 0xfe);
  CHECK(numerics::float_to_fp8e4(std::numeric_limits<float>::infinity()) == 0x7e);
  CHECK(numerics::float_to_fp8e4(-std::numeric_limits<float>::infinity()) == 0xfe);
  CHECK(numerics::round_to(DType::kFp8e4, 1000.0f) == 448.0f);
}

TEST_CASE("subnormal boundaries") {
  // fp16: smallest subnormal 2^-24, smallest normal 2^-14.
  CHECK(numerics::float_to_fp16(f(std::ldexp(1.0, -24))) == 0x0001);
  CHECK(numerics::float_to_fp16(f(std::ldexp(1.0, -25))) == 0x0000);  // tie: even 0
  CHECK(numerics::float_to_fp16(std::nextafter(f(std::ldexp(1.0, -25)), 1.0f)) == 0x0001);
  CHECK(numerics::float_to_fp16(f(3 * std::ldexp(1.0, -25))) == 0x0002);  // 1.5 units -> 2
  CHECK(numerics::to_float(DType::kFp16, 0x03ff) == f(1023 * std::ldexp(1.0, -24)));
  CHECK(numerics::to_float(DType::kFp16, 0x0400) == f(std::ldexp(1.0, -14)));
  // Half a unit below the smallest normal rounds up into it (1023.5 units: tie -> 1024).
  CHECK(numerics::float_to_fp16(f(1023.5 * std::ldexp(1.0, -24))) == 0x0400);
  // fp8e4: smallest subnormal 2^-9, smallest normal 2^-6.
  CHECK(numerics::to_float(DType::kFp8e4, 0x01) == f(std::ldexp(1.0, -9)));
  CHECK(numerics::to_float(DType::kFp8e4, 0x08) == f(std::ldexp(1.0, -6)));
  CHECK(numerics::float_to_fp8e4(f(std::ldexp(1.0, -10))) == 0x00);
  CHECK(numerics::float_to_fp8e4(f(std::ldexp(3.0, -11))) == 0x01);
  // fp8e5: smallest subnormal 2^-16, smallest normal 2^-14.
  CHECK(numerics::to_float(DType::kFp8e5, 0x01) == f(std::ldexp(1.0, -16)));
  CHECK(numerics::to_float(DType::kFp8e5, 0x04) == f(std::ldexp(1.0, -14)));
  CHECK(numerics::float_to_fp8e5(f(std::ldexp(1.0, -17))) == 0x00);
  // bf16 shares fp32's exponent range: its subnormals are fp32 subnormals.
  CHECK(numerics::to_float(DType::kBf16, 0x0001) == f(std::ldexp(1.0, -133)));
  CHECK(numerics::float_to_bf16(f(std::ldexp(1.0, -134))) == 0x0000);
  CHECK(numerics::float_to_bf16(f(std::ldexp(3.0, -135))) == 0x0001);
  CHECK(numerics::float_to_bf16(std::numeric_limits<float>::denorm_min()) == 0x0000);
}

TEST_CASE("signed zeros and NaN") {
  CHECK(numerics::float_to_bf16(-0.0f) == 0x8000);
  CHECK(numerics::float_to_fp16(-0.0f) == 0x8000);
  CHECK(numerics::float_to_fp8e4(-0.0f) == 0x80);
  CHECK(numerics::float_to_fp8e5(-0.0f) == 0x80);
  CHECK(numerics::float_to_fp16(-1e-30f) == 0x8000);  // underflow keeps the sign
  CHECK(std::signbit(numerics::to_float(DType::kFp8e4, 0x80)));

  const float nan = std::numeric_limits<float>::quiet_NaN();
  CHECK(numerics::float_to_bf16(nan) == 0x7fc0);
  CHECK(numerics::float_to_bf16(-nan) == 0xffc0);
  // A NaN whose payload is only in bits that bf16 drops must not become infinity.
  CHECK(numerics::float_to_bf16(std::bit_cast<float>(0x7f800001u)) == 0x7fc0);
  CHECK(numerics::float_to_fp16(nan) == 0x7e00);
  CHECK(numerics::float_to_fp8e4(nan) == 0x7f);
  CHECK(numerics::float_to_fp8e4(-nan) == 0xff);
  CHECK(numerics::float_to_fp8e5(nan) == 0x7e);
  CHECK(numerics::from_float(DType::kFp32, nan) == bits_of(nan));
  for (const auto& [dtype, spec] : kFormats)
    CHECK(std::isnan(numerics::round_to(dtype, nan)));
}

TEST_CASE("fp32 passes through unchanged") {
  for (const std::uint32_t bits :
       {0u, 0x80000000u, 0x3f800001u, 0x00000001u, 0x7f7fffffu, 0x7f800000u, 0x7fc00001u}) {
    CHECK(numerics::from_float(DType::kFp32, numerics::to_float(DType::kFp32, bits)) == bits);
  }
}
