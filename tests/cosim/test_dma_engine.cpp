// Cross-check of rtl/dma_engine.sv against the project's models: every destination byte of
// every descriptor against a plain strided copy, and the cycle each descriptor is taken,
// starts, has read its last byte and has landed against a sysc::DmaEngines instance given
// the same descriptors at the same times, behind a memory of the same fixed latency.
//
//   test_cosim_dma_engine --config FILE [--seed N] [--transactions N]
//
// The engine's clock is the config's engine bandwidth over the verilated beat width; the
// config's DMA and HBM times must be whole cycles of it. Times agree exactly while rows are
// whole beats; a partial beat costs the RTL a whole cycle, which bytes / bandwidth does not,
// and that padding, summed over the descriptors the engine streamed without a break, is
// the only slack allowed (docs/rtl.md derives it). Runs the directed descriptors, then N
// random ones from the seed; prints the first divergence (descriptor, event or byte address,
// expected and got) and exits 1; exits 2 on bad arguments or a config it cannot run.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

// Verilator's headers first: seeing SystemC's, they would take their time from a SystemC
// kernel this test does not give them.
#include "dma_engine_harness.h"
#include "rtl/dma_engine_model.h"

#include <fmt/format.h>
#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

#include "config/config_loader.h"
#include "cosim_main.h"
#include "sysc/common/kernel.h"
#include "sysc/dma/dma_engines.h"
#include "sysc/memory/transfer_shape.h"

using namespace trnsim;
using cosim::DmaDescriptor;
using cosim::DmaEvents;

namespace {

// The harness memory: a read-only source region of random bytes, then a ring of destination
// windows, one per descriptor, far enough apart that no two descriptors in flight share one.
constexpr std::uint64_t kSrcBytes = 1u << 20;
constexpr std::uint64_t kDstBase = kSrcBytes;
constexpr std::uint64_t kDstBytes = 4u << 20;

struct Job {
  std::string name;
  DmaDescriptor desc;
  std::uint64_t issue = 0;  // first cycle it is offered
};

// The engine's clock and the config's times on it.
struct Clocking {
  std::uint32_t beat = 0;         // bytes per cycle
  std::uint64_t period_fs = 0;    // beat / bandwidth
  std::uint64_t fs_per_byte = 0;  // 1 / bandwidth
  cosim::DmaEngineCycles cycles;  // start, overhead, latency
};

std::uint32_t whole_cycles(double ns, double period_ns, std::string_view what) {
  const double cycles = ns / period_ns;
  const double rounded = std::round(cycles);
  if (std::abs(cycles - rounded) > 1e-9 || rounded < 0 || rounded > 1e9)
    throw std::runtime_error(fmt::format(
        "{} = {} ns is not a whole number of {} ns cycles: the cross-check needs a config "
        "whose times land on the engine's clock (tests/cosim/dma-1ghz.yaml)",
        what, ns, period_ns));
  return static_cast<std::uint32_t>(rounded);
}

Clocking clocking_of(const config::SystemConfig& cfg, std::uint32_t beat) {
  Clocking c;
  c.beat = beat;
  const double period_ns = beat / cfg.dma.engine_bandwidth_gb_s;  // GB/s == bytes/ns
  const double period_fs = period_ns * sysc::kTicksPerNs;
  c.period_fs = static_cast<std::uint64_t>(std::llround(period_fs));
  if (std::abs(period_fs - static_cast<double>(c.period_fs)) > 1e-6 || c.period_fs % beat != 0)
    throw std::runtime_error(fmt::format(
        "a {}-byte beat at {} GB/s is a {} ns period, not a whole number of femtoseconds per "
        "byte",
        beat, cfg.dma.engine_bandwidth_gb_s, period_ns));
  c.fs_per_byte = c.period_fs / beat;
  // A descriptor may start once the DMA start latency and descriptor generation are over,
  // as sysc::DmaQueue computes a job's ready time.
  c.cycles.start = whole_cycles(std::max(cfg.dma.start_latency_ns, cfg.dma.descriptor_ns),
                                period_ns, "dma start latency");
  c.cycles.overhead =
      whole_cycles(cfg.dma.element_overhead_ns, period_ns, "dma.element_overhead_ns");
  c.cycles.latency = whole_cycles(cfg.hbm.latency_ns, period_ns, "hbm.latency_ns");
  if (c.cycles.latency == 0) throw std::runtime_error("hbm.latency_ns must be at least one cycle");
  return c;
}

std::uint64_t abs_stride(std::int64_t s) {
  return s < 0 ? static_cast<std::uint64_t>(-s) : static_cast<std::uint64_t>(s);
}

// The bytes one side of a descriptor spans: [lowest row, highest row + row_bytes).
std::uint64_t span(const DmaDescriptor& d, std::int64_t stride) {
  return (d.rows - 1) * abs_stride(stride) + d.row_bytes;
}
std::uint64_t lowest(std::uint64_t first, const DmaDescriptor& d, std::int64_t stride) {
  return stride < 0 ? first - (d.rows - 1) * abs_stride(stride) : first;
}

// Which row of `d` last writes destination byte `addr`, for messages.
std::string where(const DmaDescriptor& d, std::uint64_t addr) {
  for (std::uint64_t r = d.rows; r-- > 0;) {
    const std::uint64_t first = d.dst + r * static_cast<std::uint64_t>(d.dst_stride);
    if (addr >= first && addr - first < d.row_bytes)
      return fmt::format("row {}, byte {}", r, addr - first);
  }
  return "between rows: must keep its content";
}

// Bytes of padding: the partial last beat of each row, which the RTL streams as a whole.
std::uint64_t padding(const DmaDescriptor& d, std::uint32_t beat) {
  const std::uint64_t beats = (d.row_bytes + beat - 1) / beat;
  return std::uint64_t{d.rows} * (beats * beat - d.row_bytes);
}

////////////////////////////////////////////////////////////////////////////////////////////
// The SystemC side: a DmaEngines instance given the same descriptors at the same times.

// A memory of fixed latency that streams any transfer at once: never the bottleneck, like
// the harness's memory.
struct FixedLatencyMemory : sc_core::sc_module {
  tlm_utils::simple_target_socket<FixedLatencyMemory> socket;
  sc_core::sc_time latency;

  FixedLatencyMemory(sc_core::sc_module_name name, sc_core::sc_time l)
      : sc_module(name), socket("socket"), latency(l) {
    socket.register_b_transport(this, &FixedLatencyMemory::b_transport);
  }

  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
    if (sysc::TransferShape* shape = sysc::transfer_shape(trans))
      shape->stream_end = sc_core::sc_time_stamp() + delay;
    delay += latency;
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

// What the model says happened to one descriptor, in femtoseconds.
struct ModelTimes {
  std::uint64_t taken = 0;
  std::uint64_t start = 0;
  std::uint64_t read_done = 0;
  std::uint64_t end = 0;
  bool reported = false;
};

// Offers the jobs to engine 0, each on its queue, as the harness offers them to the RTL: job i
// from its issue cycle on, one per cycle at most, taken once the queue has room, ready the
// start latency later. With `whole_beats`, each row is given as the bytes of the beats the
// RTL moves it in (its length rounded up to a multiple of the beat).
struct Driver : sc_core::sc_module, sysc::DmaJobOwner {
  SC_HAS_PROCESS(Driver);

  Driver(sc_core::sc_module_name name, sysc::DmaEngines& dma, const std::vector<Job>& jobs,
         const Clocking& clk, bool whole_beats)
      : sc_module(name), m_dma(dma), m_jobs(jobs), m_clk(clk), times(jobs.size()) {
    for (const Job& j : jobs) {
      const std::uint64_t beats = (j.desc.row_bytes + clk.beat - 1) / clk.beat;
      const std::uint64_t row_bytes = whole_beats ? beats * clk.beat : j.desc.row_bytes;
      sysc::DmaSlice s;
      s.engine = 0;
      s.src = {j.desc.src, j.desc.src_stride, j.desc.rows, row_bytes};
      s.dst = {j.desc.dst, j.desc.dst_stride, j.desc.rows, row_bytes};
      s.runs = j.desc.rows;  // each row one descriptor element
      m_slices.push_back({s});
    }
    SC_THREAD(feed);
  }

  void feed() {
    const auto fs = [](std::uint64_t v) { return sc_core::sc_time::from_value(v); };
    for (std::size_t i = 0; i < m_jobs.size(); ++i) {
      std::uint64_t at = m_jobs[i].issue * m_clk.period_fs;
      if (i > 0) at = std::max(at, times[i - 1].taken + m_clk.period_fs);
      const std::uint64_t now = sc_core::sc_time_stamp().value();
      if (at > now) wait(fs(at - now));
      const auto queue = static_cast<std::uint8_t>(m_jobs[i].desc.queue);
      while (!m_dma.can_accept(m_slices[i], queue))
        wait(m_dma.space_freed());
      times[i].taken = sc_core::sc_time_stamp().value();
      m_dma.enqueue(m_slices[i],
                    sc_core::sc_time_stamp() + fs(m_clk.cycles.start * m_clk.period_fs), this,
                    static_cast<std::uint32_t>(i), queue);
    }
  }

  void slices_done(std::uint32_t instruction, const sysc::DmaSliceDone* done,
                   std::size_t count) override {
    if (count != 1) throw std::logic_error("one slice per job expected");
    ModelTimes& t = times[instruction];
    t.start = done->start.value();
    t.read_done = done->read_done.value();
    t.end = done->end.value();
    t.reported = true;
  }

  sysc::DmaEngines& m_dma;
  const std::vector<Job>& m_jobs;
  const Clocking& m_clk;
  std::vector<std::vector<sysc::DmaSlice>> m_slices;
  std::vector<ModelTimes> times;
};

std::vector<ModelTimes> model_times(const config::SystemConfig& cfg, const std::vector<Job>& jobs,
                                    const Clocking& clk, bool whole_beats) {
  sysc::reset_kernel();
  const sc_core::sc_time latency =
      sc_core::sc_time::from_value(std::uint64_t{clk.cycles.latency} * clk.period_fs);
  FixedLatencyMemory memory("memory", latency);
  sysc::DmaEngines dma("dma", cfg.dma);
  dma.socket.bind(memory.socket);
  Driver driver("driver", dma, jobs, clk, whole_beats);
  sc_core::sc_start();
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (!driver.times[i].reported)
      throw std::runtime_error(fmt::format("the SystemC model never started descriptor {}", i));
  }
  return driver.times;
}

////////////////////////////////////////////////////////////////////////////////////////////
// Stimulus.

class Stimulus {
 public:
  Stimulus(std::uint64_t seed, std::uint32_t beat, std::uint32_t queues)
      : m_rng(seed), m_beat(beat), m_queues(queues) {}

  // Modulo draws, not std distributions, so a seed gives the same descriptors everywhere.
  std::uint64_t below(std::uint64_t n) { return m_rng() % n; }

  // A descriptor of `rows` rows of `row_bytes` at the given strides: the source somewhere in
  // the source region (at `src_offset` when given), the destination in the next window.
  DmaDescriptor make(std::uint32_t rows, std::uint32_t row_bytes, std::int64_t src_stride,
                     std::int64_t dst_stride, std::optional<std::uint64_t> src_offset = {},
                     std::optional<std::uint64_t> dst_offset = {}) {
    DmaDescriptor d{0, 0, src_stride, dst_stride, row_bytes, rows};
    const std::uint64_t src_span = span(d, src_stride);
    const std::uint64_t src_lo = src_offset ? *src_offset : below(kSrcBytes - src_span);
    d.src = src_stride < 0 ? src_lo + (rows - 1) * abs_stride(src_stride) : src_lo;
    const std::uint64_t dst_span = span(d, dst_stride);
    const std::uint64_t skew = dst_offset ? *dst_offset : below(2 * m_beat);
    if (m_next_window + skew + dst_span > kDstBase + kDstBytes) m_next_window = kDstBase;
    const std::uint64_t dst_lo = m_next_window + skew;
    m_next_window = dst_lo + dst_span;
    d.dst = dst_stride < 0 ? dst_lo + (rows - 1) * abs_stride(dst_stride) : dst_lo;
    return d;
  }

  Job random_job(std::uint64_t previous_issue) {
    const std::uint32_t w = m_beat;
    const auto rows = static_cast<std::uint32_t>(below(4) == 0 ? 1 : 1 + below(16));
    std::uint32_t rb = 0;
    switch (below(4)) {
      case 0:
        rb = w * static_cast<std::uint32_t>(1 + below(4));
        break;  // whole beats
      case 1:
        rb = static_cast<std::uint32_t>(1 + below(w));
        break;  // under one beat
      case 2:
        rb = static_cast<std::uint32_t>(1 + below(4 * w));
        break;
      default:
        rb = static_cast<std::uint32_t>(1 + below(600));
        break;
    }
    const auto stride = [&]() -> std::int64_t {
      const auto r = static_cast<std::int64_t>(rb);
      switch (below(5)) {
        case 0:
          return r;  // contiguous
        case 1:
          return r + static_cast<std::int64_t>(below(64));
        case 2:
          return r + static_cast<std::int64_t>(below(2048));
        case 3:
          return -(r + static_cast<std::int64_t>(below(256)));
        default:  // rows overlap (down to 0): later destination rows overwrite earlier ones
          return static_cast<std::int64_t>(below(rb + 1));
      }
    };
    const std::int64_t src_stride = stride();
    const std::int64_t dst_stride = stride();
    // Often back to back (the queue fills), sometimes after a pause, sometimes after the
    // engine went idle.
    std::uint64_t gap = 0;
    const std::uint64_t g = below(10);
    if (g >= 4 && g < 7) gap = below(200);
    if (g >= 7 && g < 9) gap = below(3000);
    if (g == 9) gap = 6000;
    DmaDescriptor d = make(rows, rb, src_stride, dst_stride);
    d.queue = static_cast<std::uint32_t>(m_queues > 1 ? below(m_queues) : 0);
    return {fmt::format("random: queue {}, {} rows x {} B, strides {} / {}", d.queue, rows, rb,
                        src_stride, dst_stride),
            d, previous_issue + gap};
  }

  std::mt19937_64& rng() { return m_rng; }

 private:
  std::mt19937_64 m_rng;
  std::uint32_t m_beat;
  std::uint32_t m_queues;
  std::uint64_t m_next_window = kDstBase;
};

// Hand-picked descriptors. Most are whole beats, so their times must match exactly; the
// first is the smallest transfer and the first to fail on an off-by-one in the RTL.
std::vector<Job> directed(Stimulus& s, std::uint32_t w, std::uint32_t queues) {
  std::vector<Job> jobs;
  const auto rb = [](std::uint64_t v) { return static_cast<std::uint32_t>(v); };
  const auto st = [](std::uint64_t v) { return static_cast<std::int64_t>(v); };
  std::uint64_t issue = 0;
  // Isolated: offered after the previous one has long landed, the engine idle.
  const auto isolated = [&](std::string name, DmaDescriptor d) {
    jobs.push_back({std::move(name), d, issue});
    issue += 10000;
  };
  isolated("one byte", s.make(1, 1, 1, 1, 5, 3));
  isolated("one beat, aligned", s.make(1, w, w, w, 4 * w, 0));
  isolated("one row of 4 beats, unaligned", s.make(1, rb(4 * w), st(4 * w), st(4 * w), 7, 9));
  isolated("32 contiguous rows (stride = row length)",
           s.make(32, rb(2 * w), st(2 * w), st(2 * w), 0, 0));
  isolated("16 rows, large source stride", s.make(16, rb(w), 4096, st(w), 3, 1));
  isolated("8 rows, large destination stride, unaligned",
           s.make(8, rb(3 * w), st(3 * w + 5), 1000 + 3, 11, 13));
  isolated("5 rows of beat + 3 bytes", s.make(5, rb(w + 3), st(w + 3), st(2 * w), 1, 2));
  isolated("7 rows of beat - 1 bytes, destination rows overlapping",
           s.make(7, rb(w - 1 > 0 ? w - 1 : 1), st(w), st(w > 2 ? w - 3 : 1), 17, 0));
  isolated("6 rows, negative strides", s.make(6, rb(2 * w), -st(5 * w), -st(3 * w), 9000, 6));
  isolated("one long row of 1000 bytes", s.make(1, 1000, 1000, 1000, 21, 5));
  // Back to back: offered in consecutive cycles, more than the queue holds.
  for (int i = 0; i < 8; ++i) {
    jobs.push_back({fmt::format("back to back {} of 8", i + 1),
                    s.make(static_cast<std::uint32_t>(1 + i % 3), rb(w * (1 + i % 2)),
                           st(w * (1 + i % 2)), st(w * (2 + i % 2)), {}, 0),
                    issue});
  }
  // Round-robin: two queues filled back to back, the first with more; the engine alternates
  // while both hold ready descriptors, whatever order they came in.
  if (queues > 1) {
    issue += 10000;
    for (std::uint32_t i = 0; i < 6; ++i) {
      DmaDescriptor d = s.make(1 + i % 2, rb(w), st(w), st(w), {}, 0);
      d.queue = i < 4 ? 0 : queues - 1;
      jobs.push_back({fmt::format("round-robin {} of 6, queue {}", i + 1, d.queue), d, issue});
    }
  }
  return jobs;
}

////////////////////////////////////////////////////////////////////////////////////////////
// The RTL side and the comparison.

using cosim::Options;

// The expected content of one descriptor's destination window.
struct Window {
  std::uint64_t lo = 0;
  std::vector<std::uint8_t> bytes;
};

int cross_check(const Options& opt, const config::SystemConfig& cfg) {
  if (cfg.dma.queue_depth != TRNSIM_DMA_ENGINE_QUEUE_DEPTH)
    throw std::runtime_error(fmt::format(
        "{}: dma.queue_depth is {}, the verilated dma_engine has {} (built from {})", opt.config,
        cfg.dma.queue_depth, TRNSIM_DMA_ENGINE_QUEUE_DEPTH, TRNSIM_DMA_ENGINE_CONFIG));
  const std::uint32_t w = TRNSIM_DMA_ENGINE_BEAT_BYTES;
  const Clocking clk = clocking_of(cfg, w);
  if (cfg.dma.queues > TRNSIM_DMA_ENGINE_QUEUES)
    throw std::runtime_error(fmt::format("{}: dma.queues is {}, the verilated dma_engine has {}",
                                         opt.config, cfg.dma.queues, TRNSIM_DMA_ENGINE_QUEUES));
  // The bound on the descriptors' own bytes assumes both run the descriptors in the same
  // order; with several queues a partial beat may change a round-robin pick.
  const bool bounded = cfg.dma.queues == 1;

  Stimulus stim(opt.seed, w, cfg.dma.queues);
  std::vector<Job> jobs = directed(stim, w, cfg.dma.queues);
  const std::size_t n_directed = jobs.size();
  for (std::uint64_t i = 0; i < opt.transactions; ++i)
    jobs.push_back(stim.random_job(jobs.back().issue));

  // The model on the bytes the RTL's beats carry, which its times must match exactly, and on
  // the descriptors' own bytes, which they may exceed by the padding of the partial beats.
  const std::vector<ModelTimes> beats_model = model_times(cfg, jobs, clk, true);
  const std::vector<ModelTimes> model = model_times(cfg, jobs, clk, false);

  auto context = std::make_unique<VerilatedContext>();
  auto rtl = std::make_unique<Vdma_engine>(context.get());
  cosim::DmaEngineHarness<Vdma_engine> harness(*rtl, w, clk.cycles, kDstBase + kDstBytes);
  std::vector<std::uint8_t>& mem = harness.memory();
  for (std::uint64_t a = 0; a < kSrcBytes; ++a)
    mem[a] = static_cast<std::uint8_t>(stim.below(256));

  std::vector<DmaDescriptor> descriptors;
  std::vector<std::uint64_t> issue;
  for (const Job& j : jobs) {
    descriptors.push_back(j.desc);
    issue.push_back(j.issue);
  }

  // When a descriptor is taken, its window gets fresh random bytes (so a missing write shows)
  // and the reference computes what the window must hold: a plain strided copy, row by row.
  std::vector<Window> expected(jobs.size());
  std::optional<std::string> data_divergence;
  std::size_t data_divergence_job = jobs.size();
  const auto on_taken = [&](std::size_t i) {
    const DmaDescriptor& d = jobs[i].desc;
    Window& win = expected[i];
    win.lo = lowest(d.dst, d, d.dst_stride);
    const std::uint64_t size = span(d, d.dst_stride);
    for (std::uint64_t a = win.lo; a < win.lo + size; ++a)
      mem[a] = static_cast<std::uint8_t>(stim.below(256));
    win.bytes.assign(mem.begin() + static_cast<std::ptrdiff_t>(win.lo),
                     mem.begin() + static_cast<std::ptrdiff_t>(win.lo + size));
    for (std::uint64_t r = 0; r < d.rows; ++r) {
      const std::uint64_t src = d.src + r * static_cast<std::uint64_t>(d.src_stride);
      const std::uint64_t dst = d.dst + r * static_cast<std::uint64_t>(d.dst_stride);
      for (std::uint64_t b = 0; b < d.row_bytes; ++b)
        win.bytes[dst + b - win.lo] = mem[src + b];
    }
  };
  // When it is done, its window must hold exactly that.
  const auto on_done = [&](std::size_t i) {
    Window& win = expected[i];
    if (!data_divergence) {
      for (std::size_t k = 0; k < win.bytes.size(); ++k) {
        const std::uint8_t got = mem[win.lo + k];
        if (got != win.bytes[k]) {
          data_divergence =
              fmt::format("destination byte {:#x} ({}): expected {:#04x}, got {:#04x}", win.lo + k,
                          where(jobs[i].desc, win.lo + k), win.bytes[k], got);
          data_divergence_job = i;
          break;
        }
      }
    }
    win.bytes = {};
  };

  const std::uint64_t limit = model.back().end / clk.period_fs + 100000;
  const std::vector<DmaEvents> events = harness.run(descriptors, issue, on_taken, on_done, limit);
  rtl->final();

  // Times: RTL event cycles against the model's times, in femtoseconds. An event in cycle c
  // is "at" the start of c when it starts something (taken, started) and at its end when it
  // completes something (read_done, done).
  std::uint64_t slack = 0;  // allowed lateness carried from the descriptors streamed before
  std::uint64_t exact = 0, largest_slack = 0;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    const Job& j = jobs[i];
    const DmaEvents& e = events[i];
    const auto fail = [&](const std::string& what) {
      fmt::print(stderr, "dma_engine (seed {}): descriptor {} ({}): {}\n", opt.seed, i, j.name,
                 what);
      return 1;
    };
    struct Check {
      const char* name;
      std::uint64_t cycle;
      bool at_end;
      std::uint64_t model_fs;
      const char* model_name;
    };
    const auto checks = [&](const ModelTimes& m) {
      return std::array<Check, 4>{{
          {"taken (desc_ready_o)", e.taken, false, m.taken, "taken"},
          {"start (job_start_o)", e.started, false, m.start, "start"},
          {"last byte read (read_done_o)", e.read_done, true, m.read_done, "read_done"},
          {"landed (done_o)", e.done, true, m.end, "end"},
      }};
    };
    const auto fs_of = [&](const Check& c) {
      return (c.cycle + (c.at_end ? 1 : 0)) * clk.period_fs;
    };
    // Against the model on whole beats: exactly.
    for (const Check& c : checks(beats_model[i])) {
      if (c.cycle == DmaEvents::kNever)
        return fail(
            fmt::format("{} never happened (the model says {} ps)", c.name, c.model_fs / 1000.0));
      if (fs_of(c) != c.model_fs)
        return fail(fmt::format("{} in cycle {} = {} ps, SystemC on whole beats: {} = {} ps",
                                c.name, c.cycle, fs_of(c) / 1000.0, c.model_name,
                                c.model_fs / 1000.0));
    }
    // Against the model on the descriptor's bytes: no earlier, and later by at most the
    // padding of the partial beats streamed since the engine was last idle (docs/rtl.md).
    const bool clean = e.taken == j.issue && (i == 0 || events[i - 1].started <= e.taken) &&
                       e.started == e.taken + clk.cycles.start;
    if (clean) slack = 0;  // nothing before can still delay this descriptor
    const std::uint64_t pad = padding(j.desc, w) * clk.fs_per_byte;
    for (const Check& c : checks(model[i])) {
      if (!bounded) break;
      const std::uint64_t got = fs_of(c);
      const std::uint64_t allowed = c.at_end ? slack + pad : slack;
      if (got < c.model_fs || got - c.model_fs > allowed)
        return fail(fmt::format(
            "{} in cycle {} = {} ps, SystemC {} = {} ps, allowed 0 to {} ps later", c.name, c.cycle,
            got / 1000.0, c.model_name, c.model_fs / 1000.0, allowed / 1000.0));
      largest_slack = std::max(largest_slack, allowed);
    }
    if (slack + pad == 0) ++exact;
    slack += pad;
    if (data_divergence && data_divergence_job == i) return fail(*data_divergence);
  }
  if (!harness.idle()) {
    fmt::print(stderr, "dma_engine (seed {}): not idle after the last descriptor\n", opt.seed);
    return 1;
  }
  std::uint64_t bytes = 0;
  for (const Job& j : jobs)
    bytes += std::uint64_t{j.desc.rows} * j.desc.row_bytes;
  fmt::print(
      "dma_engine ({} B beats, {} ps clock, queues: {}): {} directed and {} random descriptors "
      "(seed {}) match the models: {} bytes, {} cycles; times exact on whole beats",
      w, clk.period_fs / 1000.0, cfg.dma.queues, n_directed, opt.transactions, opt.seed, bytes,
      harness.cycle_count());
  if (bounded) {
    fmt::print(
        ", and on the descriptors' bytes for {}, elsewhere within the padding (at most {} ps)",
        exact, largest_slack / 1000.0);
  }
  fmt::print("\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  cosim::Options defaults;
  defaults.transactions = 1000;
  return cosim::cosim_main(
      argc, argv, "test_cosim_dma_engine", defaults, true,
      [](const cosim::Options& opt) { return cross_check(opt, config::load_config(opt.config)); });
}
