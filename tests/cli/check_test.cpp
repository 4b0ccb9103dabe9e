// `trnsim check` and `trnsim run`: exit codes 0 / 1 / 2 and the summary figures.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "cli_fixtures.h"

using namespace trnsim::test;

TEST_CASE("check: a correct trace exits 0 and prints the summary") {
  TempDir dir;
  const std::string trace = dir.write("tile.trn", read_text(kTileTracePath));
  const RunResult r =
      expect_ok({"check", "--config", "trn2", trace},
                {"config:        trn2 ", "cores used:    1\n", "instructions:  5\n",
                 "tensors:       3 (294912 bytes",
                 "dma bytes:     294912 (288.00 KiB, 3 transfers)\n", "matmul flops:  16777216 "});
  // pe 1, act 1, dve 0, pool 0, sync 0, dma 3, total 5
  CHECK(words_of_line(r.out, "chip0.core0") ==
        std::vector<std::string>{"chip0.core0", "1", "1", "0", "0", "0", "3", "5"});
}

TEST_CASE("check: a converting DMA copy counts its larger side") {
  // bf16 [128, 512] in HBM (131072 bytes) lands as fp32 in SBUF: 128 * 512 * 4 = 262144.
  TempDir dir;
  const std::string trace = dir.write("convert.trn", R"(.trace 1
.tensor X hbm bf16 [128, 512] init=random(seed=2)
dma.q0: copy sbuf[0:128]@0x0000.fp32[512], hbm:X[0:128, 0:512]
)");
  expect_ok({"check", trace}, {"dma bytes:     262144 "});
}

TEST_CASE("check: the default config is trn2") {
  TempDir dir;
  expect_ok({"check", dir.write("tile.trn", read_text(kTileTracePath))}, {"config:        trn2 "});
}

TEST_CASE("check: a statically wrong program exits 1 and names the line") {
  TempDir dir;
  const std::string trace = dir.write("oob.trn", kOutOfBoundsTrace);
  const RunResult r =
      expect_exit({"check", trace}, 1,
                  {trace + ":3:", "1 error(s): the program breaks the rules of config 'trn2'"});
  CHECK(r.out.empty());
}

TEST_CASE("check: --set changes the rules the program is checked against") {
  // The tile trace uses SBUF bytes [0x500, 0x900) of each partition: legal in 224 KiB,
  // out of bounds in 1 KiB.
  TempDir dir;
  const std::string trace = dir.write("tile.trn", read_text(kTileTracePath));
  expect_exit({"check", "--set", "sbuf.bytes_per_partition=1024", trace}, 1);
}

TEST_CASE("check: a malformed trace exits 2 with file:line:col") {
  TempDir dir;
  const std::string trace = dir.write("bad.trn", kMalformedTrace);
  expect_exit({"check", trace}, 2, {trace + ":3:33: error:", "the trace does not parse"});
}

TEST_CASE("check: --max-errors caps the diagnostics") {
  TempDir dir;
  const std::string trace = dir.write("three.trn", kThreeErrorsTrace);
  expect_exit({"check", trace}, 2, {trace + ":2:", trace + ":4:"});
  const RunResult one =
      expect_exit({"check", "--max-errors", "1", trace}, 2, {trace + ":2:", "not shown (limit 1)"});
  CHECK_FALSE(contains(one.err, trace + ":4:"));
}

TEST_CASE("check: a missing file, a directory and an unreadable file exit 2 naming the file") {
  TempDir dir;
  const std::string missing = dir.file("missing.trn");
  expect_exit({"check", missing}, 2, {missing + ": error: cannot open"});
  const std::string directory = dir.path().string();
  expect_exit({"check", directory}, 2, {directory + ": error: is a directory"});
  if (::geteuid() != 0) {  // root reads everything
    const std::string locked = dir.write("locked.trn", read_text(kTileTracePath));
    std::filesystem::permissions(locked, std::filesystem::perms::none);
    expect_exit({"check", locked}, 2, {locked + ": error: cannot open"});
  }
}

TEST_CASE("check: config errors exit 2") {
  TempDir dir;
  const std::string trace = dir.write("tile.trn", read_text(kTileTracePath));
  SUBCASE("an unknown preset") {
    expect_exit({"check", "--config", "trn9", trace}, 2, {"no config file or preset named 'trn9'"});
  }
  SUBCASE("a missing config file") {
    const std::string missing = dir.file("nope.yaml");
    expect_exit({"check", "--config", missing, trace}, 2,
                {missing + ": error: config file not found"});
  }
  SUBCASE("a config file with an unknown key names the file and line") {
    const RunResult shown = expect_ok({"config", "show", "--config", "tiny"});
    std::string yaml = shown.out;
    const auto at = yaml.find("  rows:");
    REQUIRE(at != std::string::npos);
    yaml.replace(at, 7, "  rowz:");
    const std::string config = dir.write("bad.yaml", yaml);
    const RunResult r = expect_exit({"check", "--config", config, trace}, 2);
    CHECK(has_error_at_line_and_column(r.err, config));
    CHECK(contains(r.err, "rowz"));
  }
  SUBCASE("bad overrides point at --set") {
    expect_exit({"check", "--set", "tensor.rowz=64", trace}, 2, {"--set", "rowz"});
    expect_exit({"check", "--set", "tensor.rows=many", trace}, 2, {"--set"});
    expect_exit({"check", "--set", "tensor.rows", trace}, 2, {"--set"});
  }
}

TEST_CASE("check: every workload in workloads/ passes with the config its name ends in") {
  const std::filesystem::path workloads = source_path("workloads");
  std::size_t checked = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(workloads, ec)) {
    if (entry.path().extension() != ".trn") continue;
    // gemm-...-trn2.trn is meant for the trn2 preset, ...-trn2-16.trn for trn2-16 (the
    // longest preset name the file name ends in); names without a preset use trn2.
    const std::string stem = entry.path().stem().string();
    std::string config = "trn2";
    std::size_t best = 0;
    for (const auto& preset : std::filesystem::directory_iterator(source_path("configs"), ec)) {
      if (preset.path().extension() != ".yaml") continue;
      const std::string name = preset.path().stem().string();
      if (stem.ends_with("-" + name) && name.size() > best) {
        config = name;
        best = name.size();
      }
    }
    expect_ok({"check", "--config", config, entry.path().string()});
    ++checked;
  }
  MESSAGE(checked, " workload(s) checked");
}

TEST_CASE("run: simulates, prints the report and writes --stats-json") {
  TempDir dir;
  const std::string trace = dir.write("tile.trn", read_text(kTileTracePath));
  const std::string stats = dir.file("stats.json");
  const RunResult r = expect_ok({"run", "--stats-json", stats, trace},
                                {"instr   5\n", "cycles at 1.2 GHz", "MFU", "TensorE",
                                 "semaphore_wait", "roofline  ", "longest waits"});
  REQUIRE(r.exit_code == 0);

  // The schema of docs/stats.md.
  const auto j = nlohmann::json::parse(read_text(stats));
  CHECK(j["schema_version"] == 2);
  CHECK(j["trace"] == trace);
  CHECK(j["config"] == "trn2");
  CHECK(j["completed"] == true);
  CHECK(j["instructions"] == 5);
  CHECK(j["cores"] == 1);
  CHECK(j["flops"] == 16777216);
  CHECK(j["cycles"].is_number_integer());
  CHECK(j["cycles"].get<std::uint64_t>() > 0);
  CHECK(j["seconds"].get<double>() > 0);
  CHECK(j["mfu"].get<double>() > 0);
  CHECK(j["mfu"].get<double>() <= 1);
  for (const char* e : {"pe", "act", "dma"}) {
    CAPTURE(e);
    CHECK(j["engines"][e]["busy"].get<double>() > 0);
    CHECK(j["engines"][e]["busy"].get<double>() <= 1);
  }
  CHECK(j["engines"]["pe"]["instructions"] == 1);
  CHECK(j["engines"]["dma"]["instructions"] == 3);
  CHECK(j["engines"]["dma"]["streams"] == 2);  // queues 0 and 1
  CHECK_FALSE(j["engines"].contains("dve"));   // only engines that have instructions
  CHECK(j["dma"]["bytes"] == 294912);
  CHECK(j["dma"]["transfers"] == 3);
  // Streams sorted by core, engine (pe, act, dve, pool, sync, dma), queue.
  REQUIRE(j["streams"].size() == 4);
  CHECK(j["streams"][0]["engine"] == "pe");
  CHECK(j["streams"][1]["engine"] == "act");
  CHECK(j["streams"][2]["engine"] == "dma");
  CHECK(j["streams"][3]["queue"] == 1);
  // Schema 2: activity over time, the longest waits, the roofline.
  CHECK(j["timeseries"]["bins"].get<std::size_t>() <= 256);
  CHECK(j["timeseries"]["busy"]["pe"].size() == j["timeseries"]["bins"]);
  REQUIRE(j["top_waits"].size() == 3);  // matmul, activation and store waited for semaphores
  CHECK(j["top_waits"][0]["file"] == trace);
  CHECK(j["top_waits"][0]["reason"] == "semaphore_wait");
  CHECK(j["roofline"]["flops"] == 16777216);

  // Deterministic: a second run writes the same bytes.
  const std::string again = dir.file("again.json");
  expect_ok({"run", "--stats-json", again, trace});
  CHECK(read_text(stats) == read_text(again));
}

TEST_CASE("run: --stats-json - puts the JSON alone on stdout") {
  TempDir dir;
  const RunResult r =
      expect_exit({"run", "--stats-json", "-", dir.write("t.trn", read_text(kTileTracePath))}, 0,
                  {"instr   5\n"});
  REQUIRE(r.exit_code == 0);
  CHECK(nlohmann::json::parse(r.out)["instructions"] == 5);
}

// The column is the unmet wait's semaphore.
TEST_CASE("run: a deadlock exits 1 naming the blocked instruction and semaphore") {
  TempDir dir;
  const std::string trace = dir.write("dead.trn", R"(.trace 1
.sem a b
act: activation sbuf[0:128]@0x0.bf16[64], sbuf[0:128]@0x2000.bf16[64] wait(a >= 1) post(b += 1)
dve: tensor_copy sbuf[0:128]@0x4000.bf16[64], sbuf[0:128]@0x0.bf16[64] wait(b >= 1) post(a += 1)
)");
  expect_exit(
      {"run", trace}, 1,
      {"dead.trn:3:76: error: deadlock: stream act of chip 0 core 0 waits forever for a >= 1 (it "
       "stays at 0; only line 4 (dve) would post it, and its stream is blocked too)",
       "dead.trn:4:77: error: deadlock: stream dve of chip 0 core 0 waits forever for b >= 1 (it "
       "stays at 0; only line 3 (act) would post it, and its stream is blocked too)"});
}

TEST_CASE("run: exits like check on wrong programs and writes no stats") {
  TempDir dir;
  const std::string stats = dir.file("stats.json");
  expect_exit({"run", "--stats-json", stats, dir.write("oob.trn", kOutOfBoundsTrace)}, 1);
  expect_exit({"run", "--stats-json", stats, dir.write("bad.trn", kMalformedTrace)}, 2);
  CHECK_FALSE(std::filesystem::exists(stats));
}

TEST_CASE("run: a DMA reading another chip's memory is refused, exit 2") {
  TempDir dir;
  const std::string trace = dir.write("remote.trn", R"(.trace 1
.tensor R chip1.hbm bf16 [128, 512]
dma.q0: copy sbuf[0:128]@0x0.bf16[512], hbm:R[0:128, 0:512]
)");
  // check accepts it, saying the dynamic checks could not run.
  expect_exit(
      {"check", "--config", "trn2-16", trace}, 0,
      {"remote.trn:3:41: warning: chip 0 reads the memory of chip 1", "dynamic checks skipped"});
  expect_exit({"run", "--config", "trn2-16", trace}, 2,
              {"remote.trn:3:41: error: chip 0 reads the memory of chip 1"});
}

TEST_CASE("check and run: --max-time stops a run that is not done, exit 1, a bad time is exit 2") {
  TempDir dir;
  const std::string trace = dir.write(
      "gemm.trn", read_text(TRNSIM_SOURCE_DIR "/workloads/gemm-1024x1024x1024-bf16-trn2.trn"));
  // The GEMM takes 34.7 us: stopped at 20 us with every stream unfinished.
  expect_exit({"check", "--max-time", "20us", trace}, 1,
              {"gemm.trn: error: simulation stopped by --max-time at 20.000 us with 11 stream(s) "
               "unfinished",
               "gemm.trn:119:1: note: stream pe of chip 0 core 0 was here"});
  expect_exit({"run", "--max-time", "0.02ms", trace}, 1, {"stopped by --max-time at 20.000 us"});
  // Long enough: the run finishes and nothing is reported.
  expect_ok({"check", "--max-time", "1ms", trace});
  for (const char* bad : {"20", "10xs", "-5us", "0s", "us"}) {
    CAPTURE(bad);
    expect_exit({"check", "--max-time", bad, trace}, 2,
                {"--max-time: expected a positive time with a unit (ns, us, ms or s)"});
  }
}
