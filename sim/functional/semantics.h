// The arithmetic of each engine on plain arrays, apart from memory and timing:
// docs/numerics.md says what each function computes and in which precision.
#pragma once

#include <cstdint>
#include <span>

#include "isa/isa.h"

namespace trnsim::functional {

// An ALU operator of tensor_tensor / tensor_scalar in fp32: add, sub, mul, div round once
// (IEEE 754); max and min return NaN when either side is NaN; pow is computed in double and
// rounded once; eq, lt, gt give 1 or 0; bypass returns `a`.
float alu(isa::Word op, float a, float b);

// Whether `x cmp 0` holds, for affine_select's comparisons ge, gt, le, lt, eq, ne.
bool holds(isa::Word cmp, std::int64_t x);

// An activation function: computed in double with the C++ standard library and rounded
// once to fp32. gelu is the erf form 0.5 x (1 + erf(x / sqrt 2)).
float activate(isa::Word func, float x);

// out[m, n] = sum over k of stationary[k, m] * moving[k, n], exact products accumulated in
// fp32 in order k = 0, 1, ..., K - 1, each addition rounded once to nearest even.
// `narrow`: the inputs are bf16, fp16 or fp8 values, whose products are exact in fp32.
void matmul(std::span<const float> stationary, std::span<const float> moving, std::uint32_t k,
            std::uint32_t m, std::uint32_t n, bool narrow, std::span<float> out);

// One partition's bn_stats record (count, mean, count * variance of the even-indexed
// elements, then the same of the odd-indexed ones) into `record` (6 values).
void bn_stats(std::span<const float> x, std::span<float> record);
// Combines (count, mean, count * variance) triples in order into a mean and a population
// variance (`out`, 2 values). A trailing partial triple is ignored.
void bn_aggr(std::span<const float> triples, std::span<float> out);

}  // namespace trnsim::functional
