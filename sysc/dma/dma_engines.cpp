#include "sysc/dma/dma_engines.h"

#include <algorithm>

#include "sysc/common/clock.h"

namespace trnsim::sysc {

using sc_core::sc_time;

DmaEngines::DmaEngines(sc_core::sc_module_name name, const config::DmaParams& params)
    : sc_module(name),
      socket("socket"),
      m_params(params),
      m_engines(params.engines),
      m_ns_per_byte(1.0 / params.engine_bandwidth_gb_s) {  // GB/s == bytes/ns
  for (Engine& e : m_engines) {
    e.per_queue.resize(params.queues);
    e.seen.resize(params.queues);
  }
  SC_METHOD(dispatch);
  sensitive << m_wake;
  dont_initialize();
  // Timing-only transfers carry no data; the payload still needs a valid pointer.
  m_payload.set_data_ptr(&m_dummy_data);
  m_payload.set_streaming_width(0);
  m_payload.set_byte_enable_ptr(nullptr);
  m_payload.set_dmi_allowed(false);
  m_payload.set_extension(&m_shape);
}

DmaEngines::~DmaEngines() {
  // The payload would delete its extensions; this one is a member.
  m_payload.clear_extension(&m_shape);
}

sc_time DmaEngines::busy_total() const {
  sc_time total = sc_core::SC_ZERO_TIME;
  for (const Engine& e : m_engines)
    total += e.busy;
  return total;
}

void DmaEngines::enqueue(DmaJob job) {
  Engine& e = m_engines[job.slice.engine];
  const sc_time now = sc_core::sc_time_stamp();
  const sc_time at = std::max({job.ready, e.free_at, now});
  e.per_queue[job.queue]++;
  e.jobs.push_back(std::move(job));
  m_wake.notify(at - now);  // an earlier pending wake-up stays
}

bool DmaEngines::pick(Engine& e, const sc_time& now, DmaJob& job) {
  // Round-robin: among the queues whose head is ready, the first at or after next_queue,
  // cyclically.
  const auto queues = static_cast<std::uint32_t>(e.per_queue.size());
  const std::uint64_t generation = ++e.generation;
  std::size_t best = e.jobs.size();
  std::uint32_t best_distance = queues;
  for (std::size_t i = 0; i < e.jobs.size() && e.jobs[i].ready <= now; ++i) {
    const std::uint32_t q = e.jobs[i].queue;
    if (e.seen[q] == generation) continue;  // not the head of its queue
    e.seen[q] = generation;
    const std::uint32_t distance = q >= e.next_queue ? q - e.next_queue : q + queues - e.next_queue;
    if (distance < best_distance) {
      best = i;
      best_distance = distance;
      if (distance == 0) break;
    }
  }
  if (best == e.jobs.size()) return false;
  job = std::move(e.jobs[best]);
  e.jobs.erase(e.jobs.begin() + static_cast<std::ptrdiff_t>(best));
  e.per_queue[job.queue]--;
  e.next_queue = job.queue + 1u < queues ? job.queue + 1u : 0;
  return true;
}

void DmaEngines::dispatch() {
  const sc_time now = sc_core::sc_time_stamp();
  bool started = false;
  for (Engine& e : m_engines) {
    DmaJob job;
    while (!e.jobs.empty() && e.free_at <= now && pick(e, now, job)) {
      started = true;
      const DmaSliceDone done = start(e, job, now);
      job.owner->slice_done(job.instruction, job.slice.engine, done);
    }
  }
  if (started) m_space_freed.notify(sc_core::SC_ZERO_TIME);
  schedule(now);
}

void DmaEngines::schedule(const sc_time& now) {
  bool any = false;
  sc_time next;
  for (const Engine& e : m_engines) {
    if (e.jobs.empty()) continue;
    const sc_time at = std::max(e.jobs.front().ready, e.free_at);
    if (!any || at < next) next = at;
    any = true;
  }
  if (any) m_wake.notify(next > now ? next - now : sc_core::SC_ZERO_TIME);
}

sc_time DmaEngines::transport(tlm::tlm_command command, const DmaRows& rows, const sc_time& arrival,
                              sc_time& done) {
  const sc_time now = sc_core::sc_time_stamp();
  m_payload.set_command(command);
  m_payload.set_address(rows.address);
  m_payload.set_data_length(static_cast<unsigned>(rows.bytes()));
  m_payload.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  m_shape.rows = rows.rows;
  m_shape.row_stride = rows.stride;
  m_shape.stream_end = arrival;
  sc_time delay = arrival - now;
  socket->b_transport(m_payload, delay);
  done = now + delay;
  return std::max(arrival, m_shape.stream_end);
}

DmaSliceDone DmaEngines::start(Engine& e, const DmaJob& job, const sc_time& now) {
  const DmaSlice& s = job.slice;
  const std::uint64_t bytes = std::max(s.src.bytes(), s.dst.bytes());
  const sc_time streaming = now + nanoseconds(static_cast<double>(bytes) * m_ns_per_byte +
                                              s.runs * m_params.element_overhead_ns);
  sc_time read_done;
  sc_time write_done;
  // The write starts as data arrives: both sides stream at once.
  const sc_time read_streamed = transport(tlm::TLM_READ_COMMAND, s.src, now, read_done);
  const sc_time written_streamed = transport(tlm::TLM_WRITE_COMMAND, s.dst, now, write_done);

  DmaSliceDone done;
  done.start = now;
  done.bytes = bytes;
  const sc_time read_latency = read_done - read_streamed;
  const sc_time write_latency = write_done - written_streamed;
  e.free_at = std::max({streaming, read_streamed, written_streamed});
  done.read_done = std::max(streaming, read_streamed) + read_latency;
  done.end = std::max({streaming, read_done, written_streamed}) + write_latency;
  done.hbm_wait = seconds(e.free_at - streaming);
  e.busy += streaming - now;
  return done;
}

}  // namespace trnsim::sysc
