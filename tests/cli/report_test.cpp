// `trnsim report`: a text summary of a stats file, the HTML page with --html, and exit 2
// naming the file for anything that is not a stats file this trnsim can read.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "cli_fixtures.h"

using namespace trnsim::test;

namespace {

const std::string kStatsV2 = TRNSIM_TEST_DATA_DIR "/report/data/stats_v2.json";

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1))
    ++n;
  return n;
}

}  // namespace

TEST_CASE("report: a stats file from 'trnsim run' as text and as HTML") {
  TempDir dir;
  const std::string stats = dir.file("stats.json");
  expect_ok({"run", "--stats-json", stats, kTileTracePath});
  const int version = nlohmann::json::parse(read_text(stats))["schema_version"].get<int>();

  const RunResult text =
      expect_ok({"report", stats},
                {"stats     " + stats + " (schema version " + std::to_string(version) + ")\n",
                 "trace     " + kTileTracePath + "\n", "config    trn2 (1 core)\n",
                 // 2 * 128 * 128 * 512 FLOPs (cli_fixtures.h)
                 "compute   16.8 MFLOP, "});
  CHECK(text.err.empty());

  const std::string html = dir.file("report.html");
  const RunResult r = expect_ok({"report", stats, "--html", html});
  CHECK(r.out.empty());
  const std::string page = read_text(html);
  CHECK(page.starts_with("<!DOCTYPE html>"));
  CHECK(count(page, "<svg id=\"chart-stalls\"") == 1);
  if (version == 1) {
    CHECK(count(page, "This stats file has schema version 1") == 1);
    CHECK(count(page, "<svg id=\"chart-roofline\"") == 0);
  } else {
    CHECK(count(page, "<svg id=\"chart-roofline\"") == 1);
  }
}

TEST_CASE("report: the version-2 fixture gets all four charts, and --html - writes stdout") {
  TempDir dir;
  const std::string html = dir.file("v2.html");
  expect_ok({"report", kStatsV2, "--html", html});
  const std::string page = read_text(html);
  for (const char* id :
       {"chart-utilisation", "chart-stalls", "chart-roofline", "chart-bandwidth"}) {
    CHECK_MESSAGE(count(page, std::string("<svg id=\"") + id + "\"") == 1, id);
  }
  const RunResult out = expect_ok({"report", kStatsV2, "--html", "-"});
  CHECK(out.out == page);
}

TEST_CASE("report: files that are not trnsim stats, or too new, exit 2 naming the file") {
  TempDir dir;
  expect_exit({"report", dir.file("missing.json")}, 2,
              {dir.file("missing.json") + ": error: cannot open the stats file"});
  const std::string trace = kTileTracePath;
  expect_exit({"report", trace}, 2, {trace + ": error: not a trnsim stats file: not valid JSON"});
  const std::string other = dir.write("other.json", "{\"name\": \"not stats\"}\n");
  expect_exit({"report", other, "--html", dir.file("x.html")}, 2,
              {other + ": error: not a trnsim stats file: no \"schema_version\""});
  CHECK(!std::filesystem::exists(dir.file("x.html")));

  auto newer = nlohmann::ordered_json::parse(read_text(kStatsV2));
  newer["schema_version"] = 99;
  const std::string future = dir.write("future.json", newer.dump());
  expect_exit({"report", future}, 2,
              {future + ": error: stats schema_version 99 is newer than this trnsim reads"});

  auto broken = nlohmann::ordered_json::parse(read_text(kStatsV2));
  broken["roofline"]["bound"] = 3;
  const std::string bad = dir.write("bad.json", broken.dump());
  expect_exit({"report", bad}, 2, {bad + ": error: expected a string at 'roofline.bound'"});
}

TEST_CASE("report: usage errors exit 2") {
  expect_exit({"report"}, 2, {"trnsim report: error: stats is required"});
  expect_exit({"report", kStatsV2, "--html"}, 2, {"trnsim report: error:"});
  TempDir dir;
  expect_exit({"report", kStatsV2, "--html", dir.file("no/such/dir/r.html")}, 2,
              {dir.file("no/such/dir/r.html")});
}
