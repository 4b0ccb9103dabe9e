// `trnsim fmt`: canonical output that reparses and is a fixed point.
#include <doctest/doctest.h>

#include <filesystem>

#include "cli_fixtures.h"

using namespace trnsim::test;

TEST_CASE("fmt: the canonical form reparses, checks, and formats to itself") {
  TempDir dir;
  const RunResult first = expect_ok({"fmt", dir.write("tile.trn", read_text(kTileTracePath))});
  CHECK(first.out.starts_with(".trace 1\n"));

  const std::string formatted = dir.write("formatted.trn", first.out);
  const RunResult second = expect_ok({"fmt", formatted});
  CHECK(second.out == first.out);
  expect_ok({"check", formatted}, {"matmul flops:  16777216 "});
}

TEST_CASE("fmt: -o writes the same text as stdout, and --in-place rewrites the trace") {
  TempDir dir;
  const std::string trace = dir.write("tile.trn", read_text(kTileTracePath));
  const RunResult to_stdout = expect_ok({"fmt", trace});

  const std::string out = dir.file("out.trn");
  CHECK(expect_ok({"fmt", "-o", out, trace}).out.empty());
  CHECK(read_text(out) == to_stdout.out);

  expect_ok({"fmt", "--in-place", trace});
  CHECK(read_text(trace) == to_stdout.out);
  // Only the trace and out.trn are left: no temporary file behind.
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path()))
    ++files;
  CHECK(files == 2);
}

TEST_CASE("fmt: a malformed trace exits 2 and leaves the file alone") {
  TempDir dir;
  const std::string trace = dir.write("bad.trn", kMalformedTrace);
  expect_exit({"fmt", "--in-place", trace}, 2, {trace + ":3:33: error:"});
  CHECK(read_text(trace) == kMalformedTrace);
}

TEST_CASE("fmt: an unwritable output exits 2 naming the file") {
  TempDir dir;
  const std::string out = dir.file("no-such-dir/out.trn");
  expect_exit({"fmt", "-o", out, dir.write("tile.trn", read_text(kTileTracePath))}, 2,
              {out + ": error: cannot write"});
}
