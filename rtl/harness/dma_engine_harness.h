// The one interface between a verilated dma_engine (rtl/dma_engine.sv) and the cross-check:
// descriptors go in, each presented from a given cycle on until the engine takes it; what
// comes out is the cycle of each descriptor's events (taken, started, last byte read, last
// byte landed). Behind the engine's memory ports the harness is the memory: a byte array
// that answers every read and write a fixed number of cycles later, in order, and never
// stalls. It computes no expected values.
//
// Cycles are counted from the first cycle after reset (cycle 0). A descriptor is "taken in
// cycle c" when desc_valid_i and desc_ready_o are both high during cycle c; the other events
// are the cycles their pulse (job_start_o, read_done_o, done_o) is high. A read requested in
// cycle c is answered in cycle c + latency with the bytes as they were in cycle c; a write
// issued in cycle c changes the memory then and is acknowledged in cycle c + latency.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <verilated.h>

namespace trnsim::cosim {

// One descriptor: `rows` rows of `row_bytes` bytes, row r read from src + r * src_stride and
// written to dst + r * dst_stride.
struct DmaDescriptor {
  std::uint64_t src = 0;
  std::uint64_t dst = 0;
  std::int64_t src_stride = 0;
  std::int64_t dst_stride = 0;
  std::uint32_t row_bytes = 0;
  std::uint32_t rows = 0;
  std::uint32_t queue = 0;  // hardware queue
};

// The config's times in cycles of the engine's clock.
struct DmaEngineCycles {
  std::uint32_t start = 0;     // from taking a descriptor to its earliest start
  std::uint32_t overhead = 0;  // per row (descriptor element)
  std::uint32_t latency = 1;   // of every memory read and write, >= 1
};

// When each event of one descriptor happened; kNever if it did not.
struct DmaEvents {
  static constexpr std::uint64_t kNever = ~std::uint64_t{0};
  std::uint64_t taken = kNever;
  std::uint64_t started = kNever;
  std::uint64_t read_done = kNever;
  std::uint64_t done = kNever;
};

template <typename Model>
class DmaEngineHarness {
 public:
  // Called in the cycle descriptor `index` is taken / is done, before the clock edge.
  using Callback = std::function<void(std::size_t index)>;

  // `beat_bytes`: the BEAT_BYTES the model was verilated with (Verilator rounds the data
  // ports up to a C type or to 32-bit words, so their size alone does not say).
  DmaEngineHarness(Model& model, std::size_t beat_bytes, const DmaEngineCycles& cycles,
                   std::size_t memory_bytes)
      : m_model(model), m_beat_bytes(beat_bytes), m_cycles(cycles), m_memory(memory_bytes, 0) {
    if (cycles.latency == 0) throw std::invalid_argument("memory latency must be >= 1 cycle");
    if (beat_bytes == 0 || beat_bytes > sizeof(m_model.rd_rsp_data_i))
      throw std::invalid_argument("beat width does not match the model's data ports");
    m_model.start_cycles_i = cycles.start;
    m_model.overhead_cycles_i = cycles.overhead;
    idle_inputs();
    m_model.rst_ni = 0;
    edge();
    edge();
    m_model.rst_ni = 1;
    m_model.eval();
  }

  std::vector<std::uint8_t>& memory() { return m_memory; }

  // Presents descriptor i, for its queue, from cycle max(issue[i], cycle after descriptor
  // i - 1 was taken) until it is taken (one stream: a full queue holds up the ones behind), and
  // runs until every descriptor is done or `cycle_limit` cycles have passed since the call. Returns
  // the events of each descriptor.
  std::vector<DmaEvents> run(const std::vector<DmaDescriptor>& descriptors,
                             const std::vector<std::uint64_t>& issue, const Callback& on_taken,
                             const Callback& on_done, std::uint64_t cycle_limit) {
    std::vector<DmaEvents> events(descriptors.size());
    std::size_t next_taken = 0, done_count = 0;
    // Descriptors taken but not started, per queue; started but not read, not done (the
    // memory answers in order, so those complete in the order they started).
    std::vector<std::deque<std::size_t>> waiting;
    std::deque<std::size_t> reading, writing;
    const std::uint64_t limit = m_cycle + cycle_limit;
    while (done_count < descriptors.size() && m_cycle < limit) {
      // Inputs of this cycle.
      const bool offer = next_taken < descriptors.size() && m_cycle >= issue[next_taken];
      m_model.desc_valid_i = offer;
      if (offer) drive_descriptor(descriptors[next_taken]);
      const bool read_answer = !m_reads.empty() && m_reads.front().due == m_cycle;
      m_model.rd_rsp_valid_i = read_answer;
      if (read_answer) put_bytes(m_model.rd_rsp_data_i, m_reads.front().bytes);
      const bool write_answer = !m_writes.empty() && m_writes.front() == m_cycle;
      m_model.wr_rsp_valid_i = write_answer;
      m_model.eval();

      // Outputs of this cycle.
      if (offer && m_model.desc_ready_o) {
        const std::uint32_t q = descriptors[next_taken].queue;
        if (waiting.size() <= q) waiting.resize(q + 1);
        waiting[q].push_back(next_taken);
        events[next_taken].taken = m_cycle;
        on_taken(next_taken++);
      }
      if (m_model.job_start_o) {
        const std::uint32_t q = m_model.job_queue_o;
        if (q >= waiting.size() || waiting[q].empty())
          throw std::logic_error("dma_engine started a job from queue " + std::to_string(q) +
                                 ", which holds none, in cycle " + std::to_string(m_cycle));
        events[waiting[q].front()].started = m_cycle;
        reading.push_back(waiting[q].front());
        writing.push_back(waiting[q].front());
        waiting[q].pop_front();
      }
      if (read_answer) m_reads.pop_front();
      if (write_answer) m_writes.pop_front();
      if (m_model.rd_req_valid_o) {
        Read r{m_cycle + m_cycles.latency, {}};
        r.bytes.assign(m_beat_bytes, 0);
        const auto addr = static_cast<std::uint64_t>(m_model.rd_req_addr_o);
        const std::size_t len = m_model.rd_req_len_o;
        check_access("read", addr, len);
        for (std::size_t i = 0; i < len; ++i)
          r.bytes[i] = m_memory[addr + i];
        m_reads.push_back(std::move(r));
      }
      if (m_model.wr_valid_o) {
        const auto addr = static_cast<std::uint64_t>(m_model.wr_addr_o);
        const std::size_t len = m_model.wr_len_o;
        check_access("write", addr, len);
        const std::vector<std::uint8_t> bytes = get_bytes(m_model.wr_data_o);
        for (std::size_t i = 0; i < len; ++i)
          m_memory[addr + i] = bytes[i];
        m_writes.push_back(m_cycle + m_cycles.latency);
      }
      if (m_model.read_done_o && !reading.empty()) {
        events[reading.front()].read_done = m_cycle;
        reading.pop_front();
      }
      if (m_model.done_o && !writing.empty()) {
        const std::size_t i = writing.front();
        writing.pop_front();
        events[i].done = m_cycle;
        ++done_count;
        on_done(i);
      }
      edge();
      ++m_cycle;
    }
    idle_inputs();
    m_model.eval();
    return events;
  }

  bool idle() const { return m_model.idle_o; }
  std::uint64_t cycle_count() const { return m_cycle; }

  std::size_t beat_bytes() const { return m_beat_bytes; }

 private:
  struct Read {
    std::uint64_t due;
    std::vector<std::uint8_t> bytes;
  };

  void check_access(const char* what, std::uint64_t addr, std::size_t len) const {
    if (len == 0 || len > m_beat_bytes || addr > m_memory.size() || len > m_memory.size() - addr)
      throw std::out_of_range("dma_engine " + std::string(what) + " of " + std::to_string(len) +
                              " bytes at " + std::to_string(addr) + " in cycle " +
                              std::to_string(m_cycle) + " is outside the memory");
  }

  void drive_descriptor(const DmaDescriptor& d) {
    m_model.desc_queue_i = d.queue;
    m_model.desc_src_i = d.src;
    m_model.desc_dst_i = d.dst;
    m_model.desc_src_stride_i = static_cast<std::uint64_t>(d.src_stride);
    m_model.desc_dst_stride_i = static_cast<std::uint64_t>(d.dst_stride);
    m_model.desc_row_bytes_i = d.row_bytes;
    m_model.desc_rows_i = d.rows;
  }

  // Bytes to and from a data port: byte i is bits 8i .. 8i + 7, whether Verilator made the
  // port a C integer (up to 8 bytes) or a VlWide of 32-bit words.
  template <typename Port>
  static void put_bytes(Port& port, const std::vector<std::uint8_t>& bytes) {
    if constexpr (std::is_integral_v<Port>) {
      std::uint64_t v = 0;
      for (std::size_t i = 0; i < bytes.size() && i < sizeof(Port); ++i)
        v |= std::uint64_t{bytes[i]} << (8 * i);
      port = static_cast<Port>(v);
    } else {
      for (std::size_t w = 0; w < sizeof(Port) / 4; ++w) {
        std::uint32_t v = 0;
        for (std::size_t b = 0; b < 4 && 4 * w + b < bytes.size(); ++b)
          v |= std::uint32_t{bytes[4 * w + b]} << (8 * b);
        port[w] = v;
      }
    }
  }

  template <typename Port>
  std::vector<std::uint8_t> get_bytes(const Port& port) const {
    std::vector<std::uint8_t> bytes(m_beat_bytes, 0);
    if constexpr (std::is_integral_v<Port>) {
      const auto v = static_cast<std::uint64_t>(port);
      for (std::size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = static_cast<std::uint8_t>(v >> (8 * i));
    } else {
      for (std::size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = static_cast<std::uint8_t>(port[i / 4] >> (8 * (i % 4)));
    }
    return bytes;
  }

  void idle_inputs() {
    m_model.desc_valid_i = 0;
    m_model.rd_rsp_valid_i = 0;
    m_model.wr_rsp_valid_i = 0;
  }

  void edge() {
    m_model.clk_i = 1;
    m_model.eval();
    m_model.clk_i = 0;
    m_model.eval();
  }

  Model& m_model;
  std::size_t m_beat_bytes;
  DmaEngineCycles m_cycles;
  std::vector<std::uint8_t> m_memory;
  std::deque<Read> m_reads;
  std::deque<std::uint64_t> m_writes;  // when each write in flight is acknowledged
  std::uint64_t m_cycle = 0;
};

}  // namespace trnsim::cosim
