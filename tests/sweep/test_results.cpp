// A sweep's results rows (JSON Lines, CSV, merging, the writer's lock), its output
// directory, and the Slurm job script, in temporary directories.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../cli/run_trnsim.h"
#include "../input_error.h"
#include "common/diagnostic.h"
#include "sweep/points.h"
#include "sweep/results.h"
#include "sweep/runner.h"
#include "sweep/slurm.h"
#include "sweep/sweep_dir.h"

using namespace trnsim;
using trnsim::test::first_diagnostic;
using namespace trnsim::sweep;
using trnsim::test::read_text;
using trnsim::test::TempDir;

namespace {

namespace fs = std::filesystem;

Row make_row(std::uint64_t point, const std::string& workload, bool ok,
             const std::string& error = "") {
  Row r;
  r.point = point;
  r.workload = workload;
  r.params["tensor.rows"] = 16 * (point + 1);
  r.params["name"] = "p" + std::to_string(point);
  r.ok = ok;
  if (ok) {
    r.metrics["cycles"] = 1000 + point;
    r.metrics["mfu"] = 0.5;
    r.metrics["engines.act.busy"] = nullptr;
  }
  r.error = error;
  return r;
}

// The first diagnostic of an InputError `f` throws.
template <typename F>
Diagnostic error_of(F&& f) {
  return first_diagnostic(std::forward<F>(f));
}

// TempDir::write, creating the directories `name` goes into.
std::string write(const TempDir& dir, const std::string& name, const std::string& text) {
  fs::create_directories(fs::path(dir.file(name)).parent_path());
  return dir.write(name, text);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("results: a row through a JSON line and back") {
  for (const Row& row : {make_row(3, "gemm", true), make_row(4, "attn", false, "gen: exit 1")}) {
    const std::string line = to_json_line(row);
    CHECK(line.find('\n') == std::string::npos);
    CHECK(row_from_json(nlohmann::ordered_json::parse(line)) == row);
  }
  CHECK(to_json_line(make_row(0, "w", true)) ==
        R"({"point":0,"workload":"w","params":{"tensor.rows":16,"name":"p0"},"status":"ok",)"
        R"("metrics":{"cycles":1000,"mfu":0.5,"engines.act.busy":null}})");
  CHECK_THROWS_WITH(row_from_json(nlohmann::ordered_json::parse(R"({"point": 1})")),
                    doctest::Contains("missing 'workload'"));
  CHECK_THROWS_WITH(row_from_json(nlohmann::ordered_json::parse(
                        R"({"point":1,"workload":"w","params":{},"status":"done","metrics":{}})")),
                    doctest::Contains("status 'done'"));
  CHECK_THROWS_WITH(row_from_json(nlohmann::ordered_json::parse(
                        R"({"point":1,"workload":"w","params":[],"status":"ok","metrics":{}})")),
                    doctest::Contains("must be objects"));
}

TEST_CASE("results: reading a rows file") {
  TempDir dir;
  const std::string a = to_json_line(make_row(0, "w", true));
  const std::string b = to_json_line(make_row(1, "w", false, "timeout"));
  SUBCASE("a torn last line is dropped") {
    const std::string file = dir.write("r.jsonl", a + "\n\n" + b + "\n" + b.substr(0, 20));
    const std::vector<Row> rows = read_rows(file);
    REQUIRE(rows.size() == 2);
    CHECK(rows[0] == make_row(0, "w", true));
    CHECK(rows[1] == make_row(1, "w", false, "timeout"));
  }
  SUBCASE("a bad line in the middle is an error naming it") {
    const std::string file = dir.write("r.jsonl", a + "\n" + b.substr(0, 20) + "\n" + b + "\n");
    const Diagnostic d = error_of([&] { read_rows(file); });
    CHECK(d.file == file);
    CHECK(d.line == 2);
    CHECK(contains(d.message, "not a results row"));
  }
  SUBCASE("a row missing a key") {
    const std::string file = dir.write("r.jsonl", a + "\n{\"point\": 2}\n");
    const Diagnostic d = error_of([&] { read_rows(file); });
    CHECK(d.line == 2);
    CHECK(contains(d.message, "missing 'workload'"));
  }
  SUBCASE("an empty file has no rows") {
    CHECK(read_rows(dir.write("r.jsonl", "")).empty());
  }
  SUBCASE("no file") {
    CHECK(contains(error_of([&] { read_rows(dir.file("none.jsonl")); }).message, "cannot read"));
  }
}

TEST_CASE("results: merging rows") {
  const std::vector<std::string> workloads{"b", "a"};
  Row first_failure = make_row(1, "a", false, "first");
  Row second_failure = make_row(1, "a", false, "second");
  Row ok = make_row(2, "b", true);
  Row failed_before_ok = make_row(2, "b", false, "late");
  const std::vector<Row> merged =
      merge_rows({make_row(5, "a", true), failed_before_ok, ok, first_failure,
                  make_row(1, "b", true), second_failure, make_row(2, "b", false, "later")},
                 workloads);
  REQUIRE(merged.size() == 4);
  // By point, then by the workloads' order in the spec (b before a).
  CHECK(merged[0] == make_row(1, "b", true));
  CHECK(merged[1] == second_failure);  // a later failure replaces an earlier one
  CHECK(merged[2] == ok);              // a success beats failures before and after it
  CHECK(merged[3] == make_row(5, "a", true));
}

TEST_CASE("results: the CSV table") {
  Row failed = make_row(7, "w", false, "run: exit 3\nsays \"no\", loudly");
  Row ok = make_row(2, "gemm, big", true);
  const std::string csv = csv_text({ok, failed}, {"tensor.rows", "missing.param"},
                                   {"cycles", "engines.act.busy", "mfu"});
  CHECK(csv ==
        "point,workload,status,tensor.rows,missing.param,cycles,engines.act.busy,mfu,error\n"
        "2,\"gemm, big\",ok,48,,1002,,0.5,\n"
        "7,w,failed,128,,,,,\"run: exit 3\nsays \"\"no\"\", loudly\"\n");
  CHECK(jsonl_text({ok, failed}) == to_json_line(ok) + "\n" + to_json_line(failed) + "\n");
}

TEST_CASE("results: the rows writer") {
  TempDir dir;
  const std::string a = to_json_line(make_row(0, "w", true));
  const std::string file = write(dir, "rows/local.jsonl", "");
  {
    std::ofstream out(file);
    out << a << "\n" << a.substr(0, 17);  // a crash in the middle of the second row
  }
  {
    RowWriter writer(file);
    CHECK(read_text(file) == a + "\n");  // the torn line is gone as soon as it opens
    writer.add(make_row(1, "w", false, "boom"));
    CHECK(read_text(file) == a + "\n" + to_json_line(make_row(1, "w", false, "boom")) + "\n");
    const Diagnostic d = error_of([&] { RowWriter second(file); });
    CHECK(d.file == file);
    CHECK(contains(d.message, "another sweep is writing these results"));
  }
  // The lock goes with the writer.
  RowWriter again(file);
  again.add(make_row(2, "w", true));
  CHECK(read_rows(file).size() == 3);

  SUBCASE("a file with only a torn line becomes empty; a new one is created") {
    const std::string torn = dir.write("torn.jsonl", a.substr(0, 5));
    { RowWriter w(torn); }
    CHECK(read_text(torn).empty());
    { RowWriter w(dir.file("sub/new.jsonl")); }
    CHECK(fs::exists(dir.file("sub/new.jsonl")));
  }
}

TEST_CASE("sweep dir: the manifest guards the directory") {
  TempDir dir;
  const std::string spec = dir.write("spec.yaml", "base: base.yaml\n");
  const std::string base = dir.write("base.yaml", "name: b\n");
  const Manifest m = make_manifest(spec, base);
  CHECK(m.spec_file == spec);
  CHECK(m.spec_dir == dir.path().string());
  CHECK(m.spec_text == "base: base.yaml\n");
  CHECK(m.base_file == base);
  CHECK(m.fingerprint.size() == 16);

  const SweepDir out(dir.path() / "out" / "deep");
  out.prepare(m);
  REQUIRE(fs::exists(out.manifest_file()));
  const Manifest read = out.read_manifest();
  CHECK(read.spec_file == m.spec_file);
  CHECK(read.spec_dir == m.spec_dir);
  CHECK(read.spec_text == m.spec_text);
  CHECK(read.base_file == m.base_file);
  CHECK(read.fingerprint == m.fingerprint);
  out.prepare(m);  // a rerun of the same sweep
  CHECK(out.recorded_rows().empty());

  SUBCASE("another spec") {
    const Manifest other = make_manifest(dir.write("other.yaml", "base: base.yaml\n# x\n"), base);
    CHECK(other.fingerprint != m.fingerprint);
    const Diagnostic d = error_of([&] { out.prepare(other); });
    CHECK(d.file == out.root().string());
    CHECK(contains(d.message, "holds the results of another sweep"));
  }
  SUBCASE("a directory that is not a sweep's") {
    write(dir, "busy/notes.txt", "mine");
    const Diagnostic d = error_of([&] { SweepDir(dir.path() / "busy").prepare(m); });
    CHECK(contains(d.message, "exists and is not a sweep's directory"));
    CHECK(contains(error_of([&] { SweepDir(dir.path() / "busy").read_manifest(); }).message,
                   "no sweep.json"));
  }
  SUBCASE("an empty directory is fine") {
    fs::create_directories(dir.path() / "empty");
    SweepDir(dir.path() / "empty").prepare(m);
    CHECK(fs::exists(dir.path() / "empty" / "sweep.json"));
  }
  SUBCASE("an edited base config") {
    check_base_unchanged(m);
    dir.write("base.yaml", "name: b\ntensor: {rows: 8}\n");
    const Diagnostic d = error_of([&] { check_base_unchanged(m); });
    CHECK(d.file == base);
    CHECK(contains(d.message, "changed since the sweep began"));
  }
  SUBCASE("rows from every rows file") {
    write(dir, "out/deep/rows/task-1.jsonl", to_json_line(make_row(1, "w", true)) + "\n");
    write(dir, "out/deep/rows/task-0.jsonl", to_json_line(make_row(0, "w", true)) + "\n");
    write(dir, "out/deep/rows/task-0.jsonl.lock", "");
    const std::vector<Row> rows = out.recorded_rows();
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].point == 0);  // files in name order
    CHECK(rows[1].point == 1);
  }
}

TEST_CASE("sweep dir: collect merges the rows of the runs asked for") {
  TempDir dir;
  const Spec spec = parse_spec(
      "base: tiny\nparameters:\n  tensor.rows: [16, 32, 48]\nworkloads:\n  - name: b\n"
      "    gen: gemm\n  - name: a\n    gen: gemm\nmetrics: [cycles, mfu]\n",
      "s.yaml", dir.path());
  Resolution points;
  for (std::uint64_t i : {0, 2}) {
    ResolvedPoint p;
    p.point.index = i;
    points.points.push_back(p);
  }
  const std::vector<Task> tasks = all_tasks(spec, points);  // 4 runs: points 0 and 2, b and a
  const SweepDir out(dir.path() / "out");
  write(dir, "out/rows/local.jsonl",
        to_json_line(make_row(2, "a", false, "first try")) + "\n" +
            to_json_line(make_row(0, "a", true)) + "\n" + to_json_line(make_row(1, "a", true)) +
            "\n");  // point 1: not in this sample
  write(dir, "out/rows/task-0.jsonl",
        to_json_line(make_row(2, "a", false, "second try")) + "\n" +
            to_json_line(make_row(2, "b", true)) + "\n");
  const Collected c = collect(out, spec, tasks);
  REQUIRE(c.rows.size() == 3);
  CHECK(c.rows[0] == make_row(0, "a", true));
  CHECK(c.rows[1] == make_row(2, "b", true));
  CHECK(c.rows[2] == make_row(2, "a", false, "second try"));
  CHECK(c.missing == 1);  // point 0 on workload b
  CHECK(c.failed == 1);
  CHECK(read_text(out.results_jsonl().string()) == jsonl_text(c.rows));
  CHECK(read_text(out.results_csv().string()) ==
        csv_text(c.rows, {"tensor.rows"}, {"cycles", "mfu"}));
}

namespace {

// The words a POSIX shell makes of `command`'s arguments: each printed on a line of its own.
std::vector<std::string> shell_words(const std::string& args) {
  TempDir dir;
  const std::string script = dir.write("words.sh", "SLURM_ARRAY_TASK_ID=5\nprintf '%s\\n' " + args);
  const std::string out = dir.file("out.txt");
  REQUIRE(std::system(("/bin/sh " + script + " > " + out).c_str()) == 0);
  std::vector<std::string> words;
  std::string text = read_text(out);
  for (std::size_t pos = 0, end; (end = text.find('\n', pos)) != std::string::npos; pos = end + 1)
    words.push_back(text.substr(pos, end - pos));
  return words;
}

}  // namespace

TEST_CASE("slurm: the job script") {
  const SlurmJob job{.trnsim = "/opt/tr nsim/bin/trnsim",
                     .dir = "/scratch/my sweep/it's here",
                     .name = "sbuf",
                     .tasks = 4,
                     .jobs_per_task = 3};
  const std::string s = job_script(job);
  CHECK(s.starts_with("#!/bin/sh\n"));
  CHECK(contains(s, "#SBATCH --array=0-3\n"));
  CHECK(contains(s, "#SBATCH --job-name=trnsim-sweep-sbuf\n"));
  CHECK(contains(s, "#SBATCH --cpus-per-task=3\n"));
  CHECK(contains(s, "#SBATCH --output=/scratch/my sweep/it's here/slurm/task-%a.log\n"));
  CHECK(contains(s, "'/scratch/my sweep/it'\\''s here'"));
  CHECK(contains(s, "--task \"$SLURM_ARRAY_TASK_ID\" --tasks 4 --jobs 3\n"));
  // The command line as the shell splits it.
  const std::size_t exec = s.find("\nexec ");
  REQUIRE(exec != std::string::npos);
  const std::string command = s.substr(exec + 6, s.find('\n', exec + 1) - exec - 6);
  CHECK(shell_words(command) == std::vector<std::string>{"/opt/tr nsim/bin/trnsim", "sweep", "task",
                                                         "/scratch/my sweep/it's here", "--task",
                                                         "5", "--tasks", "4", "--jobs", "3"});
  SUBCASE("one task") {
    CHECK(contains(job_script(SlurmJob{
                       .trnsim = "/t", .dir = "/d", .name = "n", .tasks = 1, .jobs_per_task = 1}),
                   "#SBATCH --array=0-0\n"));
  }
}

TEST_CASE("slurm: the tasks share the runs out, each run once") {
  for (unsigned tasks : {1u, 2u, 3u, 8u}) {
    for (std::size_t runs : {0u, 1u, 7u, 100u}) {
      CAPTURE(tasks);
      CAPTURE(runs);
      std::vector<unsigned> owners(runs, 0);
      std::vector<std::size_t> share(tasks, 0);
      for (unsigned t = 0; t < tasks; ++t)
        for (std::size_t r = 0; r < runs; ++r)
          if (in_slice(r, t, tasks)) {
            ++owners[r];
            ++share[t];
          }
      for (unsigned n : owners)
        CHECK(n == 1);
      // Shares differ by at most one run.
      for (std::size_t n : share)
        CHECK(n >= runs / tasks);
    }
  }
}

TEST_CASE("slurm: finding a program") {
  CHECK(find_program("sh").filename() == "sh");
  CHECK(find_program("/bin/sh") == "/bin/sh");
  CHECK(find_program("/nowhere/sbatch").empty());
  CHECK(find_program("surely-no-such-program-here").empty());
}
