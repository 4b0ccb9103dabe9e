// The golden figures: taken from stats JSON, written and read back, compared metric by
// metric under the tolerances; and the roofline bounds.
#include <doctest/doctest.h>

#include <string>

#include "regress/figures.h"

using namespace trnsim::regress;
using nlohmann::json;

namespace {

// A run of 1000 cycles at 1 GHz (1 us): 1e6 FLOPs at a peak of 1e12 FLOP/s need 1 us
// at least; 1000 HBM bytes at 1e10 B/s need 0.1 us. The compute bound is 1 us.
json run_stats(double seconds) {
  json s = json::parse(R"({
    "config": "trn2", "cycles": 1000, "seconds": 1e-6, "mfu": 0.1234567,
    "engines": {"pe": {"busy": 0.5}, "dma": {"busy": 0.25}},
    "dma": {"bytes": 4096}, "hbm": {"bytes_read": 600, "bytes_written": 400},
    "links": {"bytes": 0},
    "roofline": {"flops": 1e6, "peak_flops_per_s": 1e12, "hbm_bytes": 1000,
                 "peak_hbm_bytes_per_s": 1e10}
  })");
  s["seconds"] = seconds;
  return s;
}

}  // namespace

TEST_CASE("figures: from stats, rounded, and through the golden file unchanged") {
  const Figures f = figures_from_stats(run_stats(1e-6));
  CHECK(f.config == "trn2");
  CHECK(f.cycles == 1000);
  CHECK(f.busy.at("pe") == 0.5);
  CHECK(f.dma_bytes == 4096);
  CHECK(f.hbm_bytes_read == 600);
  CHECK(f.hbm_bytes_written == 400);
  CHECK(f.mfu == 0.123457);  // 6 significant digits
  const std::string text = golden_text("c", f);
  CHECK(text.find("\"cycles\": 1000") != std::string::npos);
  CHECK(text.back() == '\n');
  CHECK(figures_from_golden(json::parse(text)) == f);
  CHECK_THROWS_WITH(figures_from_golden(json::parse(R"({"config": "x"})")),
                    doctest::Contains("'cycles'"));
}

TEST_CASE("figures: each metric is compared under its tolerance") {
  const Figures golden = figures_from_stats(run_stats(1e-6));
  SUBCASE("identical figures pass even when exact") {
    CHECK(compare(golden, golden, Tolerance{}).empty());
  }
  SUBCASE("cycles: relative") {
    Figures m = golden;
    m.cycles = 1010;  // +1 %
    CHECK(compare(golden, m, Tolerance{.cycles = 0.02}).empty());
    const auto d = compare(golden, m, Tolerance{.cycles = 0.005});
    REQUIRE(d.size() == 1);
    CHECK(d[0].metric == "cycles");
    CHECK(d[0].describe() == "cycles 1000 -> 1010 (+1.00 %, tolerance 0.50 %)");
  }
  SUBCASE("busy: per engine, and an engine on one side only") {
    Figures m = golden;
    m.busy["pe"] = 0.51;
    m.busy["act"] = 0.1;
    const auto d = compare(golden, m, Tolerance{.busy = 0.05});
    REQUIRE(d.size() == 1);
    CHECK(d[0].metric == "busy.act");
    CHECK(d[0].describe().find("was 0") != std::string::npos);
    CHECK(compare(golden, m, Tolerance{.busy = 0}).size() == 2);
  }
  SUBCASE("bytes: exact by default, relative when allowed; each counter by name") {
    Figures m = golden;
    m.dma_bytes += 1;
    m.hbm_bytes_read += 1;
    m.hbm_bytes_written += 1;
    m.link_bytes = 1;
    const auto d = compare(golden, m, Tolerance{});
    REQUIRE(d.size() == 4);
    CHECK(d[0].metric == "dma.bytes");
    CHECK(d[1].metric == "hbm.bytes_read");
    CHECK(d[2].metric == "hbm.bytes_written");
    CHECK(d[3].metric == "links.bytes");
    CHECK(d[0].describe() == "dma.bytes 4096 -> 4097 (+0.02 %, exact)");
    // links.bytes was 0: no relative tolerance admits a change from nothing.
    const auto r = compare(golden, m, Tolerance{.bytes = 0.01});
    REQUIRE(r.size() == 1);
    CHECK(r[0].metric == "links.bytes");
  }
  SUBCASE("mfu") {
    Figures m = golden;
    m.mfu = 0.1;
    const auto d = compare(golden, m, Tolerance{.mfu = 0.1});
    REQUIRE(d.size() == 1);
    CHECK(d[0].metric == "mfu");
    CHECK(compare(golden, m, Tolerance{.mfu = 0.5}).empty());
  }
}

TEST_CASE("bounds: never below the roofline, at most max_bound_factor above it") {
  CHECK(roofline_bound_seconds(run_stats(1e-6)) == doctest::Approx(1e-6));
  CHECK(!check_bounds(run_stats(1e-6), std::nullopt));
  CHECK(!check_bounds(run_stats(3e-6), 3.0));
  const auto below = check_bounds(run_stats(0.5e-6), std::nullopt);
  REQUIRE(below);
  CHECK(below->find("below the roofline bound") != std::string::npos);
  const auto above = check_bounds(run_stats(3.5e-6), 3.0);
  REQUIRE(above);
  CHECK(above->find("3.50 x the roofline bound") != std::string::npos);
  // Memory-bound: 1e6 HBM bytes at 1e10 B/s need 100 us, more than the FLOPs' 1 us.
  json memory = run_stats(50e-6);
  memory["roofline"]["hbm_bytes"] = 1e6;
  CHECK(roofline_bound_seconds(memory) == doctest::Approx(100e-6));
  CHECK(check_bounds(memory, std::nullopt));
  // No FLOPs and no HBM traffic: no bound to be within a factor of.
  json none = run_stats(1e-6);
  none["roofline"]["flops"] = 0;
  none["roofline"]["hbm_bytes"] = 0;
  CHECK(!check_bounds(none, std::nullopt));
  CHECK(check_bounds(none, 2.0));
}

TEST_CASE("bounds: the DMA engines' and the links' rates are roofs too, when the stats give them") {
  // 4096 DMA bytes at 1e8 B/s need 41 us: more than the FLOPs' 1 us or HBM's 0.1 us.
  json dma = run_stats(50e-6);
  dma["dma"]["peak_bytes_per_s"] = 1e8;
  CHECK(roofline_bound_seconds(dma) == doctest::Approx(40.96e-6));
  CHECK(!check_bounds(dma, 1.25));
  CHECK(check_bounds(dma, 1.2));  // 50 / 40.96 = 1.22
  dma["seconds"] = 30e-6;
  const auto below = check_bounds(dma, std::nullopt);
  REQUIRE(below);
  CHECK(below->find("DMA bytes / DMA engine bandwidth") != std::string::npos);
  // The links' roof likewise: 1e6 link bytes at 1e10 B/s need 100 us.
  json links = dma;
  links["links"]["bytes"] = 1e6;
  links["links"]["peak_bytes_per_s"] = 1e10;
  CHECK(roofline_bound_seconds(links) == doctest::Approx(100e-6));
  // Without the keys (a stats file written before they existed) only the classic roofs count.
  links["links"].erase("peak_bytes_per_s");
  links["dma"].erase("peak_bytes_per_s");
  CHECK(roofline_bound_seconds(links) == doctest::Approx(1e-6));
}
