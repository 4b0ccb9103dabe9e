#include "sweep/plot.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>

#include <fmt/format.h>

#include "common/diagnostic.h"
#include "report/svg_chart.h"

namespace trnsim::sweep {

namespace {

// Distinguishable on white and for the common colour-vision deficiencies (Okabe-Ito).
constexpr std::array<const char*, 7> kColors = {"#0072b2", "#e69f00", "#009e73", "#cc79a7",
                                                "#d55e00", "#56b4e9", "#f0e442"};
constexpr double kPointRadius = 3.5;
constexpr double kFrontRadius = 6;

double signed_value(double v, Goal g) {
  return g == Goal::kMinimize ? v : -v;
}

struct Plotted {
  double x = 0;
  double y = 0;
  const Row* row = nullptr;
};

std::string params_text(const Row& row) {
  std::vector<std::string> parts;
  for (const auto& [key, value] : row.params.items())
    parts.push_back(
        fmt::format("{}={}", key, value.is_string() ? value.get<std::string>() : value.dump()));
  return fmt::format("{}", fmt::join(parts, " "));
}

std::string number_text(double v) {
  return fmt::format("{:.6g}", v);
}

report::Axis make_axis(const std::string& title, const std::vector<Plotted>& pts, bool x, bool log,
                       const std::string& option) {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -lo;
  for (const Plotted& p : pts) {
    const double v = x ? p.x : p.y;
    if (log && !(v > 0))
      throw InputError(option, 0, 0,
                       fmt::format("a log axis needs values above 0; '{}' has {}", title, v));
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (log) return report::log_axis(title, "", lo, hi == lo ? hi * 10 : hi);
  if (hi == lo) {  // one value: a span around it
    const double pad = lo == 0 ? 1 : std::fabs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  return report::linear_axis(title, "", lo, hi);
}

}  // namespace

std::vector<std::size_t> pareto_front(const std::vector<std::pair<double, double>>& points,
                                      Goal x_goal, Goal y_goal) {
  std::vector<std::size_t> order(points.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  auto key = [&](std::size_t i) {
    return std::make_pair(signed_value(points[i].first, x_goal),
                          signed_value(points[i].second, y_goal));
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return key(a) < key(b); });
  // Best x first: a point is on the front when its y beats every point before it, or
  // equals the last front point exactly.
  std::vector<std::size_t> front;
  double best_y = std::numeric_limits<double>::infinity();
  for (std::size_t i : order) {
    const auto [x, y] = key(i);
    const bool equal_to_last = !front.empty() && key(front.back()) == key(i);
    if (y < best_y || equal_to_last) {
      front.push_back(i);
      best_y = std::min(best_y, y);
    }
  }
  std::stable_sort(front.begin(), front.end(),
                   [&](std::size_t a, std::size_t b) { return points[a].first < points[b].first; });
  return front;
}

std::optional<double> column_number(const Row& row, const std::string& column) {
  const nlohmann::ordered_json* v = nullptr;
  if (row.params.contains(column))
    v = &row.params[column];
  else if (row.metrics.contains(column))
    v = &row.metrics[column];
  if (v == nullptr) return std::nullopt;
  if (v->is_number()) return v->get<double>();
  if (v->is_boolean()) return v->get<bool>() ? 1.0 : 0.0;
  return std::nullopt;
}

Analysis analyse(const std::vector<Row>& rows, const PlotOptions& opts) {
  for (const auto& [option, column] : {std::pair{"--x", opts.x}, std::pair{"--y", opts.y}}) {
    const bool known = std::any_of(rows.begin(), rows.end(), [&](const Row& r) {
      return r.params.contains(column) || r.metrics.contains(column);
    });
    if (!known)
      throw InputError(option, 0, 0,
                       fmt::format("no parameter or metric '{}' in the results", column));
  }
  for (const std::string& w : opts.workloads) {
    if (std::none_of(rows.begin(), rows.end(), [&](const Row& r) { return r.workload == w; }))
      throw InputError("--workload", 0, 0, fmt::format("no workload '{}' in the results", w));
  }
  Analysis out;
  std::vector<std::string> order;  // workloads in the results' order
  std::map<std::string, std::vector<Plotted>> by_workload;
  std::vector<Plotted> all;
  for (const Row& row : rows) {
    if (!opts.workloads.empty() && std::find(opts.workloads.begin(), opts.workloads.end(),
                                             row.workload) == opts.workloads.end())
      continue;
    const auto x = column_number(row, opts.x);
    const auto y = column_number(row, opts.y);
    if (!row.ok || !x || !y) {
      ++out.left_out;
      continue;
    }
    if (!by_workload.contains(row.workload)) order.push_back(row.workload);
    by_workload[row.workload].push_back(Plotted{*x, *y, &row});
    all.push_back(Plotted{*x, *y, &row});
  }
  if (all.empty())
    throw InputError(
        "--y", 0, 0,
        fmt::format("no successful run has numbers for both '{}' and '{}'", opts.x, opts.y));
  out.plotted = all.size();
  const std::string title =
      opts.title.empty() ? fmt::format("{} vs {}", opts.y, opts.x) : opts.title;
  report::SvgChart chart("sweep", title, make_axis(opts.x, all, true, opts.log_x, "--x"),
                         make_axis(opts.y, all, false, opts.log_y, "--y"), 960, 540);
  std::vector<report::LegendEntry> legend;
  out.table =
      fmt::format("| workload | {} | {} | parameters |\n|---|---|---|---|\n", opts.x, opts.y);
  for (std::size_t w = 0; w < order.size(); ++w) {
    const std::string color = kColors[w % kColors.size()];
    const std::vector<Plotted>& pts = by_workload[order[w]];
    std::vector<std::pair<double, double>> xy;
    for (const Plotted& p : pts)
      xy.emplace_back(p.x, p.y);
    const std::vector<std::size_t> front = pareto_front(xy, opts.x_goal, opts.y_goal);
    for (const Plotted& p : pts)
      chart.add_marker(p.x, p.y, color, kPointRadius,
                       fmt::format("{} point {}: {}", order[w], p.row->point, params_text(*p.row)));
    std::vector<std::pair<double, double>> line;
    for (std::size_t i : front) {
      const Plotted& p = pts[i];
      line.emplace_back(p.x, p.y);
      out.table += fmt::format("| {} | {} | {} | {} |\n", order[w], number_text(p.x),
                               number_text(p.y), params_text(*p.row));
    }
    chart.add_line(line, color,
                   fmt::format("{}: Pareto front ({} points)", order[w], front.size()));
    for (std::size_t i : front) {
      const Plotted& p = pts[i];
      chart.add_marker(p.x, p.y, color, kFrontRadius,
                       fmt::format("{} point {} (Pareto front): {}", order[w], p.row->point,
                                   params_text(*p.row)));
    }
    legend.push_back({fmt::format("{} ({} on the front)", order[w], front.size()), color});
  }
  chart.set_legend(std::move(legend));
  out.svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + chart.render();
  return out;
}

}  // namespace trnsim::sweep
