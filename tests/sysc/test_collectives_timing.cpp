// Collectives through the timing model, against the alpha-beta model of collective
// communication: an algorithm of k sequential steps, each moving m bytes over a link of
// bandwidth B, takes k * (alpha + m / B). alpha, the fixed cost of a step (DMA start, wire,
// routers, the semaphore update that releases the next step), is measured once, from a
// ring all-reduce small enough for the bytes not to matter; B is the config's link
// bandwidth. Everything else is a prediction.
#include <doctest/doctest.h>

#include <cstdint>

#include "config/config_loader.h"
#include "gen/collectives.h"
#include "sim_harness.h"

using namespace trnsim;
using gen::CollectiveAlgo;

namespace {

config::SystemConfig preset(const std::string& name) {
  return config::load_config(TRNSIM_SOURCE_DIR "/configs/" + name + ".yaml");
}

// Simulated seconds of an in-place all-reduce of `bytes` per chip over all chips.
double allreduce_seconds(const config::SystemConfig& cfg, CollectiveAlgo algo,
                         std::uint64_t bytes) {
  gen::CollectiveOptions o;
  o.algo = algo;
  o.bytes = bytes;
  o.in_place = true;
  const test::Run run = test::run_program(gen::collective(o, cfg), cfg);
  REQUIRE(run.result.completed);
  return run.result.seconds;
}

// Ring all-reduce on n chips: 2(n - 1) steps of S / n bytes.
double ring_model(double n, double bytes, double bandwidth, double alpha) {
  return 2 * (n - 1) / n * bytes / bandwidth + 2 * (n - 1) * alpha;
}

// 2d all-reduce on an x-by-y grid: a ring reduce-scatter and all-gather along rows (2(x - 1)
// steps of S / x), and a ring all-reduce of the S / x shard along columns.
double grid_model(double x, double y, double bytes, double bandwidth, double alpha) {
  return 2 * (x - 1) * (bytes / x / bandwidth + alpha) + ring_model(y, bytes / x, bandwidth, alpha);
}

}  // namespace

TEST_CASE("ring all-reduce on the 4x4 torus is within 5 % of the alpha-beta model for large S") {
  const config::SystemConfig cfg = preset("trn2-16");
  const double n = 16;
  const double bandwidth = cfg.link.bandwidth_gb_s * 1e9;
  // 64 KiB: 4 KiB per step, 13 ns of link time against microseconds of alpha.
  const double alpha = allreduce_seconds(cfg, CollectiveAlgo::kRing, 64 << 10) / (2 * (n - 1));
  CHECK(alpha > 1e-6);  // a DMA start alone is 1.3 us
  const double bytes = 32 << 20;
  const double predicted = ring_model(n, bytes, bandwidth, alpha);
  const double measured = allreduce_seconds(cfg, CollectiveAlgo::kRing, bytes);
  // The bytes are more than two thirds of the time here, so this tests the bandwidth term.
  CHECK(2 * (n - 1) / n * bytes / bandwidth > 0.66 * predicted);
  CHECK(measured == doctest::Approx(predicted).epsilon(0.05));
}

TEST_CASE("on the 64-chip UltraServer the 2d algorithm beats the ring as the model predicts") {
  const config::SystemConfig cfg = preset("trn2-64");
  const double n = 64;
  const double bandwidth = cfg.link.bandwidth_gb_s * 1e9;
  // The 2d algorithm sees the 4x4x4 torus as 4 x 16: rows along x, columns over y and z.
  const double x = 4, y = 16;
  const double alpha = allreduce_seconds(cfg, CollectiveAlgo::kRing, 256 << 10) / (2 * (n - 1));
  for (const double bytes : {256.0 * 1024, 16.0 * 1024 * 1024}) {
    CAPTURE(bytes);
    const double ring = allreduce_seconds(cfg, CollectiveAlgo::kRing, bytes);
    const double grid = allreduce_seconds(cfg, CollectiveAlgo::k2d, bytes);
    const double ring_predicted = ring_model(n, bytes, bandwidth, alpha);
    const double grid_predicted = grid_model(x, y, bytes, bandwidth, alpha);
    CHECK(ring == doctest::Approx(ring_predicted).epsilon(0.05));
    CHECK(grid == doctest::Approx(grid_predicted).epsilon(0.05));
    // 36 steps instead of 126 for about the same bytes per chip: 2d wins, by the predicted
    // factor (3.5 at 256 KiB, 2.2 at 16 MiB).
    CHECK(grid < ring);
    CHECK(ring / grid == doctest::Approx(ring_predicted / grid_predicted).epsilon(0.1));
  }
}
