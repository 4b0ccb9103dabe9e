// One small hand-written trace per opcode, run with functional execution. Inputs come from
// iota and memset so every expected value can be worked out by hand in the comments.
#include <cmath>
#include <filesystem>
#include <limits>

#include <doctest/doctest.h>

#include "functional_harness.h"
#include "io/npy.h"
#include "run_trnsim.h"

using namespace trnsim;

namespace {

void check_values(const std::vector<float>& got, const std::vector<float>& want) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    if (std::isnan(want[i])) {
      CHECK(std::isnan(got[i]));
    } else {
      CHECK(got[i] == want[i]);
    }
  }
}

constexpr float kInf = std::numeric_limits<float>::infinity();

}  // namespace

TEST_CASE("matmul: start then accumulate, stationary transposed over the partitions") {
  // stationary[k, m] = 1 + 2k + m = [[1, 2], [3, 4]]; moving[k, n] = 3k + n = [[0, 1, 2],
  // [3, 4, 5]]. C[m, n] = sum_k stationary[k, m] * moving[k, n]:
  //   m = 0: 1 * [0, 1, 2] + 3 * [3, 4, 5] = [9, 13, 17]
  //   m = 1: 2 * [0, 1, 2] + 4 * [3, 4, 5] = [12, 18, 24]
  // and the second matmul (acc=accumulate) doubles it.
  auto run = test::run_functional(R"(.trace 1
.tensor C hbm fp32 [2, 3] output
.sem s_in s_mm s_out
pool:   iota sbuf[0:2]@0x0.bf16[2] base=1 pstep=2 fstep=1
pool:   iota sbuf[0:2]@0x10.bf16[3] base=0 pstep=3 fstep=1 post(s_in += 1)
pe:     matmul psum[0:2]@bank0.fp32[3], sbuf[0:2]@0x0.bf16[2], sbuf[0:2]@0x10.bf16[3] acc=start wait(s_in >= 1)
pe:     matmul psum[0:2]@bank0.fp32[3], sbuf[0:2]@0x0.bf16[2], sbuf[0:2]@0x10.bf16[3] acc=accumulate post(s_mm += 1)
dve:    tensor_copy sbuf[0:2]@0x20.fp32[3], psum[0:2]@bank0.fp32[3] wait(s_mm >= 1) post(s_out += 1)
dma.q0: copy hbm:C, sbuf[0:2]@0x20.fp32[3] wait(s_out >= 1)
)");
  check_values(run->values("C"), {18, 26, 34, 24, 36, 48});
}

TEST_CASE("matmul: fp32 accumulation rounds after every partition, in partition order") {
  // K = 3 partitions, M = N = 1: products 2^24, 1, 1 (bf16 values 2^12 * 2^12, 1 * 1, 1 * 1).
  // In order: 2^24 + 1 lies halfway between two fp32 values and rounds to the even 2^24, twice, so
  // the result is 2^24, where exact arithmetic gives 2^24 + 2.
  auto run = test::run_functional(R"(.trace 1
.tensor C hbm fp32 [1, 1] output
.sem s_in s_mm s_out
pool:   memset sbuf[0:3]@0x0.bf16[1] value=1
pool:   memset sbuf[0:1]@0x0.bf16[1] value=4096
pool:   memset sbuf[0:3]@0x10.bf16[1] value=1
pool:   memset sbuf[0:1]@0x10.bf16[1] value=4096 post(s_in += 1)
pe:     matmul psum[0:1]@bank0.fp32[1], sbuf[0:3]@0x0.bf16[1], sbuf[0:3]@0x10.bf16[1] wait(s_in >= 1) post(s_mm += 1)
dve:    tensor_copy sbuf[0:1]@0x20.fp32[1], psum[0:1]@bank0.fp32[1] wait(s_mm >= 1) post(s_out += 1)
dma.q0: copy hbm:C, sbuf[0:1]@0x20.fp32[1] wait(s_out >= 1)
)");
  check_values(run->values("C"), {16777216.0f});
}

TEST_CASE("transpose on the tensor engine") {
  // src[p, f] = 3p + f = [[0, 1, 2], [3, 4, 5]] becomes [[0, 3], [1, 4], [2, 5]].
  auto run = test::run_functional(R"(.trace 1
.tensor T hbm fp32 [3, 2] output
.sem s_in s_pe s_out
pool:   iota sbuf[0:2]@0x0.fp32[3] base=0 pstep=3 fstep=1 post(s_in += 1)
pe:     transpose psum[0:3]@0x0.fp32[2], sbuf[0:2]@0x0.fp32[3] wait(s_in >= 1) post(s_pe += 1)
act:    tensor_copy sbuf[0:3]@0x40.fp32[2], psum[0:3]@0x0.fp32[2] wait(s_pe >= 1) post(s_out += 1)
dma.q0: copy hbm:T, sbuf[0:3]@0x40.fp32[2] wait(s_out >= 1)
)");
  check_values(run->values("T"), {0, 3, 1, 4, 2, 5});
}

TEST_CASE("activation: relu of scale * x + per-partition bias, with accum") {
  // x = [[-1, 0, 1, 2], [3, 4, 5, 6]], bias = [1, 2] per partition, scale 2:
  //   row 0: relu([-1, 1, 3, 5]) = [0, 1, 3, 5], sum 9
  //   row 1: relu([8, 10, 12, 14]) = [8, 10, 12, 14], sum 44
  auto run = test::run_functional(R"(.trace 1
.tensor Y hbm fp32 [2, 4] output
.tensor S hbm fp32 [2, 1] output
.sem s_in s_act
pool:   iota sbuf[0:2]@0x0.fp32[4] base=-1 pstep=4 fstep=1
pool:   iota sbuf[0:2]@0x40.fp32[1] base=1 pstep=1 post(s_in += 1)
act:    activation sbuf[0:2]@0x80.fp32[4], sbuf[0:2]@0x0.fp32[4] func=relu scale=2.0 bias=sbuf[0:2]@0x40.fp32[1] accum=sbuf[0:2]@0xc0.fp32[1] wait(s_in >= 1) post(s_act += 1)
dma.q0: copy hbm:Y, sbuf[0:2]@0x80.fp32[4] wait(s_act >= 1)
dma.q1: copy hbm:S, sbuf[0:2]@0xc0.fp32[1] wait(s_act >= 1)
)");
  check_values(run->values("Y"), {0, 1, 3, 5, 8, 10, 12, 14});
  check_values(run->values("S"), {9, 44});
}

TEST_CASE("activation functions against their double-precision definitions") {
  // x = [-1, 0, 1, 2]; each function is evaluated in double and rounded once to fp32, e.g.
  // gelu(1) = 0.5 (1 + erf(1 / sqrt 2)) = 0.8413447..., sigmoid(2) = 0.8807970...
  const char* funcs[] = {"gelu", "silu", "exp", "tanh", "sigmoid", "square", "identity"};
  for (const char* func : funcs) {
    INFO(func);
    auto run = test::run_functional(std::string(R"(.trace 1
.tensor Y hbm fp32 [1, 4] output
.sem s_in s_act
pool:   iota sbuf[0:1]@0x0.fp32[4] base=-1 post(s_in += 1)
act:    activation sbuf[0:1]@0x80.fp32[4], sbuf[0:1]@0x0.fp32[4] func=)") +
                                    func + R"( wait(s_in >= 1) post(s_act += 1)
dma.q0: copy hbm:Y, sbuf[0:1]@0x80.fp32[4] wait(s_act >= 1)
)");
    std::vector<float> want;
    for (double x : {-1.0, 0.0, 1.0, 2.0}) {
      double y = x;
      const std::string f = func;
      if (f == "gelu") y = 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
      if (f == "silu") y = x / (1 + std::exp(-x));
      if (f == "exp") y = std::exp(x);
      if (f == "tanh") y = std::tanh(x);
      if (f == "sigmoid") y = 1 / (1 + std::exp(-x));
      if (f == "square") y = x * x;
      want.push_back(static_cast<float>(y));
    }
    check_values(run->values("Y"), want);
  }
  // Spot values, independent of the formulas above.
  auto run = test::run_functional(R"(.trace 1
.tensor Y hbm fp32 [1, 4] output
.sem s_in s_act
pool:   iota sbuf[0:1]@0x0.fp32[4] base=1 fstep=3 post(s_in += 1)
act:    activation sbuf[0:1]@0x80.fp32[4], sbuf[0:1]@0x0.fp32[4] func=gelu wait(s_in >= 1) post(s_act += 1)
dma.q0: copy hbm:Y, sbuf[0:1]@0x80.fp32[4] wait(s_act >= 1)
)");
  const std::vector<float> y = run->values("Y");  // gelu(1, 4, 7, 10)
  CHECK(y[0] == doctest::Approx(0.8413447460685429).epsilon(1e-7));
  CHECK(y[1] == doctest::Approx(3.9998733).epsilon(1e-7));
}

TEST_CASE("tensor_tensor and tensor_scalar operators") {
  // a = [1, 2, 3, 4], b = [4, 3, 2, 1].
  struct Case {
    const char* op;
    std::vector<float> want;
  };
  const Case cases[] = {
      {"add", {5, 5, 5, 5}}, {"sub", {-3, -1, 1, 3}}, {"mul", {4, 6, 6, 4}},
      {"max", {4, 3, 3, 4}}, {"min", {1, 2, 2, 1}},   {"div", {0.25f, 2.0f / 3.0f, 1.5f, 4}},
      {"pow", {1, 8, 9, 4}}, {"eq", {0, 0, 0, 0}},    {"lt", {1, 1, 0, 0}},
      {"gt", {0, 0, 1, 1}},
  };
  for (const Case& c : cases) {
    INFO(c.op);
    auto run = test::run_functional(std::string(R"(.trace 1
.tensor Y hbm fp32 [1, 4] output
.sem s_in s_op
pool:   iota sbuf[0:1]@0x0.fp32[4] base=1
pool:   iota sbuf[0:1]@0x10.fp32[4] base=4 fstep=-1 post(s_in += 1)
dve:    tensor_tensor sbuf[0:1]@0x20.fp32[4], sbuf[0:1]@0x0.fp32[4], sbuf[0:1]@0x10.fp32[4] op=)") +
                                    c.op + R"( wait(s_in >= 1) post(s_op += 1)
dma.q0: copy hbm:Y, sbuf[0:1]@0x20.fp32[4] wait(s_op >= 1)
)");
    check_values(run->values("Y"), c.want);
  }
  // (a * 2) + -1.25 = [0.75, 2.75, 4.75, 6.75]; stored as bf16 and read back exactly.
  // With a per-partition s0 of [3] and op1 bypass: a * 3 = [3, 6, 9, 12].
  auto run = test::run_functional(R"(.trace 1
.tensor Y hbm bf16 [1, 4] output
.tensor Z hbm fp32 [1, 4] output
.sem s_in s_op
pool:   iota sbuf[0:1]@0x0.fp32[4] base=1
pool:   memset sbuf[0:1]@0x40.fp32[1] value=3 post(s_in += 1)
act:    tensor_scalar sbuf[0:1]@0x20.bf16[4], sbuf[0:1]@0x0.fp32[4] op0=mul s0=2 op1=add s1=-1.25 wait(s_in >= 1)
act:    tensor_scalar sbuf[0:1]@0x80.fp32[4], sbuf[0:1]@0x0.fp32[4] op0=mul s0=sbuf[0:1]@0x40.fp32[1] post(s_op += 1)
dma.q0: copy hbm:Y, sbuf[0:1]@0x20.bf16[4] wait(s_op >= 1)
dma.q1: copy hbm:Z, sbuf[0:1]@0x80.fp32[4] wait(s_op >= 1)
)");
  check_values(run->values("Y"), {0.75f, 2.75f, 4.75f, 6.75f});
  check_values(run->values("Z"), {3, 6, 9, 12});
}

TEST_CASE("tensor_reduce over the innermost axes") {
  // Partition p holds [[6p, 6p+1, 6p+2], [6p+3, 6p+4, 6p+5]] as a [2, 3] pattern.
  //   axes=1, add: row sums [3, 12] and [21, 30];  axes=2, max: 5 and 11.
  auto run = test::run_functional(R"(.trace 1
.tensor R hbm fp32 [2, 2] output
.tensor M hbm fp32 [2, 1] output
.sem s_in s_red
pool:   iota sbuf[0:2]@0x0.fp32[6] base=0 pstep=6 post(s_in += 1)
dve:    tensor_reduce sbuf[0:2]@0x40.fp32[2], sbuf[0:2]@0x0.fp32[2:3, 3] op=add wait(s_in >= 1)
dve:    tensor_reduce sbuf[0:2]@0x60.fp32[1], sbuf[0:2]@0x0.fp32[2:3, 3] op=max axes=2 post(s_red += 1)
dma.q0: copy hbm:R, sbuf[0:2]@0x40.fp32[2] wait(s_red >= 1)
dma.q1: copy hbm:M, sbuf[0:2]@0x60.fp32[1] wait(s_red >= 1)
)");
  check_values(run->values("R"), {3, 12, 21, 30});
  check_values(run->values("M"), {5, 11});
}

TEST_CASE("memset and iota store integers exactly") {
  // 16777217 = 2^24 + 1 is not an fp32 value; int32 keeps it. iota base=100 pstep=10
  // fstep=-1 into int8 saturates nothing: [100, 99], [110, 109]; into uint8 -1 becomes 0.
  auto run = test::run_functional(R"(.trace 1
.tensor I hbm int32 [1, 2] output
.tensor J hbm int8 [2, 2] output
.tensor U hbm uint8 [1, 2] output
.sem s_in
pool:   memset sbuf[0:1]@0x0.int32[2] value=16777217
pool:   iota sbuf[0:2]@0x10.int8[2] base=100 pstep=10 fstep=-1
pool:   iota sbuf[0:1]@0x20.uint8[2] base=-1 fstep=300 post(s_in += 1)
dma.q0: copy hbm:I, sbuf[0:1]@0x0.int32[2] wait(s_in >= 1)
dma.q1: copy hbm:J, sbuf[0:2]@0x10.int8[2] wait(s_in >= 1)
dma.q2: copy hbm:U, sbuf[0:1]@0x20.uint8[2] wait(s_in >= 1)
)");
  const io::Array ints = run->executor->tensor_array(run->program.find_tensor("I"));
  CHECK(ints.to_doubles() == std::vector<double>{16777217, 16777217});
  check_values(run->values("J"), {100, 99, 110, 109});
  check_values(run->values("U"), {0, 255});  // -1 -> 0, 299 -> 255
}

TEST_CASE("transpose32 swaps partition and element inside each 32 x 32 block") {
  // src[p, i] = 32p + i on 32 partitions x 64 elements (two blocks side by side);
  // dst[p, i] = src[i mod 32 + 0, 32 * (i / 32) + p] = 32 (i mod 32) + 32 (i / 32) + p.
  auto run = test::run_functional(R"(.trace 1
.tensor T hbm fp32 [32, 64] output
.sem s_in s_t
pool:   iota sbuf[0:32]@0x0.fp32[64] base=0 pstep=32 post(s_in += 1)
dve:    transpose32 sbuf[0:32]@0x400.fp32[64], sbuf[0:32]@0x0.fp32[64] wait(s_in >= 1) post(s_t += 1)
dma.q0: copy hbm:T, sbuf[0:32]@0x400.fp32[64] wait(s_t >= 1)
)");
  std::vector<float> want;
  for (int p = 0; p < 32; ++p) {
    for (int i = 0; i < 64; ++i)
      want.push_back(static_cast<float>(32 * (i % 32) + 32 * (i / 32) + p));
  }
  check_values(run->values("T"), want);
}

TEST_CASE("bn_stats and bn_aggr give the mean and population variance") {
  // x = 1..8 on one partition. Even elements 1, 3, 5, 7: count 4, mean 4, sum of squared
  // deviations 9 + 1 + 1 + 9 = 20; odd elements 2, 4, 6, 8: 4, 5, 20. Aggregated: mean 4.5,
  // variance (20 + 20 + (5 - 4)^2 * 4 * 4 / 8) / 8 = 42 / 8 = 5.25, the variance of 1..8.
  auto run = test::run_functional(R"(.trace 1
.tensor S hbm fp32 [1, 6] output
.tensor A hbm fp32 [1, 2] output
.sem s_in s_bn
pool:   iota sbuf[0:1]@0x0.fp32[8] base=1 post(s_in += 1)
dve:    bn_stats sbuf[0:1]@0x40.fp32[6], sbuf[0:1]@0x0.fp32[8] wait(s_in >= 1)
dve:    bn_aggr sbuf[0:1]@0x80.fp32[2], sbuf[0:1]@0x40.fp32[6] post(s_bn += 1)
dma.q0: copy hbm:S, sbuf[0:1]@0x40.fp32[6] wait(s_bn >= 1)
dma.q1: copy hbm:A, sbuf[0:1]@0x80.fp32[2] wait(s_bn >= 1)
)");
  check_values(run->values("S"), {4, 4, 20, 4, 5, 20});
  check_values(run->values("A"), {4.5f, 5.25f});
}

TEST_CASE("affine_select applies a causal mask and partition_reduce reduces partitions") {
  // All ones, keep i <= p (pcoef=1 fcoef=-1 cmp=ge), -inf elsewhere. partition_reduce of
  // src[p, f] = 3p + f over 4 partitions: add [18, 22, 26], max [9, 10, 11].
  auto run = test::run_functional(R"(.trace 1
.tensor K hbm fp32 [4, 4] output
.tensor P hbm fp32 [2, 3] output
.sem s_in s_out
pool:   memset sbuf[0:4]@0x0.fp32[4] value=1
pool:   affine_select sbuf[0:4]@0x40.fp32[4], sbuf[0:4]@0x0.fp32[4] cmp=ge pcoef=1 fcoef=-1 offset=0 fill=-inf
pool:   iota sbuf[0:4]@0x80.fp32[3] base=0 pstep=3
pool:   partition_reduce sbuf[0:1]@0xc0.fp32[3], sbuf[0:4]@0x80.fp32[3] op=add
pool:   partition_reduce sbuf[0:1]@0xd0.fp32[3], sbuf[0:4]@0x80.fp32[3] op=max post(s_out += 1)
dma.q0: copy hbm:K, sbuf[0:4]@0x40.fp32[4] wait(s_out >= 1)
dma.q1: copy hbm:P[0:1, 0:3], sbuf[0:1]@0xc0.fp32[3] wait(s_out >= 1)
dma.q1: copy hbm:P[1:2, 0:3], sbuf[0:1]@0xd0.fp32[3]
)");
  check_values(run->values("K"),
               {1, -kInf, -kInf, -kInf, 1, 1, -kInf, -kInf, 1, 1, 1, -kInf, 1, 1, 1, 1});
  check_values(run->values("P"), {18, 22, 26, 9, 10, 11});
}

TEST_CASE("DMA: init files, dtype conversion, copy_add and raw HBM") {
  // X = [1 + 2^-8, 1 + 3 * 2^-8, -2, 0.1] (fp32). Through bf16: 1 + 2^-8 is a tie and
  // rounds to the even 1; 1 + 3 * 2^-8 rounds up to 1 + 2^-6; -2 stays; 0.1 becomes
  // 0.10009765625. Y starts as [10, 20, 30, 40] and copy_add adds the bf16 values.
  // The raw HBM page at 0x100000 carries X's bf16 copy out and back.
  test::TempDir dir;
  const std::vector<float> x{1 + 0x1p-8f, 1 + 3 * 0x1p-8f, -2, 0.1f};
  io::write_npy(dir.file("x.npy"), io::make_array(isa::DType::kFp32, {1, 4}, x));
  io::write_npy(dir.file("y.npy"),
                io::make_array(isa::DType::kFp32, {1, 4}, std::vector<float>{10, 20, 30, 40}));
  const std::string trace = R"(.trace 1
.tensor X hbm fp32 [1, 4] init=file("x.npy")
.tensor Y hbm fp32 [1, 4] init=file("y.npy") output
.tensor Z hbm bf16 [1, 4] output
.sem s_in s_raw s_back
dma.q0: copy sbuf[0:1]@0x0.bf16[4], hbm:X post(s_in += 1)
dma.q1: copy hbm@0x100000.bf16[1:4, 4], sbuf[0:1]@0x0.bf16[4] wait(s_in >= 1) post(s_raw += 1)
dma.q1: copy hbm:Z, hbm@0x100000.bf16[1:4, 4] wait(s_raw >= 1)
dma.q2: copy_add hbm:Y, sbuf[0:1]@0x0.bf16[4] wait(s_in >= 1)
)";
  auto run = test::run_functional(trace, {}, dir.file("t.trn"));
  const float b = 0.10009765625f;
  check_values(run->values("Z"), {1, 1 + 0x1p-6f, -2, b});
  check_values(run->values("Y"), {11, 21 + 0x1p-6f, 28, 40 + b});
}

TEST_CASE("init=none is poison: NaN in floats") {
  auto run = test::run_functional(R"(.trace 1
.tensor X hbm bf16 [1, 2] init=none
.tensor Y hbm fp32 [1, 2] output
.sem s_in
dma.q0: copy sbuf[0:1]@0x0.bf16[2], hbm:X post(s_in += 1)
dma.q1: copy hbm:Y, sbuf[0:1]@0x0.bf16[2] wait(s_in >= 1)
)");
  check_values(run->values("Y"), {std::nanf(""), std::nanf("")});
}
