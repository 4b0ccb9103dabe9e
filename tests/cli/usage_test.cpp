// Command-line usage: help, version, and every kind of usage error exits 2 with a message
// that says what was wrong (never CLI11's own exit codes, never a crash).
#include <doctest/doctest.h>

#include "cli_fixtures.h"

using namespace trnsim::test;

TEST_CASE("--help of trnsim and of every command exits 0 with a description and an example") {
  const std::vector<std::vector<std::string>> commands = {
      {},
      {"check"},
      {"run"},
      {"fmt"},
      {"config"},
      {"config", "show"},
      {"config", "list"},
      {"gen"},
      {"gen", "gemm"},
      {"compare"},
  };
  for (auto args : commands) {
    args.push_back("--help");
    const RunResult r = expect_ok(args, {"Usage:", "Example"});
    CHECK(r.err.empty());
  }
}

TEST_CASE("--version prints the version and exits 0") {
  expect_ok({"--version"}, {"trnsim " TRNSIM_VERSION});
}

TEST_CASE("usage errors exit 2 with a message that names the command") {
  TempDir dir;
  const std::string trace = dir.write("tile.trn", read_text(kTileTracePath));
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      // Command words: CLI11 alone would say "argument was not expected".
      {{}, "trnsim: error: expects a command: check, run, fmt, config, gen"},
      {{"chek", trace}, "trnsim: error: unknown command 'chek'; did you mean 'check'?"},
      {{"config", "shwo"}, "trnsim config: error: unknown command 'shwo'; did you mean 'show'?"},
      {{"gen"}, "trnsim gen: error: expects a command: gemm"},
      // Options and arguments, as CLI11 words them, with the command named.
      {{"check", "--bogus", trace}, "trnsim check: error:"},
      {{"check"}, "trace is required"},
      {{"check", "--max-errors", "0", trace}, "--max-errors"},
      {{"check", "--max-errors", "many", trace}, "--max-errors"},
      {{"check", trace, "extra.trn"}, "extra.trn"},
      {{"fmt", "-o", dir.file("x.trn"), "--in-place", trace}, "excludes"},
      {{"gen", "gemm", "--m", "128", "--n", "128"}, "--k is required"},
      {{"gen", "gemm", "--m", "128", "--n", "128", "--k", "-4"}, "--k"},
      {{"gen", "gemm", "--m", "128", "--n", "128", "--k", "128", "--dtype", "bf17"}, "bf17"},
      {{"gen", "gemm", "--m", "128", "--n", "128", "--k", "128", "--evacuation", "pe"}, "pe"},
      {{"compare", "a.npy"}, "b is required"},
      {{"compare", "a.npy", "b.npy", "--rtol", "-1"}, "--rtol"},
  };
  for (const auto& c : cases) {
    expect_exit(c.args, 2, {c.message, "--help"});
  }
}
