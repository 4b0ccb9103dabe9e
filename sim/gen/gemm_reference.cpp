#include "gen/gemm_reference.h"

#include "functional/random_init.h"

namespace trnsim::gen {

namespace {

std::vector<float> random_input(isa::DType dtype, std::uint64_t rows, std::uint64_t cols,
                                std::uint64_t seed) {
  trace::TensorDecl t;
  t.dtype = dtype;
  t.shape = {rows, cols};
  t.init = trace::InitKind::kRandom;
  t.seed = seed;
  return functional::random_tensor(t);
}

}  // namespace

io::Array gemm_reference(const GemmOptions& options) {
  const std::uint64_t m = options.m, n = options.n, k = options.k;
  const std::vector<float> at = random_input(options.dtype, k, m, options.seed);
  const std::vector<float> b = random_input(options.dtype, k, n, options.seed + 1);
  std::vector<double> c(m * n, 0.0);
  for (std::uint64_t kk = 0; kk < k; ++kk) {
    for (std::uint64_t row = 0; row < m; ++row) {
      const double a = at[kk * m + row];
      for (std::uint64_t col = 0; col < n; ++col)
        c[row * n + col] += a * b[kk * n + col];
    }
  }
  const std::vector<float> rounded(c.begin(), c.end());
  return io::make_array(options.out_dtype.value_or(options.dtype), {m, n}, rounded);
}

}  // namespace trnsim::gen
