// The progress line as a user sees it: on a terminal (a pseudo-terminal here), redrawn
// with '\r' and erased before the report; never where a script reads.
#include <doctest/doctest.h>

#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_fixtures.h"

using namespace trnsim::test;

namespace {

// One drawing of the line for the 5-instruction tile trace (docs/cli.md, "Progress").
const std::regex kLine(
    R"(simulated [0-9.]+ (ns|us|ms|s) \| ([0-5])/5 instructions \(([0-9.]+)%\) \| )"
    R"([0-9.]+[kM]? instr/s \| (ETA ([0-9hms]+|--)|took [0-9hms]+))");

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t at; (at = text.find(separator, start)) != std::string::npos; start = at + 1)
    parts.push_back(text.substr(start, at - start));
  parts.push_back(text.substr(start));
  return parts;
}

bool has_progress(const std::string& err) {
  return contains(err, "instructions (") || contains(err, "instr/s");
}

}  // namespace

TEST_CASE("progress: run --progress on a terminal redraws one line and erases it") {
  TempDir dir;
  const std::string trace = dir.write("tile.trn", read_text(kTileTracePath));
  // --stats-json - moves the report to stderr: the line must be gone before it starts.
  const RunResult r = run_trnsim_on_terminal({"run", "--progress", "--stats-json", "-", trace});
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  CHECK(nlohmann::json::parse(r.out)["instructions"] == 5);  // stdout: the JSON alone

  const std::size_t report = r.err.find("trace   ");
  REQUIRE(report != std::string::npos);
  const std::string progress = r.err.substr(0, report);
  CHECK(progress.find('\n') == std::string::npos);
  REQUIRE(progress.starts_with("\r"));
  REQUIRE(progress.ends_with("\r"));
  // "\rLINE\rLINE...\r   \r": each drawing, then blanks over the longest.
  const std::vector<std::string> parts = split(progress.substr(1, progress.size() - 2), '\r');
  REQUIRE(parts.size() >= 2);
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    std::smatch m;
    const std::string line = parts[i].substr(0, parts[i].find_last_not_of(' ') + 1);
    CHECK_MESSAGE(std::regex_match(line, m, kLine), "not a progress line: " << line);
  }
  CHECK(parts.back().find_first_not_of(' ') == std::string::npos);
  CHECK(parts.back().size() >= parts.front().size());
}

TEST_CASE("progress: by default on a terminal only after the delay, which the environment sets") {
  TempDir dir;
  const std::string trace = dir.write("tile.trn", read_text(kTileTracePath));
  const RunResult now = run_trnsim_on_terminal({"run", trace}, {"TRNSIM_PROGRESS_DELAY=0"});
  INFO(describe(now));
  CHECK(now.exit_code == 0);
  CHECK(now.err.starts_with("\rsimulated "));
  // The tile trace takes far less than 1000 s: no line.
  const RunResult later = run_trnsim_on_terminal({"run", trace}, {"TRNSIM_PROGRESS_DELAY=1000"});
  INFO(describe(later));
  CHECK(later.exit_code == 0);
  CHECK(later.err.empty());
  // check simulates too.
  const RunResult check = run_trnsim_on_terminal({"check", trace}, {"TRNSIM_PROGRESS_DELAY=0"});
  INFO(describe(check));
  CHECK(check.exit_code == 0);
  CHECK(check.err.starts_with("\rsimulated "));
}

TEST_CASE("progress: --quiet shows none on a terminal") {
  TempDir dir;
  const std::string trace = dir.write("tile.trn", read_text(kTileTracePath));
  for (const char* command : {"run", "check"}) {
    const RunResult r =
        run_trnsim_on_terminal({command, "--quiet", trace}, {"TRNSIM_PROGRESS_DELAY=0"});
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK(r.err.empty());
  }
}

TEST_CASE("progress: none by default when stderr is not a terminal") {
  TempDir dir;
  const std::string trace = dir.write("tile.trn", read_text(kTileTracePath));
  const RunResult r = run_trnsim({"run", trace}, {"TRNSIM_PROGRESS_DELAY=0"});
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  CHECK(r.err.empty());
  CHECK_FALSE(has_progress(r.out));
}

TEST_CASE("progress: --progress without a terminal prints whole lines, the last at the end") {
  TempDir dir;
  const std::string trace = dir.write("tile.trn", read_text(kTileTracePath));
  const RunResult r = run_trnsim({"run", "--progress", trace});
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  CHECK(r.err.find('\r') == std::string::npos);
  CHECK_FALSE(has_progress(r.out));
  const std::vector<std::string> lines = split(r.err, '\n');
  REQUIRE(lines.size() >= 3);  // the first at the start, the last at the end, then ""
  CHECK(lines.back().empty());
  for (std::size_t i = 0; i + 1 < lines.size(); ++i)
    CHECK_MESSAGE(std::regex_match(lines[i], kLine), "not a progress line: " << lines[i]);
  CHECK(contains(lines.front(), " 0/5 instructions (0.0%)"));
  CHECK(contains(lines[lines.size() - 2], " 5/5 instructions (100.0%)"));
  CHECK(contains(lines[lines.size() - 2], "| took "));
}

TEST_CASE("progress: --quiet with --progress, and a bad delay, are usage errors") {
  TempDir dir;
  const std::string trace = dir.write("tile.trn", read_text(kTileTracePath));
  const RunResult both = expect_exit({"run", "--quiet", "--progress", trace}, 2, {"excludes"});
  CHECK(both.out.empty());
  const RunResult bad = run_trnsim_on_terminal({"run", trace}, {"TRNSIM_PROGRESS_DELAY=soon"});
  INFO(describe(bad));
  CHECK(bad.exit_code == 2);
  CHECK(contains(bad.err,
                 "TRNSIM_PROGRESS_DELAY: error: expected a number of seconds >= 0 (e.g. 0 or "
                 "0.5), got 'soon'"));
}
