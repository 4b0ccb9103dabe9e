// The expected result of a generated GEMM, computed apart from the simulator: the same
// inputs (init=random, docs/numerics.md "Random initialisation"), then a plain triple loop
// in double, rounded at the end to C's dtype. `trnsim gen gemm --reference` writes it, and
// `trnsim compare` checks a functional run's C against it within tolerances that account
// for the simulator's fp32 accumulation and both sides' final rounding.
#pragma once

#include "gen/gemm.h"
#include "io/npy.h"

namespace trnsim::gen {

// C[M, N] = A[M, K] . B[K, N] for the AT (seed) and B (seed + 1) tensors that gemm(options)
// declares, as an array of C's dtype. Each element is the exact sum of products (double
// holds every product of bf16, fp16 and fp8 values exactly; the sum's error is far below
// C's rounding), rounded to fp32 and then to C's dtype.
// A batched GEMM (options.batch >= 1) gives C [batch, M, N], one product per batch.
io::Array gemm_reference(const GemmOptions& options);

}  // namespace trnsim::gen
