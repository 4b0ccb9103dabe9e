#include "report/html_report.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>

#include <fmt/format.h>

#include "report/svg_chart.h"

namespace trnsim::report {

namespace {

constexpr double kChartWidth = 960;
constexpr double kTimeChartHeight = 340;
// The utilisation chart: margins and axis, plus one lane per engine kind.
constexpr double kLaneChartBase = 110;
constexpr double kLaneHeight = 48;
constexpr double kRooflineHeight = 420;
constexpr double kStallRowHeight = 40;    // per engine kind
constexpr double kStallChartFrame = 112;  // legend, axis and margins around the rows
constexpr double kBarFill = 0.64;         // share of a row a stall bar fills
// A roofline spans a decade beyond its ridge and the run's point on either side.
constexpr double kRooflineMargin = 10;

// Colour-blind-safe colours (Okabe and Ito) for the engine kinds, fixed so that every
// chart and every report shows an engine in the same colour.
std::string engine_color(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, const char*>, 6> kColors = {{
      {"pe", "#0072B2"},
      {"act", "#E69F00"},
      {"dve", "#009E73"},
      {"pool", "#CC79A7"},
      {"sync", "#6F6F6F"},
      {"dma", "#D55E00"},
  }};
  for (const auto& [engine, color] : kColors) {
    if (engine == name) return color;
  }
  return "#56B4E9";  // an engine kind newer than this report
}

std::string reason_color(std::string_view name, std::size_t index) {
  static constexpr std::array<std::pair<std::string_view, const char*>, 6> kColors = {{
      {"semaphore_wait", "#4E79A7"},
      {"engine_busy", "#BAB0AC"},
      {"sbuf_port_conflict", "#F28E2B"},
      {"psum_port_conflict", "#E15759"},
      {"psum_bank_busy", "#76B7B2"},
      {"dma_queue_full", "#59A14F"},
  }};
  for (const auto& [reason, color] : kColors) {
    if (reason == name) return color;
  }
  static constexpr std::array<const char*, 4> kSpare = {"#EDC948", "#B07AA1", "#FF9DA7", "#9C755F"};
  return kSpare[index % kSpare.size()];
}

// engine_busy is the engine's own initiation interval, not idle time (docs/stats.md);
// like the terminal report, the breakdown leaves it out.
bool shown_stall(std::string_view reason) {
  return reason != "engine_busy";
}

std::string percent(double fraction) {
  return fmt::format("{:.1f} %", fraction * 100);
}

std::string html(std::string_view text) {
  return escape_xml(text);
}

constexpr std::string_view kStyle = R"(
body { margin: 0; background: #f4f5f7; color: #1d2330;
       font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
main { max-width: 1000px; margin: 0 auto; padding: 24px 20px 40px; }
header h1 { font-size: 24px; margin: 0 0 4px; }
header p { margin: 0; color: #5a6272; }
section { background: #fff; border: 1px solid #dde1e7; border-radius: 8px;
          padding: 16px 20px; margin-top: 18px; }
h2 { font-size: 17px; margin: 0 0 6px; }
p.caption { margin: 0 0 10px; color: #5a6272; font-size: 13px; }
p.note { margin: 8px 0 0; padding: 8px 12px; background: #fff8e1; border-left: 4px solid #f0b400;
         border-radius: 4px; }
p.alert { margin: 12px 0 0; padding: 8px 12px; background: #fdecea; border-left: 4px solid #c62828;
          border-radius: 4px; font-weight: 600; }
svg.chart { display: block; max-width: 100%; height: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid #eceff3; vertical-align: top; }
table.summary th { width: 190px; color: #5a6272; font-weight: 500; }
table.waits th { background: #f7f8fa; font-weight: 600; }
td.nowrap { white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
footer { margin-top: 18px; color: #7a8191; font-size: 12px; }
)";

std::string row(std::string_view name, const std::string& value_html) {
  return fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", html(name), value_html);
}

std::string needs_v2(const StatsFile& s, std::string_view what) {
  return fmt::format(
      "<p class=\"note\">{} needs a stats file of schema version {} or later; <code>{}</code> "
      "has schema version {}.</p>\n",
      html(what), kNewestStatsSchema, html(s.path), s.schema_version);
}

std::string summary_section(const StatsFile& s) {
  std::string t;
  t += row("Trace", fmt::format("<code>{}</code>", html(s.trace.empty() ? "-" : s.trace)));
  t += row("Config",
           fmt::format("{} ({} core{})", html(s.config), s.cores, s.cores == 1 ? "" : "s"));
  t += row("Result", s.completed ? "completed"
                                 : "<strong>deadlock</strong>: some streams never "
                                   "finished");
  t += row("Simulated time", fmt::format("{} ({} cycles at {} GHz)", format_si(s.seconds, "s", 4),
                                         s.cycles, s.core_clock_ghz));
  t += row("Instructions", fmt::format("{}", s.instructions));
  t += row("Compute", fmt::format("{}; {} achieved of {} peak", format_si(s.flops, "FLOP"),
                                  format_si(s.achieved_flops_per_s, "FLOP/s"),
                                  format_si(s.peak_flops_per_s, "FLOP/s")));
  t += row("MFU", fmt::format("<strong>{}</strong>", percent(s.mfu)));
  t += row("DMA",
           fmt::format("{} in {} transfers, {}; DMA engines {} busy", format_si(s.dma.bytes, "B"),
                       s.dma.transfers, format_si(s.dma.bytes_per_s, "B/s"),
                       percent(s.dma.engine_utilisation)));
  t += row(
      "DMA waits",
      fmt::format("HBM queueing {}, engines busy with other transfers {}, network {} "
                  "(summed over engines)",
                  format_si(s.dma.hbm_wait_seconds, "s"), format_si(s.dma.engine_wait_seconds, "s"),
                  format_si(s.dma.link_wait_seconds, "s")));
  t += row("HBM", fmt::format("{} read, {} written; {} of bandwidth used",
                              format_si(s.hbm.bytes_read, "B"), format_si(s.hbm.bytes_written, "B"),
                              percent(s.hbm.utilisation)));
  if (s.links.ports > 0) {
    t += row("Links", fmt::format("{} in {} packets over {} ports (counted per hop), {} busy; "
                                  "busiest <code>{}</code> at {}",
                                  format_si(s.links.bytes, "B"), s.links.packets, s.links.ports,
                                  percent(s.links.utilisation), html(s.links.busiest),
                                  percent(s.links.busiest_utilisation)));
  } else {
    t += row("Links", "none (one chip)");
  }
  if (s.roofline) {
    const Roofline& r = *s.roofline;
    t += row("Roofline",
             fmt::format("{}-bound at {:.3g} FLOP/B (ridge {:.3g} FLOP/B); {} of "
                         "its bound of {}",
                         html(r.bound), r.arithmetic_intensity, r.ridge_intensity,
                         percent(r.fraction_of_bound), format_si(r.bound_flops_per_s, "FLOP/s")));
  }
  std::string out = "<section id=\"summary\">\n<h2>Summary</h2>\n";
  out += "<table class=\"summary\">\n" + t + "</table>\n";
  if (!s.completed) {
    out +=
        "<p class=\"alert\">The run did not complete: some streams never finished "
        "(deadlock). Figures cover the time until the last event.</p>\n";
  }
  return out + "</section>\n";
}

// The time axis of the binned charts: the bins cover the run, maybe a little beyond.
Axis time_axis(const Timeseries& t) {
  return linear_axis("simulated time", "s", 0,
                     t.bin_seconds * static_cast<double>(std::max<std::size_t>(t.bins, 1)));
}

std::string utilisation_section(const StatsFile& s) {
  std::string out = "<section id=\"utilisation\">\n<h2>Engine utilisation over time</h2>\n";
  if (!s.timeseries) return out + needs_v2(s, "Engine utilisation over time") + "</section>\n";
  const Timeseries& t = *s.timeseries;
  out += fmt::format(
      "<p class=\"caption\">One lane per engine kind: the filled height of each bin of {} is "
      "the share of the time that kind was busy, averaged over its streams (DMA: the DMA "
      "engines' transfer time). Where lanes are filled at the same time, the engines "
      "overlapped.</p>\n",
      format_si(t.bin_seconds, "s"));
  std::vector<std::string> names;
  for (const auto& [engine, values] : t.busy)
    names.push_back(engine);
  const double height =
      std::max(kTimeChartHeight, kLaneChartBase + kLaneHeight * static_cast<double>(names.size()));
  SvgChart chart(kUtilisationChartId, "Engine utilisation over time, one lane per engine kind",
                 time_axis(t), category_axis("engine", names), kChartWidth, height);
  // Lane k spans [n-k-1, n-k] in data y; a bin fills it from the bottom up to its share
  // (a little short of the top, so that lanes stay apart). Runs of equal bins are one rect.
  constexpr double kLaneFill = 0.85;
  for (std::size_t k = 0; k < names.size(); ++k) {
    const std::vector<double>& values = t.busy[k].second;
    const double bottom = static_cast<double>(names.size() - k - 1);
    const std::string color = engine_color(names[k]);
    chart.add_rect(0, t.bin_seconds * static_cast<double>(values.size()), bottom,
                   bottom + kLaneFill, "#eef0f3", names[k] + " lane");
    for (std::size_t i = 0; i < values.size();) {
      std::size_t j = i + 1;
      while (j < values.size() && values[j] == values[i])
        ++j;
      if (values[i] > 0) {
        chart.add_rect(t.bin_seconds * static_cast<double>(i),
                       t.bin_seconds * static_cast<double>(j), bottom,
                       bottom + kLaneFill * std::min(1.0, values[i]), color,
                       fmt::format("{} {} busy from {} to {}", names[k], percent(values[i]),
                                   format_si(t.bin_seconds * static_cast<double>(i), "s"),
                                   format_si(t.bin_seconds * static_cast<double>(j), "s")));
      }
      i = j;
    }
  }
  return out + chart.render() + "</section>\n";
}

std::string stalls_section(const StatsFile& s) {
  std::string out = "<section id=\"stalls\">\n<h2>Stall breakdown</h2>\n";
  out +=
      "<p class=\"caption\">Time instructions waited before they could start, by reason, as a "
      "share of the elapsed time per stream of the engine kind. <code>engine_busy</code> (the "
      "engine's own initiation interval) is not idle time and is left out.</p>\n";
  if (s.engines.empty()) return out + "<p>No engine ran.</p>\n</section>\n";
  // Reasons in the order the file gives them; the legend names only those that some engine
  // waited for.
  std::vector<std::string> reasons;
  for (const EngineSummary& e : s.engines) {
    for (const auto& [reason, seconds] : e.stall_seconds) {
      if (shown_stall(reason) &&
          std::find(reasons.begin(), reasons.end(), reason) == reasons.end()) {
        reasons.push_back(reason);
      }
    }
  }
  std::erase_if(reasons, [&](const std::string& reason) {
    return std::none_of(s.engines.begin(), s.engines.end(), [&](const EngineSummary& e) {
      return std::any_of(e.stall_seconds.begin(), e.stall_seconds.end(), [&](const auto& stall) {
        return stall.first == reason && stall.second > 0;
      });
    });
  });
  auto share = [&](const EngineSummary& e, double seconds) {
    const double denominator =
        s.seconds * static_cast<double>(std::max<std::uint64_t>(e.streams, 1));
    return denominator > 0 ? seconds / denominator : 0.0;
  };
  double widest = 0;
  std::vector<std::string> names;
  for (const EngineSummary& e : s.engines) {
    double total = 0;
    for (const auto& [reason, seconds] : e.stall_seconds) {
      if (shown_stall(reason)) total += share(e, seconds);
    }
    widest = std::max(widest, total);
    names.push_back(e.name);
  }
  const double height = kStallChartFrame + kStallRowHeight * static_cast<double>(names.size());
  SvgChart chart(kStallsChartId, "Stall breakdown per engine kind, share of elapsed time",
                 percent_axis("share of elapsed time", widest), category_axis("engine", names),
                 kChartWidth, height);
  const auto rows = static_cast<double>(names.size());
  for (std::size_t i = 0; i < s.engines.size(); ++i) {
    const EngineSummary& e = s.engines[i];
    const double centre = rows - static_cast<double>(i) - 0.5;
    double x = 0;
    for (const auto& [reason, seconds] : e.stall_seconds) {
      if (!shown_stall(reason) || seconds <= 0) continue;
      const double w = share(e, seconds);
      const auto index = static_cast<std::size_t>(
          std::find(reasons.begin(), reasons.end(), reason) - reasons.begin());
      chart.add_rect(
          x, x + w, centre - kBarFill / 2, centre + kBarFill / 2, reason_color(reason, index),
          fmt::format(
              "{} {}: {} ({} per stream)", e.name, reason, percent(w),
              format_si(seconds / static_cast<double>(std::max<std::uint64_t>(e.streams, 1)),
                        "s")));
      x += w;
    }
    constexpr double kLabelRaise = 4;  // baseline a little below the bar's centre line
    chart.add_label(x, centre, percent(x), "#333", 8, kLabelRaise);
  }
  std::vector<LegendEntry> legend;
  for (std::size_t k = 0; k < reasons.size(); ++k) {
    legend.push_back({reasons[k], reason_color(reasons[k], k)});
  }
  chart.set_legend(std::move(legend));
  return out + chart.render() + "</section>\n";
}

std::string roofline_section(const StatsFile& s) {
  std::string out = "<section id=\"roofline\">\n<h2>Roofline</h2>\n";
  if (!s.roofline) return out + needs_v2(s, "The roofline") + "</section>\n";
  const Roofline& r = *s.roofline;
  out += fmt::format(
      "<p class=\"caption\">Attainable performance min(peak, intensity &times; HBM bandwidth) "
      "with peak {} and HBM bandwidth {}; the run did {} over {} of HBM traffic: "
      "<strong>{}-bound</strong>, {} of its bound.</p>\n",
      format_si(r.peak_flops_per_s, "FLOP/s"), format_si(r.peak_hbm_bytes_per_s, "B/s"),
      format_si(r.flops, "FLOP"), format_si(r.hbm_bytes, "B"), html(r.bound),
      percent(r.fraction_of_bound));
  if (!(r.peak_flops_per_s > 0) || !(r.peak_hbm_bytes_per_s > 0)) {
    return out +
           "<p class=\"note\">No roof to draw: the peak compute or HBM bandwidth is 0.</p>\n"
           "</section>\n";
  }
  const double ridge = r.peak_flops_per_s / r.peak_hbm_bytes_per_s;
  const bool has_point = r.arithmetic_intensity > 0 && r.achieved_flops_per_s > 0;
  const double x_lo =
      (has_point ? std::min(r.arithmetic_intensity, ridge) : ridge) / kRooflineMargin;
  const double x_hi =
      (has_point ? std::max(r.arithmetic_intensity, ridge) : ridge) * kRooflineMargin;
  const Axis x = log_axis("arithmetic intensity (FLOP/B)", "", x_lo, x_hi);
  // Down to where the roof enters at the left edge, so its slope is seen from the start.
  const double y_lo = std::min(x.lo * r.peak_hbm_bytes_per_s,
                               has_point ? r.achieved_flops_per_s : r.peak_flops_per_s);
  const Axis y = log_axis("performance (FLOP/s)", "FLOP/s", y_lo, r.peak_flops_per_s * 2);
  SvgChart chart(kRooflineChartId, "Roofline: performance against arithmetic intensity", x, y,
                 kChartWidth, kRooflineHeight);
  constexpr const char* kRoofColor = "#1d2330";
  constexpr const char* kRidgeColor = "#8a8f99";
  constexpr const char* kRunColor = "#D55E00";
  chart.add_line({{ridge, y.lo}, {ridge, r.peak_flops_per_s}}, kRidgeColor,
                 fmt::format("ridge: {:.3g} FLOP/B", ridge), true, 1.2);
  chart.add_line({{x.lo, x.lo * r.peak_hbm_bytes_per_s},
                  {ridge, r.peak_flops_per_s},
                  {x.hi, r.peak_flops_per_s}},
                 kRoofColor, "roof: min(peak, intensity x HBM bandwidth)", false, 2.5);
  // The ridge is named at its foot and the peak at the roof's right end, away from the
  // run's point, which is usually near the bend.
  chart.add_label(ridge, y.lo, fmt::format("ridge {:.3g} FLOP/B", ridge), kRidgeColor);
  chart.add_label(x.hi, r.peak_flops_per_s,
                  fmt::format("peak {}", format_si(r.peak_flops_per_s, "FLOP/s")), kRoofColor);
  if (has_point) {
    chart.add_point(
        r.arithmetic_intensity, r.achieved_flops_per_s, kRunColor,
        fmt::format("this run: {} at {:.3g} FLOP/B", format_si(r.achieved_flops_per_s, "FLOP/s"),
                    r.arithmetic_intensity));
  }
  chart.set_legend({{"roof", kRoofColor}, {"ridge", kRidgeColor}, {"this run", kRunColor}});
  out += chart.render();
  if (!has_point) {
    out +=
        "<p class=\"note\">The run's point is not drawn: with no FLOPs or no HBM bytes it "
        "has no place on log axes.</p>\n";
  }
  return out + "</section>\n";
}

std::string bandwidth_section(const StatsFile& s) {
  std::string out = "<section id=\"bandwidth\">\n<h2>Bandwidth over time</h2>\n";
  if (!s.timeseries) return out + needs_v2(s, "Bandwidth over time") + "</section>\n";
  const Timeseries& t = *s.timeseries;
  out += fmt::format(
      "<p class=\"caption\">HBM bytes read and written by DMA, and bytes serialized on all "
      "link ports (zero on one chip), per second in bins of {}.</p>\n",
      format_si(t.bin_seconds, "s"));
  double top = 0;
  for (const double v : t.hbm_bytes_per_s)
    top = std::max(top, v);
  for (const double v : t.link_bytes_per_s)
    top = std::max(top, v);
  SvgChart chart(kBandwidthChartId, "HBM and link bandwidth over time", time_axis(t),
                 linear_axis("bandwidth", "B/s", 0, top), kChartWidth, kTimeChartHeight);
  constexpr const char* kHbmColor = "#0072B2";
  constexpr const char* kLinkColor = "#CC79A7";
  chart.add_steps(t.hbm_bytes_per_s, 0, t.bin_seconds, kHbmColor, "HBM");
  chart.add_steps(t.link_bytes_per_s, 0, t.bin_seconds, kLinkColor, "links");
  chart.set_legend({{"HBM", kHbmColor}, {"links", kLinkColor}});
  return out + chart.render() + "</section>\n";
}

std::string waits_section(const StatsFile& s) {
  std::string out = "<section id=\"top-waits\">\n<h2>Longest waits before issue</h2>\n";
  if (!s.top_waits) return out + needs_v2(s, "The table of longest waits") + "</section>\n";
  if (s.top_waits->empty()) return out + "<p>No instruction waited before issue.</p>\n</section>\n";
  out +=
      "<p class=\"caption\">The instructions that waited longest before they could start "
      "(all stall reasons except <code>engine_busy</code>).</p>\n";
  out +=
      "<table class=\"waits\">\n<tr><th>instruction</th><th>source</th><th>stream</th>"
      "<th>opcode</th><th>wait</th><th>mostly</th><th>all reasons</th></tr>\n";
  for (const TopWait& w : *s.top_waits) {
    const std::string source =
        w.file.empty() ? std::string("generated") : fmt::format("{}:{}", w.file, w.line);
    const std::string stream = w.engine == "dma"
                                   ? fmt::format("chip{}.core{} dma.q{}", w.chip, w.core, w.queue)
                                   : fmt::format("chip{}.core{} {}", w.chip, w.core, w.engine);
    std::string reasons;
    for (const auto& [reason, seconds] : w.stall_seconds) {
      if (seconds <= 0) continue;
      reasons +=
          fmt::format("{}{} {}", reasons.empty() ? "" : ", ", reason, format_si(seconds, "s"));
    }
    out += fmt::format(
        "<tr><td class=\"num\">{}</td><td><code>{}</code></td><td "
        "class=\"nowrap\">{}</td><td><code>{}</code>"
        "</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>\n",
        w.instruction, html(source), html(stream), html(w.opcode), format_si(w.wait_seconds, "s"),
        html(w.reason), html(reasons));
  }
  return out + "</table>\n</section>\n";
}

}  // namespace

std::string render_html_report(const StatsFile& s) {
  const std::string name = s.trace.empty() ? s.path : s.trace;
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += fmt::format("<title>trnsim report: {}</title>\n", html(name));
  out += fmt::format("<style>{}</style>\n</head>\n<body>\n<main>\n", kStyle);
  out += fmt::format(
      "<header>\n<h1>trnsim run report</h1>\n<p><code>{}</code> on {} &middot; {} &middot; "
      "from <code>{}</code> (stats schema version {})</p>\n",
      html(s.trace.empty() ? "-" : s.trace), html(s.config), format_si(s.seconds, "s", 4),
      html(s.path), s.schema_version);
  if (s.schema_version < kNewestStatsSchema) {
    out += fmt::format(
        "<p class=\"note\">This stats file has schema version {}: engine utilisation over time, "
        "the roofline, bandwidth over time and the longest waits need schema version {} or "
        "later. Write a new one with <code>trnsim run --stats-json</code>.</p>\n",
        s.schema_version, kNewestStatsSchema);
  }
  out += "</header>\n";
  out += summary_section(s);
  out += utilisation_section(s);
  out += stalls_section(s);
  out += roofline_section(s);
  out += bandwidth_section(s);
  out += waits_section(s);
  out +=
      "<footer>Written by <code>trnsim report</code>. Definitions of every figure: "
      "docs/stats.md; this page: docs/report.md.</footer>\n";
  out += "</main>\n</body>\n</html>\n";
  return out;
}

}  // namespace trnsim::report
