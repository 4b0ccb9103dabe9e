// Small kernels written by hand as traces (softmax, layer normalisation, a GELU MLP), run
// functionally and checked against references computed here in double precision from the
// same inputs. (The harness also checks that each trace is free of races.)
#include <cmath>

#include <doctest/doctest.h>

#include "functional_harness.h"
#include "numerics/numerics.h"

using namespace trnsim;

namespace {

// |got - want| <= atol + rtol * |want| for every element.
void check_close(const std::vector<float>& got, const std::vector<double>& want, double rtol,
                 double atol) {
  REQUIRE(got.size() == want.size());
  std::size_t bad = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (!(std::abs(got[i] - want[i]) <= atol + rtol * std::abs(want[i]))) {
      if (++bad <= 5) INFO("element " << i << ": " << got[i] << " vs " << want[i]);
      CHECK(std::abs(got[i] - want[i]) <= atol + rtol * std::abs(want[i]));
    }
  }
  CHECK(bad == 0);
}

}  // namespace

TEST_CASE("softmax over rows: max, exp with accum, reciprocal, scale") {
  // y = exp(x - max) / sum exp(x - max), every step in fp32: x - max (one rounding, which
  // moves exp by at most 2^-24 * |x - max| <= 2^-23 relative), exp (2^-24), the sum of 64
  // terms (63 * 2^-24 relative, all terms positive), the reciprocal and the product
  // (2^-24 each): about 70 * 2^-24 = 4.2e-6 relative in all; rtol 1e-5.
  auto run = test::run_functional(R"(.trace 1
.tensor X hbm fp32 [128, 64] init=random(seed=11, dist=uniform)
.tensor Y hbm fp32 [128, 64] output
.sem s_x s_neg s_exp s_y
dma.q0: copy sbuf[0:128]@0x0.fp32[64], hbm:X post(s_x += 1)
dve:    tensor_reduce sbuf[0:128]@0x100.fp32[1], sbuf[0:128]@0x0.fp32[64] op=max wait(s_x >= 1)
dve:    tensor_scalar sbuf[0:128]@0x104.fp32[1], sbuf[0:128]@0x100.fp32[1] op0=mul s0=-1 post(s_neg += 1)
act:    activation sbuf[0:128]@0x200.fp32[64], sbuf[0:128]@0x0.fp32[64] func=exp bias=sbuf[0:128]@0x104.fp32[1] accum=sbuf[0:128]@0x108.fp32[1] wait(s_neg >= 1)
act:    activation sbuf[0:128]@0x10c.fp32[1], sbuf[0:128]@0x108.fp32[1] func=reciprocal post(s_exp += 1)
dve:    tensor_scalar sbuf[0:128]@0x300.fp32[64], sbuf[0:128]@0x200.fp32[64] op0=mul s0=sbuf[0:128]@0x10c.fp32[1] wait(s_exp >= 1) post(s_y += 1)
dma.q1: copy hbm:Y, sbuf[0:128]@0x300.fp32[64] wait(s_y >= 1)
)");
  const std::vector<float> x = run->values("X");
  std::vector<double> want(x.size());
  for (std::size_t r = 0; r < 128; ++r) {
    const float* row = x.data() + r * 64;
    double max = row[0], sum = 0;
    for (int i = 0; i < 64; ++i)
      max = std::max(max, static_cast<double>(row[i]));
    for (int i = 0; i < 64; ++i)
      sum += std::exp(row[i] - max);
    for (int i = 0; i < 64; ++i)
      want[r * 64 + i] = std::exp(row[i] - max) / sum;
  }
  check_close(run->values("Y"), want, 1e-5, 0);
}

TEST_CASE("layer normalisation from two bn_stats records and bn_aggr") {
  // y = (x - mean) / sqrt(var + 1e-5) over 256 N(0, 1) values per row, statistics from two
  // bn_stats of 128 elements combined by bn_aggr. In fp32 the sums of 128 terms err by at
  // most 127 * 2^-24 relative of the sum of magnitudes, which puts mean and variance within
  // about 1e-5 (relative to their scale, about 1); rsqrt halves the variance's relative
  // error; y = (x - mean) * rstd with |y| up to about 4: within 1e-4 + 1e-4 |y|.
  auto run = test::run_functional(R"(.trace 1
.tensor X hbm fp32 [128, 256] init=random(seed=12, dist=normal)
.tensor Y hbm fp32 [128, 256] output
.sem s_x s_stat s_rstd s_y
dma.q0: copy sbuf[0:128]@0x0.fp32[256], hbm:X post(s_x += 1)
dve:    bn_stats sbuf[0:128]@0x400.fp32[6], sbuf[0:128]@0x0.fp32[128] wait(s_x >= 1)
dve:    bn_stats sbuf[0:128]@0x418.fp32[6], sbuf[0:128]@0x200.fp32[128]
dve:    bn_aggr sbuf[0:128]@0x440.fp32[2], sbuf[0:128]@0x400.fp32[12]
dve:    tensor_scalar sbuf[0:128]@0x450.fp32[1], sbuf[0:128]@0x444.fp32[1] op0=add s0=1e-5 post(s_stat += 1)
act:    activation sbuf[0:128]@0x454.fp32[1], sbuf[0:128]@0x450.fp32[1] func=rsqrt wait(s_stat >= 1) post(s_rstd += 1)
dve:    tensor_scalar sbuf[0:128]@0x800.fp32[256], sbuf[0:128]@0x0.fp32[256] op0=sub s0=sbuf[0:128]@0x440.fp32[1] op1=mul s1=sbuf[0:128]@0x454.fp32[1] wait(s_rstd >= 1) post(s_y += 1)
dma.q0: copy hbm:Y, sbuf[0:128]@0x800.fp32[256] wait(s_y >= 1)
)");
  const std::vector<float> x = run->values("X");
  std::vector<double> want(x.size());
  for (std::size_t r = 0; r < 128; ++r) {
    const float* row = x.data() + r * 256;
    double mean = 0, var = 0;
    for (int i = 0; i < 256; ++i)
      mean += row[i];
    mean /= 256;
    for (int i = 0; i < 256; ++i)
      var += (row[i] - mean) * (row[i] - mean);
    var /= 256;
    for (int i = 0; i < 256; ++i)
      want[r * 256 + i] = (row[i] - mean) / std::sqrt(var + 1e-5);
  }
  check_close(run->values("Y"), want, 1e-4, 1e-4);
}

TEST_CASE("GELU MLP: Y = gelu(X W1) W2 with bf16 weights, transposes on the tensor engine") {
  // X [128 tokens, 128], W1 [128, 256], W2 [256, 64], bf16, uniform in [-1, 1). The first
  // matmul takes X transposed (XT [128, 128]) as its stationary operand; H = X W1 (fp32 in
  // PSUM), G = gelu(H) stored as bf16, transposed through the PE in two 128-column blocks,
  // and Y = G W2 accumulates the two blocks in PSUM.
  //
  // Reference, in double from the same bf16 inputs: H exactly, G = gelu(H) rounded to bf16
  // as the trace stores it, Y = G W2 exactly. The simulator's H differs by its fp32
  // accumulation (127 * 2^-24 of sum |x w| <= 128: 1e-3 at most), which can move a G across
  // a bf16 rounding boundary: each G is then one step (2^-7 |G|) off. Bound, per element:
  // |Y - Y_ref| <= 2^-7 * sum_i |G_i W2_i| + 256 * 2^-24 * sum_i |G_i W2_i| (the second
  // matmul's own accumulation); the test uses 2^-7 * sum_i |G_i W2_i| + 1e-4.
  auto run = test::run_functional(R"(.trace 1
.tensor XT hbm bf16 [128, 128] init=random(seed=21, dist=uniform)
.tensor W1 hbm bf16 [128, 256] init=random(seed=22, dist=uniform)
.tensor W2 hbm bf16 [256, 64] init=random(seed=23, dist=uniform)
.tensor Y hbm fp32 [128, 64] output
.sem s_in s_w2 s_h s_g s_t s_gt s_y s_out
dma.q0: copy sbuf[0:128]@0x0.bf16[128], hbm:XT post(s_in += 1)
dma.q1: copy sbuf[0:128]@0x100.bf16[256], hbm:W1 post(s_in += 1)
dma.q2: copy sbuf[0:128]@0x300.bf16[64], hbm:W2[0:128, 0:64] post(s_w2 += 1)
dma.q3: copy sbuf[0:128]@0x380.bf16[64], hbm:W2[128:256, 0:64] post(s_w2 += 1)
pe:     matmul psum[0:128]@bank0.fp32[256], sbuf[0:128]@0x0.bf16[128], sbuf[0:128]@0x100.bf16[256] wait(s_in >= 2) post(s_h += 1)
act:    activation sbuf[0:128]@0x400.bf16[256], psum[0:128]@bank0.fp32[256] func=gelu wait(s_h >= 1) post(s_g += 1)
pe:     transpose psum[0:128]@bank1.bf16[128], sbuf[0:128]@0x400.bf16[128] wait(s_g >= 1) post(s_t += 1)
pe:     transpose psum[0:128]@0x900.bf16[128], sbuf[0:128]@0x500.bf16[128] post(s_t += 1)
dve:    tensor_copy sbuf[0:128]@0x600.bf16[128], psum[0:128]@bank1.bf16[128] wait(s_t >= 1)
dve:    tensor_copy sbuf[0:128]@0x700.bf16[128], psum[0:128]@0x900.bf16[128] wait(s_t >= 2) post(s_gt += 1)
pe:     matmul psum[0:128]@bank2.fp32[64], sbuf[0:128]@0x600.bf16[128], sbuf[0:128]@0x300.bf16[64] acc=start wait(s_gt >= 1, s_w2 >= 2)
pe:     matmul psum[0:128]@bank2.fp32[64], sbuf[0:128]@0x700.bf16[128], sbuf[0:128]@0x380.bf16[64] acc=accumulate post(s_y += 1)
dve:    tensor_copy sbuf[0:128]@0x800.fp32[64], psum[0:128]@bank2.fp32[64] wait(s_y >= 1) post(s_out += 1)
dma.q0: copy hbm:Y, sbuf[0:128]@0x800.fp32[64] wait(s_out >= 1)
)");
  const std::vector<float> xt = run->values("XT");
  const std::vector<float> w1 = run->values("W1");
  const std::vector<float> w2 = run->values("W2");
  std::vector<double> g(128 * 256);
  for (int t = 0; t < 128; ++t) {
    for (int h = 0; h < 256; ++h) {
      double sum = 0;
      for (int d = 0; d < 128; ++d)
        sum += static_cast<double>(xt[d * 128 + t]) * w1[d * 256 + h];
      const double gelu = 0.5 * sum * (1 + std::erf(sum / std::sqrt(2.0)));
      g[t * 256 + h] = numerics::round_to(isa::DType::kBf16, static_cast<float>(gelu));
    }
  }
  const std::vector<float> y = run->values("Y");
  std::size_t bad = 0;
  for (int t = 0; t < 128; ++t) {
    for (int o = 0; o < 64; ++o) {
      double want = 0, magnitude = 0;
      for (int h = 0; h < 256; ++h) {
        want += g[t * 256 + h] * w2[h * 64 + o];
        magnitude += std::abs(g[t * 256 + h] * w2[h * 64 + o]);
      }
      const double tolerance = 0x1p-7 * magnitude + 1e-4;
      if (std::abs(y[t * 64 + o] - want) > tolerance && ++bad <= 5) {
        INFO("Y[" << t << ", " << o << "] = " << y[t * 64 + o] << ", reference " << want);
        CHECK(std::abs(y[t * 64 + o] - want) <= tolerance);
      }
    }
  }
  CHECK(bad == 0);
}
