// `trnsim config show|list`.
#include <doctest/doctest.h>

#include "cli_fixtures.h"

using namespace trnsim::test;

TEST_CASE("config list: names every preset with its description") {
  const RunResult r = expect_ok({"config", "list"}, {"Trainium2"});
  for (const char* preset : {"tiny ", "trn1 ", "trn2 ", "trn3 "}) {
    CHECK(contains("\n" + r.out, std::string("\n") + preset));
  }
}

TEST_CASE("config show: the YAML loads back to the same config") {
  for (const char* preset : {"tiny", "trn1", "trn2", "trn3"}) {
    TempDir dir;
    const std::string written = dir.file("shown.yaml");
    expect_ok({"config", "show", "--config", preset, "-o", written});
    const RunResult again = expect_ok({"config", "show", "--config", written});
    CHECK(again.out == read_text(written));
  }
}

TEST_CASE("config show: --set overrides are applied and kept on reload") {
  TempDir dir;
  const RunResult r =
      expect_ok({"config", "show", "--set", "dma.queue_depth=32", "--set", "chip.cores=2"},
                {"queue_depth: 32", "cores: 2"});
  const RunResult again = expect_ok({"config", "show", "--config", dir.write("c.yaml", r.out)});
  CHECK(again.out == r.out);
}

TEST_CASE("config show: the preset name, the file name and the path mean the same file") {
  const RunResult by_name = expect_ok({"config", "show", "--config", "trn2"});
  CHECK(expect_ok({"config", "show", "--config", "trn2.yaml"}).out == by_name.out);
  CHECK(expect_ok({"config", "show", "--config", source_path("configs/trn2.yaml")}).out ==
        by_name.out);
}
