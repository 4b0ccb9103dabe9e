// `trnsim run --functional`: output tensors written as .npy, input errors reported before
// the simulation, and generated GEMMs matching their references (`gen gemm --reference`).
#include <doctest/doctest.h>

#include "cli_fixtures.h"
#include "io/npy.h"

using namespace trnsim;
using namespace trnsim::test;

namespace {

// Y = 2 * X + 1 with X = [[0, 1, 2], [3, 4, 5]] from iota; Y is bf16 (written as '<f4').
const std::string kAffineTrace = R"(.trace 1
.tensor Y hbm bf16 [2, 3] output
.tensor N hbm fp32 [1] output
.sem s_in s_out
pool:   iota sbuf[0:2]@0x0.fp32[3] base=0 pstep=3 post(s_in += 1)
act:    tensor_scalar sbuf[0:2]@0x40.bf16[3], sbuf[0:2]@0x0.fp32[3] op0=mul s0=2 op1=add s1=1 wait(s_in >= 1) post(s_out += 1)
dma.q0: copy hbm:Y, sbuf[0:2]@0x40.bf16[3] wait(s_out >= 1)
)";

}  // namespace

TEST_CASE("run --functional --dump-outputs writes each output tensor as DIR/NAME.npy") {
  TempDir dir;
  const std::string trace = dir.write("affine.trn", kAffineTrace);
  const std::string out = dir.file("out/nested");
  expect_ok({"run", "--functional", "--dump-outputs", out, trace});
  const io::Array y = io::read_npy(out + "/Y.npy");
  CHECK(y.dtype == isa::DType::kFp32);  // bf16 has no NumPy dtype
  CHECK(y.shape == std::vector<std::uint64_t>{2, 3});
  CHECK(y.to_floats() == std::vector<float>{1, 3, 5, 7, 9, 11});
  // N is never written: zeros, its default initial contents.
  CHECK(io::read_npy(out + "/N.npy").to_floats() == std::vector<float>{0});
}

TEST_CASE("run --dump-outputs needs --functional") {
  TempDir dir;
  const std::string trace = dir.write("affine.trn", kAffineTrace);
  expect_exit({"run", "--dump-outputs", dir.file("out"), trace}, 2, {"--functional"});
}

TEST_CASE("run --functional: a bad init file is an error on its .tensor line") {
  TempDir dir;
  const std::string trace = dir.write("bad.trn", R"(.trace 1
.tensor X hbm fp32 [2, 2] init=file("missing.npy")
sync:   nop
)");
  const RunResult r =
      expect_exit({"run", "--functional", trace}, 2,
                  {"bad.trn:2:1: error: init=file(\"missing.npy\") of tensor 'X': "});
  CHECK(r.out.empty());
  // A timing-only run never opens the file.
  expect_ok({"run", trace});
}
