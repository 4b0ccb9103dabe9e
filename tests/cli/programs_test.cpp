// The corpus of small programs in tests/programs: every trace in bad/ has a schedule bug
// that `trnsim check` must report exactly as its NAME.expected file says (stderr, with the
// trace named NAME.trn), exiting 1; every trace in good/ is correct, if tricky, and must
// pass with nothing on stderr.
//
// A trace picks its configuration with a comment line `# config: NAME` (default trn2).
// To rewrite the expected files after a deliberate change of the messages:
//   TRNSIM_UPDATE_GOLDEN=1 ./build/tests/cli/trnsim_cli_tests -tc='*corpus*'
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli_fixtures.h"

using namespace trnsim::test;
namespace fs = std::filesystem;

namespace {

const fs::path kCorpus = fs::path(TRNSIM_TEST_DATA_DIR) / "programs";

std::vector<fs::path> traces_in(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".trn") out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string config_of(const std::string& text) {
  const std::string key = "# config: ";
  const auto at = text.find(key);
  if (at == std::string::npos) return "trn2";
  const auto end = text.find('\n', at);
  return text.substr(at + key.size(), end - at - key.size());
}

// Runs `trnsim check` on a copy of `trace` named like it in a fresh directory, and returns
// the result with that directory taken out of the messages.
RunResult check(const fs::path& trace) {
  TempDir dir;
  const std::string text = read_text(trace.string());
  const std::string copy = dir.write(trace.filename().string(), text);
  RunResult r = run_trnsim({"check", "--config", config_of(text), copy});
  const std::string prefix = dir.path().string() + "/";
  for (std::size_t at; (at = r.err.find(prefix)) != std::string::npos;)
    r.err.erase(at, prefix.size());
  return r;
}

}  // namespace

TEST_CASE("corpus: every buggy program is caught with its exact diagnostics") {
  const std::vector<fs::path> traces = traces_in(kCorpus / "bad");
  CHECK(traces.size() >= 25);
  const bool update = std::getenv("TRNSIM_UPDATE_GOLDEN") != nullptr;
  for (const fs::path& trace : traces) {
    CAPTURE(trace.filename().string());
    const RunResult r = check(trace);
    INFO(describe(r));
    fs::path expected = trace;
    expected.replace_extension(".expected");
    if (update) std::ofstream(expected, std::ios::binary) << r.err;
    CHECK(r.exit_code == 1);
    CHECK(r.out.empty());
    REQUIRE(fs::exists(expected));
    CHECK(r.err == read_text(expected.string()));
  }
}

TEST_CASE("corpus: every correct program passes the dynamic checks") {
  const std::vector<fs::path> traces = traces_in(kCorpus / "good");
  CHECK(traces.size() >= 10);
  for (const fs::path& trace : traces) {
    CAPTURE(trace.filename().string());
    const RunResult r = check(trace);
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK(r.err.empty());
    CHECK(contains(r.out, "dynamic checks: no data race, no deadlock\n"));
  }
}
