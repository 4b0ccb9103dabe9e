// A schedule with a missing wait computes a wrong answer, the one hardware would: the
// reader takes whatever the buffer holds when it issues.
#include <doctest/doctest.h>

#include "functional_harness.h"

using namespace trnsim;

namespace {

// Two rows of X are loaded, one after the other, into the same SBUF buffer; each is
// doubled into its own slot and stored to Y. The second load waits until the first
// doubling has read the buffer (@read). WAIT is the second doubling's wait on the loads.
std::string double_rows(const char* wait) {
  return std::string(R"(.trace 1
.tensor X hbm fp32 [2, 4] init=random(seed=5, dist=uniform)
.tensor Y hbm fp32 [2, 4] output
.sem loaded read done
dma.q0: copy sbuf[0:1]@0x0.fp32[4], hbm:X[0:1, 0:4] post(loaded += 1)
act:    tensor_scalar sbuf[0:1]@0x100.fp32[4], sbuf[0:1]@0x0.fp32[4] op0=mul s0=2 wait(loaded >= 1) post(read += 1 @read, done += 1)
dma.q0: copy sbuf[0:1]@0x0.fp32[4], hbm:X[1:2, 0:4] wait(read >= 1) post(loaded += 1)
act:    tensor_scalar sbuf[0:1]@0x200.fp32[4], sbuf[0:1]@0x0.fp32[4] op0=mul s0=2 )") +
         wait + R"( post(done += 1)
dma.q1: copy hbm:Y[0:1, 0:4], sbuf[0:1]@0x100.fp32[4] wait(done >= 2)
dma.q1: copy hbm:Y[1:2, 0:4], sbuf[0:1]@0x200.fp32[4]
)";
}

}  // namespace

TEST_CASE("a missing wait reads the previous tile: Y's second row repeats the first") {
  auto fixed = test::run_functional(double_rows("wait(loaded >= 2)"));
  auto racy = test::run_functional(double_rows("wait(loaded >= 1)"), {}, "test.trn",
                                   test::Races::kExpected);
  CHECK(racy->races > 0);  // what the race detector says of the same run
  const std::vector<float> x = fixed->values("X");
  const std::vector<float> good = fixed->values("Y");
  const std::vector<float> bad = racy->values("Y");
  for (std::size_t i = 0; i < 8; ++i)
    CHECK(good[i] == 2 * x[i]);
  // The racy doubling issues a few cycles after the first one, long before the second
  // load lands (the DMA's start latency alone is microseconds), so it doubles row 0 again.
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(bad[i] == 2 * x[i]);
    CHECK(bad[4 + i] == 2 * x[i]);
    CHECK(bad[4 + i] != good[4 + i]);
  }
}
