// The points of a sweep checked against the config schema (configs/tiny.yaml as the base),
// and the metrics a sweep may collect from a run's stats.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../input_error.h"
#include "common/diagnostic.h"
#include "config/config_loader.h"
#include "sweep/metrics.h"
#include "sweep/points.h"
#include "sweep/spec.h"

using namespace trnsim;
using trnsim::test::first_diagnostic;
using namespace trnsim::sweep;
using nlohmann::json;

namespace {

namespace fs = std::filesystem;

const fs::path kTiny = TRNSIM_SOURCE_DIR "/configs/tiny.yaml";
const std::string kWork = "workloads:\n  - name: w\n    gen: gemm\n";

// A spec over tiny.yaml with `params` under `parameters:` (from line 3) and `extra` after.
Spec tiny_spec(const std::string& params, const std::string& extra = "") {
  return parse_spec("base: tiny\nparameters:\n" + params + extra + kWork, "s.yaml",
                    TRNSIM_SOURCE_DIR);
}

Diagnostic resolve_error(const Spec& spec) {
  return first_diagnostic([&] { resolve(spec, kTiny); });
}

}  // namespace

TEST_CASE("resolve: a parameter that names no config field") {
  const Diagnostic d = resolve_error(tiny_spec("  tensor.rows: [16]\n  tensor.colz: [8, 16]\n"));
  CHECK(d.file == "s.yaml");
  CHECK(d.line == 4);
  CHECK(d.column == 3);
  CHECK_MESSAGE(d.message.find("'tensor.colz' is not a config field; did you mean "
                               "'tensor.cols'?") != std::string::npos,
                d.message);
  SUBCASE("inside a zip: the group's line") {
    const Diagnostic z =
        resolve_error(tiny_spec("  array:\n    zip: {tensor.rows: [16], sbuf.partitionz: [16]}\n"));
    CHECK(z.line == 3);
    CHECK(z.message.find("'sbuf.partitionz' is not a config field") != std::string::npos);
  }
  SUBCASE("a whole section is a field `--set` accepts") {
    const Resolution r =
        resolve(tiny_spec("  tensor.moving_columns_per_cycle: ['{fp32: 0.5, bf16: 1.0, fp16: 1.0, "
                          "fp8: 2.0, int: 1.0}']\n"),
                kTiny);
    CHECK(r.points.size() == 1);
  }
}

TEST_CASE("resolve: an invalid point is an error unless the spec skips them") {
  // tensor.cols 32 exceeds psum.partitions (16 in tiny.yaml): point 1 of 2 is invalid.
  const std::string params = "  tensor.cols: [8, 32]\n";
  const Diagnostic d = resolve_error(tiny_spec(params));
  CHECK(d.file == "s.yaml");
  CHECK(d.line == 3);
  CHECK_MESSAGE(d.message.find("point 1 (tensor.cols=32)") != std::string::npos, d.message);
  CHECK_MESSAGE(d.message.find("psum.partitions") != std::string::npos, d.message);
  CHECK_MESSAGE(d.message.find("skip_invalid") != std::string::npos, d.message);

  const Resolution r = resolve(tiny_spec(params, "skip_invalid: true\n"), kTiny);
  REQUIRE(r.points.size() == 1);
  CHECK(r.points[0].point.index == 0);
  CHECK(r.points[0].overrides == std::vector<std::string>{"tensor.cols=8"});
  REQUIRE(r.skipped.size() == 1);
  CHECK_MESSAGE(r.skipped[0].find("point 1 (tensor.cols=32)") != std::string::npos, r.skipped[0]);

  SUBCASE("every point invalid") {
    const Diagnostic all =
        resolve_error(tiny_spec("  tensor.cols: [32, 64]\n", "skip_invalid: true\n"));
    CHECK(all.line == 1);
    CHECK(all.message.find("every point of the sweep is an invalid config") != std::string::npos);
  }
}

TEST_CASE("resolve: parameters hold the loaded config's typed values, and the area proxy") {
  const Resolution r = resolve(tiny_spec("  tensor.cols: [8, 16]\n"
                                         "  sbuf.bytes_per_partition: [8Ki]\n"
                                         "  tensor.throttle: [true]\n"
                                         "  core.clock_ghz: {from: 1.5, to: 1.5, step: 0.5}\n"
                                         "  topology.kind: [none]\n"),
                               kTiny);
  REQUIRE(r.points.size() == 2);
  CHECK(r.skipped.empty());
  const nlohmann::ordered_json& p = r.points[0].params;
  CHECK(p.dump() == R"({"tensor.cols":8,"sbuf.bytes_per_partition":8192,"tensor.throttle":true,)"
                    R"("core.clock_ghz":1.5,"topology.kind":"none"})");
  CHECK(p["tensor.cols"].is_number_unsigned());
  CHECK(r.points[1].params["tensor.cols"] == 16);
  // Per core: tensor.rows * tensor.cols PE cells at 1.0, and (sbuf 16 partitions x 8 KiB +
  // psum 16 partitions x 4 banks x 2 KiB) = 128 + 128 = 256 KiB at 2.5; two cores.
  //   cols 8:  (16 * 8 * 1.0 + 256 * 2.5) * 2 = (128 + 640) * 2 = 1536
  //   cols 16: (16 * 16 * 1.0 + 256 * 2.5) * 2 = (256 + 640) * 2 = 1792
  CHECK(r.points[0].area == 1536);
  CHECK(r.points[1].area == 1792);
}

TEST_CASE("area proxy: over chips and cores, with the spec's weights") {
  config::SystemConfig cfg = config::load_config(kTiny.string());
  // tiny.yaml: 16x16 PEs; SBUF 16 x 16 KiB = 256 KiB, PSUM 16 x 4 x 2 KiB = 128 KiB.
  CHECK(area_proxy(cfg, AreaWeights{}) == (256 * 1.0 + 384 * 2.5) * 2);
  CHECK(area_proxy(cfg, AreaWeights{.pe_cell = 2, .sram_kib = 0}) == 256 * 2 * 2);
  cfg.system.chips = 3;
  CHECK(area_proxy(cfg, AreaWeights{.pe_cell = 0, .sram_kib = 1}) == 384 * 2 * 3);
}

TEST_CASE("metrics: known names, and a suggestion for a misspelt one") {
  for (const char* name :
       {"cycles", "seconds", "mfu", "engines.pe.busy", "dma.bytes", "bound_factor", "area"}) {
    CAPTURE(name);
    CHECK(!check_metric(name));
  }
  const auto& known = known_metrics();
  REQUIRE(known.size() >= 2);
  CHECK(known[known.size() - 2] == "bound_factor");
  CHECK(known.back() == "area");
  const auto problem = check_metric("engines.pe.bussy");
  REQUIRE(problem);
  CHECK(problem->find("unknown metric 'engines.pe.bussy'; did you mean 'engines.pe.busy'?") !=
        std::string::npos);
  // A section is not one number.
  CHECK(check_metric("engines.pe"));
}

TEST_CASE("metrics: values from a run's stats") {
  // Roofs: compute 1e6 FLOPs / 1e12 FLOP/s = 1 us; HBM 1000 B / 1e10 B/s = 0.1 us;
  // DMA 4096 B / 2.048e9 B/s = 2 us; links carry nothing. The bound is the DMA's 2 us, and a
  // run of 5 us is 2.5 times it.
  const json stats = json::parse(R"({
    "config": "tiny", "cycles": 6000, "seconds": 5e-6, "mfu": 0.25,
    "engines": {"pe": {"busy": 0.5, "instructions": 12}},
    "dma": {"bytes": 4096, "peak_bytes_per_s": 2.048e9},
    "links": {"bytes": 0, "peak_bytes_per_s": 1e11},
    "hbm": {"bytes_read": 600, "bytes_written": 400},
    "roofline": {"flops": 1e6, "peak_flops_per_s": 1e12, "hbm_bytes": 1000,
                 "peak_hbm_bytes_per_s": 1e10}
  })");
  CHECK(metric_value("cycles", stats, 0) == 6000);
  CHECK(metric_value("config", stats, 0) == "tiny");
  CHECK(metric_value("engines.pe.busy", stats, 0) == 0.5);
  CHECK(metric_value("dma.bytes", stats, 0) == 4096);
  CHECK(metric_value("engines.act.busy", stats, 0).is_null());  // an engine the run never used
  CHECK(metric_value("engines.pe", stats, 0).is_null());
  CHECK(metric_value("area", stats, 1234.5) == 1234.5);
  CHECK(metric_value("bound_factor", stats, 0).get<double>() == doctest::Approx(2.5));

  SUBCASE("no bound: no factor") {
    json idle = stats;
    idle["roofline"]["flops"] = 0;
    idle["roofline"]["hbm_bytes"] = 0;
    idle["dma"]["bytes"] = 0;
    CHECK(metric_value("bound_factor", idle, 0).is_null());
  }
}
