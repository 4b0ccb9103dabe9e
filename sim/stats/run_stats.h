// The figures of one simulation run, collected from model events by StatsCollector and
// turned into the terminal report (report.h) and the --stats-json document (also report.h).
// Their meaning and the JSON schema are documented in docs/stats.md.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"
#include "events/observer.h"
#include "events/traffic.h"
#include "stats/roofline.h"
#include "stats/time_bins.h"
#include "stats/top_waits.h"
#include "trace/program.h"

namespace trnsim::stats {

// One instruction stream: an engine of a core, or one DMA queue of a core.
struct StreamStats {
  std::uint32_t core_index = 0;
  isa::Engine engine = isa::Engine::kSync;
  std::uint8_t queue = 0;
  std::uint64_t instructions = 0;
  double busy_seconds = 0;  // sum of issue -> busy_end: the engine doing this stream's work
  std::array<double, events::kNumStallReasons> stall_seconds{};  // waits before issue
  double flops = 0;
  std::uint64_t bytes = 0;
  double last_complete = 0;
  // DMA queues: their transfers' waits for engines and network back-pressure, summed over
  // the engine slices (events::TransferEvent).
  double dma_engine_wait_seconds = 0;
  double link_wait_seconds = 0;
};

// The same, summed over the cores for one engine kind.
struct EngineTotals {
  isa::Engine engine = isa::Engine::kSync;
  std::uint32_t streams = 0;  // cores (or DMA queues) that ran this engine
  std::uint64_t instructions = 0;
  double busy = 0;  // 0..1: busy time / (elapsed time * cores of the program)
  std::array<double, events::kNumStallReasons> stall_seconds{};
};

// How the run's activity spread over time, in bins of equal width (stats/time_bins.h).
// Engine busy shares are 0..1; the traffic series are in bytes per second.
struct TimeSeries {
  double bin_seconds = 0;
  std::size_t bins = 0;  // bins * bin_seconds >= elapsed time
  // Indexed by isa::Engine; empty for engine kinds that did not run. Busy time inside the
  // bin / (bin width * streams of that kind); for DMA, the DMA engines' streaming on
  // transfer slices over the DMA engines of the program's cores.
  std::array<std::vector<double>, isa::kNumEngines> busy;
  std::vector<double> hbm_bytes_per_s;   // DMA slices that read or write HBM
  std::vector<double> link_bytes_per_s;  // serialized on any link port
};

struct RunStats {
  std::string trace;
  std::string config;
  double seconds = 0;
  std::uint64_t cycles = 0;  // of the core clock (config core.clock_ghz)
  double core_clock_ghz = 0;
  std::uint64_t instructions = 0;
  std::uint32_t cores = 0;
  bool completed = true;

  double flops = 0;
  double peak_flops = 0;  // per second, over the program's cores, for its matmul dtypes
  double mfu = 0;         // achieved / peak, 0..1

  std::uint64_t dma_bytes = 0;
  std::uint64_t dma_transfers = 0;    // DMA instructions
  double dma_engine_utilisation = 0;  // 0..1 over all DMA engines of the program's cores
  // What all DMA engines of the program's cores can move per second: each slice holds its
  // engine for at least its bytes over the engine bandwidth, so dma_bytes / this is a lower
  // bound on the run time, as binding as HBM's when the engines are slower than HBM.
  double dma_peak_bytes_per_s = 0;
  double hbm_wait_seconds = 0;     // DMA time lost to HBM queueing, summed over engines
  double engine_wait_seconds = 0;  // DMA slices waiting for busy engines, summed
  double link_wait_seconds = 0;    // DMA engines held by the network, summed

  events::MemoryTraffic traffic;
  double hbm_utilisation = 0;  // bytes moved / (bandwidth * chips * elapsed)

  std::vector<StreamStats> streams;   // sorted by core, engine, queue
  std::vector<EngineTotals> engines;  // one per engine kind that ran

  TimeSeries timeseries;
  std::vector<WaitRecord> top_waits;  // longest first, at most TopWaits::kDefaultLimit
  Roofline roofline;
};

// Listens to a run and accumulates per-stream figures.
class StatsCollector : public events::Observer {
 public:
  StatsCollector(const trace::Program& program, const config::SystemConfig& cfg);

  void on_issue(const events::InstructionEvent& e) override;
  void on_complete(const events::InstructionEvent& e) override;
  void on_transfer(const events::TransferEvent& e) override;
  void on_link(const events::LinkEvent& e) override;

  // Completes the figures once the run is over.
  RunStats finish(double seconds, bool completed, const events::MemoryTraffic& traffic) const;

 private:
  StreamStats& stream(std::uint32_t core_index, isa::Engine engine, std::uint8_t queue);
  // Seconds the instruction would take at the tensor engine's peak for its dtype.
  double peak_seconds(const events::InstructionEvent& e) const;

  const trace::Program& m_program;
  const config::SystemConfig& m_cfg;
  std::vector<StreamStats> m_streams;
  std::vector<std::int32_t> m_stream_of;  // (core, engine, queue) -> index, -1 if none
  double m_peak_seconds = 0;
  double m_hbm_wait = 0;
  double m_engine_wait = 0;
  double m_link_wait = 0;
  TimeBins m_bins;  // series: one per engine kind, then kHbmSeries, kLinkSeries
  TopWaits m_top_waits;
};

}  // namespace trnsim::stats
