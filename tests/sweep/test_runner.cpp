// Running a sweep's tasks, with a stand-in for the trnsim binary: a shell script that records
// its command lines and writes a small stats file, or fails when a point asks it to. The
// simulator itself is the CLI tests' business; here what matters is what the runner asks of
// it and what it makes of the answer.
#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include "../cli/run_trnsim.h"
#include "sweep/runner.h"

using namespace trnsim::sweep;
using trnsim::test::read_text;
using trnsim::test::TempDir;

namespace {

namespace fs = std::filesystem;

// `gen` writes the file after -o; `run` writes the file after --stats-json; either fails
// with a message on stderr when it is given tensor.cols=32.
const char* const kFakeTrnsim = R"(#!/bin/sh
echo "$*" >> "$(dirname "$0")/calls.txt"
step=$1
out=
while [ $# -gt 0 ]; do
  case "$1" in
    -o|--stats-json) out=$2 ;;
    tensor.cols=32) echo "config: tensor.cols (32) is too wide" >&2; exit 3 ;;
  esac
  shift
done
if [ "$step" = gen ]; then echo "trace" > "$out"; exit 0; fi
echo '{"cycles": 7, "seconds": 1e-6, "engines": {"pe": {"busy": 0.5}}}' > "$out"
)";

// The process's working directory changed for a scope: the runner must work with a
// relative sweep directory, as `trnsim sweep spec.yaml -o out` gives it.
class InDirectory {
 public:
  explicit InDirectory(const fs::path& dir) : m_old(fs::current_path()) { fs::current_path(dir); }
  ~InDirectory() { fs::current_path(m_old); }
  InDirectory(const InDirectory&) = delete;
  InDirectory& operator=(const InDirectory&) = delete;

 private:
  fs::path m_old;
};

ResolvedPoint point(std::uint64_t index, const std::string& cols) {
  ResolvedPoint p;
  p.point.index = index;
  p.point.choice = {0};
  p.overrides = {"tensor.cols=" + cols};
  p.params["tensor.cols"] = std::stoi(cols);
  p.area = 12.5;
  return p;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  for (std::size_t pos = 0, end; (end = text.find('\n', pos)) != std::string::npos; pos = end + 1)
    out.push_back(text.substr(pos, end - pos));
  return out;
}

}  // namespace

TEST_CASE("runner: a generated workload run in a relative sweep directory") {
  TempDir dir;
  const std::string fake = dir.write("trnsim", kFakeTrnsim);
  fs::permissions(fake, fs::perms::owner_all);
  const Spec spec = parse_spec(
      "base: tiny\nworkloads:\n  - name: g\n    gen: gemm --m 64\n"
      "metrics: [cycles, engines.pe.busy, engines.act.busy, area]\n",
      "s.yaml", dir.path());
  const ResolvedPoint good = point(3, "8");
  const ResolvedPoint bad = point(4, "32");
  InDirectory cwd(dir.path());
  const RunSettings settings{
      .trnsim = fake, .work_dir = "out/work", .config = "tiny", .timeout_seconds = 30};

  const Row ok = run_task(spec, Task{&good, &spec.workloads[0]}, settings);
  CHECK_MESSAGE(ok.ok, ok.error);
  CHECK(ok.point == 3);
  CHECK(ok.workload == "g");
  CHECK(ok.params == good.params);
  CHECK(ok.metrics.dump() ==
        R"({"cycles":7,"engines.pe.busy":0.5,"engines.act.busy":null,"area":12.5})");
  CHECK(lines(read_text(dir.file("calls.txt"))) ==
        std::vector<std::string>{
            "gen gemm --m 64 --config tiny --set tensor.cols=8 -o trace.trn",
            "run --config tiny --set tensor.cols=8 --quiet --stats-json stats.json trace.trn"});
  CHECK(!fs::exists(dir.path() / "out/work/3-g"));  // a good run leaves nothing behind

  const Row failed = run_task(spec, Task{&bad, &spec.workloads[0]}, settings);
  CHECK(!failed.ok);
  CHECK_MESSAGE(failed.error.starts_with("gen: exit status 3"), failed.error);
  CHECK_MESSAGE(failed.error.find("tensor.cols (32) is too wide") != std::string::npos,
                failed.error);
  CHECK(failed.metrics.dump() ==
        R"({"cycles":null,"engines.pe.busy":null,"engines.act.busy":null,"area":null})");
  CHECK(fs::exists(dir.path() / "out/work/4-g/gen.err"));  // kept for a look
}

TEST_CASE("runner: every task once, on several threads") {
  TempDir dir;
  const std::string fake = dir.write("trnsim", kFakeTrnsim);
  fs::permissions(fake, fs::perms::owner_all);
  const Spec spec =
      parse_spec("base: tiny\nworkloads:\n  - name: a\n    gen: gemm\n  - name: b\n    gen: gemm\n",
                 "s.yaml", dir.path());
  Resolution points;
  for (std::uint64_t i = 0; i < 5; ++i)
    points.points.push_back(point(i * 2, i == 2 ? "32" : "8"));
  const std::vector<Task> tasks = all_tasks(spec, points);
  REQUIRE(tasks.size() == 10);
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    CHECK(tasks[i].point == &points.points[i / 2]);  // point by point, workloads in order
    CHECK(tasks[i].workload == &spec.workloads[i % 2]);
  }
  const RunSettings settings{
      .trnsim = fake, .work_dir = dir.path() / "work", .config = "tiny", .timeout_seconds = 30};
  std::vector<int> calls(tasks.size(), 0);
  std::vector<Row> rows(tasks.size());
  std::atomic<bool> stop{false};
  run_tasks(
      spec, tasks, settings, 3,
      [&](std::size_t i, const Row& row) {
        ++calls[i];
        rows[i] = row;
      },
      stop);
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    CAPTURE(i);
    CHECK(calls[i] == 1);
    CHECK(rows[i].point == tasks[i].point->point.index);
    CHECK(rows[i].workload == tasks[i].workload->name);
    CHECK(rows[i].ok == (i / 2 != 2));
  }

  SUBCASE("nothing starts once stopped") {
    stop = true;
    int started = 0;
    run_tasks(
        spec, tasks, settings, 2, [&](std::size_t, const Row&) { ++started; }, stop);
    CHECK(started == 0);
  }
}
