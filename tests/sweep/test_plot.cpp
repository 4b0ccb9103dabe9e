// Pareto fronts against a brute-force reference, and the plot of a sweep's results read
// back with a real XML parser.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <pugixml.hpp>

#include "../input_error.h"
#include "common/diagnostic.h"
#include "sweep/plot.h"

using namespace trnsim;
using trnsim::test::first_diagnostic;
using namespace trnsim::sweep;

namespace {

using Points = std::vector<std::pair<double, double>>;

// The definition itself: i is on the front unless some j is at least as good on both axes
// and better on one.
std::vector<std::size_t> brute_front(const Points& pts, Goal gx, Goal gy) {
  auto better = [](double a, double b, Goal g) { return g == Goal::kMinimize ? a < b : a > b; };
  std::vector<std::size_t> front;
  for (std::size_t i = 0; i < pts.size(); ++i) {
    bool dominated = false;
    for (std::size_t j = 0; j < pts.size() && !dominated; ++j) {
      const bool x_ok = !better(pts[i].first, pts[j].first, gx);
      const bool y_ok = !better(pts[i].second, pts[j].second, gy);
      const bool strictly =
          better(pts[j].first, pts[i].first, gx) || better(pts[j].second, pts[i].second, gy);
      dominated = x_ok && y_ok && strictly;
    }
    if (!dominated) front.push_back(i);
  }
  return front;
}

Row row(std::uint64_t point, const std::string& workload, double area, double cycles,
        bool ok = true) {
  Row r;
  r.point = point;
  r.workload = workload;
  r.params["tensor.cols"] = 8 * (point + 1);
  r.params["topology.kind"] = "none";
  r.ok = ok;
  r.metrics["area"] = area;
  r.metrics["cycles"] = cycles;
  r.metrics["config"] = "tiny";
  r.metrics["tensor.throttle"] = true;
  return r;
}

// Workload a: the front is points 0, 1 and 3 (2 has point 1's cycles at more area);
// point 4 failed and point 5 has no cycles. Workload b: points 0 and 1 are the same and
// both on the front; point 2 is beaten by both.
std::vector<Row> results() {
  std::vector<Row> rows = {row(0, "a", 1, 10), row(1, "a", 2, 5),        row(2, "a", 3, 5),
                           row(3, "a", 4, 1),  row(4, "a", 0, 0, false), row(5, "a", 5, 0),
                           row(0, "b", 1, 8),  row(1, "b", 1, 8),        row(2, "b", 2, 9)};
  rows[5].metrics["cycles"] = nullptr;
  return rows;
}

struct Svg {
  pugi::xml_document doc;
  std::size_t count(const char* xpath) const { return doc.select_nodes(xpath).size(); }
};

PlotOptions options(const std::string& x, const std::string& y) {
  PlotOptions o;
  o.x = x;
  o.y = y;
  return o;
}

Diagnostic error_of(const std::vector<Row>& rows, const PlotOptions& opts) {
  return first_diagnostic([&] { analyse(rows, opts); });
}

}  // namespace

TEST_CASE("pareto front: against the definition on random points") {
  // Small integer coordinates, so that ties on one axis and duplicate points are common.
  std::mt19937 rng(20261124);
  std::uniform_int_distribution<int> coord(0, 6);
  std::uniform_int_distribution<int> size(0, 25);
  for (int trial = 0; trial < 300; ++trial) {
    Points pts(static_cast<std::size_t>(size(rng)));
    for (auto& p : pts)
      p = {coord(rng) * 0.5 - 1, coord(rng) * 0.25};
    for (Goal gx : {Goal::kMinimize, Goal::kMaximize}) {
      for (Goal gy : {Goal::kMinimize, Goal::kMaximize}) {
        CAPTURE(trial);
        CAPTURE(static_cast<int>(gx));
        CAPTURE(static_cast<int>(gy));
        const std::vector<std::size_t> front = pareto_front(pts, gx, gy);
        std::vector<std::size_t> sorted = front;
        std::sort(sorted.begin(), sorted.end());
        CHECK(sorted == brute_front(pts, gx, gy));
        for (std::size_t i = 1; i < front.size(); ++i)
          CHECK(pts[front[i - 1]].first <= pts[front[i]].first);  // in increasing x
      }
    }
  }
}

TEST_CASE("pareto front: small cases by hand") {
  CHECK(pareto_front({}, Goal::kMinimize, Goal::kMinimize).empty());
  CHECK(pareto_front({{1, 1}}, Goal::kMinimize, Goal::kMinimize) == std::vector<std::size_t>{0});
  const Points pts = {{3, 1}, {1, 3}, {2, 2}, {2, 2}, {3, 3}};
  CHECK(pareto_front(pts, Goal::kMinimize, Goal::kMinimize) ==
        std::vector<std::size_t>{1, 2, 3, 0});
  CHECK(pareto_front(pts, Goal::kMaximize, Goal::kMaximize) == std::vector<std::size_t>{4});
  CHECK(pareto_front(pts, Goal::kMinimize, Goal::kMaximize) == std::vector<std::size_t>{1});
  CHECK(pareto_front(pts, Goal::kMaximize, Goal::kMinimize) == std::vector<std::size_t>{0});
}

TEST_CASE("plot: a column as a number") {
  const Row r = row(1, "a", 2.5, 100);
  CHECK(column_number(r, "tensor.cols") == 16);
  CHECK(column_number(r, "area") == 2.5);
  CHECK(column_number(r, "tensor.throttle") == 1);
  CHECK(!column_number(r, "topology.kind"));
  CHECK(!column_number(r, "config"));
  CHECK(!column_number(r, "nope"));
  Row both = r;
  both.params["area"] = 7;
  CHECK(column_number(both, "area") == 7);  // parameters first
}

TEST_CASE("plot: every run and each workload's front in the SVG") {
  const PlotOptions opts = options("area", "cycles");
  const Analysis a = analyse(results(), opts);
  CHECK(a.plotted == 7);
  CHECK(a.left_out == 2);  // a failed run and a run without cycles
  Svg svg;
  REQUIRE(svg.doc.load_string(a.svg.c_str()));
  CHECK(svg.count("/svg") == 1);
  // One circle per run plotted and one more per front point: a 3 + b 2.
  CHECK(svg.count("//circle") == 7 + 5);
  CHECK(svg.count("//polyline") == 2);
  CHECK(svg.count("//text[starts-with(., 'a (3 on the front)')]") == 1);
  CHECK(svg.count("//text[starts-with(., 'b (2 on the front)')]") == 1);
  CHECK(svg.count("/svg/title[. = 'cycles vs area']") == 1);
  CHECK(a.table ==
        "| workload | area | cycles | parameters |\n|---|---|---|---|\n"
        "| a | 1 | 10 | tensor.cols=8 topology.kind=none |\n"
        "| a | 2 | 5 | tensor.cols=16 topology.kind=none |\n"
        "| a | 4 | 1 | tensor.cols=32 topology.kind=none |\n"
        "| b | 1 | 8 | tensor.cols=8 topology.kind=none |\n"
        "| b | 1 | 8 | tensor.cols=16 topology.kind=none |\n");

  SUBCASE("one workload, maximising both, log axes, a title") {
    PlotOptions o = options("area", "cycles");
    o.x_goal = Goal::kMaximize;
    o.y_goal = Goal::kMaximize;
    o.log_x = true;
    o.log_y = true;
    o.workloads = {"b"};
    o.title = "B & <more>";
    const Analysis b = analyse(results(), o);
    CHECK(b.plotted == 3);
    CHECK(b.left_out == 0);
    Svg s;
    REQUIRE(s.doc.load_string(b.svg.c_str()));
    CHECK(s.count("//circle") == 3 + 1);  // (2, 9) alone: most area and most cycles
    CHECK(s.count("//text[starts-with(., 'b (1 on the front)')]") == 1);
    CHECK(s.count("//text[starts-with(., 'a (')]") == 0);
    CHECK(s.count("/svg/title[. = 'B & <more>']") == 1);
  }
}

TEST_CASE("plot: errors name the option at fault") {
  struct Bad {
    PlotOptions opts;
    std::string file;
    std::string message;
  };
  std::vector<Row> rows = results();
  rows.push_back(row(6, "b", 0, 3));
  auto log_x = [](PlotOptions o) {
    o.log_x = true;
    return o;
  };
  auto log_y = [](PlotOptions o) {
    o.log_y = true;
    return o;
  };
  PlotOptions unknown_workload = options("area", "cycles");
  unknown_workload.workloads = {"a", "c"};
  const std::vector<Bad> bad = {
      {options("areas", "cycles"), "--x", "no parameter or metric 'areas' in the results"},
      {options("area", "cycle"), "--y", "no parameter or metric 'cycle'"},
      {log_x(options("area", "cycles")), "--x", "a log axis needs values above 0"},
      {log_y(options("cycles", "area")), "--y", "a log axis needs values above 0"},
      {unknown_workload, "--workload", "no workload 'c' in the results"},
      {options("area", "config"), "--y", "no successful run has numbers for both"},
  };
  for (const Bad& b : bad) {
    CAPTURE(b.message);
    const Diagnostic d = error_of(rows, b.opts);
    CHECK(d.file == b.file);
    CHECK_MESSAGE(d.message.find(b.message) != std::string::npos, d.message);
  }
}
