#include "gen/gemm_reference.h"

#include <algorithm>

#include "functional/random_init.h"

namespace trnsim::gen {

namespace {

std::vector<float> random_input(isa::DType dtype, std::vector<std::uint64_t> shape,
                                std::uint64_t seed) {
  trace::TensorDecl t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.init = trace::InitKind::kRandom;
  t.seed = seed;
  return functional::random_tensor(t);
}

// The shape gemm(options) declares: batch outermost when batched.
std::vector<std::uint64_t> shape_of(const GemmOptions& options, std::uint64_t rows,
                                    std::uint64_t cols) {
  if (options.batch == 0) return {rows, cols};
  return {options.batch, rows, cols};
}

}  // namespace

io::Array gemm_reference(const GemmOptions& options) {
  const std::uint64_t m = options.m, n = options.n, k = options.k;
  const std::uint64_t batches = std::max<std::uint64_t>(1, options.batch);
  const std::vector<float> at = random_input(options.dtype, shape_of(options, k, m), options.seed);
  const std::vector<float> b =
      random_input(options.dtype, shape_of(options, k, n), options.seed + 1);
  std::vector<double> c(batches * m * n, 0.0);
  for (std::uint64_t batch = 0; batch < batches; ++batch) {
    const float* at_b = at.data() + batch * k * m;
    const float* b_b = b.data() + batch * k * n;
    double* c_b = c.data() + batch * m * n;
    for (std::uint64_t kk = 0; kk < k; ++kk) {
      for (std::uint64_t row = 0; row < m; ++row) {
        const double a = at_b[kk * m + row];
        for (std::uint64_t col = 0; col < n; ++col)
          c_b[row * n + col] += a * b_b[kk * n + col];
      }
    }
  }
  const std::vector<float> rounded(c.begin(), c.end());
  return io::make_array(options.out_dtype.value_or(options.dtype), shape_of(options, m, n),
                        rounded);
}

}  // namespace trnsim::gen
