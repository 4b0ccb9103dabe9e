// Vector, scalar and GpSimd instruction costs, and semaphore ordering between engines.
#include <doctest/doctest.h>

#include "sim_harness.h"

using namespace trnsim;

namespace {

// The time from issue to completion of the only instruction of `text`, in cycles of `ghz`.
double latency_cycles(const std::string& line, double ghz, const config::SystemConfig& cfg = {}) {
  test::Run run = test::run_trace(".trace 1\n" + line + "\n", cfg);
  REQUIRE(run.recorder.completed.size() == 1);
  return test::cycles(run.recorder.completed[0].complete - run.recorder.completed[0].issue, ghz);
}

}  // namespace

TEST_CASE(
    "compute engine latency = max(MIN_II, N * cost / rate) + fixed + access start + pipeline") {
  const config::SystemConfig cfg;  // trn2: scalar and GpSimd 1.2 GHz, 1 element/cycle;
                                   // vector 0.96 GHz, 4 bf16 or 2 other elements/cycle
  const double act = cfg.scalar.clock_ghz, dve = cfg.vector.clock_ghz, pool = cfg.gpsimd.clock_ghz;
  // Below, "+ 124" is access_start (60) + fixed_latency (64).

  // activation, N = 512 bf16: max(64, 512 * 1 / 1) = 512; + 124 = 636.
  CHECK(latency_cycles(
            "act: activation sbuf[0:128]@0x0.bf16[512], sbuf[0:128]@0x1000.bf16[512] func=gelu",
            act) == doctest::Approx(636));
  // activation, N = 32: max(64, 32) = 64; + 124 = 188 (the minimum initiation interval).
  CHECK(latency_cycles(
            "act: activation sbuf[0:128]@0x0.bf16[32], sbuf[0:128]@0x1000.bf16[32] func=exp",
            act) == doctest::Approx(188));
  // reciprocal, N = 100 fp32: 8 cycles per element: 800; + 124 = 924.
  CHECK(
      latency_cycles(
          "act: activation sbuf[0:128]@0x0.fp32[100], sbuf[0:128]@0x1000.fp32[100] func=reciprocal",
          act) == doctest::Approx(924));
  // tensor_tensor bf16 add, contiguous, N = 512 on the vector engine: cost 1, 4 per cycle:
  // 128; + 124 = 252 cycles at 0.96 GHz.
  CHECK(
      latency_cycles("dve: tensor_tensor sbuf[0:128]@0x0.bf16[512], sbuf[0:128]@0x1000.bf16[512], "
                     "sbuf[0:128]@0x2000.bf16[512] op=add",
                     dve) == doctest::Approx(252));
  // tensor_tensor fp32 max: the slow class, 2 cycles per element at 2 per cycle: 512; + 124.
  CHECK(
      latency_cycles("dve: tensor_tensor sbuf[0:128]@0x0.fp32[512], sbuf[0:128]@0x1000.fp32[512], "
                     "sbuf[0:128]@0x2000.fp32[512] op=max",
                     dve) == doctest::Approx(636));
  // memset of zero into bf16, N = 1024, on GpSimd: 0.5 per element: 512; + 124.
  CHECK(latency_cycles("pool: memset sbuf[0:128]@0x0.bf16[1024] value=0", pool) ==
        doctest::Approx(636));
  // memset of 1.0: 1 per element: 1024; + 124.
  CHECK(latency_cycles("pool: memset sbuf[0:128]@0x0.bf16[1024] value=1.0", pool) ==
        doctest::Approx(1148));
  // iota, N = 100 int32: max(64, 100) + 150 fixed = 250; + 124 = 374.
  CHECK(latency_cycles("pool: iota sbuf[0:128]@0x0.int32[100]", pool) == doctest::Approx(374));
  // tensor_copy with an innermost stride of 16 fp32 elements (64 bytes > 16): stride
  // penalty x2: 256 * 2 = 512; + 124 = 636.
  CHECK(latency_cycles(
            "act: tensor_copy sbuf[0:128]@0x0.fp32[256], sbuf[0:128]@0x1000.fp32[256:16]", act) ==
        doctest::Approx(636));
}

TEST_CASE("a compute engine issues its next instruction after the occupancy, not the latency") {
  const config::SystemConfig cfg;
  test::Run run = test::run_trace(R"(.trace 1
act: activation sbuf[0:128]@0x0.bf16[512], sbuf[0:128]@0x1000.bf16[512] func=gelu
act: activation sbuf[0:128]@0x2000.bf16[512], sbuf[0:128]@0x3000.bf16[512] func=gelu
)",
                                  cfg);
  // Occupancy 512 cycles: the second starts 512 cycles after the first.
  CHECK(test::cycles(run.recorder.issued[1].issue - run.recorder.issued[0].issue,
                     cfg.scalar.clock_ghz) == doctest::Approx(512));
}

TEST_CASE("semaphores order engines: a waiter starts after the post, plus the wake-up overhead") {
  const config::SystemConfig cfg;
  test::Run run = test::run_trace(R"(.trace 1
.sem s_mm s_act
pe:  matmul psum[0:128]@bank0.fp32[512], sbuf[0:128]@0x0.bf16[128], sbuf[0:128]@0x1000.bf16[512] post(s_mm += 1)
act: activation sbuf[0:128]@0x2000.bf16[512], psum[0:128]@bank0.fp32[512] func=identity wait(s_mm >= 1) post(s_act += 1)
sync: nop wait(s_act >= 1)
)",
                                  cfg);
  const auto& mm = run.recorder.completion_of_line(run.program, 3);
  const auto& act = run.recorder.issue_of_line(run.program, 4);
  // The activation waited on the semaphore, then the sequencer's wake-up:
  // dependent_overhead_cycles = 100 cycles of the scalar clock.
  CHECK(act.issue - mm.complete == doctest::Approx(100 / (cfg.scalar.clock_ghz * 1e9)));
  CHECK(act.stall[static_cast<std::size_t>(events::StallReason::kSemaphore)] > 0);
  const auto& nop = run.recorder.issue_of_line(run.program, 5);
  CHECK(nop.issue >= run.recorder.completion_of_line(run.program, 4).complete);
  CHECK(run.result.completed);
}

TEST_CASE("a post @read releases waiters when the instruction starts, not when it ends") {
  const config::SystemConfig cfg;
  test::Run run = test::run_trace(R"(.trace 1
.sem s
act: activation sbuf[0:128]@0x0.bf16[4096], sbuf[0:128]@0x2000.bf16[4096] func=gelu post(s += 1 @read)
sync: nop wait(s >= 1)
)",
                                  cfg);
  const auto& act = run.recorder.completion_of_line(run.program, 3);
  const auto& nop = run.recorder.issue_of_line(run.program, 4);
  CHECK(nop.issue < act.complete);
  CHECK(nop.issue == doctest::Approx(act.issue));
}

TEST_CASE("a wait that can never be met is reported as a deadlock with the blocked instruction") {
  const config::SystemConfig cfg;
  test::Run run = test::run_trace(R"(.trace 1
.sem a b
act: activation sbuf[0:128]@0x0.bf16[64], sbuf[0:128]@0x2000.bf16[64] wait(a >= 1) post(b += 1)
dve: tensor_copy sbuf[0:128]@0x4000.bf16[64], sbuf[0:128]@0x0.bf16[64] wait(b >= 1) post(a += 1)
)",
                                  cfg);
  CHECK_FALSE(run.result.completed);
  REQUIRE(run.result.blocked.size() == 2);
  for (const auto& b : run.result.blocked) {
    REQUIRE(b.conditions.size() == 1);
    CHECK(b.conditions[0].needed == 1);
    CHECK(b.conditions[0].held == 0);
  }
}

TEST_CASE("trn1's shared ports serialise Vector and GpSimd on SBUF") {
  // Vector: 2048 bf16 at 4 per cycle = 512 cycles at 0.96 GHz = 533.3 ns of occupancy;
  // GpSimd: 2048 at 1 per cycle = 2048 cycles at 1.2 GHz = 1706.7 ns. Both are ready at
  // time 0; with a shared port the second starts when the first frees it.
  const char* kTwoCopies = R"(.trace 1
dve: tensor_copy sbuf[0:128]@0x0.bf16[2048], sbuf[0:128]@0x1000.bf16[2048]
pool: tensor_copy sbuf[0:128]@0x2000.bf16[2048], sbuf[0:128]@0x3000.bf16[2048]
)";
  config::SystemConfig cfg;
  cfg.sbuf.vector_gpsimd_share_port = true;
  test::Run run = test::run_trace(kTwoCopies, cfg);
  const auto& dve = run.recorder.issue_of_line(run.program, 2);
  const auto& pool = run.recorder.issue_of_line(run.program, 3);
  // Whichever went second waited for the other's whole occupancy, attributed to the port.
  const auto& later = dve.issue > pool.issue ? dve : pool;
  CHECK(later.stall[static_cast<std::size_t>(events::StallReason::kSbufPort)] > 0);
  const auto& first = dve.issue > pool.issue ? pool : dve;
  CHECK(later.issue == doctest::Approx(first.busy_end));
  CHECK((first.busy_end - first.issue) * 1e9 ==
        doctest::Approx(&first == &dve ? 512 / 0.96 : 2048 / 1.2));

  cfg.sbuf.vector_gpsimd_share_port = false;
  test::Run free_run = test::run_trace(kTwoCopies, cfg);
  CHECK(free_run.recorder.issued[0].issue == free_run.recorder.issued[1].issue);
}

TEST_CASE("PSUM sharing: NC-v2 serialises Vector and Scalar on any bank, NC-v3 only on one bank") {
  const char* kDifferentBanks = R"(.trace 1
dve: tensor_copy sbuf[0:128]@0x0.fp32[512], psum[0:128]@bank0.fp32[512]
act: tensor_copy sbuf[0:128]@0x4000.fp32[512], psum[0:128]@bank1.fp32[512]
)";
  const char* kSameBank = R"(.trace 1
dve: tensor_copy sbuf[0:128]@0x0.fp32[512], psum[0:128]@bank0.fp32[512]
act: tensor_copy sbuf[0:128]@0x4000.fp32[512], psum[0:128]@bank0.fp32[512]
)";
  auto stalled = [](const test::Run& run, events::StallReason reason) {
    double s = 0;
    for (const auto& e : run.recorder.issued)
      s += e.stall[static_cast<std::size_t>(reason)];
    return s;
  };
  config::SystemConfig nc3;  // trn2: share_port false, same bank only
  CHECK(stalled(test::run_trace(kDifferentBanks, nc3), events::StallReason::kPsumBank) == 0);
  CHECK(stalled(test::run_trace(kDifferentBanks, nc3), events::StallReason::kPsumPort) == 0);
  CHECK(stalled(test::run_trace(kSameBank, nc3), events::StallReason::kPsumBank) > 0);

  config::SystemConfig nc2 = nc3;
  nc2.psum.vector_scalar_share_port = true;
  nc2.psum.vector_scalar_share_same_bank_only = false;
  CHECK(stalled(test::run_trace(kDifferentBanks, nc2), events::StallReason::kPsumPort) > 0);
}
