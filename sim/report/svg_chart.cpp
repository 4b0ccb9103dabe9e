#include "report/svg_chart.h"

#include <algorithm>
#include <array>
#include <cmath>

#include <fmt/format.h>

namespace trnsim::report {

namespace {

// Layout in SVG pixels. Tick labels are 12 px; the left margin fits "100 TFLOP/s".
constexpr double kMarginLeft = 112;
constexpr double kMarginRight = 28;
constexpr double kMarginTop = 48;  // two legend rows
constexpr double kMarginBottom = 52;
constexpr double kFontSize = 12;
constexpr double kCharWidth = 6.6;  // estimated advance of a 12 px sans-serif character
constexpr double kTickLength = 5;
constexpr double kMinorTickLength = 3;
constexpr int kMaxLogDecadeLabels = 8;
constexpr const char* kAxisColor = "#444";
constexpr const char* kGridColor = "#e4e4e4";
constexpr const char* kTextColor = "#222";

// SVG coordinates: one decimal is finer than a pixel and keeps the markup short.
std::string coord(double v) {
  return fmt::format("{:.1f}", v);
}

// Drops trailing zeros (and a trailing point) of a fixed-point number.
std::string trim_zeros(std::string s) {
  if (s.find('.') == std::string::npos) return s;
  while (!s.empty() && s.back() == '0')
    s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

std::string tooltip(const std::string& text) {
  return text.empty() ? std::string() : "<title>" + escape_xml(text) + "</title>";
}

}  // namespace

std::string escape_xml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string format_si(double value, std::string_view unit, int digits) {
  const std::string space = unit.empty() ? "" : " ";
  if (!std::isfinite(value)) return fmt::format("{}{}{}", value, space, unit);
  if (value == 0) return fmt::format("0{}{}", space, unit);
  // Prefixes from femto (10^-15) to exa (10^18), one per power of 1000.
  static constexpr std::array<const char*, 12> kPrefixes = {"f", "p", "n", "µ", "m", "",
                                                            "k", "M", "G", "T", "P", "E"};
  constexpr int kLowestExponent = -15;
  constexpr int kHighestExponent = 18;
  int exponent = static_cast<int>(std::floor(std::log10(std::fabs(value)) / 3)) * 3;
  exponent = std::clamp(exponent, kLowestExponent, kHighestExponent);
  double mantissa = value / std::pow(10.0, exponent);
  // Rounding may carry into the next prefix: 999.96 -> 1000 -> 1 k.
  double rounded = std::stod(fmt::format("{:.{}g}", mantissa, digits));
  if (std::fabs(rounded) >= 1000 && exponent < kHighestExponent) {
    exponent += 3;
    mantissa /= 1000;
    rounded = std::stod(fmt::format("{:.{}g}", mantissa, digits));
  }
  const int decimals = std::max(
      0, digits - 1 - static_cast<int>(std::floor(std::log10(std::max(std::fabs(rounded), 1.0)))));
  const std::string number = trim_zeros(fmt::format("{:.{}f}", rounded, decimals));
  const char* prefix = kPrefixes[static_cast<std::size_t>((exponent - kLowestExponent) / 3)];
  return fmt::format("{}{}{}{}", number, space, prefix, unit);
}

double nice_step(double span, int target) {
  if (!(span > 0) || target < 1) return 1;
  const double raw = span / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / magnitude;
  // Round to the nearest of 1, 2, 5, 10 (on a log scale, roughly), so the interval count
  // stays close to the target instead of always falling below it.
  const double step = norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10;
  return step * magnitude;
}

Axis linear_axis(std::string title, std::string_view unit, double lo, double hi, int target) {
  if (!(hi > lo)) hi = lo + (lo == 0 ? 1 : std::fabs(lo));
  const double step = nice_step(hi - lo, target);
  // A tolerance so that a maximum of exactly 3 steps is not rounded up to 4.
  constexpr double kSlack = 1e-9;
  const auto first = static_cast<long long>(std::floor(lo / step + kSlack));
  const auto last = static_cast<long long>(std::ceil(hi / step - kSlack));
  Axis a;
  a.title = std::move(title);
  a.lo = static_cast<double>(first) * step;
  a.hi = static_cast<double>(last) * step;
  for (long long n = first; n <= last; ++n) {
    const double v = static_cast<double>(n) * step;
    a.ticks.push_back({v, format_si(v, unit, 4)});
  }
  return a;
}

Axis percent_axis(std::string title, double hi_fraction, int target) {
  // Below 1 % of span the ticks would be labelled in fractions of a percent: not useful.
  constexpr double kMinSpan = 0.01;
  const double hi = std::max(hi_fraction, kMinSpan);
  const double step = nice_step(hi, target);
  constexpr double kSlack = 1e-9;
  const auto last = static_cast<long long>(std::ceil(hi / step - kSlack));
  Axis a;
  a.title = std::move(title);
  a.lo = 0;
  a.hi = static_cast<double>(last) * step;
  for (long long n = 0; n <= last; ++n) {
    const double v = static_cast<double>(n) * step;
    a.ticks.push_back({v, trim_zeros(fmt::format("{:.3f}", v * 100)) + " %"});
  }
  return a;
}

Axis log_axis(std::string title, std::string_view unit, double lo, double hi) {
  constexpr double kFallback = 1;
  if (!(lo > 0)) lo = kFallback;
  if (!(hi > lo)) hi = lo * 10;
  const int first = static_cast<int>(std::floor(std::log10(lo)));
  int last = static_cast<int>(std::ceil(std::log10(hi)));
  if (last == first) ++last;
  const int every = (last - first + kMaxLogDecadeLabels - 1) / kMaxLogDecadeLabels;
  Axis a;
  a.title = std::move(title);
  a.kind = ScaleKind::kLog;
  a.lo = std::pow(10.0, first);
  a.hi = std::pow(10.0, last);
  for (int d = first; d <= last; ++d) {
    const double v = std::pow(10.0, d);
    if ((d - first) % every == 0) {
      a.ticks.push_back({v, unit.empty() ? fmt::format("{:g}", v) : format_si(v, unit)});
    }
    if (every == 1 && d < last) {
      for (int m = 2; m <= 9; ++m)  // unlabelled minor ticks: 2..9 x 10^d
        a.ticks.push_back({m * v, ""});
    }
  }
  return a;
}

Axis category_axis(std::string title, const std::vector<std::string>& names) {
  Axis a;
  a.title = std::move(title);
  a.lo = 0;
  a.hi = static_cast<double>(std::max<std::size_t>(names.size(), 1));
  a.grid = false;
  for (std::size_t i = 0; i < names.size(); ++i) {
    // The first category at the top: data y grows upwards.
    a.ticks.push_back({a.hi - static_cast<double>(i) - 0.5, names[i]});
  }
  return a;
}

SvgChart::SvgChart(std::string id, std::string title, Axis x, Axis y, double width, double height)
    : m_id(std::move(id)),
      m_title(std::move(title)),
      m_x(std::move(x)),
      m_y(std::move(y)),
      m_width(width),
      m_height(height),
      m_left(kMarginLeft),
      m_right(width - kMarginRight),
      m_top(kMarginTop),
      m_bottom(height - kMarginBottom) {}

namespace {

double axis_fraction(const Axis& a, double v) {
  if (a.kind == ScaleKind::kLog) {
    const double lo = std::log10(a.lo);
    const double hi = std::log10(a.hi);
    return v > 0 ? (std::log10(v) - lo) / (hi - lo) : -1;  // off the axis: clipped
  }
  return (v - a.lo) / (a.hi - a.lo);
}

}  // namespace

double SvgChart::px(double x) const {
  return m_left + axis_fraction(m_x, x) * (m_right - m_left);
}

double SvgChart::py(double y) const {
  return m_bottom - axis_fraction(m_y, y) * (m_bottom - m_top);
}

void SvgChart::add_line(const std::vector<std::pair<double, double>>& points,
                        const std::string& color, const std::string& title, bool dashed,
                        double stroke_width) {
  std::string list;
  for (const auto& [x, y] : points) {
    if (!list.empty()) list += ' ';
    list += coord(px(x)) + "," + coord(py(y));
  }
  m_body += fmt::format(
      "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" "
      "stroke-linejoin=\"round\"{}>{}</polyline>\n",
      list, escape_xml(color), stroke_width, dashed ? " stroke-dasharray=\"6 4\"" : "",
      tooltip(title));
}

void SvgChart::add_steps(const std::vector<double>& values, double x0, double dx,
                         const std::string& color, const std::string& title) {
  std::vector<std::pair<double, double>> points;
  points.reserve(values.size() * 2);
  for (std::size_t i = 0; i < values.size(); ++i) {
    points.emplace_back(x0 + static_cast<double>(i) * dx, values[i]);
    points.emplace_back(x0 + static_cast<double>(i + 1) * dx, values[i]);
  }
  add_line(points, color, title);
}

void SvgChart::add_rect(double x0, double x1, double y0, double y1, const std::string& color,
                        const std::string& title) {
  const double left = std::min(px(x0), px(x1));
  const double top = std::min(py(y0), py(y1));
  m_body +=
      fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\">{}</rect>\n",
                  coord(left), coord(top), coord(std::fabs(px(x1) - px(x0))),
                  coord(std::fabs(py(y1) - py(y0))), escape_xml(color), tooltip(title));
}

void SvgChart::add_point(double x, double y, const std::string& color, const std::string& label) {
  constexpr double kRadius = 5;
  add_marker(x, y, color, kRadius, label);
  // Below and to the right: the one chart with points (the roofline) has them under a line.
  constexpr double kLabelDrop = 18;
  add_label(x, y, label, color, 8, kLabelDrop);
}

void SvgChart::add_marker(double x, double y, const std::string& color, double radius,
                          const std::string& tooltip_text) {
  m_body += fmt::format(
      "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{}\" stroke=\"#fff\" stroke-width=\"1.5\">"
      "{}</circle>\n",
      coord(px(x)), coord(py(y)), radius, escape_xml(color), tooltip(tooltip_text));
}

void SvgChart::add_label(double x, double y, const std::string& text, const std::string& color,
                         double dx, double dy) {
  const double estimated = static_cast<double>(text.size()) * kCharWidth;
  const bool flip = px(x) + dx + estimated > m_right;
  m_body += fmt::format(
      "<text x=\"{}\" y=\"{}\" fill=\"{}\" font-size=\"{}\" text-anchor=\"{}\">{}</text>\n",
      coord(px(x) + (flip ? -dx : dx)), coord(py(y) + dy), escape_xml(color), kFontSize,
      flip ? "end" : "start", escape_xml(text));
}

std::string SvgChart::render_axes() const {
  std::string out;
  // Grid first, so that series and axes draw over it.
  for (const Tick& t : m_x.ticks) {
    if (!m_x.grid || t.label.empty()) continue;
    out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"{3}\"/>\n",
                       coord(px(t.value)), coord(m_top), coord(m_bottom), kGridColor);
  }
  for (const Tick& t : m_y.ticks) {
    if (!m_y.grid || t.label.empty()) continue;
    out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"{3}\"/>\n",
                       coord(m_left), coord(py(t.value)), coord(m_right), kGridColor);
  }
  return out;
}

std::string SvgChart::render_legend() const {
  constexpr double kSwatch = 12;
  constexpr double kGap = 22;
  constexpr double kRowHeight = 18;
  std::string out;
  double x = m_left;
  double y = kRowHeight;
  for (const LegendEntry& e : m_legend) {
    const double width = kSwatch + 6 + static_cast<double>(e.name.size()) * kCharWidth + kGap;
    if (x + width > m_right && x > m_left) {  // wrap; the chart's top margin fits two rows
      x = m_left;
      y += kRowHeight;
    }
    out += fmt::format(
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" rx=\"2\"/>"
        "<text x=\"{}\" y=\"{}\" font-size=\"{}\" fill=\"{}\">{}</text>\n",
        coord(x), coord(y - kSwatch + 2), kSwatch, kSwatch, escape_xml(e.color),
        coord(x + kSwatch + 6), coord(y), kFontSize, kTextColor, escape_xml(e.name));
    x += width;
  }
  return out;
}

std::string SvgChart::render() const {
  const std::string clip = m_id + "-clip";
  std::string out = fmt::format(
      "<svg id=\"{0}\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" "
      "viewBox=\"0 0 {1} {2}\" width=\"{1}\" height=\"{2}\" role=\"img\" "
      "aria-labelledby=\"{0}-title\" font-family=\"sans-serif\">\n"
      "<title id=\"{0}-title\">{3}</title>\n"
      "<defs><clipPath id=\"{4}\"><rect x=\"{5}\" y=\"{6}\" width=\"{7}\" height=\"{8}\"/>"
      "</clipPath></defs>\n"
      "<rect x=\"{5}\" y=\"{6}\" width=\"{7}\" height=\"{8}\" fill=\"#fcfcfc\"/>\n",
      escape_xml(m_id), m_width, m_height, escape_xml(m_title), escape_xml(clip), coord(m_left),
      coord(m_top), coord(m_right - m_left), coord(m_bottom - m_top));
  out += render_axes();
  out += fmt::format("<g clip-path=\"url(#{})\">\n{}</g>\n", escape_xml(clip), m_body);

  // Axis lines, ticks and their labels.
  out += fmt::format(
      "<path d=\"M{0},{1} V{2} H{3}\" fill=\"none\" stroke=\"{4}\" stroke-width=\"1\"/>\n",
      coord(m_left), coord(m_top), coord(m_bottom), coord(m_right), kAxisColor);
  for (const Tick& t : m_x.ticks) {
    const double x = px(t.value);
    const double len = t.label.empty() ? kMinorTickLength : kTickLength;
    out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"{3}\"/>",
                       coord(x), coord(m_bottom), coord(m_bottom + len), kAxisColor);
    if (!t.label.empty()) {
      out += fmt::format(
          "<text x=\"{}\" y=\"{}\" font-size=\"{}\" fill=\"{}\" text-anchor=\"middle\">{}</text>",
          coord(x), coord(m_bottom + kTickLength + kFontSize + 2), kFontSize, kTextColor,
          escape_xml(t.label));
    }
    out += '\n';
  }
  for (const Tick& t : m_y.ticks) {
    const double y = py(t.value);
    const double len = t.label.empty() ? kMinorTickLength : kTickLength;
    out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"{3}\"/>",
                       coord(m_left - len), coord(y), coord(m_left), kAxisColor);
    if (!t.label.empty()) {
      out += fmt::format(
          "<text x=\"{}\" y=\"{}\" font-size=\"{}\" fill=\"{}\" text-anchor=\"end\">{}</text>",
          coord(m_left - kTickLength - 3), coord(y + kFontSize / 3), kFontSize, kTextColor,
          escape_xml(t.label));
    }
    out += '\n';
  }
  // Axis titles: x centred below the tick labels, y rotated along the left edge.
  out += fmt::format(
      "<text x=\"{}\" y=\"{}\" font-size=\"{}\" fill=\"{}\" text-anchor=\"middle\">{}</text>\n",
      coord((m_left + m_right) / 2), coord(m_height - 10), kFontSize + 1, kTextColor,
      escape_xml(m_x.title));
  out += fmt::format(
      "<text transform=\"translate(14,{}) rotate(-90)\" font-size=\"{}\" fill=\"{}\" "
      "text-anchor=\"middle\">{}</text>\n",
      coord((m_top + m_bottom) / 2), kFontSize + 1, kTextColor, escape_xml(m_y.title));
  out += render_legend();
  out += "</svg>\n";
  return out;
}

}  // namespace trnsim::report
