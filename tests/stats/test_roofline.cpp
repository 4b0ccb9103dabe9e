#include <doctest/doctest.h>

#include "stats/roofline.h"

using namespace trnsim::stats;

namespace {
// trn2 defaults: 2 * 128 * 128 PEs * 2.4 GHz = 78.64 TFLOP/s bf16; HBM 2.9 TB/s per chip.
constexpr double kPeak = 2.0 * 128 * 128 * 2.4e9;
constexpr double kHbm = 2900e9;
}  // namespace

TEST_CASE("roofline: a GEMV is memory-bound") {
  // y = A x with A 4096 x 4096 bf16: 2 * 4096^2 FLOP over the 32 MiB of A (x and y are small,
  // left out), so intensity = 2 * 4096^2 / (2 * 4096^2) = 1 FLOP/B, under the ridge
  // 78.64e12 / 2.9e12 = 27.12 FLOP/B. The roof there: 1 * 2.9e12 = 2.9 TFLOP/s.
  // In 20 us: 33554432 / 20e-6 = 1.678 TFLOP/s = 57.9 % of the bound.
  const double flops = 2.0 * 4096 * 4096;
  const Roofline r = make_roofline(flops, 2.0 * 4096 * 4096, 20e-6, kPeak, kHbm);
  CHECK(r.arithmetic_intensity == 1.0);
  CHECK(r.ridge_intensity == doctest::Approx(27.118).epsilon(1e-4));
  CHECK(r.bound == Bound::kMemory);
  CHECK(r.bound_flops_per_s == doctest::Approx(2.9e12));
  CHECK(r.achieved_flops_per_s == doctest::Approx(1.6777e12).epsilon(1e-4));
  CHECK(r.fraction_of_bound == doctest::Approx(1.6777 / 2.9).epsilon(1e-4));
  CHECK(bound_name(r.bound) == "memory");
}

TEST_CASE("roofline: a large GEMM is compute-bound") {
  // 4096^3 bf16: 2 * 4096^3 = 137.4 GFLOP over A, B and C once (3 * 4096^2 * 2 B = 96 MiB):
  // intensity = 4096 / 3 = 1365.3 FLOP/B, past the ridge (27.1), so the roof is the peak.
  // In 2 ms: 68.72 TFLOP/s = 87.4 % of 78.64.
  const double flops = 2.0 * 4096 * 4096 * 4096;
  const Roofline r = make_roofline(flops, 3.0 * 4096 * 4096 * 2, 2e-3, kPeak, kHbm);
  CHECK(r.arithmetic_intensity == doctest::Approx(4096.0 / 3));
  CHECK(r.bound == Bound::kCompute);
  CHECK(r.bound_flops_per_s == kPeak);
  CHECK(r.achieved_flops_per_s == doctest::Approx(68.719e12).epsilon(1e-4));
  CHECK(r.fraction_of_bound == doctest::Approx(68.719e12 / kPeak).epsilon(1e-4));
  CHECK(bound_name(r.bound) == "compute");
}

TEST_CASE("roofline: exactly at the ridge counts as compute-bound") {
  const Roofline r = make_roofline(2e9, 1e9, 1.0, 2.0, 1.0);
  CHECK(r.arithmetic_intensity == 2.0);
  CHECK(r.ridge_intensity == 2.0);
  CHECK(r.bound == Bound::kCompute);
}

TEST_CASE("roofline: no HBM traffic or no time gives zeros, not divisions by zero") {
  const Roofline r = make_roofline(1e9, 0, 0, kPeak, kHbm);
  CHECK(r.arithmetic_intensity == 0);
  CHECK(r.bound_flops_per_s == 0);
  CHECK(r.achieved_flops_per_s == 0);
  CHECK(r.fraction_of_bound == 0);
  CHECK(r.bound == Bound::kMemory);
}
