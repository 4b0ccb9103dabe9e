// Conversions between fp32 and every element dtype of the ISA, for functional execution:
// what a value becomes when it is stored in a tensor of a given dtype, and what a stored
// bit pattern means. docs/numerics.md, "Conversions", is the specification; in short:
//   - floats round to nearest, ties to even, with subnormals and signed zeros;
//   - fp16, fp8e5 and bf16 overflow to infinity; fp8e4 (OCP E4M3FN, no infinity)
//     saturates to +-448, infinities included;
//   - NaN stays NaN (the format's quiet NaN, sign kept);
//   - integers round to nearest even, saturate to their range, and take NaN to 0.
// Bit patterns sit in the low bits of a std::uint32_t; element bytes in memory are
// little-endian. Everything assumes the default floating-point environment (round to
// nearest); nothing here changes it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "isa/isa.h"

namespace trnsim::numerics {

// The value of bit pattern `bits` (its low 8 * dtype_bytes(t) bits; the rest are ignored).
// Exact for every float dtype and for the 8- and 16-bit integers; int32 values beyond
// 2^24 round to the nearest float, ties to even.
float to_float(isa::DType t, std::uint32_t bits);
// The bit pattern of `x` stored as dtype `t`, rounded as the rules above say.
std::uint32_t from_float(isa::DType t, float x);
// `x` quantised through dtype `t`: to_float(t, from_float(t, x)).
float round_to(isa::DType t, float x);

// One dtype each, for inner loops that know their dtype.
float bf16_to_float(std::uint16_t bits);
std::uint16_t float_to_bf16(float x);
float fp16_to_float(std::uint16_t bits);
std::uint16_t float_to_fp16(float x);
float fp8e4_to_float(std::uint8_t bits);
std::uint8_t float_to_fp8e4(float x);
float fp8e5_to_float(std::uint8_t bits);
std::uint8_t float_to_fp8e5(float x);
std::int32_t float_to_int32(float x);
std::int16_t float_to_int16(float x);
std::int8_t float_to_int8(float x);
std::uint8_t float_to_uint8(float x);

// Buffers of elements: `bytes` holds out.size() elements of dtype `t`, each
// dtype_bytes(t) bytes, little-endian, packed. The sizes must agree, else
// std::invalid_argument (a caller's bug, not bad input).
void decode(isa::DType t, std::span<const std::byte> bytes, std::span<float> out);
void encode(isa::DType t, std::span<const float> values, std::span<std::byte> out);
std::vector<float> decode(isa::DType t, std::span<const std::byte> bytes);
std::vector<std::byte> encode(isa::DType t, std::span<const float> values);

}  // namespace trnsim::numerics
