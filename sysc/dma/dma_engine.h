// One DMA engine of a NeuronCore: hardware queues served round-robin, in order within a
// queue; each job (the engine's slice of a DMA instruction, dma_plan.h) is moved burst by
// burst through TLM-2.0 b_transport calls to the chip router: a read of the source, then a
// write of the destination once the data is in hand.
//
// Timing: a burst occupies the engine for bytes / engine_bandwidth plus a fixed cost per
// descriptor element (contiguous run); a job starts no earlier than its enqueue time plus
// the DMA start latency, which overlaps the previous job (it is a pipeline latency, not
// occupancy). At most max_outstanding_bursts bursts may be in flight, so a congested HBM
// slows the engine down (back-pressure). The engine runs ahead of simulated time by up to
// time_quantum_ns (loosely-timed TLM with a quantum) so that a transfer costs a handful of
// context switches, not one per burst.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include <tlm_utils/simple_initiator_socket.h>
#include <systemc>
#include <tlm>

#include "config/config.h"
#include "events/observer.h"
#include "sysc/dma/dma_plan.h"

namespace trnsim::sysc {

// When a job's data moved, reported back to whoever enqueued it.
struct DmaSliceDone {
  sc_core::sc_time start;      // first burst issued
  sc_core::sc_time read_done;  // last source byte read
  sc_core::sc_time end;        // last destination byte written
  std::uint64_t bytes = 0;
  double hbm_wait = 0;  // seconds lost to HBM queueing
};

class DmaJobOwner {
 public:
  virtual ~DmaJobOwner() = default;
  virtual void slice_done(std::uint32_t instruction, std::uint32_t engine,
                          const DmaSliceDone& done) = 0;
};

struct DmaJob {
  DmaSlice slice;
  sc_core::sc_time ready;  // may start from then on
  DmaJobOwner* owner = nullptr;
  std::uint32_t instruction = 0;
  std::uint8_t queue = 0;
};

class DmaEngine : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<DmaEngine> socket;

  SC_HAS_PROCESS(DmaEngine);
  DmaEngine(sc_core::sc_module_name name, const config::DmaParams& params, std::uint32_t id);

  bool can_accept(std::uint8_t queue) const {
    return m_queues[queue].size() < m_params.queue_depth;
  }
  void enqueue(DmaJob job);
  // Notified whenever a job leaves a queue (space for more).
  const sc_core::sc_event& space_freed() const { return m_space_freed; }
  const sc_core::sc_time& busy_total() const { return m_busy_total; }

 private:
  void run();
  bool pick(DmaJob& job);  // the next ready job, round-robin across queues
  DmaSliceDone move(const DmaJob& job);

  const config::DmaParams& m_params;
  std::uint32_t m_id;
  std::vector<std::deque<DmaJob>> m_queues;
  std::size_t m_next_queue = 0;
  sc_core::sc_event m_work;
  sc_core::sc_event m_space_freed;
  sc_core::sc_time m_busy_total = sc_core::SC_ZERO_TIME;
  std::vector<sc_core::sc_time> m_in_flight;  // landing times, ring of max_outstanding
  tlm::tlm_generic_payload m_payload;
  unsigned char m_dummy_data = 0;
};

}  // namespace trnsim::sysc
