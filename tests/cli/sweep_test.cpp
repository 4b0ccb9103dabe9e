// `trnsim sweep`: a small spec in a temporary directory run locally with different job
// counts, through a stand-in `sbatch` that runs every array task on this machine, resumed,
// collected and plotted. The results files must be byte-identical whatever the backend,
// job count or order; a failing run is a row with its error and exit 1; a bad spec exit 2.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "cli_fixtures.h"

using namespace trnsim::test;

namespace {

namespace fs = std::filesystem;

// 2 x 3 = 6 points, 2 workloads: 12 runs of small generated kernels on trn2.
std::string small_spec(const std::string& extra_workload = "") {
  return "name: small\n"
         "base: trn2\n"
         "parameters:\n"
         "  dma.engines: [8, 16]\n"
         "  sbuf.bytes_per_partition: {from: 128Ki, to: 192Ki, step: 32Ki}\n"
         "workloads:\n"
         "  - name: gemm\n"
         "    gen: gemm --m 256 --n 256 --k 256\n"
         "  - name: norm\n"
         "    gen: [rmsnorm, --rows, 256, --cols, 512]\n" +
         extra_workload + "metrics: [cycles, mfu, dma.bytes, bound_factor, area]\n";
}

std::size_t count_lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// Stands in for Slurm's sbatch: runs each task of the job array in the script, one after
// another, with SLURM_ARRAY_TASK_ID set, and prints a job id as `sbatch --parsable` does.
std::string fake_sbatch(const TempDir& dir) {
  const std::string path =
      dir.write("sbatch",
                "#!/bin/sh\n"
                "for last; do script=$last; done\n"
                "n=$(sed -n 's/^#SBATCH --array=0-//p' \"$script\")\n"
                "for i in $(seq 0 \"$n\"); do\n"
                "  SLURM_ARRAY_TASK_ID=$i sh \"$script\" >/dev/null || exit 1\n"
                "done\n"
                "echo 4242\n");
  fs::permissions(path, fs::perms::owner_exec, fs::perm_options::add);
  return path;
}

}  // namespace

TEST_CASE("sweep: every point and workload gets a row, and a rerun finds them all recorded") {
  TempDir dir;
  const std::string spec = dir.write("small.yaml", small_spec());
  const std::string out = dir.file("out");
  const RunResult r = expect_ok({"sweep", spec, "--jobs", "2", "--out", out},
                                {"sweep small: 6 points x 2 workloads = 12 runs",
                                 "results: 12 of 12 runs recorded: 12 ok, 0 failed"});
  CHECK(contains(r.out, "runs/min"));
  const std::string csv = read_text(out + "/results.csv");
  CHECK(count_lines(csv) == 13);
  CHECK(
      csv.starts_with("point,workload,status,dma.engines,sbuf.bytes_per_partition,cycles,mfu,"
                      "dma.bytes,bound_factor,area,error\n"));
  // The range's sizes are resolved to numbers, the rows ordered by point then workload.
  CHECK(contains(csv, "\n0,gemm,ok,8,131072,"));
  CHECK(contains(csv, "\n0,norm,ok,8,131072,"));
  CHECK(contains(csv, "\n5,norm,ok,16,196608,"));
  const std::string jsonl = read_text(out + "/results.jsonl");
  REQUIRE(count_lines(jsonl) == 12);
  const auto first = nlohmann::json::parse(jsonl.substr(0, jsonl.find('\n')));
  CHECK(first["params"]["sbuf.bytes_per_partition"] == 131072);
  CHECK(first["metrics"]["cycles"].get<long long>() > 0);
  // Fewer DMA engines cannot make the same GEMM faster.
  const auto last_gemm = nlohmann::json::parse(
      jsonl.substr(jsonl.find("{\"point\":5,\"workload\":\"gemm\""))
          .substr(0, jsonl.substr(jsonl.find("{\"point\":5,\"workload\":\"gemm\"")).find('\n')));
  CHECK(last_gemm["metrics"]["cycles"].get<long long>() <=
        first["metrics"]["cycles"].get<long long>());

  const RunResult again = expect_ok({"sweep", spec, "--jobs", "2", "--out", out},
                                    {"12 runs already recorded", "0 to do"});
  CHECK_FALSE(contains(again.out, "runs/min"));
  CHECK(read_text(out + "/results.csv") == csv);
}

TEST_CASE("sweep: the same results for 1 job, 3 jobs and a job array of 5 tasks") {
  TempDir dir;
  const std::string spec = dir.write("small.yaml", small_spec());
  expect_ok({"sweep", spec, "--jobs", "1", "--out", dir.file("one")});
  expect_ok({"sweep", spec, "--jobs", "3", "--out", dir.file("three")});
  const RunResult slurm =
      expect_ok({"sweep", spec, "--backend", "slurm", "--sbatch", fake_sbatch(dir), "--tasks", "5",
                 "--wait", "--out", dir.file("array")},
                {"(5 array tasks, 12 runs to do)", "job array 4242 submitted",
                 "results: 12 of 12 runs recorded"});
  for (const char* file : {"/results.csv", "/results.jsonl"}) {
    CAPTURE(file);
    const std::string one = read_text(dir.file("one") + file);
    CHECK(read_text(dir.file("three") + file) == one);
    CHECK(read_text(dir.file("array") + file) == one);
  }
  // Each task wrote its own rows: 12 runs over 5 tasks, task k taking runs k, k+5, ...
  for (int k = 0; k < 5; ++k) {
    CAPTURE(k);
    const std::string rows =
        read_text(dir.file("array") + "/rows/task-" + std::to_string(k) + ".jsonl");
    CHECK(count_lines(rows) == (k < 2 ? 3u : 2u));
  }
  const std::string script = read_text(dir.file("array") + "/slurm/job.sh");
  CHECK(contains(script, "#SBATCH --array=0-4\n"));
  CHECK(contains(script, "sweep task"));
}

TEST_CASE(
    "sweep: a run that fails is a row with its error, exit 1, and collect and plot still work") {
  TempDir dir;
  const std::string spec = dir.write(
      "small.yaml",
      small_spec("  - name: stuck\n    trace: " +
                 source_path("tests/programs/bad/dma_queue_and_engine_wait_on_each_other.trn") +
                 "\n"));
  const std::string out = dir.file("out");
  const RunResult r = run_trnsim({"sweep", spec, "--jobs", "2", "--out", out});
  CHECK_MESSAGE(r.exit_code == 1, describe(r));
  CHECK(contains(r.out, "results: 18 of 18 runs recorded: 12 ok, 6 failed"));
  CHECK(contains(r.err, "point 0 stuck: failed: run: exit status 1"));
  const std::string jsonl = read_text(out + "/results.jsonl");
  const std::string line = jsonl.substr(jsonl.find("{\"point\":0,\"workload\":\"stuck\""));
  const auto row = nlohmann::json::parse(line.substr(0, line.find('\n')));
  CHECK(row["status"] == "failed");
  CHECK(row["metrics"]["cycles"].is_null());
  CHECK(contains(row["error"].get<std::string>(), "deadlock"));
  // The failed run's files stay for a look.
  CHECK(fs::exists(out + "/work/0-stuck/run.err"));

  // Failures are results: a rerun keeps them, --retry-failed runs them again.
  const RunResult again = run_trnsim({"sweep", spec, "--out", out});
  CHECK(again.exit_code == 1);
  CHECK(contains(again.out, "18 runs already recorded"));
  const RunResult retry = run_trnsim({"sweep", spec, "--out", out, "--retry-failed"});
  CHECK(retry.exit_code == 1);
  CHECK(contains(retry.out, "12 runs already recorded"));
  CHECK(contains(retry.out, "ran 6 runs"));

  const RunResult collect = run_trnsim({"sweep", "collect", out});
  CHECK(collect.exit_code == 1);
  CHECK(contains(collect.out, "12 ok, 6 failed"));

  const std::string svg = dir.file("plot.svg");
  const RunResult plot =
      expect_ok({"sweep", "plot", out, "--x", "area", "--y", "cycles", "-o", svg},
                {"Pareto front per workload", "12 runs plotted, 6 left out"});
  pugi::xml_document doc;
  REQUIRE(doc.load_file(svg.c_str()));
  CHECK(std::string(doc.first_child().name()) == "svg");
  CHECK(contains(plot.out, "| gemm |"));
  CHECK(contains(plot.out, "| norm |"));
}

TEST_CASE("sweep: an interrupted sweep keeps its finished runs, and a torn last row runs again") {
  TempDir dir;
  const std::string spec = dir.write("small.yaml", small_spec());
  const std::string out = dir.file("out");
  expect_ok({"sweep", spec, "--out", out, "--jobs", "2"});
  const std::string full = read_text(out + "/results.csv");
  // As if the sweep died writing its ninth row: eight whole rows and half of one.
  const std::string rows = read_text(out + "/rows/local.jsonl");
  std::size_t cut = 0;
  for (int i = 0; i < 8; ++i)
    cut = rows.find('\n', cut) + 1;
  std::ofstream(out + "/rows/local.jsonl") << rows.substr(0, cut + 20);
  const RunResult collect = run_trnsim({"sweep", "collect", out});
  CHECK(collect.exit_code == 1);
  CHECK(contains(collect.out, "8 of 12 runs recorded"));
  CHECK(contains(collect.out, "4 missing"));
  expect_ok({"sweep", spec, "--out", out}, {"8 runs already recorded", "4 to do", "ran 4 runs"});
  CHECK(read_text(out + "/results.csv") == full);
}

TEST_CASE("sweep: bad specs and directories are errors at their line, exit 2") {
  TempDir dir;
  std::string text = small_spec();
  text.replace(text.find("dma.engines"), 11, "dma.engine");
  const std::string typo = dir.write("typo.yaml", text);
  expect_exit({"sweep", typo, "--out", dir.file("a")}, 2,
              {"typo.yaml:4:3: error: 'dma.engine' is not a config field; did you mean "
               "'dma.engines'?"});
  CHECK_FALSE(fs::exists(dir.file("a")));

  const std::string invalid =
      dir.write("invalid.yaml",
                "base: trn2\nparameters:\n  tensor.rows: [64, 128]\nworkloads:\n"
                "  - name: g\n    gen: gemm --m 128 --n 128 --k 128\n");
  expect_exit({"sweep", invalid, "--out", dir.file("b")}, 2,
              {"invalid.yaml:3", "point 0 (tensor.rows=64)", "skip_invalid"});

  const std::string metric =
      dir.write("metric.yaml",
                "base: trn2\nworkloads:\n  - name: g\n    gen: gemm --m 128 --n 128 --k 128\n"
                "metrics: [cycles, engines.pe.bussy]\n");
  expect_exit({"sweep", metric, "--out", dir.file("c")}, 2,
              {"metric.yaml:5:19: error: unknown metric 'engines.pe.bussy'; did you mean "
               "'engines.pe.busy'?"});

  // A directory of another sweep is never mixed with this one.
  const std::string spec = dir.write("small.yaml", small_spec());
  const std::string other = dir.write("other.yaml",
                                      "base: trn2\nworkloads:\n  - name: g\n"
                                      "    gen: gemm --m 128 --n 128 --k 128\n");
  expect_ok({"sweep", other, "--out", dir.file("d")});
  expect_exit({"sweep", spec, "--out", dir.file("d")}, 2, {"holds the results of another sweep"});
  expect_exit({"sweep", spec}, 2, {"--out"});
  expect_exit({"sweep", "collect", dir.file("nowhere")}, 2, {"is not a sweep's directory"});
  expect_exit({"sweep", "plot", dir.file("d"), "--x", "mfu", "--y", "cyclez"}, 2,
              {"no parameter or metric 'cyclez'"});
  expect_exit(
      {"sweep", spec, "--out", dir.file("e"), "--backend", "slurm", "--sbatch", "no-such-sbatch"},
      2, {"'no-such-sbatch' not found on PATH"});
}

TEST_CASE("sweep: a run past its timeout is a failed row naming the timeout") {
  TempDir dir;
  const std::string spec =
      dir.write("slow.yaml",
                "base: trn2\nworkloads:\n  - name: g\n    gen: gemm --m 2048 --n 2048 --k 2048\n");
  const RunResult r = run_trnsim({"sweep", spec, "--out", dir.file("out"), "--timeout", "0.001"});
  CHECK_MESSAGE(r.exit_code == 1, describe(r));
  CHECK(contains(read_text(dir.file("out") + "/results.jsonl"),
                 "timed out after 0.001 s (the sweep's timeout)"));
}

TEST_CASE("sweep: on a terminal the progress line shows runs per minute and the ETA") {
  TempDir dir;
  const std::string spec = dir.write("small.yaml", small_spec());
  const RunResult r = run_trnsim_on_terminal({"sweep", spec, "--out", dir.file("out")});
  CHECK_MESSAGE(r.exit_code == 0, describe(r));
  CHECK(contains(r.err, "sweep: "));
  CHECK(contains(r.err, "runs/min | ETA "));
}
