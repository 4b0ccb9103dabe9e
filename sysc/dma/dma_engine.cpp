#include "sysc/dma/dma_engine.h"

#include <algorithm>

#include "sysc/common/clock.h"

namespace trnsim::sysc {

using sc_core::sc_time;

DmaEngine::DmaEngine(sc_core::sc_module_name name, const config::DmaParams& params,
                     std::uint32_t id)
    : sc_module(name),
      socket("socket"),
      m_params(params),
      m_id(id),
      m_queues(params.queues),
      m_in_flight(std::max<std::uint32_t>(1, params.max_outstanding_bursts),
                  sc_core::SC_ZERO_TIME) {
  SC_THREAD(run);
  // Timing-only transfers carry no data; the payload still needs a valid pointer.
  m_payload.set_data_ptr(&m_dummy_data);
  m_payload.set_streaming_width(0);
  m_payload.set_byte_enable_ptr(nullptr);
  m_payload.set_dmi_allowed(false);
}

void DmaEngine::enqueue(DmaJob job) {
  m_queues[job.queue].push_back(std::move(job));
  m_work.notify(sc_core::SC_ZERO_TIME);
}

bool DmaEngine::pick(DmaJob& job) {
  const sc_time now = sc_core::sc_time_stamp();
  for (std::size_t i = 0; i < m_queues.size(); ++i) {
    auto& q = m_queues[(m_next_queue + i) % m_queues.size()];
    if (!q.empty() && q.front().ready <= now) {
      job = std::move(q.front());
      q.pop_front();
      m_next_queue = (m_next_queue + i + 1) % m_queues.size();
      return true;
    }
  }
  return false;
}

void DmaEngine::run() {
  while (true) {
    DmaJob job;
    while (!pick(job)) {
      // Nothing ready: sleep until the earliest head becomes ready or new work arrives.
      sc_time earliest = sc_core::SC_ZERO_TIME;
      bool any = false;
      for (const auto& q : m_queues) {
        if (!q.empty() && (!any || q.front().ready < earliest)) {
          earliest = q.front().ready;
          any = true;
        }
      }
      if (any) {
        sc_core::wait(earliest - sc_core::sc_time_stamp(), m_work);
      } else {
        sc_core::wait(m_work);
      }
    }
    m_space_freed.notify(sc_core::SC_ZERO_TIME);
    const DmaSliceDone done = move(job);
    job.owner->slice_done(job.instruction, m_id, done);
  }
}

DmaSliceDone DmaEngine::move(const DmaJob& job) {
  const double ns_per_byte = 1.0 / m_params.engine_bandwidth_gb_s;  // GB/s == bytes/ns
  const sc_time quantum = nanoseconds(m_params.time_quantum_ns);
  DmaSliceDone done;
  sc_time t = sc_core::sc_time_stamp();  // the engine's local time, ahead of the kernel's
  done.start = t;
  done.read_done = t;
  done.end = t;
  sc_time ideal = t;  // when the slice would end with an idle HBM
  std::size_t slot = 0;
  for (const DmaBurst& b : job.slice.bursts) {
    // Back-pressure: reuse the slot of the burst issued max_outstanding bursts ago.
    t = std::max(t, m_in_flight[slot]);
    const sc_time occupancy =
        nanoseconds(static_cast<double>(std::max(b.src_bytes, b.dst_bytes)) * ns_per_byte +
                    b.runs * m_params.element_overhead_ns);
    const sc_time now = sc_core::sc_time_stamp();

    m_payload.set_command(tlm::TLM_READ_COMMAND);
    m_payload.set_address(b.src_address);
    m_payload.set_data_length(static_cast<unsigned>(b.src_bytes));
    m_payload.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_time delay = t - now;
    socket->b_transport(m_payload, delay);
    const sc_time read_done = now + delay;

    m_payload.set_command(tlm::TLM_WRITE_COMMAND);
    m_payload.set_address(b.dst_address);
    m_payload.set_data_length(static_cast<unsigned>(b.dst_bytes));
    m_payload.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    delay = std::max(read_done, t + occupancy) - now;
    socket->b_transport(m_payload, delay);
    const sc_time write_done = now + delay;

    done.read_done = std::max(done.read_done, read_done);
    done.end = std::max(done.end, write_done);
    done.bytes += std::max(b.src_bytes, b.dst_bytes);
    m_in_flight[slot] = write_done;
    slot = (slot + 1) % m_in_flight.size();
    m_busy_total += occupancy;
    t += occupancy;
    ideal += occupancy;
    if (t - sc_core::sc_time_stamp() > quantum) sc_core::wait(t - sc_core::sc_time_stamp());
  }
  done.hbm_wait = t > ideal ? (t - ideal).to_seconds() : 0.0;
  // The engine takes its next job only once this one's bursts have all been pushed out.
  if (t > sc_core::sc_time_stamp()) sc_core::wait(t - sc_core::sc_time_stamp());
  return done;
}

}  // namespace trnsim::sysc
