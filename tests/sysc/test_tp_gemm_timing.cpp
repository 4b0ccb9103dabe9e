// `gen tp-gemm` through the timing model on trn2-16: the all-reduce of each row chunk
// overlaps the GEMM of the next, so the whole takes less than the GEMM and the all-reduce
// one after the other (and less than one chunk, which cannot overlap); and the
// all-reduce's DMAs on core 0 slow that core's GEMM loads and stores, which share its DMA
// engines: the same all-reduce on core 1, which has DMA engines of its own, costs less.
#include <doctest/doctest.h>

#include <cstdint>

#include "config/config_loader.h"
#include "gen/collectives.h"
#include "gen/tp_gemm.h"
#include "sim_harness.h"

using namespace trnsim;

namespace {

config::SystemConfig preset(const std::string& name) {
  return config::load_config(TRNSIM_SOURCE_DIR "/configs/" + name + ".yaml");
}

// Two chips of the trn2-16 torus, one GEMM core each. A shape whose GEMM is not bound by
// DMA alone (else the all-reduce's DMAs would take from the GEMM what the overlap saves)
// and whose all-reduce of a chunk is not mostly fixed step costs (else four of them would
// cost more than one of the whole): 2048 x 1024 outputs, 2048 of K per chip.
gen::TpGemmOptions shape() {
  gen::TpGemmOptions o;
  o.m = 2048;
  o.n = 1024;
  o.k = 2 * 2048;
  o.chips = 2;
  o.chunks = 4;
  o.cores = 1;
  return o;
}

// Summed waits of the GEMM's DMA queues of chip 0 core 0 for DMA engines held by other
// transfers (stats: dma_engine_wait_seconds).
double gemm_engine_wait(const test::Run& run, std::uint8_t first_ar_queue) {
  double sum = 0;
  for (const stats::StreamStats& s : run.stats.streams) {
    if (s.engine != isa::Engine::kDma || s.queue >= first_ar_queue) continue;
    const trace::CoreId id = run.program.cores[s.core_index].id;
    if (id.chip == 0 && id.core == 0) sum += s.dma_engine_wait_seconds;
  }
  return sum;
}

// Summed issue -> complete seconds of the GEMM's DMAs on chip 0 core 0 (the DMA queues
// below the all-reduce's first one).
double gemm_dma_seconds(const test::Run& run, std::uint8_t first_ar_queue) {
  double sum = 0;
  for (const events::InstructionEvent& e : run.recorder.completed) {
    if (e.engine != isa::Engine::kDma || e.queue >= first_ar_queue) continue;
    const trace::CoreId id = run.program.cores[e.core_index].id;
    if (id.chip == 0 && id.core == 0) sum += e.complete - e.issue;
  }
  return sum;
}

double seconds(const gen::TpGemmOptions& o, const config::SystemConfig& cfg) {
  const test::Run run = test::run_program(gen::tp_gemm(o, cfg), cfg);
  REQUIRE(run.result.completed);
  return run.result.seconds;
}

}  // namespace

TEST_CASE("tp-gemm on trn2-16: chunked all-reduce overlaps the GEMM and contends for DMA") {
  const config::SystemConfig cfg = preset("trn2-16");
  const gen::TpGemmOptions o = shape();
  const gen::TpGemmPlan plan = gen::plan_tp_gemm(o, cfg);

  const test::Run both = test::run_program(gen::tp_gemm(o, cfg), cfg);
  REQUIRE(both.result.completed);
  gen::TpGemmOptions alone = o;
  alone.gemm_only = true;
  const test::Run gemm = test::run_program(gen::tp_gemm(alone, cfg), cfg);
  REQUIRE(gemm.result.completed);
  // The all-reduce of the whole Y, by the same generator, on the same core.
  gen::CollectiveOptions ar;
  ar.algo = gen::CollectiveAlgo::kRing;
  ar.chips = o.chips;
  ar.bytes = o.m * o.n * 4;
  ar.in_place = true;
  ar.cols = o.n;
  const test::Run reduce = test::run_program(gen::collective(ar, cfg), cfg);
  REQUIRE(reduce.result.completed);

  const double t_both = both.result.seconds;
  const double t_gemm = gemm.result.seconds;
  const double t_ar = reduce.result.seconds;
  CAPTURE(t_both);
  CAPTURE(t_gemm);
  CAPTURE(t_ar);
  // Overlap: less than one after the other, and more than either alone.
  CHECK(t_both < t_gemm + t_ar);
  CHECK(t_both > t_gemm);
  CHECK(t_both > t_ar);

  // One chunk: the all-reduce waits for the whole GEMM.
  gen::TpGemmOptions serial = o;
  serial.chunks = 1;
  const double t_serial = seconds(serial, cfg);
  CAPTURE(t_serial);
  CHECK(t_both < t_serial);

  // Contention: the GEMM's DMAs of core 0 take longer next to the all-reduce, and the whole
  // is faster with the all-reduce on core 1, whose DMA engines the GEMM does not use.
  const double with = gemm_dma_seconds(both, plan.collective_queue);
  const double without = gemm_dma_seconds(gemm, plan.collective_queue);
  CAPTURE(with);
  CAPTURE(without);
  CHECK(without > 0);
  CHECK(with > without);
  // The stats say why: those queues wait longer for DMA engines held by other transfers.
  const double wait_with = gemm_engine_wait(both, plan.collective_queue);
  const double wait_without = gemm_engine_wait(gemm, plan.collective_queue);
  CAPTURE(wait_with);
  CAPTURE(wait_without);
  CHECK(wait_with > 0);
  CHECK(wait_with > wait_without);
  gen::TpGemmOptions apart = o;
  apart.core = 1;
  const double t_apart = seconds(apart, cfg);
  CAPTURE(t_apart);
  CHECK(t_apart < t_both);
}
