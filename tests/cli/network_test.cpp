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
    expect_ok(
        {"gen", "allreduce", "--in-place", "--bytes", "64Ki", "--config", preset, "-o", trace});
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

namespace {

// Chip 0 core 0 loads X and copies it into the SBUF of chip 1 core 0, then posts that
// core's s_rx; chip 1 core 0 copies the tile within its SBUF (VectorE) and stores it to Y.
// The copy into chip 1's SBUF is 128 x 512 bf16 = 128 KiB over the network.
const std::string kRemoteSbufTrace = R"(.trace 1
.tensor X hbm       bf16 [128, 512] init=random(seed=3) output
.tensor Y chip1.hbm bf16 [128, 512] output

chip 0 core 0
.sem s_in
dma.q0: copy sbuf[0:128]@0x0.bf16[512], hbm:X post(s_in += 1)
dma.q1: copy chip1.core0.sbuf[0:128]@0x400.bf16[512], sbuf[0:128]@0x0.bf16[512] wait(s_in >= 1) post(chip1.core0.s_rx += 1)

chip 1 core 0
.sem s_rx s_copied
dve:    tensor_copy sbuf[0:128]@0x800.bf16[512], sbuf[0:128]@0x400.bf16[512] wait(s_rx >= 1) post(s_copied += 1)
dma.q0: copy hbm:Y, sbuf[0:128]@0x800.bf16[512] wait(s_copied >= 1)
)";

std::string without(std::string text, const std::string& part) {
  text.erase(text.find(part), part.size());
  return text;
}

}  // namespace

TEST_CASE("a DMA into another chip's SBUF crosses the network and is ordered by a remote post") {
  TempDir dir;
  const std::string trace = dir.write("remote.trn", kRemoteSbufTrace);
  expect_ok({"fmt", trace},
            {"dma.q1: copy chip1.core0.sbuf[0:128]@0x400.bf16[512], sbuf[0:128]@0x0.bf16[512] "
             "wait(s_in >= 1) post(chip1.core0.s_rx += 1)\n"});
  expect_ok({"check", "--config", "trn2-16", trace}, {"dynamic checks: no data race, no deadlock"});
  const RunResult r = expect_ok({"run", "--config", "trn2-16", trace});
  const std::vector<std::string> links = words_of_line(r.out, "links");
  REQUIRE(links.size() > 2);
  CHECK(links[1] == "128.00");
  CHECK(links[2] == "KiB");

  // Functionally, Y on chip 1 ends up holding X of chip 0, bit for bit.
  expect_ok(
      {"run", "--functional", "--config", "trn2-16", "--dump-outputs", dir.file("out"), trace});
  expect_ok({"compare", dir.file("out/Y.npy"), dir.file("out/X.npy"), "--rtol", "0", "--atol", "0"},
            {"mismatches:     0 of 65536"});

  // Without the wait on the remote post, chip 1 reads its SBUF before the data is there.
  const std::string racy = dir.write("racy.trn", without(kRemoteSbufTrace, " wait(s_rx >= 1)"));
  expect_exit({"check", "--config", "trn2-16", racy}, 1,
              {"racy.trn:8:14: error: data race (write after read): chip0.core0 dma.q1 writes sbuf "
               "partitions 0..127, bytes 0x400..0x7ff of chip 1 core 0",
               "read by chip1.core0 dve at line 12"});
}

TEST_CASE("a DMA into another core's SBUF on the same chip uses no link") {
  TempDir dir;
  const std::string trace = dir.write("same-chip.trn", R"(.trace 1
.tensor X hbm bf16 [128, 512] init=random(seed=4) output
.tensor Y hbm bf16 [128, 512] output

chip 0 core 0
.sem s_in
dma.q0: copy sbuf[0:128]@0x0.bf16[512], hbm:X post(s_in += 1)
dma.q1: copy core1.sbuf[0:128]@0x400.bf16[512], sbuf[0:128]@0x0.bf16[512] wait(s_in >= 1) post(chip0.core1.s_rx += 1)

chip 0 core 1
.sem s_rx
dma.q0: copy hbm:Y, sbuf[0:128]@0x400.bf16[512] wait(s_rx >= 1)
)");
  expect_ok({"check", "--config", "trn2-16", trace}, {"dynamic checks: no data race, no deadlock"});
  const RunResult r = expect_ok({"run", "--config", "trn2-16", trace});
  const std::vector<std::string> links = words_of_line(r.out, "links");
  REQUIRE(links.size() > 2);
  CHECK(links[1] == "0");
  CHECK(links[2] == "B");
  expect_ok(
      {"run", "--functional", "--config", "trn2-16", "--dump-outputs", dir.file("out"), trace});
  expect_ok({"compare", dir.file("out/Y.npy"), dir.file("out/X.npy"), "--rtol", "0", "--atol", "0"},
            {"mismatches:     0 of 65536"});
}

TEST_CASE("a DMA may write into the SBUF of a core that runs nothing, not read another chip's") {
  TempDir dir;
  // Chip 1 core 3 and chip 0 core 5 have no section: the run builds their SBUFs alone.
  const std::string trace = dir.write("idle.trn", R"(.trace 1
.tensor X hbm bf16 [128, 512] init=random(seed=4)
.sem s_in
dma.q0: copy sbuf[0:128]@0x0.bf16[512], hbm:X post(s_in += 1)
dma.q1: copy chip1.core3.sbuf[0:128]@0x400.bf16[512], sbuf[0:128]@0x0.bf16[512] wait(s_in >= 1)
dma.q2: copy core5.sbuf[0:128]@0x400.bf16[512], sbuf[0:128]@0x0.bf16[512] wait(s_in >= 1)
)");
  const RunResult r = expect_ok({"run", "--config", "trn2-16", trace});
  CHECK(words_of_line(r.out, "links").at(1) == "128.00");

  const std::string read = dir.write("read.trn", R"(.trace 1
dma.q0: copy sbuf[0:128]@0x0.bf16[512], chip1.core0.sbuf[0:128]@0x0.bf16[512]
dma.q1: copy sbuf[0:128]@0x0.bf16[512], core1.sbuf[0:128]@0x0.bf16[512]
)");
  expect_exit({"run", "--config", "trn2-16", read}, 2,
              {"read.trn:2:41: error: chip 0 reads the memory of chip 1"});
  // A core of this chip is read without the network: only line 2 is refused.
  const RunResult refused = expect_exit({"run", "--config", "trn2-16", read}, 2);
  CHECK_FALSE(contains(refused.err, "read.trn:3:"));
}
