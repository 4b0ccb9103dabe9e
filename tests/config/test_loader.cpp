// Loading mechanics: `base:` inheritance, `--set` overrides and their errors, and where
// relational errors point.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "config/config_loader.h"
#include "config_test_util.h"

namespace trnsim::config::test {
namespace {

const std::string kGood = kDataDir + "/good";

TEST_CASE("base: a child overrides one field and inherits the rest") {
  SystemConfig tiny = load_config(preset("tiny.yaml"));
  SystemConfig child = load_config(kGood + "/child.yaml");
  CHECK(child.name == "child");
  CHECK(child.tensor.clock_ghz == 2.0);
  SystemConfig expected = tiny;
  expected.name = "child";
  expected.tensor.clock_ghz = 2.0;
  CHECK(child == expected);
}

TEST_CASE("base: chains resolve each path relative to the file that names it") {
  SystemConfig grandchild = load_config(kGood + "/nested/grandchild.yaml");
  CHECK(grandchild.name == "grandchild");
  CHECK(grandchild.dma.engines == 2);
  CHECK(grandchild.tensor.clock_ghz == 2.0);  // from child.yaml
  CHECK(grandchild.tensor.rows == 16);        // from tiny.yaml
}

TEST_CASE("base: from text resolves relative to the given file name") {
  SystemConfig cfg =
      load_config_text("base: child.yaml\nchip: {cores: 1}\n", kGood + "/inline.yaml");
  CHECK(cfg.name == "child");
  CHECK(cfg.chip.cores == 1);
}

TEST_CASE("base: a chain longer than 16 files is an error at the base that passes the limit") {
  // c0 ... c15 each name the next as their base, c15 names tiny.yaml: 17 files from c0.
  const auto dir = std::filesystem::temp_directory_path() / "trnsim-test-base-depth";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
  };
  write("c15.yaml", "base: " + preset("tiny.yaml") + "\n");
  for (int i = 0; i < 15; ++i)
    write(fmt::format("c{}.yaml", i), fmt::format("base: c{}.yaml\n", i + 1));
  CHECK_NOTHROW(load_config((dir / "c1.yaml").string()));  // 16 files, tiny.yaml counted
  const DiagnosticList diags = errors_of([&] { load_config((dir / "c0.yaml").string()); });
  REQUIRE(diags.items().size() == 1);
  const Diagnostic& d = diags.items()[0];
  CHECK(d.file == (dir / "c15.yaml").string());  // the base that passes the limit
  CHECK(d.line == 1);
  CHECK(d.column == 7);
  CHECK(d.message.starts_with("base: chain of more than 16 files"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("base: a file that is not a config (a device that never ends) is a clear error") {
  const DiagnosticList diags =
      errors_of([] { load_config_text("base: /dev/zero\n", kGood + "/inline.yaml"); });
  REQUIRE(diags.items().size() == 1);
  CHECK(diags.items()[0].line == 1);
  CHECK(diags.items()[0].message ==
        "base: cannot load '/dev/zero': file is larger than the limit of 1048576 bytes");
}

TEST_CASE("PreparedConfig: each set of overrides gives what a fresh load gives, errors included") {
  const std::string file = kGood + "/child.yaml";
  const std::string text = "base: ../../../configs/tiny.yaml\nname: prepared\n";
  const PreparedConfig prepared(text, file);
  for (const std::vector<std::string>& overrides : {std::vector<std::string>{},
                                                    {"dma.engines=2"},
                                                    {"dma.engines=3", "tensor.clock_ghz=1.5"},
                                                    {"dma.engines=2"}}) {
    CAPTURE(overrides.size());
    CHECK(prepared.with(overrides) == load_config_text(text, file, overrides));
  }
  // One point's bad value does not leak into the next.
  std::string fresh;
  try {
    load_config_text(text, file, {"dma.engines=0"});
  } catch (const InputError& e) {
    fresh = e.what();
  }
  REQUIRE_FALSE(fresh.empty());
  CHECK_THROWS_WITH_AS(prepared.with({"dma.engines=0"}), fresh.c_str(), InputError);
  CHECK(prepared.with({}).dma.engines == load_config_text(text, file).dma.engines);
}

TEST_CASE("--set overrides: scalar, nested map, list, string, and later wins") {
  SystemConfig cfg = load_config(
      preset("trn2.yaml"), {"tensor.clock_ghz=2.0", "tensor.moving_columns_per_cycle.fp8=4",
                            "vector.elements_per_cycle={fp8: 4, int: 1}", "system.chips=16",
                            "topology.kind=torus", "topology.dims=[4, 4]", "name=trn2 overclocked",
                            "sbuf.bytes_per_partition=192Ki", "tensor.clock_ghz=2.2"});
  CHECK(cfg.tensor.clock_ghz == 2.2);
  CHECK(cfg.tensor.moving_columns_per_cycle.fp8 == 4.0);
  CHECK(cfg.vector.elements_per_cycle.fp8 == 4.0);
  CHECK(cfg.vector.elements_per_cycle.int_ == 1.0);
  CHECK(cfg.vector.elements_per_cycle.bf16 == 4.0);  // untouched by the flow map
  CHECK(cfg.system.chips == 16);
  CHECK(cfg.topology.dims == std::vector<std::uint32_t>{4, 4});
  CHECK(cfg.name == "trn2 overclocked");
  CHECK(cfg.sbuf.bytes_per_partition == 192 * 1024);

  // The overridden config still round-trips.
  CHECK(load_config_text(to_yaml(cfg), "resolved.yaml") == cfg);
}

TEST_CASE("an edge-list topology round-trips") {
  SystemConfig cfg = load_config(preset("tiny.yaml"),
                                 {"system.chips=3", "topology.kind=edges",
                                  "topology.edges=[[0, 1], [1, 2]]", "description=a \"line\"\n"});
  CHECK(cfg.topology.edges == std::vector<std::array<std::uint32_t, 2>>{{0, 1}, {1, 2}});
  CHECK(load_config_text(to_yaml(cfg), "resolved.yaml") == cfg);
}

struct OverrideCase {
  std::string text;
  std::uint32_t column;
  std::string message;
};

TEST_CASE("--set errors name the override and the column within it") {
  const OverrideCase cases[] = {
      {"tensor.rows", 0, "expected KEY=VALUE such as tensor.rows=64, got 'tensor.rows'"},
      {"=64", 0, "expected KEY=VALUE such as tensor.rows=64, got '=64'"},
      {"tensor.rowz=64", 8, "tensor.rowz: unknown key in 'tensor'; did you mean 'rows'?"},
      {"tensr.rows=64", 1, "tensr: unknown top-level key; did you mean 'tensor'?"},
      {"tensor.rows.x=1", 12, "tensor.rows: is a value, not a section, so it has no key 'x'"},
      {"tensor.rows=abc", 13, "tensor.rows: expected an unsigned integer, got 'abc'"},
      {"tensor.rows=", 13, "tensor.rows: expected an unsigned integer, got no value"},
      {"tensor.throttle=maybe", 17, "tensor.throttle: expected true or false, got 'maybe'"},
      {"topology.dims=[4, x]", 19, "topology.dims[1]: expected an unsigned integer, got 'x'"},
      {"tensor.moving_columns_per_cycle={fp9: 1}", 34,
       "tensor.moving_columns_per_cycle.fp9: unknown key in 'tensor.moving_columns_per_cycle'; "
       "did you mean 'fp8'?"},
      {"tensor.rows=[1", 13, "tensor.rows: YAML syntax error: end of sequence flow not found"},
      {"base=trn1.yaml", 1,
       "base: cannot be set with --set; name the base in a config file "
       "instead"},
  };
  for (const auto& c : cases) {
    SUBCASE(c.text.c_str()) {
      auto diags = errors_of([&] { load_config(preset("tiny.yaml"), {c.text}); });
      REQUIRE(diags.items().size() == 1);
      const Diagnostic& d = diags.items().front();
      CHECK(d.file == "--set");
      CHECK(d.line == 0);
      CHECK(d.column == c.column);
      CHECK(d.message == c.message);
      CHECK(d.source_line == c.text);
    }
  }
}

TEST_CASE("a relational error points at the most derived setting involved") {
  SUBCASE("an override beats the file") {
    auto diags = errors_of([] { load_config(preset("tiny.yaml"), {"tensor.rows=32"}); });
    REQUIRE(diags.items().size() == 1);
    const Diagnostic& d = diags.items().front();
    CHECK(d.file == "--set");
    CHECK(d.column == 13);
    CHECK(d.message ==
          "sbuf.partitions (16) must equal tensor.rows (32): each PE row reads one SBUF "
          "partition");
  }
  SUBCASE("a child file beats its base") {
    const std::string file = kGood + "/inline.yaml";
    auto diags = errors_of(
        [&] { load_config_text("base: child.yaml\nname: x\npsum:\n  partitions: 32\n", file); });
    REQUIRE(diags.items().size() == 1);
    const Diagnostic& d = diags.items().front();
    CHECK(d.file == file);
    CHECK(d.line == 4);
    CHECK(d.column == 15);
    CHECK(d.message == "psum.partitions (32) must equal sbuf.partitions (16)");
    CHECK(d.source_line == "  partitions: 32");
  }
  SUBCASE("a value that failed to parse is not also reported as inconsistent") {
    auto diags = errors_of([] { load_config(preset("tiny.yaml"), {"sbuf.partitions=96"}); });
    REQUIRE(diags.items().size() == 1);
    CHECK(diags.items().front().message == "sbuf.partitions: expected a power of two, got 96");
  }
}

TEST_CASE("errors in files and overrides are all reported together") {
  auto diags = errors_of([] {
    load_config(kDataDir + "/bad/several_errors.yaml", {"chip.cores=0", "tensor.bogus=1"});
  });
  CHECK(diags.error_count() == 5);
  REQUIRE(diags.items().size() == 5);
  CHECK(diags.items()[3].message == "chip.cores: expected a value in [1, 256], got 0");
  CHECK(diags.items()[4].file == "--set");
}

TEST_CASE("the formatted diagnostic shows the source line and a caret") {
  auto diags = errors_of([] { load_config_text("tensor:\n  rows: abc\n", "x.yaml"); });
  CHECK(diags.to_string() ==
        "x.yaml:2:9: error: tensor.rows: expected an unsigned integer, got 'abc'\n"
        "    rows: abc\n"
        "          ^\n");
}

TEST_CASE("config integers accept the shared number forms") {
  SystemConfig cfg = load_config_text(
      "sbuf: {bytes_per_partition: 0x3_8000}\nhbm: {capacity_bytes: 96Gi}\n"
      "dma: {engines: 1_000, queue_depth: 4K}\n",
      "numbers.yaml");
  CHECK(cfg.sbuf.bytes_per_partition == 224 * 1024);
  CHECK(cfg.hbm.capacity_bytes == 96ull << 30);
  CHECK(cfg.dma.engines == 1000);
  CHECK(cfg.dma.queue_depth == 4000);
}

TEST_CASE("a value too large for its field is an error, not a wrap-around") {
  auto diags = errors_of([] { load_config_text("dma:\n  queue_depth: 5Gi\n", "big.yaml"); });
  REQUIRE(diags.items().size() == 1);
  CHECK(diags.items().front().message ==
        "dma.queue_depth: 5368709120 is too large (at most 4294967295)");
}

TEST_CASE("a missing config file is an InputError naming it") {
  const std::string path = kDataDir + "/no_such_config.yaml";
  auto diags = errors_of([&] { load_config(path); });
  REQUIRE(diags.items().size() == 1);
  CHECK(diags.items().front().file == path);
  CHECK(diags.items().front().message == "cannot open: No such file or directory");
}

TEST_CASE("an empty section is allowed and changes nothing") {
  CHECK(load_config_text("tensor:\n  # rows: 64\n", "empty_section.yaml") == SystemConfig{});
}

}  // namespace
}  // namespace trnsim::config::test
