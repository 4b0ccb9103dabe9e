// Multi-chip runs through the command line: every multi-chip preset runs a collective over
// its network, and `check` runs the dynamic checks across chips.
#include <doctest/doctest.h>

#include "cli_fixtures.h"

using namespace trnsim::test;

TEST_CASE("every multi-chip preset runs an all-reduce over its network") {
  for (const char* preset : {"trn1-16", "trn2-16", "trn2-64", "trn3-64"}) {
    INFO(preset);
    TempDir dir;
    const std::string trace = dir.file("allreduce.trn");
    expect_ok({"gen", "allreduce", "--in-place", "--bytes", "64Ki", "--config", preset, "-o",
               trace});
    const RunResult r = expect_ok({"run", "--config", preset, trace}, {"links   "});
    CHECK(r.out.find("busiest chip") != std::string::npos);
    expect_ok({"check", "--config", preset, trace}, {"dynamic checks: no data race, no deadlock"});
  }
}

TEST_CASE("check finds a race between chips: a remote write and a local read unordered") {
  TempDir dir;
  const std::string trace = dir.write("race.trn", R"(.trace 1
.tensor G  hbm       bf16 [128, 512]
.tensor G1 chip1.hbm bf16 [128, 512]

chip 0 core 0
dma.q0: copy hbm:G1, hbm:G

chip 1 core 0
dma.q0: copy sbuf[0:128]@0x0.bf16[512], hbm:G1
)");
  expect_exit({"check", "--config", "trn2-16", trace}, 1,
              {"race.trn:6:14: error: data race (write after read): chip0.core0 dma.q0 writes "
               "hbm bytes 0x0..0x1ffff of chip 1 (tensor G1)"});
  // Ordered by a semaphore the remote write posts, after its data, it is fine.
  const std::string ordered = dir.write("ordered.trn", R"(.trace 1
.tensor G  hbm       bf16 [128, 512]
.tensor G1 chip1.hbm bf16 [128, 512]

chip 0 core 0
dma.q0: copy hbm:G1, hbm:G post(chip1.core0.s_rx += 1)

chip 1 core 0
.sem s_rx
dma.q0: copy sbuf[0:128]@0x0.bf16[512], hbm:G1 wait(s_rx >= 1)
)");
  expect_ok({"check", "--config", "trn2-16", ordered});
}
