// The chart writer's pieces: SI labels, nice ticks, escaping, and the markup of a chart.
#include <doctest/doctest.h>

#include <string>

#include "report/svg_chart.h"
#include "report_fixtures.h"

using namespace trnsim::report;
using namespace trnsim::test;

namespace {

std::vector<std::string> labels(const Axis& a) {
  std::vector<std::string> out;
  for (const Tick& t : a.ticks) {
    if (!t.label.empty()) out.push_back(t.label);
  }
  return out;
}

}  // namespace

TEST_CASE("format_si: prefixes, significant digits, rounding into the next prefix") {
  CHECK(format_si(0, "B/s") == "0 B/s");
  CHECK(format_si(1.5e-6, "s") == "1.5 µs");
  CHECK(format_si(2.9e-6, "s", 4) == "2.9 µs");
  CHECK(format_si(250e-9, "s") == "250 ns");
  CHECK(format_si(1234567, "B") == "1.23 MB");
  CHECK(format_si(9.2564e13, "FLOP/s") == "92.6 TFLOP/s");
  CHECK(format_si(999.96, "B") == "1 kB");  // 3 digits: 1000 B is 1 kB
  CHECK(format_si(-0.002, "s") == "-2 ms");
  CHECK(format_si(1, "") == "1");
  CHECK(format_si(1500, "") == "1.5k");
}

TEST_CASE("nice_step: 1, 2 or 5 times a power of ten") {
  CHECK(nice_step(3e-6, 5) == doctest::Approx(5e-7));
  CHECK(nice_step(1.0, 5) == doctest::Approx(0.2));
  CHECK(nice_step(0.83, 5) == doctest::Approx(0.2));
  CHECK(nice_step(2.5e12, 5) == doctest::Approx(5e11));
  CHECK(nice_step(7, 5) == doctest::Approx(1));  // 1.4 rounds to 1: 7 intervals
  CHECK(nice_step(9, 5) == doctest::Approx(2));  // 1.8 rounds to 2
}

TEST_CASE("linear_axis: the domain is rounded out to whole ticks, labels are SI") {
  const Axis a = linear_axis("time", "s", 0, 2.9e-6);
  CHECK(a.lo == 0);
  CHECK(a.hi == doctest::Approx(3e-6));
  CHECK(labels(a) ==
        std::vector<std::string>{"0 s", "500 ns", "1 µs", "1.5 µs", "2 µs", "2.5 µs", "3 µs"});
  // An exact multiple of the step is not rounded up one more step.
  CHECK(linear_axis("x", "B/s", 0, 2.5e12).hi == doctest::Approx(2.5e12));
  // An empty range still gives an axis.
  CHECK(linear_axis("x", "B/s", 0, 0).hi > 0);
}

TEST_CASE("percent_axis and category_axis") {
  CHECK(labels(percent_axis("busy", 1.0)) ==
        std::vector<std::string>{"0 %", "20 %", "40 %", "60 %", "80 %", "100 %"});
  CHECK(labels(percent_axis("share", 0.09)) ==
        std::vector<std::string>{"0 %", "2 %", "4 %", "6 %", "8 %", "10 %"});
  const Axis c = category_axis("engine", {"pe", "act", "dma"});
  REQUIRE(c.ticks.size() == 3);
  CHECK(c.ticks[0].label == "pe");
  CHECK(c.ticks[0].value == doctest::Approx(2.5));  // the first category at the top
  CHECK(c.ticks[2].value == doctest::Approx(0.5));
}

TEST_CASE("log_axis: whole decades, one label each, minor ticks in between") {
  const Axis a = log_axis("performance", "FLOP/s", 1.8e13, 3.6e14);
  CHECK(a.kind == ScaleKind::kLog);
  CHECK(a.lo == doctest::Approx(1e13));
  CHECK(a.hi == doctest::Approx(1e15));
  CHECK(labels(a) == std::vector<std::string>{"10 TFLOP/s", "100 TFLOP/s", "1 PFLOP/s"});
  CHECK(a.ticks.size() == 3 + 2 * 8);  // 2..9 x 10^13 and x 10^14
  // Many decades: every second one labelled, no minor ticks.
  const Axis wide = log_axis("x", "", 1e-3, 1e12);
  CHECK(labels(wide).size() == 8);
  CHECK(wide.ticks.size() == 8);
  CHECK(labels(log_axis("x", "", 0.5, 200)) ==
        std::vector<std::string>{"0.1", "1", "10", "100", "1000"});
}

TEST_CASE("escape_xml: markup characters in text from a file") {
  CHECK(escape_xml("a<b>&\"c\"'d'") == "a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;");
  CHECK(escape_xml("plain/path.trn") == "plain/path.trn");
}

TEST_CASE("SvgChart: id, title, axes, series and legend, with text from data escaped") {
  SvgChart chart("chart-x", "A <chart>", linear_axis("time", "s", 0, 1e-6),
                 percent_axis("busy", 1.0));
  chart.add_steps({0.0, 0.5, 1.0}, 0, 3e-7, "#0072B2", "pe");
  chart.add_line({{0, 0}, {1e-6, 1}}, "#000", "diagonal");
  chart.add_rect(0, 5e-7, 0.2, 0.4, "#E69F00", "a & b");
  chart.add_point(5e-7, 0.5, "#D55E00", "x<y");
  chart.set_legend({{"pe", "#0072B2"}, {"<dma>", "#D55E00"}});
  const std::string svg = chart.render();
  CHECK(svg.starts_with("<svg id=\"chart-x\""));
  CHECK(count(svg, "<title id=\"chart-x-title\">A &lt;chart&gt;</title>") == 1);
  CHECK(count(svg, "<polyline") == 2);
  // A step line holds each value over its bin: 6 points. The plot area is x 112..932 and
  // y 308..48 (bottom to top); 300 ns of the 1 us axis is 246 px, 50 % is 130 px.
  CHECK(count(svg,
              "<polyline points=\"112.0,308.0 358.0,308.0 358.0,178.0 604.0,178.0 "
              "604.0,48.0 850.0,48.0\"") == 1);
  CHECK(count(svg, "<circle") == 1);
  CHECK(count(svg, "<title>a &amp; b</title>") == 1);
  CHECK(count(svg, "x&lt;y") == 2);  // tooltip and label
  CHECK(count(svg, "&lt;dma&gt;") == 1);
  CHECK(count(svg, "<dma>") == 0);
  CHECK(count(svg, ">1 µs</text>") == 1);
  CHECK(count(svg, ">100 %</text>") == 1);
  CHECK(count(svg, "clip-path=\"url(#chart-x-clip)\"") == 1);
  CHECK(svg.ends_with("</svg>\n"));
}
