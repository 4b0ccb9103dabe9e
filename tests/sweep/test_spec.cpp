// The sweep spec: what a full one turns into, that each kind of mistake is an error naming
// its line and column, how ranges expand, and the points a grid or a seeded sample gives.
#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "../input_error.h"
#include "common/diagnostic.h"
#include "sweep/spec.h"

using namespace trnsim;
using trnsim::test::first_diagnostic;
using namespace trnsim::sweep;

namespace {

namespace fs = std::filesystem;

// The repository's workloads/ directory: traces named in the tests exist there.
const fs::path kWorkloads = TRNSIM_SOURCE_DIR "/workloads";

Spec parse(const std::string& text) {
  return parse_spec(text, "s.yaml", kWorkloads);
}

// The first diagnostic of the error `text` raises, as the CLI prints it.
Diagnostic error_of(const std::string& text) {
  return first_diagnostic([&] { parse(text); }, text);
}

const std::string kBase = "base: trn2\n";
const std::string kWork = "workloads:\n  - name: w\n    gen: gemm\n";

// A spec with one parameter: `line` is its value text, as in `tensor.rows: LINE`.
std::vector<std::string> values_of(const std::string& line) {
  const Spec s = parse(kBase + "parameters:\n  tensor.rows: " + line + "\n" + kWork);
  REQUIRE(s.parameters.size() == 1);
  std::vector<std::string> out;
  for (const auto& v : s.parameters[0].values) {
    REQUIRE(v.size() == 1);
    out.push_back(v[0]);
  }
  return out;
}

using Strings = std::vector<std::string>;

}  // namespace

TEST_CASE("spec: a full spec with every key") {
  const Spec s = parse(R"(name: array-vs-sbuf
base: ../configs/tiny.yaml
parameters:
  tensor.rows: [64, 128]
  sbuf.bytes_per_partition: {from: 96Ki, to: 192Ki, step: 32Ki}
  array:
    zip:
      tensor.cols: [64, 128]
      psum.partitions: [64, 128]
  tensor.moving_columns_per_cycle: [{bf16: 2}]
sample: 3
seed: 42
skip_invalid: true
workloads:
  - name: g
    gen: gemm --m 256 --n 256 --k 256
  - name: g2
    gen: [gemm, --m, 128]
  - name: t
    trace: gemm-256x512x384-bf16-tiny.trn
metrics: [cycles, engines.pe.busy, bound_factor, area]
timeout: 30
area: {pe_cell: 2, sram_kib: 0.5}
)");
  CHECK(s.file == "s.yaml");
  CHECK(s.dir == kWorkloads);
  CHECK(s.name == "array-vs-sbuf");
  CHECK(fs::path(s.base) == (kWorkloads / "../configs/tiny.yaml").lexically_normal());
  CHECK(fs::path(s.base).is_absolute());
  CHECK(s.base_line == 2);
  REQUIRE(s.parameters.size() == 4);
  const Parameter& rows = s.parameters[0];
  CHECK(rows.name == "tensor.rows");
  CHECK(rows.paths == Strings{"tensor.rows"});
  CHECK(rows.values == std::vector<Strings>{{"64"}, {"128"}});
  CHECK(rows.line == 4);
  CHECK(rows.column == 3);
  CHECK(s.parameters[1].values ==
        std::vector<Strings>{{"98304"}, {"131072"}, {"163840"}, {"196608"}});
  const Parameter& zip = s.parameters[2];
  CHECK(zip.name == "array");
  CHECK(zip.paths == Strings{"tensor.cols", "psum.partitions"});
  CHECK(zip.values == std::vector<Strings>{{"64", "64"}, {"128", "128"}});
  CHECK(zip.line == 6);
  // A structured value keeps its YAML text in flow style, as `--set` reads it back.
  CHECK(s.parameters[3].values == std::vector<Strings>{{"{bf16: 2}"}});
  CHECK(s.sample == 3);
  CHECK(s.seed == 42);
  CHECK(s.skip_invalid);
  REQUIRE(s.workloads.size() == 3);
  CHECK(s.workloads[0].name == "g");
  CHECK(s.workloads[0].gen == Strings{"gemm", "--m", "256", "--n", "256", "--k", "256"});
  CHECK(s.workloads[0].trace.empty());
  CHECK(s.workloads[0].line == 15);
  CHECK(s.workloads[1].gen == Strings{"gemm", "--m", "128"});
  CHECK(s.workloads[2].gen.empty());
  CHECK(s.workloads[2].trace == (kWorkloads / "gemm-256x512x384-bf16-tiny.trn").string());
  CHECK(s.metrics == Strings{"cycles", "engines.pe.busy", "bound_factor", "area"});
  CHECK(s.timeout_seconds == 30);
  CHECK(s.area.pe_cell == 2);
  CHECK(s.area.sram_kib == 0.5);
  CHECK(grid_size(s) == 2 * 4 * 2 * 1);
  CHECK(swept_fields(s) == Strings{"tensor.rows", "sbuf.bytes_per_partition", "tensor.cols",
                                   "psum.partitions", "tensor.moving_columns_per_cycle"});
}

TEST_CASE("spec: the defaults of a minimal spec") {
  const Spec s = parse(kBase + kWork);
  CHECK(s.name == "s");  // the file's stem
  CHECK(s.base == "trn2");
  CHECK(s.parameters.empty());
  CHECK(grid_size(s) == 1);
  CHECK(s.sample == 0);
  CHECK(!s.skip_invalid);
  CHECK(s.metrics == Strings{"cycles", "seconds", "mfu"});
  CHECK(s.timeout_seconds > 0);
  CHECK(s.area.pe_cell == AreaWeights{}.pe_cell);
  const std::vector<Point> points = enumerate(s);
  REQUIRE(points.size() == 1);
  CHECK(points[0].choice.empty());
  CHECK(overrides(s, points[0]).empty());
}

TEST_CASE("spec: errors name the line and column of the mistake") {
  struct Bad {
    std::string text;
    std::uint32_t line;
    std::uint32_t column;
    std::string message;
  };
  const std::string p = kBase + "parameters:\n";  // parameters start on line 3
  // Seven parameters of ten values each: 10^7 points.
  std::string huge = p;
  for (const char* path : {"a.a", "a.b", "a.c", "a.d", "a.e", "a.f", "a.g"})
    huge += std::string("  ") + path + ": {from: 1, to: 10, step: 1}\n";
  const std::vector<Bad> bad = {
      {kBase + "metric: [cycles]\n" + kWork, 2, 1, "unknown key 'metric'; did you mean 'metrics'?"},
      {kWork, 1, 1, "missing 'base'"},
      {kBase, 1, 1, "missing 'workloads'"},
      {p + "  tensor.rows: {from: 128, to: 64, step: 8}\n" + kWork, 3, 16,
       "'from' is greater than 'to'"},
      {p + "  tensor.rows: {from: 1, to: 4, step: 0}\n" + kWork, 3, 39, "expected a step above 0"},
      {p + "  tensor.rows: {from: 1, to: 16, factor: 1}\n" + kWork, 3, 42,
       "expected a factor of at least 2"},
      {p + "  tensor.rows: {from: 1, to: 16, step: 1, factor: 2}\n" + kWork, 3, 16,
       "exactly one of 'step' and 'factor'"},
      {p + "  core.clock_ghz: {from: 2.0, to: 1.0, step: 0.5}\n" + kWork, 3, 19,
       "'from' is greater than 'to'"},
      {p + "  tensor.rows: {from: 1, to: 2}\n" + kWork, 3, 16,
       "exactly one of 'step' and 'factor'"},
      {p + "  tensor.rows: {to: 2, step: 1}\n" + kWork, 3, 16, "a range needs 'from' and 'to'"},
      {p + "  tensor.rows: {from: 1, to: 2, stride: 1}\n" + kWork, 3, 33, "unknown key 'stride'"},
      {p + "  array:\n    zip:\n      tensor.rows: [64, 128]\n      sbuf.partitions: [64]\n" +
           kWork,
       6, 24, "'sbuf.partitions' has 1 values, but 'tensor.rows' has 2"},
      {p + "  tensor.rows: [64, 128]\n  array:\n    zip:\n      tensor.rows: [32, 16]\n" +
           "      sbuf.partitions: [32, 16]\n" + kWork,
       4, 3, "'tensor.rows' is swept twice"},
      {p + "  tensor.rows: [64, 64]\n" + kWork, 3, 16, "'tensor.rows' takes the same value twice"},
      {p + "  tensor.rows: []\n" + kWork, 3, 16, "'tensor.rows' has no values"},
      {p + "  tensor.rows: 64\n" + kWork, 3, 16, "expected a list of values"},
      {p + "  tensor.rows: [64, 128]\nsample: 3\n" + kWork, 4, 9,
       "cannot draw 3 distinct points from a grid of 2"},
      {p + "  tensor.rows: [64, 128]\nsample: 0\n" + kWork, 4, 9, "at least 1 point"},
      {huge + kWork, 3, 3, "the sweep has 10000000 points, more than 100000; draw a subset"},
      {kBase + "workloads:\n  - name: w\n    gen: gemm\n    trace: x.trn\n", 3, 5,
       "workload 'w' needs exactly one of 'gen' and 'trace'"},
      {kBase + "workloads:\n  - name: w\n", 3, 5, "needs exactly one of 'gen' and 'trace'"},
      {kBase + "workloads:\n  - name: w\n    trace: nowhere.trn\n", 4, 12,
       "trace '" + (kWorkloads / "nowhere.trn").string() + "' not found"},
      {kBase + "workloads:\n  - name: w\n    gen: gemm --config trn2\n", 4, 10,
       "workload 'w': '--config' is set by the sweep"},
      {kBase + "workloads:\n  - name: w\n    gen: [gemm, -o, x.trn]\n", 4, 10,
       "workload 'w': '-o' is set by the sweep"},
      {kBase + "workloads:\n  - name: w\n    gen: gemm --output=x.trn\n", 4, 10,
       "'--output' is set by the sweep"},
      {kBase + "workloads:\n  - name: w\n    gen: gemm --set=tensor.rows=4\n", 4, 10,
       "'--set' is set by the sweep"},
      {kBase + "workloads:\n  - name: w\n    gen: ''\n", 4, 10, "expected a generator name"},
      {kBase + "workloads: []\n", 2, 12, "at least one workload"},
      {kBase + kWork + "  - name: w\n    gen: gemm\n", 5, 11, "duplicate workload name 'w'"},
      {kBase + kWork + "metrics: [cycles, engines.pe.bussy]\n", 5, 19,
       "unknown metric 'engines.pe.bussy'; did you mean 'engines.pe.busy'?"},
      {kBase + kWork + "metrics: [cycles, cycles]\n", 5, 19, "metric 'cycles' is listed twice"},
      {kBase + kWork + "metrics: []\n", 5, 10, "at least one metric"},
      {"name: a b\n" + kBase + kWork, 1, 7,
       "sweep name 'a b' must be letters, digits, '.', '_' or '-'"},
      {"name: .hidden\n" + kBase + kWork, 1, 7, "sweep name '.hidden'"},
      {kBase + "workloads:\n  - name: a/b\n    gen: gemm\n", 3, 11, "workload name 'a/b'"},
      {kBase + kWork + "timeout: 0\n", 5, 10, "a timeout in seconds"},
      {kBase + kWork + "area: {pe_cells: 1}\n", 5, 8, "unknown key 'pe_cells'; did you mean "},
      {kBase + kWork + "seed: -1\n", 5, 7, "expected a seed"},
      {"base: configs/none.yaml\n" + kWork, 1, 7, "config file"},
      {"base: [trn2\n", 2, 1, "YAML syntax error"},
      {"- base\n", 1, 1, "expected a map"},
  };
  for (const Bad& b : bad) {
    CAPTURE(b.text);
    const Diagnostic d = error_of(b.text);
    CHECK(d.file == "s.yaml");
    CHECK(d.line == b.line);
    CHECK(d.column == b.column);
    CHECK_MESSAGE(d.message.find(b.message) != std::string::npos, d.message);
  }
}

TEST_CASE("spec: ranges") {
  SUBCASE("integers with size suffixes") {
    CHECK(values_of("{from: 96Ki, to: 192Ki, step: 32Ki}") ==
          Strings{"98304", "131072", "163840", "196608"});
  }
  SUBCASE("`to` is included only when reached") {
    CHECK(values_of("{from: 1, to: 10, step: 4}") == Strings{"1", "5", "9"});
    CHECK(values_of("{from: 7, to: 7, step: 1}") == Strings{"7"});
  }
  SUBCASE("geometric") {
    CHECK(values_of("{from: 1, to: 16, factor: 2}") == Strings{"1", "2", "4", "8", "16"});
    CHECK(values_of("{from: 3, to: 100, factor: 3}") == Strings{"3", "9", "27", "81"});
  }
  SUBCASE("a geometric range near the top of uint64 stops instead of wrapping") {
    CHECK(values_of("{from: 4611686018427387904, to: 18446744073709551615, factor: 2}") ==
          Strings{"4611686018427387904", "9223372036854775808"});
  }
  SUBCASE("reals do not drift") {
    // Each value is from + i * step: accumulating 0.1 ten times would end at 0.9999999999999999
    // and leave 1 out.
    const Strings v = values_of("{from: 0.1, to: 1.0, step: 0.1}");
    CHECK(v == Strings{"0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1"});
  }
  SUBCASE("a real step from an integer, and negative values") {
    CHECK(values_of("{from: 1, to: 2, step: 0.25}") == Strings{"1", "1.25", "1.5", "1.75", "2"});
    CHECK(values_of("{from: -1, to: 1, step: 0.5}") == Strings{"-1", "-0.5", "0", "0.5", "1"});
  }
  SUBCASE("real geometric") {
    CHECK(values_of("{from: 0.5, to: 4, factor: 2}") == Strings{"0.5", "1", "2", "4"});
    CHECK(values_of("{from: 1, to: 2, factor: 1.5}") == Strings{"1", "1.5"});
  }
}

TEST_CASE("spec: the grid in order, the first parameter slowest") {
  const Spec s = parse(kBase +
                       "parameters:\n  tensor.rows: [16, 32]\n  tensor.cols: [4, 8, 16]\n"
                       "  pair:\n    zip: {sbuf.partitions: [1, 2], psum.partitions: [3, 4]}\n" +
                       kWork);
  CHECK(grid_size(s) == 12);
  const std::vector<Point> points = enumerate(s);
  REQUIRE(points.size() == 12);
  for (std::uint64_t i = 0; i < 12; ++i) {
    CAPTURE(i);
    CHECK(points[i].index == i);
    CHECK(points[i].choice == std::vector<std::uint32_t>{static_cast<std::uint32_t>(i / 6),
                                                         static_cast<std::uint32_t>(i / 2 % 3),
                                                         static_cast<std::uint32_t>(i % 2)});
  }
  CHECK(overrides(s, points[9]) ==
        Strings{"tensor.rows=32", "tensor.cols=8", "sbuf.partitions=2", "psum.partitions=4"});
  CHECK(swept_fields(s) ==
        Strings{"tensor.rows", "tensor.cols", "sbuf.partitions", "psum.partitions"});
}

namespace {

// A 10 x 10 grid (or `params` parameters of ten values each) with `sample: N` and a seed.
Spec sampled(std::uint64_t n, std::uint64_t seed, int params = 2) {
  std::string text = kBase + "parameters:\n";
  for (int i = 0; i < params; ++i)
    text += "  p" + std::to_string(i) + ".x: {from: 0, to: 9, step: 1}\n";
  text += "sample: " + std::to_string(n) + "\nseed: " + std::to_string(seed) + "\n" + kWork;
  return parse(text);
}

std::vector<std::uint64_t> indices(const std::vector<Point>& points) {
  std::vector<std::uint64_t> out;
  for (const Point& p : points)
    out.push_back(p.index);
  return out;
}

}  // namespace

TEST_CASE("spec: a seeded sample") {
  using Indices = std::vector<std::uint64_t>;
  // splitmix64 and Floyd's algorithm, computed independently of the code under test: a
  // change of generator (or of how it is drawn from) changes every user's samples.
  CHECK(indices(enumerate(sampled(5, 42))) == Indices{6, 45, 50, 84, 85});
  CHECK(indices(enumerate(sampled(5, 7))) == Indices{33, 56, 74, 86, 87});
  CHECK(indices(enumerate(sampled(5, 42))) == indices(enumerate(sampled(5, 42))));

  SUBCASE("distinct and sorted, with choices that match the index") {
    for (std::uint64_t seed = 0; seed < 20; ++seed) {
      const std::vector<Point> points = enumerate(sampled(30, seed));
      REQUIRE(points.size() == 30);
      for (std::size_t i = 0; i < points.size(); ++i) {
        CHECK(points[i].index < 100);
        if (i > 0) CHECK(points[i - 1].index < points[i].index);
        CHECK(points[i].choice ==
              std::vector<std::uint32_t>{static_cast<std::uint32_t>(points[i].index / 10),
                                         static_cast<std::uint32_t>(points[i].index % 10)});
      }
    }
  }
  SUBCASE("another seed, another sample") {
    CHECK(indices(enumerate(sampled(5, 1))) != indices(enumerate(sampled(5, 2))));
  }
  SUBCASE("the whole grid when the sample is all of it") {
    CHECK(enumerate(sampled(100, 3)).size() == 100);
  }
  SUBCASE("a grid of 10^10 points is drawn from, not enumerated") {
    const Spec s = sampled(5, 2026, 10);
    CHECK(grid_size(s) == 10'000'000'000ULL);
    const std::vector<Point> points = enumerate(s);
    CHECK(indices(points) == Indices{216803054, 768748975, 2331211196, 4585831241, 7944554709});
    // Ten parameters of ten values: the choices are the index's decimal digits.
    for (const Point& p : points) {
      std::uint64_t rest = p.index;
      for (std::size_t i = 10; i-- > 0; rest /= 10)
        CHECK(p.choice[i] == rest % 10);
    }
  }
}
