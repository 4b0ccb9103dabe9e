// `trnsim regress`: a small suite in a temporary directory, its goldens written, tampered
// with and rewritten; the exit status names the verdict (0 pass, 3 mismatch, 1 a case
// that could not run, 2 a bad suite) and the report names the metric that moved.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "cli_fixtures.h"

using namespace trnsim::test;

namespace {

// One generated GEMM and the one-tile trace of the trace spec, on trn2.
std::string small_suite() {
  return "golden_dir: golden\n"
         "cases:\n"
         "  - name: gemm\n"
         "    config: trn2\n"
         "    gen: [gemm, --m, 128, --n, 128, --k, 128]\n"
         "    tags: [quick]\n"
         "    max_bound_factor: 100\n"
         "  - name: tile\n"
         "    config: trn2\n"
         "    trace: " +
         kTileTracePath + "\n";
}

// A failed run keeps its case files in $TMPDIR: inside the test's directory, they go
// with it.
std::vector<std::string> in_dir(const TempDir& dir) {
  return {"TMPDIR=" + dir.path().string()};
}

void set_golden_cycles(const std::string& path, long long cycles) {
  nlohmann::ordered_json golden = nlohmann::ordered_json::parse(read_text(path));
  golden["cycles"] = cycles;
  std::ofstream(path) << golden.dump(2) << "\n";
}

}  // namespace

TEST_CASE("regress: goldens written, a tampered golden is a mismatch naming cycles, rewritten") {
  TempDir dir;
  const std::string suite = dir.write("suite.yaml", small_suite());
  const std::string golden = dir.file("golden/gemm.json");

  // No goldens yet: a mismatch that says how to make them.
  const RunResult none = run_trnsim({"regress", suite, "--jobs", "2", "--keep-going"}, in_dir(dir));
  CHECK_MESSAGE(none.exit_code == 3, describe(none));
  CHECK(contains(none.out, "create it with --update-golden"));

  expect_ok({"regress", suite, "--jobs", "2", "--update-golden"}, {"goldens written: gemm, tile"});
  const long long cycles = nlohmann::json::parse(read_text(golden))["cycles"].get<long long>();
  expect_ok({"regress", suite, "--jobs", "1"}, {"2 of 2 cases passed"});

  set_golden_cycles(golden, cycles * 2);
  const std::string junit = dir.file("r.xml");
  const std::string json = dir.file("r.json");
  const RunResult bad =
      run_trnsim({"regress", suite, "--junit", junit, "--json", json}, in_dir(dir));
  CHECK_MESSAGE(bad.exit_code == 3, describe(bad));
  CHECK(
      contains(bad.out, "cycles " + std::to_string(cycles * 2) + " -> " + std::to_string(cycles)));
  CHECK(contains(bad.out, "-50.00 %"));

  pugi::xml_document doc;
  REQUIRE(doc.load_file(junit.c_str()));
  const pugi::xml_node gemm = doc.select_node("//testcase[@name='gemm']").node();
  REQUIRE(gemm);
  const std::string message = gemm.child("failure").attribute("message").value();
  CHECK(contains(message, "cycles"));
  CHECK(!doc.select_node("//testcase[@name='tile']/failure"));
  const auto summary = nlohmann::json::parse(read_text(json));
  CHECK(summary["failed"] == 1);
  CHECK(summary["passed"] == 1);
  CHECK(summary["cases"][0]["verdict"] == "FAIL");

  expect_ok({"regress", suite, "--update-golden"}, {"goldens written: gemm\n"});
  expect_ok({"regress", suite, "--tags", "quick"}, {"1 of 1 cases passed"});
}

TEST_CASE("regress: a case that cannot run exits 1, a bad suite exits 2 naming its line") {
  TempDir dir;
  const std::string failing = dir.write("f.yaml",
                                        "cases:\n"
                                        "  - name: nogen\n"
                                        "    config: trn2\n"
                                        "    gen: [gemm, --m, 0, --n, 1, --k, 1]\n");
  const RunResult r = run_trnsim({"regress", failing}, in_dir(dir));
  CHECK_MESSAGE(r.exit_code == 1, describe(r));
  CHECK(contains(r.out, "ERROR"));
  CHECK(contains(r.out, "gen: exit status 2"));

  const std::string bad = dir.write("b.yaml",
                                    "cases:\n"
                                    "  - name: x\n"
                                    "    config: trn2\n"
                                    "    gen: [gemm]\n"
                                    "    tags: [weekly]\n");
  expect_exit({"regress", bad}, 2, {bad + ":5:", "unknown tag 'weekly'"});
  const std::string good = dir.write("g.yaml", small_suite());
  expect_exit({"regress", good, "--tags", "weekly"}, 2, {"unknown tag 'weekly'"});
  expect_exit({"regress", good, "--filter", "("}, 2, {"not a regular expression"});
}

TEST_CASE("regress: a run slower than max_bound_factor allows is a mismatch naming the bound") {
  TempDir dir;
  // One 128-cube GEMM tile cannot reach the tensor engines' peak: the DMA loads before it
  // and the store after it alone take longer than its matmuls.
  const std::string suite = dir.write("s.yaml",
                                      "cases:\n"
                                      "  - name: tight\n"
                                      "    config: trn2\n"
                                      "    gen: [gemm, --m, 128, --n, 128, --k, 128]\n"
                                      "    max_bound_factor: 1\n");
  const RunResult r = run_trnsim({"regress", suite, "--update-golden"}, in_dir(dir));
  CHECK_MESSAGE(r.exit_code == 3, describe(r));
  CHECK(contains(r.out, "above max_bound_factor 1"));
  CHECK(!std::filesystem::exists(dir.file("golden/tight.json")));  // not frozen into a golden
}

TEST_CASE("regress: the results do not depend on --jobs") {
  TempDir dir;
  const std::string suite = dir.write("s.yaml", small_suite());
  expect_ok({"regress", suite, "--update-golden"});
  auto summary = [&](const std::string& jobs) {
    const std::string file = dir.file("r" + jobs + ".json");
    expect_ok({"regress", suite, "--jobs", jobs, "--json", file});
    nlohmann::json doc = nlohmann::json::parse(read_text(file));
    for (auto& c : doc["cases"])
      c.erase("wall_seconds");  // the one figure that is the machine's, not the model's
    return doc;
  };
  const nlohmann::json one = summary("1");
  CHECK(one["passed"] == 2);
  CHECK(one == summary("2"));
}
