#include "numerics/numerics.h"

#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace trnsim::numerics {

static_assert(std::endian::native == std::endian::little,
              "element bytes are copied as host integers: the host must be little-endian");

namespace {

using isa::DType;

constexpr std::uint32_t kFp32AbsMask = 0x7fff'ffffu;
constexpr std::uint32_t kFp32Inf = 0x7f80'0000u;
constexpr std::uint32_t kFp32QuietBit = 0x0040'0000u;
constexpr int kFp32ManBits = 23;
constexpr int kFp32Bias = 127;

// `m` / 2^shift rounded to nearest, ties to even, for 1 <= shift <= 31.
constexpr std::uint32_t shift_right_rne(std::uint32_t m, int shift) {
  const std::uint32_t half_minus_one = (1u << (shift - 1)) - 1;
  const std::uint32_t odd = (m >> shift) & 1u;
  return (m + half_minus_one + odd) >> shift;
}

// A binary floating-point format narrower than fp32, with subnormals. Without infinities
// (OCP E4M3FN) the all-ones exponent holds finite values and only the all-ones pattern is
// NaN; overflow then saturates to the largest finite value instead of going to infinity.
template <int kExpBits, int kManBits, bool kHasInf>
struct MiniFloat {
  static constexpr int kBias = (1 << (kExpBits - 1)) - 1;
  static constexpr int kShift = kFp32ManBits - kManBits;  // mantissa bits dropped from fp32
  static constexpr std::uint32_t kSign = 1u << (kExpBits + kManBits);
  static constexpr std::uint32_t kExpMask = (1u << kExpBits) - 1;
  static constexpr std::uint32_t kManMask = (1u << kManBits) - 1;
  static constexpr std::uint32_t kInf = kExpMask << kManBits;
  static constexpr std::uint32_t kMaxFinite = kHasInf ? kInf - 1 : kInf | (kManMask - 1);
  static constexpr std::uint32_t kNaN = kHasInf ? kInf | (1u << (kManBits - 1)) : kInf | kManMask;
  // The fp32 biased exponent of the format's smallest normal.
  static constexpr std::uint32_t kMinNormalExp = kFp32Bias + 1 - kBias;
  // The value of the smallest subnormal, 2^(1 - bias - mantissa bits), as fp32.
  static constexpr float kSubnormalUnit =
      std::bit_cast<float>((kMinNormalExp - kManBits) << kFp32ManBits);

  static std::uint32_t encode(float x) {
    const std::uint32_t bits = std::bit_cast<std::uint32_t>(x);
    const std::uint32_t sign = (bits >> 31) << (kExpBits + kManBits);
    const std::uint32_t abs = bits & kFp32AbsMask;
    if (abs > kFp32Inf) return sign | kNaN;
    std::uint32_t mag;
    if (abs >= kMinNormalExp << kFp32ManBits) {
      // Rounding the fp32 pattern as an integer: a carry out of the mantissa steps the
      // exponent up, which is what rounding up to the next power of two needs.
      mag = shift_right_rne(abs, kShift) - ((kFp32Bias - kBias) << kManBits);
    } else {
      // Below the format's normal range: count units of the smallest subnormal. Rounding
      // up to 2^kManBits units gives the smallest normal's pattern, as it should.
      const std::uint32_t exp = abs >> kFp32ManBits;
      const std::uint32_t man = (abs & 0x7f'ffffu) | (exp != 0 ? 0x80'0000u : 0u);
      const int shift =
          static_cast<int>(kMinNormalExp) + kShift - static_cast<int>(exp != 0 ? exp : 1);
      // man < 2^24: from a shift of 25 on the value is below half a unit.
      mag = shift > 24 ? 0u : shift_right_rne(man, shift);
    }
    if (mag > kMaxFinite) mag = kHasInf ? kInf : kMaxFinite;
    return sign | mag;
  }

  static constexpr float decode(std::uint32_t bits) {
    const std::uint32_t sign = ((bits >> (kExpBits + kManBits)) & 1u) << 31;
    const std::uint32_t exp = (bits >> kManBits) & kExpMask;
    const std::uint32_t man = bits & kManMask;
    const bool is_nan = kHasInf ? exp == kExpMask && man != 0 : exp == kExpMask && man == kManMask;
    if (is_nan) {
      return std::bit_cast<float>(sign | kFp32Inf | kFp32QuietBit | (man << kShift));
    }
    if (kHasInf && exp == kExpMask) return std::bit_cast<float>(sign | kFp32Inf);
    if (exp == 0) {
      const float value = static_cast<float>(man) * kSubnormalUnit;
      return std::bit_cast<float>(sign | std::bit_cast<std::uint32_t>(value));
    }
    return std::bit_cast<float>(sign | ((exp + kFp32Bias - kBias) << kFp32ManBits) |
                                (man << kShift));
  }
};

using Fp16 = MiniFloat<5, 10, true>;
using Fp8e4 = MiniFloat<4, 3, false>;
using Fp8e5 = MiniFloat<5, 2, true>;

template <typename Format>
constexpr std::array<float, 256> decode_table() {
  std::array<float, 256> table{};
  for (std::uint32_t b = 0; b < 256; ++b)
    table[b] = Format::decode(b);
  return table;
}
constexpr std::array<float, 256> kFp8e4Values = decode_table<Fp8e4>();
constexpr std::array<float, 256> kFp8e5Values = decode_table<Fp8e5>();

// Round first, then clamp: 32767.5 rounds to 32768 and only then saturates to 32767.
template <typename Int>
Int float_to_integer(float x) {
  if (std::isnan(x)) return 0;
  constexpr float kLow = static_cast<float>(std::numeric_limits<Int>::min());
  // For int32 this is 2^31, one past the maximum: anything that large saturates.
  constexpr float kHigh = static_cast<float>(std::numeric_limits<Int>::max());
  const float r = std::rint(x);
  if (r >= kHigh) return std::numeric_limits<Int>::max();
  if (r <= kLow) return std::numeric_limits<Int>::min();
  return static_cast<Int>(r);
}

// How each dtype is stored and converted, one codec per dtype; visit_codec is the only
// switch on the dtype, so the scalar and buffer conversions cannot disagree.
struct Fp32Codec {
  using Bits = std::uint32_t;
  static float decode(Bits b) { return std::bit_cast<float>(b); }
  static Bits encode(float x) { return std::bit_cast<Bits>(x); }
};
template <typename Storage, float (*kDecode)(Storage), Storage (*kEncode)(float)>
struct FloatCodec {
  using Bits = Storage;
  static float decode(Bits b) { return kDecode(b); }
  static Bits encode(float x) { return kEncode(x); }
};
template <typename Int>
struct IntCodec {
  using Bits = Int;
  static float decode(Int v) { return static_cast<float>(v); }
  static Int encode(float x) { return float_to_integer<Int>(x); }
};

template <typename Visitor>
decltype(auto) visit_codec(DType t, Visitor&& visit) {
  switch (t) {
    case DType::kFp32:
      return visit(Fp32Codec{});
    case DType::kBf16:
      return visit(FloatCodec<std::uint16_t, bf16_to_float, float_to_bf16>{});
    case DType::kFp16:
      return visit(FloatCodec<std::uint16_t, fp16_to_float, float_to_fp16>{});
    case DType::kFp8e4:
      return visit(FloatCodec<std::uint8_t, fp8e4_to_float, float_to_fp8e4>{});
    case DType::kFp8e5:
      return visit(FloatCodec<std::uint8_t, fp8e5_to_float, float_to_fp8e5>{});
    case DType::kInt32:
      return visit(IntCodec<std::int32_t>{});
    case DType::kInt16:
      return visit(IntCodec<std::int16_t>{});
    case DType::kInt8:
      return visit(IntCodec<std::int8_t>{});
    case DType::kUint8:
      return visit(IntCodec<std::uint8_t>{});
  }
  return visit(Fp32Codec{});
}

void check_sizes(DType t, std::size_t bytes, std::size_t elements) {
  if (bytes != elements * isa::dtype_bytes(t)) {
    throw std::invalid_argument("numerics: " + std::to_string(bytes) + " bytes do not hold " +
                                std::to_string(elements) + " " + std::string(isa::dtype_name(t)) +
                                " elements");
  }
}

}  // namespace

float bf16_to_float(std::uint16_t bits) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16);
}

std::uint16_t float_to_bf16(float x) {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(x);
  // bf16 is the top half of fp32, so subnormals and overflow to infinity come from rounding
  // the pattern alone; only NaN must not round (its low payload bits could carry it to inf).
  if ((bits & kFp32AbsMask) > kFp32Inf) {
    return static_cast<std::uint16_t>(((bits >> 16) & 0x8000u) | 0x7fc0u);
  }
  return static_cast<std::uint16_t>(shift_right_rne(bits, 16));
}

float fp16_to_float(std::uint16_t bits) {
  return Fp16::decode(bits);
}
std::uint16_t float_to_fp16(float x) {
  return static_cast<std::uint16_t>(Fp16::encode(x));
}
float fp8e4_to_float(std::uint8_t bits) {
  return kFp8e4Values[bits];
}
std::uint8_t float_to_fp8e4(float x) {
  return static_cast<std::uint8_t>(Fp8e4::encode(x));
}
float fp8e5_to_float(std::uint8_t bits) {
  return kFp8e5Values[bits];
}
std::uint8_t float_to_fp8e5(float x) {
  return static_cast<std::uint8_t>(Fp8e5::encode(x));
}
std::int32_t float_to_int32(float x) {
  return float_to_integer<std::int32_t>(x);
}
std::int16_t float_to_int16(float x) {
  return float_to_integer<std::int16_t>(x);
}
std::int8_t float_to_int8(float x) {
  return float_to_integer<std::int8_t>(x);
}
std::uint8_t float_to_uint8(float x) {
  return float_to_integer<std::uint8_t>(x);
}

float to_float(DType t, std::uint32_t bits) {
  return visit_codec(t, [bits]<typename Codec>(Codec) {
    // The low bits, reinterpreted: for signed integers the conversion wraps (C++20).
    return Codec::decode(static_cast<typename Codec::Bits>(bits));
  });
}

std::uint32_t from_float(DType t, float x) {
  return visit_codec(t, [x]<typename Codec>(Codec) {
    using Unsigned = std::make_unsigned_t<typename Codec::Bits>;
    return static_cast<std::uint32_t>(static_cast<Unsigned>(Codec::encode(x)));
  });
}

float round_to(DType t, float x) {
  return to_float(t, from_float(t, x));
}

void decode(DType t, std::span<const std::byte> bytes, std::span<float> out) {
  check_sizes(t, bytes.size(), out.size());
  visit_codec(t, [&]<typename Codec>(Codec) {
    using Bits = typename Codec::Bits;
    for (std::size_t i = 0; i < out.size(); ++i) {
      Bits b;
      std::memcpy(&b, bytes.data() + i * sizeof(Bits), sizeof(Bits));
      out[i] = Codec::decode(b);
    }
  });
}

void encode(DType t, std::span<const float> values, std::span<std::byte> out) {
  check_sizes(t, out.size(), values.size());
  visit_codec(t, [&]<typename Codec>(Codec) {
    using Bits = typename Codec::Bits;
    for (std::size_t i = 0; i < values.size(); ++i) {
      const Bits b = Codec::encode(values[i]);
      std::memcpy(out.data() + i * sizeof(Bits), &b, sizeof(Bits));
    }
  });
}

std::vector<float> decode(DType t, std::span<const std::byte> bytes) {
  std::vector<float> out(bytes.size() / isa::dtype_bytes(t));
  decode(t, bytes, out);
  return out;
}

std::vector<std::byte> encode(DType t, std::span<const float> values) {
  std::vector<std::byte> out(values.size() * isa::dtype_bytes(t));
  encode(t, values, out);
  return out;
}

}  // namespace trnsim::numerics
