// Buffers of elements: decode and encode agree with the scalar conversions.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "numerics/numerics.h"

using namespace trnsim;
using isa::DType;

namespace {
const std::vector<float> kValues = {0.0f,   -0.0f,   1.0f,  -1.5f,    2.5f, 3.14159f,
                                    100.0f, -300.7f, 1e-6f, 65504.0f, 1e9f, -1e9f};
}  // namespace

TEST_CASE("encode then decode equals round_to for every dtype") {
  for (std::size_t i = 0; i < isa::kNumDTypes; ++i) {
    const auto t = static_cast<DType>(i);
    INFO(isa::dtype_name(t));
    const std::vector<std::byte> bytes = numerics::encode(t, kValues);
    REQUIRE(bytes.size() == kValues.size() * isa::dtype_bytes(t));
    const std::vector<float> back = numerics::decode(t, bytes);
    REQUIRE(back.size() == kValues.size());
    for (std::size_t k = 0; k < kValues.size(); ++k) {
      const float expected = numerics::round_to(t, kValues[k]);
      CHECK(back[k] == expected);
      CHECK(std::signbit(back[k]) == std::signbit(expected));
      // Element k's bytes are its pattern, little-endian.
      std::uint32_t bits = 0;
      std::memcpy(&bits, bytes.data() + k * isa::dtype_bytes(t), isa::dtype_bytes(t));
      CHECK(bits == numerics::from_float(t, kValues[k]));
    }
  }
}

TEST_CASE("empty buffers are fine, mismatched sizes are a caller's error") {
  CHECK(numerics::decode(DType::kFp32, std::span<const std::byte>{}).empty());
  CHECK(numerics::encode(DType::kBf16, std::span<const float>{}).empty());
  std::vector<std::byte> three(3);
  std::vector<float> two(2);
  CHECK_THROWS_AS(numerics::decode(DType::kBf16, three, two), std::invalid_argument);
  CHECK_THROWS_AS(numerics::encode(DType::kBf16, two, three), std::invalid_argument);
  CHECK_THROWS_WITH(numerics::decode(DType::kFp16, three),
                    "numerics: 3 bytes do not hold 1 fp16 elements");
}
