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

namespace {

// Whether `next` continues the rows of `first` (which already covers `count` rows).
bool continues(const DmaRows& first, std::uint64_t count, const DmaRows& next) {
  return next.stride == first.stride && next.row_bytes == first.row_bytes &&
         next.address == first.address + static_cast<std::uint64_t>(
                                             first.stride * static_cast<std::int64_t>(count));
}

}  // namespace

void DmaEngines::dispatch() {
  const sc_time now = sc_core::sc_time_stamp();
  m_starting.clear();
  for (Engine& e : m_engines) {
    DmaJob job;
    // An engine starts at most one job now: it is busy streaming it afterwards (a job
    // with nothing to stream frees it at once, and the next is taken at the next wake-up).
    if (!e.jobs.empty() && e.free_at <= now && pick(e, now, job))
      m_starting.push_back(std::move(job));
  }
  // Slices of one instruction starting together on neighbouring engines cover neighbouring
  // rows: they go to the memories as one transaction pair, which shares the bandwidth
  // between them rather than serving them one after the other.
  for (std::size_t first = 0; first < m_starting.size();) {
    const DmaJob& lead = m_starting[first];
    DmaRows src = lead.slice.src;
    DmaRows dst = lead.slice.dst;
    std::size_t last = first + 1;
    for (; last < m_starting.size(); ++last) {
      const DmaJob& j = m_starting[last];
      if (j.owner != lead.owner || j.instruction != lead.instruction ||
          !continues(src, src.rows, j.slice.src) || !continues(dst, dst.rows, j.slice.dst)) {
        break;
      }
      src.rows += j.slice.src.rows;
      dst.rows += j.slice.dst.rows;
    }
    start(first, last, src, dst, now);
    first = last;
  }
  if (!m_starting.empty()) m_space_freed.notify(sc_core::SC_ZERO_TIME);
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

sc_time DmaEngines::transport(tlm::tlm_command command, const DmaRows& rows, const sc_time& now,
                              sc_time& done) {
  m_payload.set_command(command);
  m_payload.set_address(rows.address);
  m_payload.set_data_length(static_cast<unsigned>(rows.bytes()));
  m_payload.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  m_shape.rows = rows.rows;
  m_shape.row_stride = rows.stride;
  m_shape.stream_end = now;
  sc_time delay = sc_core::SC_ZERO_TIME;
  socket->b_transport(m_payload, delay);
  done = now + delay;
  return std::max(now, m_shape.stream_end);
}

void DmaEngines::start(std::size_t first, std::size_t last, const DmaRows& src, const DmaRows& dst,
                       const sc_time& now) {
  sc_time read_done;
  sc_time write_done;
  // The write starts as data arrives: both sides stream at once.
  const sc_time read_streamed = transport(tlm::TLM_READ_COMMAND, src, now, read_done);
  const sc_time written_streamed = transport(tlm::TLM_WRITE_COMMAND, dst, now, write_done);
  const sc_time read_latency = read_done - read_streamed;
  const sc_time write_latency = write_done - written_streamed;

  for (std::size_t i = first; i < last; ++i) {
    const DmaJob& job = m_starting[i];
    const DmaSlice& s = job.slice;
    Engine& e = m_engines[s.engine];
    const std::uint64_t bytes = std::max(s.src.bytes(), s.dst.bytes());
    const sc_time streaming = now + nanoseconds(static_cast<double>(bytes) * m_ns_per_byte +
                                                s.runs * m_params.element_overhead_ns);
    DmaSliceDone done;
    done.start = now;
    done.bytes = bytes;
    e.free_at = std::max({streaming, read_streamed, written_streamed});
    done.read_done = std::max(streaming, read_streamed) + read_latency;
    done.end = std::max({streaming, read_done, written_streamed}) + write_latency;
    done.hbm_wait = seconds(e.free_at - streaming);
    e.busy += streaming - now;
    job.owner->slice_done(job.instruction, s.engine, done);
  }
}

}  // namespace trnsim::sysc
