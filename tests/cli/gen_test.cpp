// `trnsim gen gemm`: generated traces pass `check` and do the work asked for.
#include <doctest/doctest.h>

#include "cli_fixtures.h"

using namespace trnsim::test;

TEST_CASE("gen gemm: the trace passes check and has 2*M*N*K matmul FLOPs") {
  struct Case {
    std::vector<std::string> args;
    std::string flops;
  };
  // 2 * 256 * 384 * 512 = 100663296; 2 * 128 * 128 * 128 = 4194304
  const std::vector<Case> cases = {
      {{"--m", "256", "--n", "384", "--k", "512"}, "100663296"},
      {{"--m", "128", "--n", "128", "--k", "128", "--dtype", "fp32", "--out-dtype", "fp32"},
       "4194304"},
      {{"--m", "256", "--n", "384", "--k", "512", "--cores", "2", "--seed", "7"}, "100663296"},
      {{"--m", "256", "--n", "384", "--k", "512", "--evacuation", "vector"}, "100663296"},
  };
  for (const auto& c : cases) {
    TempDir dir;
    const std::string trace = dir.file("gemm.trn");
    std::vector<std::string> args{"gen", "gemm", "-o", trace};
    args.insert(args.end(), c.args.begin(), c.args.end());
    if (expect_ok(args).exit_code != 0) continue;
    expect_ok({"check", trace}, {"matmul flops:  " + c.flops + " "});
  }
}

TEST_CASE("gen gemm: stdout and -o give the same, reproducible text") {
  TempDir dir;
  const std::vector<std::string> args{"gen", "gemm", "--m", "128", "--n", "256", "--k", "128"};
  const RunResult a = expect_ok(args);
  CHECK(expect_ok(args).out == a.out);
  auto with_output = args;
  with_output.insert(with_output.end(), {"-o", dir.file("g.trn")});
  expect_ok(with_output);
  CHECK(read_text(dir.file("g.trn")) == a.out);
}

TEST_CASE("gen gemm: --verbose prints the schedule to stderr, not into the trace") {
  const RunResult quiet = expect_ok({"gen", "gemm", "--m", "128", "--n", "512", "--k", "128"});
  const RunResult verbose =
      expect_exit({"gen", "gemm", "--m", "128", "--n", "512", "--k", "128", "-v"}, 0, {"core 0"});
  CHECK(verbose.out == quiet.out);
}

TEST_CASE("gen gemm: sizes the chip cannot take exit 2") {
  // tiny has 2 cores.
  expect_exit(
      {"gen", "gemm", "--m", "128", "--n", "128", "--k", "128", "--cores", "3", "--config", "tiny"},
      2, {"gen gemm"});
}
