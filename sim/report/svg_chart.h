// A small SVG chart writer for the HTML report: axes with "nice" ticks (1, 2, 5 x 10^k) and
// SI-formatted labels, linear or log-log scales, line and rectangle series, markers and a
// legend. Output is plain inline SVG text; no scripts, fonts or external references.
//
// Deliberately left out: automatic label collision avoidance, text measuring (widths are
// estimated from character counts), and any interactivity beyond <title> tooltips.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trnsim::report {

// Text made safe for XML/HTML element content and attribute values.
std::string escape_xml(std::string_view text);

// `value` with an SI prefix (f .. E) and at most `digits` significant digits, trailing zeros
// dropped: format_si(1.5e-6, "s") == "1.5 µs", format_si(0, "B/s") == "0 B/s".
std::string format_si(double value, std::string_view unit, int digits = 3);

struct Tick {
  double value;
  std::string label;
};

enum class ScaleKind { kLinear, kLog };

// One axis: its domain (already rounded out to whole ticks), ticks and title.
struct Axis {
  std::string title;  // e.g. "time" or "arithmetic intensity (FLOP/B)"
  ScaleKind kind = ScaleKind::kLinear;
  double lo = 0;
  double hi = 1;
  std::vector<Tick> ticks;
  bool grid = true;  // light grid lines at the ticks
};

// Step 1, 2 or 5 x 10^k giving about `target` intervals over a span.
double nice_step(double span, int target);
// [lo, hi] rounded out to a nice step, ticks labelled with format_si(value, unit).
Axis linear_axis(std::string title, std::string_view unit, double lo, double hi, int target = 5);
// 0 .. `hi_fraction` (at least a small span) shown as percent ticks.
Axis percent_axis(std::string title, double hi_fraction, int target = 5);
// [lo, hi] (both > 0) rounded out to whole decades, one labelled tick per decade (every
// second or third decade when there are many).
Axis log_axis(std::string title, std::string_view unit, double lo, double hi);
// Categories top to bottom, each a band of height 1 in a domain [0, n].
Axis category_axis(std::string title, const std::vector<std::string>& names);

struct LegendEntry {
  std::string name;
  std::string color;
};

// A chart is built in data coordinates and rendered once.
class SvgChart {
 public:
  SvgChart(std::string id, std::string title, Axis x, Axis y, double width = 960,
           double height = 360);

  // A polyline through `points` (x, y in data units); dashed for reference lines.
  void add_line(const std::vector<std::pair<double, double>>& points, const std::string& color,
                const std::string& tooltip, bool dashed = false, double stroke_width = 1.8);
  // A step line: value v[i] held over [x0 + i*dx, x0 + (i+1)*dx] (binned data).
  void add_steps(const std::vector<double>& values, double x0, double dx, const std::string& color,
                 const std::string& tooltip);
  // A rectangle spanning [x0, x1] x [y0, y1] in data units.
  void add_rect(double x0, double x1, double y0, double y1, const std::string& color,
                const std::string& tooltip);
  // A filled circle marker with a text label below and to the right of it.
  void add_point(double x, double y, const std::string& color, const std::string& label);
  // A filled circle of `radius` pixels, its tooltip the only text.
  void add_marker(double x, double y, const std::string& color, double radius,
                  const std::string& tooltip);
  // Text offset by (dx, dy) pixels from a data position; drawn to the left of the position
  // instead when it would run past the plot's right edge.
  void add_label(double x, double y, const std::string& text, const std::string& color,
                 double dx = 8, double dy = -8);
  void set_legend(std::vector<LegendEntry> entries) { m_legend = std::move(entries); }

  std::string render() const;

 private:
  double px(double x) const;  // data x -> SVG x
  double py(double y) const;  // data y -> SVG y
  std::string render_axes() const;
  std::string render_legend() const;

  std::string m_id;
  std::string m_title;
  Axis m_x;
  Axis m_y;
  double m_width;
  double m_height;
  double m_left;  // plot area in SVG pixels
  double m_right;
  double m_top;
  double m_bottom;
  std::vector<LegendEntry> m_legend;
  std::string m_body;  // series markup, in drawing order
};

}  // namespace trnsim::report
