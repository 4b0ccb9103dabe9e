#include "stats/run_stats.h"

#include <algorithm>
#include <cmath>

#include "config/derived.h"

namespace trnsim::stats {

namespace {

// Streams are addressed by (core, engine, queue); DMA queues are at most 256 per core.
constexpr std::size_t kSlotsPerCore = isa::kNumEngines + 256;

std::size_t slot(std::uint32_t core, isa::Engine engine, std::uint8_t queue) {
  const std::size_t e = static_cast<std::size_t>(engine);
  return core * kSlotsPerCore + (engine == isa::Engine::kDma ? e + queue : e);
}

}  // namespace

StatsCollector::StatsCollector(const trace::Program& program, const config::SystemConfig& cfg)
    : m_program(program), m_cfg(cfg), m_stream_of(program.cores.size() * kSlotsPerCore, -1) {}

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
  r.hbm_wait_seconds = m_hbm_wait;
  r.engine_wait_seconds = m_engine_wait;
  r.link_wait_seconds = m_link_wait;
  return r;
}

}  // namespace trnsim::stats
