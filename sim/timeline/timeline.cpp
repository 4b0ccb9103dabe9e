#include "timeline/timeline.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "check/accesses.h"
#include "trace/printer.h"

namespace trnsim::timeline {

namespace {

// Counter tracks are sampled on this many cells of the window, each the largest value in
// the cell, so that their size does not grow with the run.
constexpr std::size_t kCounterCells = 2000;
// SBUF liveness is followed in blocks of at least this many bytes of a partition, and at most
// this many blocks per partition.
constexpr std::uint64_t kMinSbufBlock = 64;
constexpr std::uint64_t kSbufBlocks = 1024;

std::string json_string(std::string_view s) {
  return nlohmann::json(s).dump();
}

// Times are written in microseconds, the unit of the trace-event format, on whole
// nanoseconds: viewers convert to integer nanoseconds, and a slice's end must come out the
// same whether computed from its own ts + dur or from the next slice's ts.
std::int64_t ns(double seconds) {
  return std::llround(seconds * 1e9);
}
std::string us_of_ns(std::int64_t t) {
  const char* sign = t < 0 ? "-" : "";
  t = t < 0 ? -t : t;
  return fmt::format("{}{}.{:03}", sign, t / 1000, t % 1000);
}
std::string us(double seconds) {
  return us_of_ns(ns(seconds));
}

// Where a track sorts within its process: cores in program order, engines in a fixed order,
// then DMA queues, DMA engines and links.
enum TrackKind : std::uint32_t {
  kWeights = 0,
  kEngine = 1,  // + engine
  kDmaQueue = 100,
  kDmaEngine = 1000,
};

struct TrackKey {
  std::int32_t pid = 0;
  std::uint64_t order = 0;
  bool operator<(const TrackKey& o) const {
    return std::tie(pid, order) < std::tie(o.pid, o.order);
  }
};

struct Item {  // one slice to place on a track
  double start;
  double end;
  std::size_t record;  // index into the recorder's vector of its kind
  int kind;            // 0 instruction, 1 weight load, 2 transfer, 3 link
};

struct Track {
  std::string name;
  std::vector<Item> items;
  std::vector<std::uint32_t> lane_of;  // per item
  std::uint32_t lanes = 0;
  std::uint32_t first_tid = 0;
};

// Puts each item on the first lane free at its start; items sorted by start.
void assign_lanes(Track& t) {
  std::sort(t.items.begin(), t.items.end(), [](const Item& a, const Item& b) {
    return std::tie(a.start, a.end, a.record) < std::tie(b.start, b.end, b.record);
  });
  std::vector<double> lane_end;
  t.lane_of.resize(t.items.size());
  for (std::size_t i = 0; i < t.items.size(); ++i) {
    std::uint32_t lane = 0;
    while (lane < lane_end.size() && lane_end[lane] > t.items[i].start)
      ++lane;
    if (lane == lane_end.size()) lane_end.push_back(0);
    lane_end[lane] = t.items[i].end;
    t.lane_of[i] = lane;
  }
  t.lanes = static_cast<std::uint32_t>(std::max<std::size_t>(1, lane_end.size()));
}

// A quantity that steps up and down over time, sampled as the largest value per cell.
class StepCounter {
 public:
  void add(double from, double to, double amount) {
    if (to <= from || amount == 0) return;
    m_changes.emplace_back(from, amount);
    m_changes.emplace_back(to, -amount);
  }
  bool empty() const { return m_changes.empty(); }
  std::vector<double> sample(double w0, double width, std::size_t cells) {
    std::sort(m_changes.begin(), m_changes.end());
    std::vector<double> out(cells, 0);
    double value = 0;
    std::size_t c = 0;
    std::size_t i = 0;
    for (; c < cells; ++c) {
      const double cell_end = w0 + width * static_cast<double>(c + 1);
      double peak = value;
      while (i < m_changes.size() && m_changes[i].first < cell_end) {
        value += m_changes[i].second;
        // Steps at the same instant net out before the peak is taken.
        if (i + 1 == m_changes.size() || m_changes[i + 1].first != m_changes[i].first) {
          peak = std::max(peak, value);
        }
        ++i;
      }
      out[c] = std::max(0.0, peak);
    }
    return out;
  }

 private:
  std::vector<std::pair<double, double>> m_changes;
};

// Live data in one block of on-chip memory: from the issue of an instruction that writes it
// to the completion of the last instruction that reads it before the next write.
struct BlockAccess {
  double time;  // issue
  double end;   // completion
  bool write;
  std::uint32_t partitions;
};

std::string_view memory_name(isa::Memory m) {
  switch (m) {
    case isa::Memory::kSbuf:
      return "sbuf";
    case isa::Memory::kPsum:
      return "psum";
    case isa::Memory::kHbm:
      return "hbm";
  }
  return "?";
}

}  // namespace

TimelineRecorder::TimelineRecorder(const trace::Program& program, const config::SystemConfig& cfg,
                                   std::string trace_path,
                                   std::vector<std::uint64_t> tensor_addresses,
                                   TimelineOptions options)
    : m_program(program),
      m_cfg(cfg),
      m_trace_path(std::move(trace_path)),
      m_tensor_addresses(std::move(tensor_addresses)),
      m_options(options),
      m_posts(program.semaphores.size()) {}

bool TimelineRecorder::in_window(double start, double end) const {
  return end >= m_options.from && start <= m_options.to;
}

bool TimelineRecorder::take() {
  if (m_events >= m_options.max_events) {
    ++m_dropped;
    return false;
  }
  ++m_events;
  return true;
}

void TimelineRecorder::on_post(const events::PostEvent& e) {
  if (e.time < m_options.from || e.time > m_options.to) return;
  m_posts[e.semaphore].push_back({e.instruction, e.time});
}

void TimelineRecorder::on_issue(const events::InstructionEvent& e) {
  const double waited = e.stall[static_cast<std::size_t>(events::StallReason::kSemaphore)];
  if (waited <= 0 || !in_window(e.ready, e.issue)) return;
  // The wait ended once the pipeline was free and the semaphores held: the update that
  // released it is the latest one, on any semaphore it waited for, up to then.
  const double released =
      e.ready + e.stall[static_cast<std::size_t>(events::StallReason::kEngineBusy)] + waited;
  const trace::Instruction& ins = m_program.instructions[e.index];
  const trace::SyncOp* syncs = m_program.syncs_of(ins);
  const Post* best = nullptr;
  std::uint32_t best_semaphore = 0;
  for (std::uint32_t i = 0; i < ins.num_syncs; ++i) {
    if (syncs[i].kind != trace::SyncKind::kWaitGe) continue;
    const std::vector<Post>& posts = m_posts[syncs[i].semaphore];
    auto it = std::upper_bound(posts.begin(), posts.end(), released,
                               [](double t, const Post& p) { return t < p.time; });
    if (it == posts.begin()) continue;
    --it;
    if (!best || it->time > best->time) {
      best = &*it;
      best_semaphore = syncs[i].semaphore;
    }
  }
  if (best && take()) m_flows.push_back({best->instruction, best->time, e.index, best_semaphore});
}

void TimelineRecorder::on_complete(const events::InstructionEvent& e) {
  const double start = e.weight_load_start >= 0 ? std::min(e.weight_load_start, e.issue) : e.issue;
  if (!in_window(start, e.complete) || !take()) return;
  m_slices.push_back({e});
}

void TimelineRecorder::on_transfer(const events::TransferEvent& e) {
  if (!in_window(e.start, e.end) || !take()) return;
  m_transfers.push_back({e});
}

void TimelineRecorder::on_link(const events::LinkEvent& e) {
  if (e.port >= m_open_link.size()) {
    m_open_link.resize(e.port + 1, -1);
    m_port_names.resize(e.port + 1);
  }
  if (m_port_names[e.port].empty()) m_port_names[e.port] = std::string(e.port_name);
  const std::int64_t open = m_open_link[e.port];
  if (open >= 0 && m_links[static_cast<std::size_t>(open)].end >= e.start) {
    LinkSlice& s = m_links[static_cast<std::size_t>(open)];  // back to back: one busy stretch
    s.end = std::max(s.end, e.end);
    s.bytes += e.bytes;
    ++s.packets;
    return;
  }
  if (!in_window(e.start, e.end) || !take()) return;
  m_open_link[e.port] = static_cast<std::int64_t>(m_links.size());
  m_links.push_back({e.port, e.from_chip, e.start, e.end, e.bytes, 1});
}

void TimelineRecorder::on_finish(double end_time) {
  m_end = end_time;
}

void TimelineRecorder::write(std::ostream& out) const {
  const trace::Program& p = m_program;
  const std::int32_t switch_pid = static_cast<std::int32_t>(m_cfg.system.chips);
  auto pid_of_core = [&](std::uint32_t core_index) {
    return static_cast<std::int32_t>(p.cores[core_index].id.chip);
  };
  auto core_label = [&](std::uint32_t core_index) {
    return fmt::format("core{}", p.cores[core_index].id.core);
  };

  // 1. Tracks and the slices on them.
  std::map<TrackKey, Track> tracks;
  auto track = [&](std::int32_t pid, std::uint64_t order, auto&& name) -> Track& {
    Track& t = tracks[{pid, order}];
    if (t.name.empty()) t.name = name();
    return t;
  };
  for (std::size_t i = 0; i < m_slices.size(); ++i) {
    const events::InstructionEvent& e = m_slices[i].ev;
    const std::uint64_t core = std::uint64_t{e.core_index} * 100000;
    const std::int32_t pid = pid_of_core(e.core_index);
    const bool dma = e.engine == isa::Engine::kDma;
    const std::uint64_t order =
        core + (dma ? kDmaQueue + e.queue : kEngine + static_cast<std::uint32_t>(e.engine));
    track(pid, order, [&] {
      if (dma) return fmt::format("{} dma.q{}", core_label(e.core_index), e.queue);
      if (e.engine == isa::Engine::kPe)
        return fmt::format("{} pe matmul", core_label(e.core_index));
      return fmt::format("{} {}", core_label(e.core_index), isa::engine_name(e.engine));
    }).items.push_back({e.issue, e.complete, i, 0});
    if (e.weight_load_start >= 0) {
      track(pid, core + kWeights, [&] {
        return fmt::format("{} pe weight load", core_label(e.core_index));
      }).items.push_back({e.weight_load_start, e.weight_load_end, i, 1});
    }
  }
  for (std::size_t i = 0; i < m_transfers.size(); ++i) {
    const events::TransferEvent& e = m_transfers[i].ev;
    const std::uint64_t order = std::uint64_t{e.core_index} * 100000 + kDmaEngine + e.dma_engine;
    track(pid_of_core(e.core_index), order, [&] {
      return fmt::format("{} dma engine {}", core_label(e.core_index), e.dma_engine);
    }).items.push_back({e.start, e.end, i, 2});
  }
  for (std::size_t i = 0; i < m_links.size(); ++i) {
    const LinkSlice& l = m_links[i];
    const std::int32_t pid = l.from_chip >= 0 ? l.from_chip : switch_pid;
    track(pid, std::uint64_t{1} << 40 | l.port, [&] {
      return fmt::format("link {}", m_port_names[l.port]);
    }).items.push_back({l.start, l.end, i, 3});
  }

  // 2. Lanes, thread ids, and where each instruction's slice went (for the flows).
  std::uint32_t next_tid = 1;
  struct Placement {
    std::int32_t pid = -1;
    std::uint32_t tid = 0;
    double start = 0;
    double end = 0;
  };
  std::vector<Placement> placed(p.instructions.size());
  for (auto& [key, t] : tracks) {
    assign_lanes(t);
    t.first_tid = next_tid;
    next_tid += t.lanes;
    for (std::size_t i = 0; i < t.items.size(); ++i) {
      if (t.items[i].kind != 0) continue;
      placed[m_slices[t.items[i].record].ev.index] = {key.pid, t.first_tid + t.lane_of[i],
                                                      t.items[i].start, t.items[i].end};
    }
  }

  // 3. The JSON, one event per line.
  bool first = true;
  auto emit = [&](const std::string& event) {
    out << (first ? "\n" : ",\n") << event;
    first = false;
  };
  // No displayTimeUnit: some viewers have read it as the unit of ts.
  out << "{\"otherData\":{"
      << fmt::format("\"trace\":{},\"config\":{},\"from_us\":{},\"to_us\":{},\"dropped_events\":{}",
                     json_string(m_trace_path), json_string(m_cfg.name), us(m_options.from),
                     std::isinf(m_options.to) ? us(m_end) : us(m_options.to), m_dropped)
      << "},\"traceEvents\":[";

  std::vector<std::int32_t> pids;
  for (const auto& [key, t] : tracks)
    pids.push_back(key.pid);
  for (std::uint32_t c = 0; c < p.cores.size(); ++c)
    pids.push_back(pid_of_core(c));
  std::sort(pids.begin(), pids.end());
  pids.erase(std::unique(pids.begin(), pids.end()), pids.end());
  for (std::int32_t pid : pids) {
    const std::string name = pid == switch_pid ? "switch" : fmt::format("chip {}", pid);
    emit(fmt::format(R"({{"ph":"M","name":"process_name","pid":{},"tid":0,"args":{{"name":{}}}}})",
                     pid, json_string(name)));
    emit(fmt::format(
        R"({{"ph":"M","name":"process_sort_index","pid":{},"tid":0,"args":{{"sort_index":{}}}}})",
        pid, pid));
  }
  for (const auto& [key, t] : tracks) {
    for (std::uint32_t lane = 0; lane < t.lanes; ++lane) {
      const std::string name = lane == 0 ? t.name : fmt::format("{} ({})", t.name, lane + 1);
      emit(
          fmt::format(R"({{"ph":"M","name":"thread_name","pid":{},"tid":{},"args":{{"name":{}}}}})",
                      key.pid, t.first_tid + lane, json_string(name)));
      emit(fmt::format(
          R"({{"ph":"M","name":"thread_sort_index","pid":{},"tid":{},"args":{{"sort_index":{}}}}})",
          key.pid, t.first_tid + lane, t.first_tid + lane));
    }
  }

  auto at = [&](std::uint32_t index) {
    const std::uint32_t line = p.instructions[index].line;
    return line == 0 ? std::string("-") : fmt::format("{}:{}", m_trace_path, line);
  };
  for (const auto& [key, t] : tracks) {
    for (std::size_t i = 0; i < t.items.size(); ++i) {
      const Item& item = t.items[i];
      const std::uint32_t tid = t.first_tid + t.lane_of[i];
      const std::string head =
          fmt::format(R"("pid":{},"tid":{},"ts":{},"dur":{})", key.pid, tid, us(item.start),
                      us_of_ns(std::max<std::int64_t>(0, ns(item.end) - ns(item.start))));
      if (item.kind == 0 || item.kind == 1) {
        const events::InstructionEvent& e = m_slices[item.record].ev;
        const trace::Instruction& ins = p.instructions[e.index];
        const std::string_view opcode = isa::opcode_info(ins.opcode).name;
        if (item.kind == 1) {
          emit(fmt::format(
              R"({{"ph":"X","name":"load weights","cat":"pe",{},"args":{{"at":{},"for":{}}}}})",
              head, json_string(at(e.index)), json_string(opcode)));
          continue;
        }
        std::string operands;
        for (std::uint32_t a = 0; a < ins.num_args; ++a) {
          const trace::Arg& arg = p.args_of(ins)[a];
          if (arg.key != isa::Attr::kNone || arg.kind != isa::ArgKind::kOperand) continue;
          if (!operands.empty()) operands += ", ";
          operands += trace::print_operand(p, p.operand(arg.operand));
        }
        std::string waits;
        for (std::size_t r = 0; r < events::kNumStallReasons; ++r) {
          if (e.stall[r] <= 0) continue;
          waits += fmt::format(
              ",{}:{}",
              json_string(fmt::format(
                  "wait_{}_us", events::stall_reason_name(static_cast<events::StallReason>(r)))),
              us(e.stall[r]));
        }
        emit(fmt::format(
            R"({{"ph":"X","name":{},"cat":{},{},"args":{{"at":{},"instruction":{},"operands":{},"bytes":{},"flops":{},"ready_us":{},"busy_end_us":{}{}}}}})",
            json_string(opcode), json_string(isa::engine_name(e.engine)), head,
            json_string(at(e.index)), e.index, json_string(operands), e.bytes, e.flops, us(e.ready),
            us(e.busy_end), waits));
      } else if (item.kind == 2) {
        const events::TransferEvent& e = m_transfers[item.record].ev;
        emit(fmt::format(
            R"({{"ph":"X","name":{},"cat":"dma",{},"args":{{"at":{},"instruction":{},"queue":{},"bytes":{},"hbm_wait_us":{},"engine_wait_us":{},"link_wait_us":{}}}}})",
            json_string(fmt::format("{}->{}", memory_name(e.src), memory_name(e.dst))), head,
            json_string(at(e.instruction)), e.instruction, e.queue, e.bytes, us(e.hbm_wait),
            us(e.engine_wait), us(e.link_wait)));
      } else {
        const LinkSlice& l = m_links[item.record];
        emit(fmt::format(
            R"({{"ph":"X","name":"packets","cat":"link",{},"args":{{"bytes":{},"packets":{}}}}})",
            head, l.bytes, l.packets));
      }
    }
  }

  // Flow arrows: from inside the posting instruction's slice (a flow binds to the slice
  // enclosing its point) to the start of the waiter's.
  std::uint64_t flow_id = 0;
  for (const Flow& f : m_flows) {
    const Placement& from = placed[f.from_instruction];
    const Placement& to = placed[f.to_instruction];
    if (from.pid < 0 || to.pid < 0) continue;
    // A flow binds to the slice open on its track at its time: keep it 1 ns inside.
    const std::int64_t inside = std::max(ns(from.start), std::min(ns(f.time), ns(from.end) - 1));
    const std::string name = json_string(fmt::format("sem {}", p.semaphores[f.semaphore].name));
    ++flow_id;
    emit(
        fmt::format(R"({{"ph":"s","id":{},"name":{},"cat":"semaphore","pid":{},"tid":{},"ts":{}}})",
                    flow_id, name, from.pid, from.tid, us_of_ns(inside)));
    emit(fmt::format(
        R"({{"ph":"f","bp":"e","id":{},"name":{},"cat":"semaphore","pid":{},"tid":{},"ts":{}}})",
        flow_id, name, to.pid, to.tid, us(to.start)));
  }

  write_counters(emit);
  out << "\n]}\n";
}

void TimelineRecorder::write_counters(const Emit& emit) const {
  const trace::Program& p = m_program;
  const double w0 = std::max(0.0, m_options.from);
  const double w1 = std::min(m_options.to, m_end);
  if (!(w1 > w0)) return;
  const double width = (w1 - w0) / static_cast<double>(kCounterCells);
  // A sample where the value changes, and the last value again at the window's end.
  auto series = [&](std::int32_t pid, const std::string& name, std::string_view unit,
                    const std::vector<double>& values) {
    for (std::size_t c = 0; c < values.size(); ++c) {
      if (c > 0 && values[c] == values[c - 1]) continue;
      emit(fmt::format(R"({{"ph":"C","name":{},"pid":{},"tid":0,"ts":{},"args":{{{}:{}}}}})",
                       json_string(name), pid, us(w0 + width * static_cast<double>(c)),
                       json_string(unit), values[c]));
    }
    emit(fmt::format(R"({{"ph":"C","name":{},"pid":{},"tid":0,"ts":{},"args":{{{}:{}}}}})",
                     json_string(name), pid, us(w1), json_string(unit), values.back()));
  };

  // HBM bandwidth of each chip's DMA engines: each slice's bytes spread evenly over it.
  std::map<std::int32_t, std::vector<double>> hbm;
  for (const Transfer& t : m_transfers) {
    const events::TransferEvent& e = t.ev;
    if (e.src != isa::Memory::kHbm && e.dst != isa::Memory::kHbm) continue;
    std::vector<double>& cells = hbm[static_cast<std::int32_t>(p.cores[e.core_index].id.chip)];
    cells.resize(kCounterCells, 0);
    const double span = std::max(e.end - e.start, 1e-15);
    const double a = std::max(e.start, w0);
    const double b = std::min(e.end, w1);
    for (auto c = static_cast<std::size_t>((a - w0) / width); c < kCounterCells; ++c) {
      const double c0 = w0 + width * static_cast<double>(c);
      const double overlap = std::min(b, c0 + width) - std::max(a, c0);
      if (c0 >= b) break;
      if (overlap > 0) cells[c] += static_cast<double>(e.bytes) * overlap / span;
    }
  }
  for (auto& [pid, cells] : hbm) {
    for (double& v : cells)
      v = std::round(v / width / 1e9 * 1000) / 1000;  // GB/s, to 1 MB/s
    series(pid, "HBM bandwidth (DMA)", "GB/s", cells);
  }

  // Live data in PSUM banks and SBUF blocks.
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint32_t> core_index;
  for (std::uint32_t c = 0; c < p.cores.size(); ++c)
    core_index[{p.cores[c].id.chip, p.cores[c].id.core}] = c;
  const std::uint64_t sbuf_block =
      std::max(kMinSbufBlock, m_cfg.sbuf.bytes_per_partition / kSbufBlocks);
  const std::uint64_t bank_bytes = std::max<std::uint64_t>(1, m_cfg.psum.bank_bytes);
  // (core index, memory, block) -> its accesses
  std::map<std::tuple<std::uint32_t, isa::Memory, std::uint64_t>, std::vector<BlockAccess>> blocks;
  std::vector<check::OperandAccess> accesses;
  for (const Slice& s : m_slices) {
    const events::InstructionEvent& e = s.ev;
    const trace::Instruction& ins = p.instructions[e.index];
    for (const bool writes : {false, true}) {
      accesses.clear();
      check::operand_accesses(p, ins, m_cfg, m_tensor_addresses, writes, accesses);
      for (const check::OperandAccess& a : accesses) {
        const trace::Footprint& f = a.where;
        if (f.memory == isa::Memory::kHbm) continue;
        auto owner = core_index.find({f.chip, f.core});
        if (owner == core_index.end() || f.hi() <= f.lo()) continue;
        const std::uint64_t size = f.memory == isa::Memory::kPsum ? bank_bytes : sbuf_block;
        const auto lo = static_cast<std::uint64_t>(std::max<std::int64_t>(0, f.lo()));
        const auto hi = static_cast<std::uint64_t>(f.hi());
        for (std::uint64_t b = lo / size; b <= (hi - 1) / size; ++b) {
          blocks[{owner->second, f.memory, b}].push_back(
              {e.issue, e.complete, writes, f.p1 - f.p0});
        }
      }
    }
  }
  std::map<std::pair<std::uint32_t, isa::Memory>, StepCounter> live;
  for (auto& [key, list] : blocks) {
    const auto [core, memory, block] = key;
    // Reads before writes at the same instant: an accumulating matmul reads what it adds to.
    std::sort(list.begin(), list.end(), [](const BlockAccess& a, const BlockAccess& b) {
      return std::tie(a.time, a.write, a.end) < std::tie(b.time, b.write, b.end);
    });
    StepCounter& counter = live[{core, memory}];
    const double per_block = memory == isa::Memory::kPsum ? 1.0 : static_cast<double>(sbuf_block);
    double written = -1;
    double last_read = -1;
    std::uint32_t partitions = 0;
    auto close = [&](double until) {
      if (written >= 0 && last_read > written) {
        const double amount = memory == isa::Memory::kPsum ? per_block : per_block * partitions;
        counter.add(written, std::min(last_read, until), amount);
      }
    };
    for (const BlockAccess& a : list) {
      if (a.write) {
        close(a.time);
        written = a.time;
        last_read = -1;
        partitions = a.partitions;
      } else {
        last_read = std::max(last_read, a.end);
      }
    }
    close(std::numeric_limits<double>::infinity());
  }
  for (auto& [key, counter] : live) {
    const auto [core, memory] = key;
    if (counter.empty()) continue;
    std::vector<double> cells = counter.sample(w0, width, kCounterCells);
    const bool psum = memory == isa::Memory::kPsum;
    if (!psum) {
      for (double& v : cells)
        v = std::round(v / (1024.0 * 1024.0) * 1000) / 1000;  // MiB
    }
    series(static_cast<std::int32_t>(p.cores[core].id.chip),
           fmt::format("core{} {}", p.cores[core].id.core,
                       psum ? "PSUM banks live" : "SBUF live data"),
           psum ? "banks" : "MiB", cells);
  }
}

}  // namespace trnsim::timeline
