// float <-> int32, int16, int8, uint8: round to nearest even, saturate, NaN to 0.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>

#include "numerics/numerics.h"

using namespace trnsim;
using isa::DType;

TEST_CASE("float to integer rounds half to even") {
  CHECK(numerics::float_to_int32(2.5f) == 2);
  CHECK(numerics::float_to_int32(3.5f) == 4);
  CHECK(numerics::float_to_int32(-2.5f) == -2);
  CHECK(numerics::float_to_int32(-3.5f) == -4);
  CHECK(numerics::float_to_int32(0.5f) == 0);
  CHECK(numerics::float_to_int32(-0.5f) == 0);
  CHECK(numerics::float_to_int32(1.5f) == 2);
  CHECK(numerics::float_to_int32(2.4999998f) == 2);
  CHECK(numerics::float_to_int32(2.5000002f) == 3);
  CHECK(numerics::float_to_int16(-7.5f) == -8);
  CHECK(numerics::float_to_int8(6.5f) == 6);
  CHECK(numerics::float_to_uint8(254.5f) == 254);
  CHECK(numerics::float_to_uint8(253.5f) == 254);
}

TEST_CASE("float to integer saturates to the type's range, after rounding") {
  const float inf = std::numeric_limits<float>::infinity();
  CHECK(numerics::float_to_int8(127.4f) == 127);
  CHECK(numerics::float_to_int8(127.5f) == 127);  // rounds to 128, then saturates
  CHECK(numerics::float_to_int8(200.0f) == 127);
  CHECK(numerics::float_to_int8(-128.5f) == -128);
  CHECK(numerics::float_to_int8(-129.0f) == -128);
  CHECK(numerics::float_to_int8(-inf) == -128);
  CHECK(numerics::float_to_uint8(-0.5f) == 0);
  CHECK(numerics::float_to_uint8(-1.0f) == 0);
  CHECK(numerics::float_to_uint8(255.5f) == 255);
  CHECK(numerics::float_to_uint8(1e10f) == 255);
  CHECK(numerics::float_to_int16(32767.5f) == 32767);
  CHECK(numerics::float_to_int16(-32768.5f) == -32768);
  CHECK(numerics::float_to_int16(inf) == 32767);
  // 2^31 is the first float past INT32_MAX; the float just below it converts exactly.
  CHECK(numerics::float_to_int32(2147483648.0f) == std::numeric_limits<std::int32_t>::max());
  CHECK(numerics::float_to_int32(2147483520.0f) == 2147483520);
  CHECK(numerics::float_to_int32(-2147483648.0f) == std::numeric_limits<std::int32_t>::min());
  CHECK(numerics::float_to_int32(-3e9f) == std::numeric_limits<std::int32_t>::min());
  CHECK(numerics::float_to_int32(inf) == std::numeric_limits<std::int32_t>::max());
}

TEST_CASE("NaN converts to integer 0") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  CHECK(numerics::float_to_int32(nan) == 0);
  CHECK(numerics::float_to_int16(-nan) == 0);
  CHECK(numerics::float_to_int8(nan) == 0);
  CHECK(numerics::float_to_uint8(nan) == 0);
  CHECK(numerics::round_to(DType::kInt8, nan) == 0.0f);
}

TEST_CASE("integer bit patterns sit in the low bits, two's complement") {
  CHECK(numerics::from_float(DType::kInt8, -1.0f) == 0xffu);
  CHECK(numerics::from_float(DType::kInt16, -2.0f) == 0xfffeu);
  CHECK(numerics::from_float(DType::kInt32, -3.0f) == 0xfffffffdu);
  CHECK(numerics::from_float(DType::kUint8, 200.0f) == 200u);
  CHECK(numerics::to_float(DType::kInt8, 0xff) == -1.0f);
  CHECK(numerics::to_float(DType::kInt8, 0x1ff) == -1.0f);  // higher bits ignored
  CHECK(numerics::to_float(DType::kUint8, 0xff) == 255.0f);
  CHECK(numerics::to_float(DType::kInt16, 0x8000) == -32768.0f);
  CHECK(numerics::to_float(DType::kInt32, 0x80000000u) == -2147483648.0f);
  // int32 beyond 2^24 rounds to the nearest float, ties to even.
  CHECK(numerics::to_float(DType::kInt32, 16777217u) == 16777216.0f);
  CHECK(numerics::to_float(DType::kInt32, 16777219u) == 16777220.0f);
}

TEST_CASE("every 8- and 16-bit integer pattern round-trips") {
  for (const DType t : {DType::kInt8, DType::kUint8, DType::kInt16}) {
    const std::uint32_t count = 1u << (8 * isa::dtype_bytes(t));
    std::uint32_t wrong = 0;
    for (std::uint32_t bits = 0; bits < count; ++bits) {
      if (numerics::from_float(t, numerics::to_float(t, bits)) != bits) ++wrong;
    }
    CHECK_MESSAGE(wrong == 0, isa::dtype_name(t));
  }
}
