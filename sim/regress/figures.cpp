#include "regress/figures.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace trnsim::regress {

using nlohmann::json;

namespace {

// Digits kept of a fraction: beyond them a change is noise, not a regression.
constexpr int kSignificantDigits = 6;
// The timing model's own rounding (seconds from integer picoseconds, cycles rounded) may
// put a run a hair below a bound it meets exactly.
constexpr double kBoundSlack = 1e-9;

double round_fraction(double v) {
  return std::stod(fmt::format("{:.{}g}", v, kSignificantDigits));
}

const json& at(const json& doc, const std::string& key, const std::string& where) {
  if (!doc.is_object() || !doc.contains(key))
    throw std::runtime_error(fmt::format("{} has no '{}'", where, key));
  return doc.at(key);
}

long long integer(const json& doc, const std::string& key, const std::string& where) {
  const json& v = at(doc, key, where);
  if (!v.is_number()) throw std::runtime_error(fmt::format("{}: '{}' is not a number", where, key));
  return std::llround(v.get<double>());
}

double real(const json& doc, const std::string& key, const std::string& where) {
  const json& v = at(doc, key, where);
  if (!v.is_number()) throw std::runtime_error(fmt::format("{}: '{}' is not a number", where, key));
  return v.get<double>();
}

// |measured - golden| within `tolerance` of |golden|; exact when the tolerance is 0.
bool within(double golden, double measured, double tolerance) {
  if (tolerance == 0) return golden == measured;
  return std::fabs(measured - golden) <= tolerance * std::fabs(golden);
}

}  // namespace

Figures figures_from_stats(const json& stats) {
  const std::string where = "stats";
  Figures f;
  f.config = at(stats, "config", where).get<std::string>();
  f.cycles = integer(stats, "cycles", where);
  for (const auto& [engine, e] : at(stats, "engines", where).items())
    f.busy[engine] = round_fraction(real(e, "busy", "stats engines." + engine));
  f.dma_bytes = integer(at(stats, "dma", where), "bytes", "stats dma");
  const json& hbm = at(stats, "hbm", where);
  f.hbm_bytes_read = integer(hbm, "bytes_read", "stats hbm");
  f.hbm_bytes_written = integer(hbm, "bytes_written", "stats hbm");
  f.link_bytes = integer(at(stats, "links", where), "bytes", "stats links");
  f.mfu = round_fraction(real(stats, "mfu", where));
  return f;
}

std::string golden_text(const std::string& case_name, const Figures& f) {
  // ordered_json keeps the keys as written: a golden diff reads top to bottom.
  nlohmann::ordered_json doc;
  doc["case"] = case_name;
  doc["config"] = f.config;
  doc["cycles"] = f.cycles;
  nlohmann::ordered_json busy = nlohmann::ordered_json::object();
  for (const auto& [engine, b] : f.busy)
    busy[engine] = b;
  doc["busy"] = busy;
  doc["dma_bytes"] = f.dma_bytes;
  doc["hbm_bytes_read"] = f.hbm_bytes_read;
  doc["hbm_bytes_written"] = f.hbm_bytes_written;
  doc["link_bytes"] = f.link_bytes;
  doc["mfu"] = f.mfu;
  return doc.dump(2) + "\n";
}

Figures figures_from_golden(const json& golden) {
  const std::string where = "golden";
  Figures f;
  f.config = at(golden, "config", where).get<std::string>();
  f.cycles = integer(golden, "cycles", where);
  for (const auto& [engine, b] : at(golden, "busy", where).items()) {
    if (!b.is_number()) throw std::runtime_error("golden: busy." + engine + " is not a number");
    f.busy[engine] = b.get<double>();
  }
  f.dma_bytes = integer(golden, "dma_bytes", where);
  f.hbm_bytes_read = integer(golden, "hbm_bytes_read", where);
  f.hbm_bytes_written = integer(golden, "hbm_bytes_written", where);
  f.link_bytes = integer(golden, "link_bytes", where);
  f.mfu = real(golden, "mfu", where);
  return f;
}

std::string Deviation::describe() const {
  std::string delta;
  if (golden != 0) {
    delta = fmt::format("{:+.2f} %", 100.0 * (measured - golden) / std::fabs(golden));
  } else {
    delta = "was 0";
  }
  const std::string allowed =
      tolerance == 0 ? std::string("exact") : fmt::format("tolerance {:.2f} %", 100.0 * tolerance);
  return fmt::format("{} {} -> {} ({}, {})", metric, golden, measured, delta, allowed);
}

std::vector<Deviation> compare(const Figures& golden, const Figures& measured, const Tolerance& t) {
  std::vector<Deviation> out;
  auto check = [&](const std::string& metric, double g, double m, double tol) {
    if (!within(g, m, tol)) out.push_back({metric, g, m, tol});
  };
  check("cycles", static_cast<double>(golden.cycles), static_cast<double>(measured.cycles),
        t.cycles);
  // An engine kind that ran on one side only is a change of the program, whatever the
  // tolerance: its busy share goes from or to 0.
  std::map<std::string, std::pair<double, double>> busy;
  for (const auto& [engine, b] : golden.busy)
    busy[engine].first = b;
  for (const auto& [engine, b] : measured.busy)
    busy[engine].second = b;
  for (const auto& [engine, gm] : busy)
    check("busy." + engine, gm.first, gm.second, t.busy);
  check("dma.bytes", static_cast<double>(golden.dma_bytes), static_cast<double>(measured.dma_bytes),
        t.bytes);
  check("hbm.bytes_read", static_cast<double>(golden.hbm_bytes_read),
        static_cast<double>(measured.hbm_bytes_read), t.bytes);
  check("hbm.bytes_written", static_cast<double>(golden.hbm_bytes_written),
        static_cast<double>(measured.hbm_bytes_written), t.bytes);
  check("links.bytes", static_cast<double>(golden.link_bytes),
        static_cast<double>(measured.link_bytes), t.bytes);
  check("mfu", golden.mfu, measured.mfu, t.mfu);
  return out;
}

double roofline_bound_seconds(const json& stats) {
  const json& r = at(stats, "roofline", "stats");
  const double flops = real(r, "flops", "stats roofline");
  const double peak_flops = real(r, "peak_flops_per_s", "stats roofline");
  const double bytes = real(r, "hbm_bytes", "stats roofline");
  const double peak_bytes = real(r, "peak_hbm_bytes_per_s", "stats roofline");
  const double compute = peak_flops > 0 ? flops / peak_flops : 0;
  const double memory = peak_bytes > 0 ? bytes / peak_bytes : 0;
  // The DMA engines' and the links' roofs: written by the stats since the peak_bytes_per_s
  // keys were added, so an older file is judged by the two classic roofs alone.
  auto roof = [&](const char* section) {
    const std::string where = std::string("stats ") + section;
    const json& d = at(stats, section, "stats");
    if (!d.contains("peak_bytes_per_s")) return 0.0;
    const double peak = real(d, "peak_bytes_per_s", where);
    return peak > 0 ? real(d, "bytes", where) / peak : 0.0;
  };
  return std::max({compute, memory, roof("dma"), roof("links")});
}

std::optional<std::string> check_bounds(const json& stats, std::optional<double> max_factor) {
  const double seconds = real(stats, "seconds", "stats");
  const double bound = roofline_bound_seconds(stats);
  if (seconds < bound * (1 - kBoundSlack)) {
    return fmt::format(
        "run time {:.6g} s is below the roofline bound {:.6g} s (max of flops / peak FLOP/s, "
        "HBM bytes / HBM bandwidth, DMA bytes / DMA engine bandwidth and link bytes / link "
        "bandwidth): the model is faster than the hardware allows",
        seconds, bound);
  }
  if (!max_factor) return std::nullopt;
  if (bound == 0) {
    return fmt::format(
        "max_bound_factor {} given but the run has no roofline bound (no FLOPs, "
        "no HBM traffic)",
        *max_factor);
  }
  if (seconds > *max_factor * bound * (1 + kBoundSlack)) {
    return fmt::format(
        "run time {:.6g} s is {:.2f} x the roofline bound {:.6g} s, above "
        "max_bound_factor {}",
        seconds, seconds / bound, bound, *max_factor);
  }
  return std::nullopt;
}

}  // namespace trnsim::regress
