// Reading stats files back: the fixture's figures, version 1 without the version-2
// sections, and clear errors for files that are not trnsim stats or are too new.
#include <doctest/doctest.h>

#include "common/diagnostic.h"
#include "report/stats_file.h"
#include "report/text_summary.h"
#include "report_fixtures.h"

using namespace trnsim;
using namespace trnsim::report;
using namespace trnsim::test;

namespace {

// The message of the InputError that parsing `text` as "s.json" throws ("" if none).
std::string error_of(const std::string& text) {
  try {
    parse_stats_json("s.json", text);
  } catch (const InputError& e) {
    return e.diagnostics().to_string();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("stats file: the version-2 fixture's figures") {
  const StatsFile s = read_stats_file(kStatsV2Path);
  CHECK(s.schema_version == 2);
  CHECK(s.trace == "workloads/gemm-512x512x512-bf16.trn");
  CHECK(s.cycles == 4060);
  CHECK(s.seconds == doctest::Approx(2.9e-6));
  REQUIRE(s.engines.size() == 4);
  CHECK(s.engines[0].name == "pe");  // file order, not alphabetical
  CHECK(s.engines[3].name == "dma");
  CHECK(s.engines[3].streams == 2);
  REQUIRE(s.engines[0].stall_seconds.size() == 6);
  CHECK(s.engines[0].stall_seconds[0].first == "semaphore_wait");
  CHECK(s.hbm.bytes_read == doctest::Approx(1048576));
  REQUIRE(s.timeseries);
  CHECK(s.timeseries->bins == 12);
  CHECK(s.timeseries->bin_seconds == doctest::Approx(2.5e-7));
  REQUIRE(s.timeseries->busy.size() == 4);
  CHECK(s.timeseries->busy[0].second.size() == 12);
  CHECK(s.timeseries->hbm_bytes_per_s[1] == doctest::Approx(2.5e12));
  REQUIRE(s.top_waits);
  REQUIRE(s.top_waits->size() == 3);
  CHECK((*s.top_waits)[0].instruction == 17);
  CHECK((*s.top_waits)[0].line == 42);
  CHECK((*s.top_waits)[2].queue == 1);
  REQUIRE(s.roofline);
  CHECK(s.roofline->bound == "compute");
  CHECK(s.roofline->ridge_intensity == doctest::Approx(62.07));
}

TEST_CASE("stats file: version 1 has no timeseries, top_waits or roofline") {
  const StatsFile s = parse_stats_json("v1.json", stats_v1().dump());
  CHECK(s.schema_version == 1);
  CHECK(!s.timeseries);
  CHECK(!s.top_waits);
  CHECK(!s.roofline);
  CHECK(s.engines.size() == 4);
}

TEST_CASE("stats file: not JSON, not an object, no schema_version: not a trnsim stats file") {
  CHECK(contains(error_of("{\"schema"), "s.json: error: not a trnsim stats file: not valid JSON"));
  CHECK(contains(error_of(" \n"), "s.json: error: not a trnsim stats file: the file is empty"));
  CHECK(contains(error_of("[1, 2]"),
                 "s.json: error: not a trnsim stats file: expected a JSON object"));
  CHECK(contains(error_of("{\"name\": \"x\"}"),
                 "s.json: error: not a trnsim stats file: no \"schema_version\""));
  CHECK(contains(error_of("{\"schema_version\": \"2\"}"),
                 "expected a positive integer at 'schema_version'"));
  CHECK(contains(error_of("{\"schema_version\": 0}"),
                 "expected a positive integer at 'schema_version'"));
}

TEST_CASE("stats file: a schema_version newer than known is refused") {
  auto j = stats_v2();
  j["schema_version"] = kNewestStatsSchema + 1;
  CHECK(contains(error_of(j.dump()),
                 "s.json: error: stats schema_version 3 is newer than this trnsim reads (1 to 2)"));
}

TEST_CASE("stats file: a missing or mistyped key is named by its path") {
  auto missing = stats_v2();
  missing["dma"].erase("bytes");
  CHECK(contains(error_of(missing.dump()), "expected a value at 'dma.bytes'"));
  auto mistyped = stats_v2();
  mistyped["engines"]["act"]["busy"] = "high";
  CHECK(contains(error_of(mistyped.dump()), "expected a number at 'engines.act.busy'"));
  auto bin = stats_v2();
  bin["timeseries"]["busy"]["pe"][3] = nullptr;
  CHECK(contains(error_of(bin.dump()), "expected a number at 'timeseries.busy.pe[3]'"));
  auto width = stats_v2();
  width["timeseries"]["bin_seconds"] = 0;
  CHECK(contains(error_of(width.dump()), "expected a positive number at 'timeseries.bin_seconds'"));
  auto wait = stats_v2();
  wait["top_waits"][1].erase("opcode");
  CHECK(contains(error_of(wait.dump()), "expected a value at 'top_waits[1].opcode'"));
  auto negative = stats_v2();
  negative["cycles"] = -1;
  CHECK(contains(error_of(negative.dump()), "expected a non-negative integer at 'cycles'"));
}

TEST_CASE("stats file: a missing file or a directory is named") {
  try {
    read_stats_file("/nonexistent/stats.json");
    FAIL("expected an InputError");
  } catch (const InputError& e) {
    CHECK(contains(e.diagnostics().to_string(), "/nonexistent/stats.json: error: cannot open"));
  }
  const std::string dir = TRNSIM_TEST_DATA_DIR "/report/data";
  try {
    read_stats_file(dir);
    FAIL("expected an InputError");
  } catch (const InputError& e) {
    CHECK(contains(e.diagnostics().to_string(), dir + ": error: is a directory, not a stats file"));
  }
}

TEST_CASE("text summary: the fixture's headline figures") {
  const std::string text = format_text_summary(read_stats_file(kStatsV2Path));
  CHECK(contains(text, "trace     workloads/gemm-512x512x512-bf16.trn\n"));
  CHECK(contains(text, "time      4060 cycles at 1.4 GHz = 2.9 µs\n"));
  CHECK(contains(text, "compute   268 MFLOP, 92.6 TFLOP/s of 180 TFLOP/s peak: MFU 51.4 %\n"));
  CHECK(contains(text, "busy      pe 62.0 %, act 21.0 %, sync 1.0 %, dma 35.0 %\n"));
  CHECK(
      contains(text, "roofline  compute-bound at 171 FLOP/B (ridge 62.1); 51.4 % of the bound\n"));
  CHECK(contains(text,
                 "top wait  instruction 17 (barrier at "
                 "workloads/gemm-512x512x512-bf16.trn:42) waited 1.3 µs, mostly "
                 "semaphore_wait\n"));
  CHECK(!contains(text, "links"));  // one chip
  const std::string v1 = format_text_summary(parse_stats_json("v1.json", stats_v1().dump()));
  CHECK(contains(v1, "note      schema version 1 has no timeseries"));
  CHECK(!contains(v1, "\nroofline  "));
  CHECK(!contains(v1, "\ntop wait  "));
}
