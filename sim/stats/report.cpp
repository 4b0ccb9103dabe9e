#include "stats/report.h"

#include <algorithm>
#include <array>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "stats/text_table.h"

namespace trnsim::stats {

namespace {

std::string bytes_text(double b) {
  if (b >= 1024.0 * 1024 * 1024) return fmt::format("{:.2f} GiB", b / (1024.0 * 1024 * 1024));
  if (b >= 1024.0 * 1024) return fmt::format("{:.2f} MiB", b / (1024.0 * 1024));
  if (b >= 1024.0) return fmt::format("{:.2f} KiB", b / 1024.0);
  return fmt::format("{:.0f} B", b);
}

std::string time_text(double s) {
  if (s >= 1e-3) return fmt::format("{:.3f} ms", s * 1e3);
  if (s >= 1e-6) return fmt::format("{:.3f} us", s * 1e6);
  return fmt::format("{:.1f} ns", s * 1e9);
}

std::string core_name(const trace::Program& p, std::uint32_t core_index) {
  const trace::CoreId id = p.cores[core_index].id;
  return fmt::format("chip{}.core{}", id.chip, id.core);
}

std::string stream_name(const StreamStats& s) {
  return s.engine == isa::Engine::kDma ? fmt::format("dma.q{}", s.queue)
                                       : std::string(isa::engine_name(s.engine));
}

bool is_engine_busy(std::size_t reason) {
  return static_cast<events::StallReason>(reason) == events::StallReason::kEngineBusy;
}

std::string percent_text(double fraction) {
  return fmt::format("{:.1f}", fraction * 100);
}

// One unit for a whole column of times, chosen by the elapsed time, so that the column's
// figures line up and compare at a glance.
struct TimeUnit {
  std::string_view name;
  double per_second;
};
TimeUnit time_unit(double elapsed) {
  if (elapsed >= 1e-3) return {"ms", 1e3};
  if (elapsed >= 1e-6) return {"us", 1e6};
  return {"ns", 1e9};
}
std::string in_unit(double seconds, TimeUnit u) {
  return fmt::format("{:.3f}", seconds * u.per_second);
}

// FLOP/s in TFLOP/s, or GFLOP/s when the larger of the two figures is below 1 TFLOP/s.
std::string flops_pair_text(double achieved, double bound) {
  if (bound >= 1e12) return fmt::format("{:.1f} of {:.1f} TFLOP/s", achieved / 1e12, bound / 1e12);
  return fmt::format("{:.1f} of {:.1f} GFLOP/s", achieved / 1e9, bound / 1e9);
}

std::string roofline_line(const Roofline& roof) {
  if (roof.flops <= 0 || roof.hbm_bytes <= 0) {
    return fmt::format("roofline  - (needs matmul FLOPs and HBM traffic: {:.3f} GFLOP, {})\n",
                       roof.flops / 1e9, bytes_text(roof.hbm_bytes));
  }
  return fmt::format(
      "roofline  {:.1f} FLOP/B (ridge {:.1f}): {}-bound; {} = {:.1f} % of the bound\n",
      roof.arithmetic_intensity, roof.ridge_intensity, bound_name(roof.bound),
      flops_pair_text(roof.achieved_flops_per_s, roof.bound_flops_per_s),
      roof.fraction_of_bound * 100);
}

// Per engine kind, busy share and where the idle time went, as shares of the elapsed time.
std::string engine_table(const RunStats& r) {
  TextTable t;
  t.add_column("engine", TextTable::Align::kLeft);
  t.add_column("instr", TextTable::Align::kRight);
  t.add_column("busy %", TextTable::Align::kRight);
  for (std::size_t k = 0; k < events::kNumStallReasons; ++k) {
    if (is_engine_busy(k)) continue;
    t.add_column(
        fmt::format("{} %", events::stall_reason_name(static_cast<events::StallReason>(k))),
        TextTable::Align::kRight);
  }
  for (const EngineTotals& e : r.engines) {
    std::vector<std::string> row{std::string(isa::engine_title(e.engine)),
                                 std::to_string(e.instructions), percent_text(e.busy)};
    for (std::size_t k = 0; k < events::kNumStallReasons; ++k) {
      if (is_engine_busy(k)) continue;
      row.push_back(percent_text(r.seconds > 0 ? e.stall_seconds[k] / (r.seconds * e.streams) : 0));
    }
    t.add_row(std::move(row));
  }
  return fmt::format("\n{}", t.render());
}

// One line per instruction stream, for programs of several cores or DMA queues. DMA queues
// add where their transfers waited after issue: for engines another transfer held (DMA
// engines shared between queues, e.g. a collective and a kernel's loads), and for the
// network; summed over the transfers' engine slices.
std::string stream_table(const RunStats& r, const trace::Program& program) {
  if (r.cores <= 1 && r.streams.size() <= r.engines.size()) return {};
  const TimeUnit u = time_unit(r.seconds);
  TextTable t;
  t.add_column("core", TextTable::Align::kLeft);
  t.add_column("stream", TextTable::Align::kLeft);
  t.add_column("instr", TextTable::Align::kRight);
  for (std::string_view h : {"busy", "semaphore wait", "dma engine wait", "link wait"})
    t.add_column(fmt::format("{} {}", h, u.name), TextTable::Align::kRight);
  for (const StreamStats& s : r.streams) {
    const bool dma = s.engine == isa::Engine::kDma;
    t.add_row(
        {core_name(program, s.core_index), stream_name(s), std::to_string(s.instructions),
         in_unit(s.busy_seconds, u),
         in_unit(s.stall_seconds[static_cast<std::size_t>(events::StallReason::kSemaphore)], u),
         dma ? in_unit(s.dma_engine_wait_seconds, u) : "-",
         dma ? in_unit(s.link_wait_seconds, u) : "-"});
  }
  return fmt::format("\n{}", t.render());
}

std::string wait_location(const WaitRecord& w, const RunStats& r, const trace::Program& program) {
  const std::uint32_t line = program.instructions[w.instruction].line;
  if (r.trace.empty() || line == 0) return fmt::format("instruction {}", w.instruction);
  return fmt::format("{}:{}", r.trace, line);
}

// The instructions that waited longest before issue, with the reasons largest first.
std::string longest_waits(const RunStats& r, const trace::Program& program) {
  if (r.top_waits.empty()) return {};
  std::vector<std::array<std::string, 4>> rows;
  std::array<std::size_t, 3> widths{};
  for (const WaitRecord& w : r.top_waits) {
    std::vector<std::size_t> reasons;
    for (std::size_t k = 0; k < events::kNumStallReasons; ++k) {
      if (!is_engine_busy(k) && w.stall_seconds[k] > 0) reasons.push_back(k);
    }
    std::stable_sort(reasons.begin(), reasons.end(), [&](std::size_t a, std::size_t b) {
      return w.stall_seconds[a] > w.stall_seconds[b];
    });
    std::string why;
    for (std::size_t k : reasons) {
      why += fmt::format("{}{} {}", why.empty() ? "" : ", ",
                         events::stall_reason_name(static_cast<events::StallReason>(k)),
                         time_text(w.stall_seconds[k]));
    }
    StreamStats stream;
    stream.engine = w.engine;
    stream.queue = w.queue;
    const std::array<std::string, 4> row{
        wait_location(w, r, program),
        fmt::format("{} {}", core_name(program, w.core_index), stream_name(stream)),
        std::string(isa::opcode_info(program.instructions[w.instruction].opcode).name),
        fmt::format("waited {} ({})", time_text(w.wait_seconds), why)};
    for (std::size_t c = 0; c < widths.size(); ++c)
      widths[c] = std::max(widths[c], row[c].size());
    rows.push_back(row);
  }
  std::string out = "\nlongest waits before issue (engine_busy not counted)\n";
  for (const auto& row : rows) {
    out += fmt::format("  {:<{}}  {:<{}}  {:<{}}  {}\n", row[0], widths[0], row[1], widths[1],
                       row[2], widths[2], row[3]);
  }
  return out;
}

}  // namespace

std::string format_report(const RunStats& r, const trace::Program& program) {
  std::string out;
  out += fmt::format("trace   {}\nconfig  {} ({} core{})\n", r.trace.empty() ? "-" : r.trace,
                     r.config, r.cores, r.cores == 1 ? "" : "s");
  if (!r.completed) out += "result  DEADLOCK: some streams never finished (see above)\n";
  out += fmt::format("time    {} cycles at {} GHz = {}\n", r.cycles, r.core_clock_ghz,
                     time_text(r.seconds));
  out += fmt::format("instr   {}\n", r.instructions);
  const double achieved = r.seconds > 0 ? r.flops / r.seconds : 0;
  out += fmt::format("compute {:.3f} GFLOP, {:.2f} TFLOP/s of {:.2f} peak: MFU {:.1f} %\n",
                     r.flops / 1e9, achieved / 1e12, r.peak_flops / 1e12, r.mfu * 100);
  const double dma_rate = r.seconds > 0 ? static_cast<double>(r.dma_bytes) / r.seconds : 0;
  out += fmt::format(
      "dma     {} in {} transfers, {:.1f} GB/s; engines {:.1f} % busy; {} lost to HBM queueing\n",
      bytes_text(static_cast<double>(r.dma_bytes)), r.dma_transfers, dma_rate / 1e9,
      r.dma_engine_utilisation * 100, time_text(r.hbm_wait_seconds));
  if (r.engine_wait_seconds > 0 || r.link_wait_seconds > 0) {
    out += fmt::format(
        "        summed over engine slices: {} waiting for an engine busy with other "
        "transfers, {} held by the network\n",
        time_text(r.engine_wait_seconds), time_text(r.link_wait_seconds));
  }
  out += fmt::format("hbm     {} read, {} written; {:.1f} % of bandwidth used\n",
                     bytes_text(static_cast<double>(r.traffic.hbm_bytes_read)),
                     bytes_text(static_cast<double>(r.traffic.hbm_bytes_written)),
                     r.hbm_utilisation * 100);
  if (r.traffic.link_ports > 0) {
    const double ports = r.seconds * r.traffic.link_ports;
    out += fmt::format(
        "links   {} over {} link ports (counted per hop), {:.1f} % busy on average; busiest "
        "{} at {:.1f} %\n",
        bytes_text(static_cast<double>(r.traffic.link_bytes)), r.traffic.link_ports,
        ports > 0 ? r.traffic.link_busy_seconds / ports * 100 : 0.0,
        r.traffic.busiest_link.empty() ? "-" : r.traffic.busiest_link,
        r.seconds > 0 ? r.traffic.busiest_link_seconds / r.seconds * 100 : 0.0);
  }
  out += roofline_line(r.roofline);
  out += engine_table(r);
  out += stream_table(r, program);
  out += longest_waits(r, program);
  return out;
}

nlohmann::ordered_json to_json(const RunStats& r, const trace::Program& program) {
  using json = nlohmann::ordered_json;
  auto stalls = [](const std::array<double, events::kNumStallReasons>& s) {
    json j = json::object();
    for (std::size_t k = 0; k < events::kNumStallReasons; ++k) {
      j[std::string(events::stall_reason_name(static_cast<events::StallReason>(k)))] = s[k];
    }
    return j;
  };
  json j;
  j["schema_version"] = kStatsSchemaVersion;
  j["trace"] = r.trace;
  j["config"] = r.config;
  j["completed"] = r.completed;
  j["cycles"] = r.cycles;
  j["core_clock_ghz"] = r.core_clock_ghz;
  j["seconds"] = r.seconds;
  j["instructions"] = r.instructions;
  j["cores"] = r.cores;
  j["flops"] = r.flops;
  j["achieved_flops_per_s"] = r.seconds > 0 ? r.flops / r.seconds : 0.0;
  j["peak_flops_per_s"] = r.peak_flops;
  j["mfu"] = r.mfu;
  json engines = json::object();
  for (const EngineTotals& t : r.engines) {
    engines[std::string(isa::engine_name(t.engine))] = {{"busy", t.busy},
                                                        {"instructions", t.instructions},
                                                        {"streams", t.streams},
                                                        {"stall_seconds", stalls(t.stall_seconds)}};
  }
  j["engines"] = engines;
  j["dma"] = {{"bytes", r.dma_bytes},
              {"transfers", r.dma_transfers},
              {"bytes_per_s", r.seconds > 0 ? static_cast<double>(r.dma_bytes) / r.seconds : 0.0},
              {"engine_utilisation", r.dma_engine_utilisation},
              {"peak_bytes_per_s", r.dma_peak_bytes_per_s},
              {"hbm_wait_seconds", r.hbm_wait_seconds},
              {"engine_wait_seconds", r.engine_wait_seconds},
              {"link_wait_seconds", r.link_wait_seconds}};
  j["hbm"] = {{"bytes_read", r.traffic.hbm_bytes_read},
              {"bytes_written", r.traffic.hbm_bytes_written},
              {"utilisation", r.hbm_utilisation}};
  const double port_seconds = r.seconds * r.traffic.link_ports;
  j["links"] = {
      {"ports", r.traffic.link_ports},
      {"bytes", r.traffic.link_bytes},
      {"packets", r.traffic.link_packets},
      {"peak_bytes_per_s", r.traffic.link_peak_bytes_per_s},
      {"utilisation", port_seconds > 0 ? r.traffic.link_busy_seconds / port_seconds : 0.0},
      {"busiest", r.traffic.busiest_link},
      {"busiest_utilisation", r.seconds > 0 ? r.traffic.busiest_link_seconds / r.seconds : 0.0}};
  json streams = json::array();
  for (const StreamStats& s : r.streams) {
    const trace::CoreId id = program.cores[s.core_index].id;
    streams.push_back({{"chip", id.chip},
                       {"core", id.core},
                       {"engine", std::string(isa::engine_name(s.engine))},
                       {"queue", s.queue},
                       {"instructions", s.instructions},
                       {"busy_seconds", s.busy_seconds},
                       {"flops", s.flops},
                       {"bytes", s.bytes},
                       {"stall_seconds", stalls(s.stall_seconds)},
                       {"engine_wait_seconds", s.dma_engine_wait_seconds},
                       {"link_wait_seconds", s.link_wait_seconds}});
  }
  j["streams"] = streams;

  const TimeSeries& ts = r.timeseries;
  json busy = json::object();
  for (const EngineTotals& t : r.engines) {
    busy[std::string(isa::engine_name(t.engine))] = ts.busy[static_cast<std::size_t>(t.engine)];
  }
  j["timeseries"] = {{"bin_seconds", ts.bin_seconds},
                     {"bins", ts.bins},
                     {"busy", busy},
                     {"hbm_bytes_per_s", ts.hbm_bytes_per_s},
                     {"link_bytes_per_s", ts.link_bytes_per_s}};

  json waits = json::array();
  for (const WaitRecord& w : r.top_waits) {
    const trace::Instruction& ins = program.instructions[w.instruction];
    const trace::CoreId id = program.cores[w.core_index].id;
    waits.push_back({{"instruction", w.instruction},
                     {"file", r.trace},
                     {"line", ins.line},
                     {"chip", id.chip},
                     {"core", id.core},
                     {"engine", std::string(isa::engine_name(w.engine))},
                     {"queue", w.queue},
                     {"opcode", std::string(isa::opcode_info(ins.opcode).name)},
                     {"wait_seconds", w.wait_seconds},
                     {"reason", std::string(events::stall_reason_name(w.reason))},
                     {"stall_seconds", stalls(w.stall_seconds)}});
  }
  j["top_waits"] = waits;

  const Roofline& roof = r.roofline;
  j["roofline"] = {{"flops", roof.flops},
                   {"hbm_bytes", roof.hbm_bytes},
                   {"arithmetic_intensity", roof.arithmetic_intensity},
                   {"peak_flops_per_s", roof.peak_flops_per_s},
                   {"peak_hbm_bytes_per_s", roof.peak_hbm_bytes_per_s},
                   {"ridge_intensity", roof.ridge_intensity},
                   {"bound_flops_per_s", roof.bound_flops_per_s},
                   {"achieved_flops_per_s", roof.achieved_flops_per_s},
                   {"fraction_of_bound", roof.fraction_of_bound},
                   {"bound", std::string(bound_name(roof.bound))}};
  return j;
}

}  // namespace trnsim::stats
