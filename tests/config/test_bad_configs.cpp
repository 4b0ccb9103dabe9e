// Malformed configs under tests/config/bad/: each must fail with exactly the diagnostic
// written here (file, line, column, message) and exactly this many errors. `{dir}` in an
// expectation stands for the bad/ directory.
#include <doctest/doctest.h>

#include <set>

#include "config_test_util.h"

namespace trnsim::config::test {
namespace {

const std::string kBadDir = kDataDir + "/bad";

struct BadConfig {
  std::string file;  // under bad/
  std::uint32_t line;
  std::uint32_t column;
  std::string message;  // of the first diagnostic
  std::size_t count = 1;
  std::string error_file = {};  // the file the first diagnostic names, when not `file`
};

const std::vector<BadConfig>& bad_configs() {
  static const std::vector<BadConfig> kCases = {
      // Unknown keys.
      {"unknown_key_typo.yaml", 4, 3, "tensor.rowz: unknown key in 'tensor'; did you mean 'rows'?"},
      {"unknown_key_list.yaml", 3, 3,
       "tensor.banana: unknown key in 'tensor'; expected one of: clock_ghz, rows, cols, "
       "max_moving_free, moving_columns_per_cycle, weight_load_rows_per_cycle, "
       "background_weight_load, fast_weight_load_speedup, min_issue_interval_cycles, "
       "first_use_init_cycles, psum_write_cycles, throttle, throttle_start_fraction, "
       "throttle_ramp_us, throttle_reengage_us"},
      {"unknown_section.yaml", 2, 1, "tensr: unknown top-level key; did you mean 'tensor'?"},
      {"perdtype_unknown_key.yaml", 4, 5,
       "tensor.moving_columns_per_cycle.fp9: unknown key in 'tensor.moving_columns_per_cycle'; "
       "did you mean 'fp8'?"},
      // Wrong types.
      {"wrong_type_string.yaml", 2, 9, "tensor.rows: expected an unsigned integer, got 'abc'"},
      {"wrong_type_map.yaml", 2, 9, "tensor.rows: expected an unsigned integer, got a map"},
      {"section_not_a_map.yaml", 1, 9, "tensor: expected a map of settings, got '128'"},
      {"negative_unsigned.yaml", 2, 12,
       "dma.engines: expected an unsigned integer, got negative -4"},
      {"bool_expected.yaml", 2, 13, "tensor.throttle: expected true or false, got 'yes'"},
      {"number_bad_suffix.yaml", 2, 24,
       "sbuf.bytes_per_partition: expected an unsigned integer, got '192KB' (size suffixes are "
       "K, M, G, Ki, Mi, Gi)"},
      {"list_elements.yaml", 3, 13, "topology.dims[1]: expected an unsigned integer, got 'x'", 2},
      // Out of range.
      {"out_of_range.yaml", 2, 9, "tensor.rows: expected a value in [1, 1024], got 2048", 2},
      {"clock_zero.yaml", 2, 14, "core.clock_ghz: expected a value in (0, 100], got 0"},
      {"fraction_out_of_range.yaml", 2, 28,
       "tensor.throttle_start_fraction: expected a value in (0, 1], got 1.5"},
      {"not_power_of_two.yaml", 2, 15, "sbuf.partitions: expected a power of two, got 96"},
      {"topology_kind_typo.yaml", 4, 9,
       "topology.kind: expected one of none, ring, torus, switch, edges, got 'tours'; did you "
       "mean 'torus'?"},
      // Fields that disagree with each other: SBUF partitions also disagree with PSUM and
      // the lanes of the three compute engines.
      {"inconsistent_partitions.yaml", 3, 15,
       "sbuf.partitions (64) must equal tensor.rows (128): each PE row reads one SBUF "
       "partition",
       5},
      {"topology_dims_vs_chips.yaml", 5, 9,
       "topology.dims [4, 2] makes 8 chips but system.chips is 16"},
      {"topology_none_many_chips.yaml", 2, 10,
       "system.chips is 4 but topology.kind is none; connect the chips with ring, torus, "
       "switch or edges"},
      {"topology_edge_out_of_range.yaml", 5, 19,
       "topology.edges[1] [1, 3] names chip 3, but system.chips is 3 (chips are 0 to 2)"},
      {"hbm_not_divisible.yaml", 3, 11,
       "hbm.capacity_bytes (103079215104) must divide evenly into hbm.stacks (5)"},
      // The file as a whole.
      {"duplicate_key.yaml", 4, 3, "tensor.rows: duplicate key (first set on line 2)"},
      {"syntax_error.yaml", 3, 7, "YAML syntax error: end of sequence flow not found"},
      {"deep_nesting.yaml", 2, 3009,
       "YAML nested too deeply: yaml-cpp refuses collections nested more than a few hundred "
       "levels"},
      {"empty.yaml", 0, 0, "config file is empty; expected a map of sections such as `tensor:`"},
      {"comments_only.yaml", 0, 0,
       "config file is empty; expected a map of sections such as `tensor:`"},
      {"not_a_map.yaml", 1, 1, "expected a map of sections at the top level, got a list"},
      {"missing_base.yaml", 1, 7,
       "base: cannot load '{dir}/no_such_file.yaml': cannot open: No such file or directory"},
      {"base_cycle_a.yaml", 1, 7,
       "base: cycle: {dir}/base_cycle_a.yaml -> {dir}/base_cycle_b.yaml -> "
       "{dir}/base_cycle_a.yaml",
       1, "base_cycle_b.yaml"},
      {"base_cycle_b.yaml", 1, 7,
       "base: cycle: {dir}/base_cycle_b.yaml -> {dir}/base_cycle_a.yaml -> "
       "{dir}/base_cycle_b.yaml",
       1, "base_cycle_a.yaml"},
      // Independent mistakes are all reported, in file order.
      {"several_errors.yaml", 3, 9, "tensor.rows: expected a value in [1, 1024], got 0", 3},
  };
  return kCases;
}

std::string with_dir(std::string text) {
  for (auto pos = text.find("{dir}"); pos != std::string::npos; pos = text.find("{dir}")) {
    text.replace(pos, 5, kBadDir);
  }
  return text;
}

TEST_CASE("each malformed config fails with exactly its diagnostic") {
  for (const auto& c : bad_configs()) {
    SUBCASE(c.file.c_str()) {
      const std::string path = kBadDir + "/" + c.file;
      auto diags = errors_of([&] { load_config(path); });
      CHECK(diags.error_count() == c.count);
      REQUIRE_FALSE(diags.items().empty());
      const Diagnostic& d = diags.items().front();
      CHECK(d.file == kBadDir + "/" + (c.error_file.empty() ? c.file : c.error_file));
      CHECK(d.line == c.line);
      CHECK(d.column == c.column);
      CHECK(d.message == with_dir(c.message));
      // The caret needs the source line whenever there is a line.
      CHECK(d.source_line.empty() == (d.line == 0));
    }
  }
}

TEST_CASE("every file in bad/ has an expectation") {
  std::set<std::string> listed;
  for (const auto& c : bad_configs())
    listed.insert(c.file);
  for (const auto& entry : std::filesystem::directory_iterator(kBadDir)) {
    std::string name = entry.path().filename().string();
    CHECK_MESSAGE(listed.contains(name), name << " is not in bad_configs()");
  }
}

}  // namespace
}  // namespace trnsim::config::test
