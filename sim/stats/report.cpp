#include "stats/report.h"

#include <fmt/format.h>

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

  // Per engine kind, busy share and where the idle time went (averaged over cores).
  out += fmt::format("\n{:<9}{:>10}{:>8}", "engine", "instr", "busy");
  for (std::size_t k = 0; k < events::kNumStallReasons; ++k) {
    if (static_cast<events::StallReason>(k) == events::StallReason::kEngineBusy) continue;
    out += fmt::format("{:>20}", events::stall_reason_name(static_cast<events::StallReason>(k)));
  }
  out += '\n';
  for (const EngineTotals& t : r.engines) {
    out += fmt::format("{:<9}{:>10}{:>7.1f}%", isa::engine_title(t.engine), t.instructions,
                       t.busy * 100);
    for (std::size_t k = 0; k < events::kNumStallReasons; ++k) {
      if (static_cast<events::StallReason>(k) == events::StallReason::kEngineBusy) continue;
      const double share = r.seconds > 0 ? t.stall_seconds[k] / (r.seconds * t.streams) : 0;
      out += fmt::format("{:>19.1f}%", share * 100);
    }
    out += '\n';
  }
  if (r.cores > 1 || r.streams.size() > r.engines.size()) {
    // DMA queues add where their transfers waited after issue: for engines another transfer
    // held (DMA engines shared between queues, e.g. a collective and a kernel's loads), and
    // for the network; summed over the transfers' engine slices.
    out += fmt::format("\n{:<16}{:<8}{:>10}{:>14}{:>16}{:>18}{:>14}\n", "core", "stream", "instr",
                       "busy time", "semaphore wait", "dma engine wait", "link wait");
    for (const StreamStats& s : r.streams) {
      const bool dma = s.engine == isa::Engine::kDma;
      out += fmt::format(
          "{:<16}{:<8}{:>10}{:>14}{:>16}{:>18}{:>14}\n", core_name(program, s.core_index),
          stream_name(s), s.instructions, time_text(s.busy_seconds),
          time_text(s.stall_seconds[static_cast<std::size_t>(events::StallReason::kSemaphore)]),
          dma ? time_text(s.dma_engine_wait_seconds) : "-",
          dma ? time_text(s.link_wait_seconds) : "-");
    }
  }
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
  return j;
}

}  // namespace trnsim::stats
