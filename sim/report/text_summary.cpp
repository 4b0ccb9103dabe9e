#include "report/text_summary.h"

#include <fmt/format.h>

#include "report/svg_chart.h"

namespace trnsim::report {

namespace {

std::string percent(double fraction) {
  return fmt::format("{:.1f} %", fraction * 100);
}

}  // namespace

std::string format_text_summary(const StatsFile& s) {
  std::string out;
  out += fmt::format("stats     {} (schema version {})\n", s.path, s.schema_version);
  out += fmt::format("trace     {}\n", s.trace.empty() ? "-" : s.trace);
  out += fmt::format("config    {} ({} core{})\n", s.config, s.cores, s.cores == 1 ? "" : "s");
  if (!s.completed) out += "result    DEADLOCK: some streams never finished\n";
  out += fmt::format("time      {} cycles at {} GHz = {}\n", s.cycles, s.core_clock_ghz,
                     format_si(s.seconds, "s", 4));
  out += fmt::format("instr     {}\n", s.instructions);
  out += fmt::format("compute   {}, {} of {} peak: MFU {}\n", format_si(s.flops, "FLOP"),
                     format_si(s.achieved_flops_per_s, "FLOP/s"),
                     format_si(s.peak_flops_per_s, "FLOP/s"), percent(s.mfu));
  out += fmt::format("dma       {} in {} transfers, {}; engines {} busy\n",
                     format_si(s.dma.bytes, "B"), s.dma.transfers,
                     format_si(s.dma.bytes_per_s, "B/s"), percent(s.dma.engine_utilisation));
  out += fmt::format("hbm       {} read, {} written; {} of bandwidth used\n",
                     format_si(s.hbm.bytes_read, "B"), format_si(s.hbm.bytes_written, "B"),
                     percent(s.hbm.utilisation));
  if (s.links.ports > 0) {
    out += fmt::format("links     {} over {} ports, {} busy; busiest {} at {}\n",
                       format_si(s.links.bytes, "B"), s.links.ports, percent(s.links.utilisation),
                       s.links.busiest.empty() ? "-" : s.links.busiest,
                       percent(s.links.busiest_utilisation));
  }
  std::string busy;
  for (const EngineSummary& e : s.engines) {
    busy += fmt::format("{}{} {}", busy.empty() ? "" : ", ", e.name, percent(e.busy));
  }
  out += fmt::format("busy      {}\n", busy.empty() ? "-" : busy);
  if (s.roofline) {
    const Roofline& r = *s.roofline;
    out += fmt::format("roofline  {}-bound at {:.3g} FLOP/B (ridge {:.3g}); {} of the bound\n",
                       r.bound, r.arithmetic_intensity, r.ridge_intensity,
                       percent(r.fraction_of_bound));
  }
  if (s.top_waits && !s.top_waits->empty()) {
    const TopWait& w = s.top_waits->front();
    const std::string where =
        w.file.empty() ? std::string("generated") : fmt::format("{}:{}", w.file, w.line);
    out += fmt::format("top wait  instruction {} ({} at {}) waited {}, mostly {}\n", w.instruction,
                       w.opcode, where, format_si(w.wait_seconds, "s"), w.reason);
  }
  if (s.schema_version < kNewestStatsSchema) {
    out += fmt::format(
        "note      schema version {} has no timeseries, top_waits or roofline; "
        "'--html' shows what it can\n",
        s.schema_version);
  }
  return out;
}

}  // namespace trnsim::report
