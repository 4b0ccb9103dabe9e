// `trnsim run --timeline`: the file, its window options, and their errors.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "cli_fixtures.h"

using namespace trnsim::test;

TEST_CASE("run --timeline writes trace-event JSON beside the usual report") {
  TempDir dir;
  const std::string out = dir.file("t.json");
  expect_ok({"run", "--config", "trn2", "--timeline", out, kTileTracePath}, {"MFU"});
  const auto doc = nlohmann::json::parse(read_text(out));
  REQUIRE(doc["traceEvents"].is_array());
  int slices = 0;
  for (const auto& e : doc["traceEvents"])
    slices += e["ph"] == "X";
  CHECK(slices > 5);
  CHECK(doc["otherData"]["dropped_events"] == 0);
  CHECK(doc["otherData"]["trace"] == kTileTracePath);
}

TEST_CASE("run --timeline-max-events warns that the timeline was cut short") {
  TempDir dir;
  const std::string out = dir.file("t.json");
  const RunResult r = expect_ok(
      {"run", "--config", "trn2", "--timeline", out, "--timeline-max-events", "3", kTileTracePath});
  CHECK(contains(r.err, "warning: the timeline stopped at --timeline-max-events"));
  const auto doc = nlohmann::json::parse(read_text(out));
  CHECK(doc["otherData"]["dropped_events"].get<int>() > 0);
}

TEST_CASE("the timeline window is checked") {
  TempDir dir;
  const std::string out = dir.file("t.json");
  expect_exit({"run", "--config", "trn2", "--timeline", out, "--timeline-from", "2us",
               "--timeline-to", "1us", kTileTracePath},
              2, {"--timeline-to is before --timeline-from"});
  expect_exit({"run", "--config", "trn2", "--timeline-from", "2us", kTileTracePath}, 2,
              {"--timeline-from requires --timeline"});
  expect_exit(
      {"run", "--config", "trn2", "--timeline", out, "--timeline-to", "soon", kTileTracePath}, 2,
      {"--timeline-to", "soon"});
  // The window may start at the beginning of the run, but not end there.
  expect_ok(
      {"run", "--config", "trn2", "--timeline", out, "--timeline-from", "0us", kTileTracePath});
  expect_exit(
      {"run", "--config", "trn2", "--timeline", out, "--timeline-to", "0ns", kTileTracePath}, 2,
      {"--timeline-to", "positive time"});
  expect_exit(
      {"run", "--config", "trn2", "--timeline", out, "--timeline-from", "-1us", kTileTracePath}, 2,
      {"--timeline-from", "non-negative time"});
  // A window that holds part of the run keeps only slices that overlap it.
  expect_ok({"run", "--config", "trn2", "--timeline", out, "--timeline-from", "2us",
             "--timeline-to", "3us", kTileTracePath});
  const auto doc = nlohmann::json::parse(read_text(out));
  for (const auto& e : doc["traceEvents"]) {
    if (e["ph"] != "X") continue;
    CHECK(e["ts"].get<double>() <= 3.0);
    CHECK(e["ts"].get<double>() + e["dur"].get<double>() >= 2.0);
  }
}
