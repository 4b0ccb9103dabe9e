#include "stats/run_stats.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "config/derived.h"

namespace trnsim::stats {

namespace {

// Streams are addressed by (core, engine, queue); DMA queues are at most 256 per core.
constexpr std::size_t kSlotsPerCore = isa::kNumEngines + 256;

std::size_t slot(std::uint32_t core, isa::Engine engine, std::uint8_t queue) {
  const std::size_t e = static_cast<std::size_t>(engine);
  return core * kSlotsPerCore + (engine == isa::Engine::kDma ? e + queue : e);
}

// The series of the collector's TimeBins: engine kinds first, indexed by isa::Engine.
constexpr std::size_t kHbmSeries = isa::kNumEngines;
constexpr std::size_t kLinkSeries = isa::kNumEngines + 1;
constexpr std::size_t kNumSeries = isa::kNumEngines + 2;

// Per-bin sums divided by `per_bin` (0 when it is not positive), the first `bins` of them.
std::vector<double> scaled(const std::vector<double>& sums, std::size_t bins, double per_bin) {
  std::vector<double> out(bins, 0.0);
  if (per_bin > 0) {
    for (std::size_t b = 0; b < bins; ++b)
      out[b] = sums[b] / per_bin;
  }
  return out;
}

}  // namespace

StatsCollector::StatsCollector(const trace::Program& program, const config::SystemConfig& cfg)
    : m_program(program),
      m_cfg(cfg),
      m_stream_of(program.cores.size() * kSlotsPerCore, -1),
      m_bins(kNumSeries) {}

StreamStats& StatsCollector::stream(std::uint32_t core_index, isa::Engine engine,
                                    std::uint8_t queue) {
  std::int32_t& index = m_stream_of[slot(core_index, engine, queue)];
  if (index < 0) {
    index = static_cast<std::int32_t>(m_streams.size());
    StreamStats s;
    s.core_index = core_index;
    s.engine = engine;
    s.queue = queue;
    m_streams.push_back(s);
  }
  return m_streams[static_cast<std::size_t>(index)];
}

double StatsCollector::peak_seconds(const events::InstructionEvent& e) const {
  if (e.flops <= 0) return 0;
  const trace::Instruction& ins = m_program.instructions[e.index];
  const trace::Arg* moving = m_program.positional(ins, 2);
  const isa::DType dtype = moving ? m_program.operand(moving->operand).dtype : isa::DType::kBf16;
  const double peak = 2.0 * m_cfg.tensor.rows * m_cfg.tensor.cols *
                      config::per_dtype(m_cfg.tensor.moving_columns_per_cycle, dtype) *
                      m_cfg.tensor.clock_ghz * 1e9;
  return e.flops / peak;
}

void StatsCollector::on_issue(const events::InstructionEvent& e) {
  StreamStats& s = stream(e.core_index, e.engine, e.queue);
  s.instructions++;
  s.busy_seconds += e.busy_end - e.issue;
  for (std::size_t r = 0; r < events::kNumStallReasons; ++r)
    s.stall_seconds[r] += e.stall[r];
  s.flops += e.flops;
  s.bytes += e.bytes;
  m_peak_seconds += peak_seconds(e);
  m_top_waits.offer(e);
  // DMA queues only sequence; their engines' busy time comes from the transfer slices.
  if (e.engine != isa::Engine::kDma) {
    m_bins.add(static_cast<std::size_t>(e.engine), e.issue, e.busy_end, e.busy_end - e.issue);
  }
}

void StatsCollector::on_complete(const events::InstructionEvent& e) {
  StreamStats& s = stream(e.core_index, e.engine, e.queue);
  s.last_complete = std::max(s.last_complete, e.complete);
}

void StatsCollector::on_transfer(const events::TransferEvent& e) {
  m_hbm_wait += e.hbm_wait;
  m_engine_wait += e.engine_wait;
  m_link_wait += e.link_wait;
  StreamStats& s = stream(e.core_index, isa::Engine::kDma, e.queue);
  s.dma_engine_wait_seconds += e.engine_wait;
  s.link_wait_seconds += e.link_wait;
  // The engine's busy time as `engines.dma.busy` counts it (its streaming, not the time the
  // HBM held it back), over the interval it held the engine; the latencies until `end`
  // leave the engine free for the next slice.
  const double streaming = std::max(0.0, e.engine_free - e.start - e.hbm_wait);
  m_bins.add(static_cast<std::size_t>(isa::Engine::kDma), e.start, e.engine_free, streaming);
  if (e.src == isa::Memory::kHbm || e.dst == isa::Memory::kHbm) {
    m_bins.add(kHbmSeries, e.start, e.end, static_cast<double>(e.bytes));
  }
}

void StatsCollector::on_link(const events::LinkEvent& e) {
  m_bins.add(kLinkSeries, e.start, e.end, static_cast<double>(e.bytes));
}

RunStats StatsCollector::finish(double seconds, bool completed,
                                const events::MemoryTraffic& traffic) const {
  RunStats r;
  r.trace = m_program.file;
  r.config = m_cfg.name;
  r.seconds = seconds;
  r.core_clock_ghz = m_cfg.core.clock_ghz;
  r.cycles = static_cast<std::uint64_t>(std::llround(seconds * m_cfg.core.clock_ghz * 1e9));
  r.cores = static_cast<std::uint32_t>(m_program.cores.size());
  r.completed = completed;
  r.traffic = traffic;
  r.streams = m_streams;
  std::sort(r.streams.begin(), r.streams.end(), [](const StreamStats& a, const StreamStats& b) {
    return std::tie(a.core_index, a.engine, a.queue) < std::tie(b.core_index, b.engine, b.queue);
  });

  std::array<EngineTotals, isa::kNumEngines> totals{};
  for (const StreamStats& s : r.streams) {
    r.instructions += s.instructions;
    r.flops += s.flops;
    if (s.engine == isa::Engine::kDma) {
      r.dma_bytes += s.bytes;
      r.dma_transfers += s.instructions;
    }
    EngineTotals& t = totals[static_cast<std::size_t>(s.engine)];
    t.engine = s.engine;
    t.streams++;
    t.instructions += s.instructions;
    t.busy += s.busy_seconds;
    for (std::size_t k = 0; k < events::kNumStallReasons; ++k)
      t.stall_seconds[k] += s.stall_seconds[k];
  }
  for (EngineTotals& t : totals) {
    if (t.streams == 0) continue;
    // DMA queues are sequencers: their utilisation is the DMA engines', below.
    if (t.engine == isa::Engine::kDma) {
      t.busy = seconds > 0 && traffic.dma_engines > 0
                   ? traffic.dma_engine_busy_seconds / (seconds * traffic.dma_engines)
                   : 0;
    } else {
      t.busy = seconds > 0 ? t.busy / (seconds * r.cores) : 0;
    }
    r.engines.push_back(t);
  }
  if (seconds > 0) {
    r.mfu = m_peak_seconds / (seconds * r.cores);
    r.peak_flops = r.mfu > 0 ? r.flops / seconds / r.mfu : 0;
    if (traffic.dma_engines > 0) {
      r.dma_engine_utilisation = traffic.dma_engine_busy_seconds / (seconds * traffic.dma_engines);
    }
    if (traffic.chips > 0) r.hbm_utilisation = traffic.hbm_busy_seconds / (seconds * traffic.chips);
  }
  r.dma_peak_bytes_per_s = traffic.dma_engines * m_cfg.dma.engine_bandwidth_gb_s * 1e9;
  r.hbm_wait_seconds = m_hbm_wait;
  r.engine_wait_seconds = m_engine_wait;
  r.link_wait_seconds = m_link_wait;

  // Time series, up to the end of the run.
  TimeBins bins = m_bins;
  bins.cover(seconds);
  TimeSeries& ts = r.timeseries;
  ts.bin_seconds = bins.bin_seconds();
  ts.bins = bins.bins_up_to(seconds);
  for (const EngineTotals& t : r.engines) {
    const std::size_t k = static_cast<std::size_t>(t.engine);
    const double units = t.engine == isa::Engine::kDma ? traffic.dma_engines : t.streams;
    ts.busy[k] = scaled(bins.sums(k), ts.bins, ts.bin_seconds * units);
    // A share; rounding in the spreading must not show a fully busy bin above 1.
    for (double& share : ts.busy[k])
      share = std::min(share, 1.0);
  }
  ts.hbm_bytes_per_s = scaled(bins.sums(kHbmSeries), ts.bins, ts.bin_seconds);
  ts.link_bytes_per_s = scaled(bins.sums(kLinkSeries), ts.bins, ts.bin_seconds);

  r.top_waits = m_top_waits.sorted();

  std::set<std::uint32_t> chips;
  for (const trace::CoreSection& c : m_program.cores)
    chips.insert(c.id.chip);
  const double hbm_bytes =
      static_cast<double>(traffic.hbm_bytes_read) + static_cast<double>(traffic.hbm_bytes_written);
  r.roofline = make_roofline(r.flops, hbm_bytes, seconds, r.peak_flops,
                             m_cfg.hbm.bandwidth_gb_s * 1e9 * static_cast<double>(chips.size()));
  return r;
}

}  // namespace trnsim::stats
