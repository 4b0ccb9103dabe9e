// The DMA engines of one NeuronCore (dma.engines of them, 16 by default).
//
// Each engine has dma.queues hardware queues, served round-robin across queues and in
// order within a queue. A job is the engine's slice of one DMA instruction (dma_plan.h); it
// may start once it is ready (enqueue time plus the DMA start latency) and the engine is
// free. The engine moves it through the chip router as two TLM-2.0 transactions covering
// all its rows (memory/transfer_shape.h): a read of the source and a write of the
// destination, each a b_transport whose annotated delay comes back as the time its last
// byte is done. (One transaction per slice rather than per burst: the memories' timing
// is computed from the bytes and rows, so finer transactions would only cost time.)
//
// Timing of a job starting at t:
//  - the engine streams it for bytes / engine_bandwidth plus element_overhead_ns per
//    descriptor element (contiguous run), or longer when a memory streams more slowly
//    (a congested HBM: back-pressure, counted as HBM bandwidth stall);
//  - the engine is free for its next job as soon as it has streamed: the memories' fixed
//    latencies overlap the next job, as the hardware keeps several bursts in flight;
//  - the last source byte has been read a source latency after the streaming ended;
//    it is written as it arrives and lands a destination latency later (the latencies
//    add: a byte cannot be written before it has been read).
//
// All engines of the core are one SC_METHOD that runs whenever some engine can start a
// job: slices of one instruction become ready together, so one activation starts them all,
// and the engines' times are computed, not waited for. Slices of one instruction starting
// together on neighbouring engines cover neighbouring rows, and go to the memories as one
// transaction pair: the memories see the engines' combined demand at once and share their
// bandwidth between them (each engine still streams its own slice at its own rate).
//
// A slice whose destination is another chip goes to the network (link/network.h) instead:
// the engine reads its source as usual and streams the bytes into its chip's link
// interface; it is free once the last packet is in, which back-pressure from the network
// may delay, and the slice is done when the last packet has landed.
#pragma once

#include <cstdint>
#include <vector>

#include <tlm_utils/simple_initiator_socket.h>
#include <systemc>
#include <tlm>

#include "config/config.h"
#include "sysc/dma/dma_plan.h"
#include "sysc/link/network.h"
#include "sysc/memory/transfer_shape.h"

namespace trnsim::sysc {

// When a job's data moved, reported back to whoever enqueued it.
struct DmaSliceDone {
  std::uint32_t engine = 0;
  sc_core::sc_time start;      // the engine took the job
  sc_core::sc_time read_done;  // last source byte read
  sc_core::sc_time end;        // last destination byte written
  std::uint64_t bytes = 0;
  double hbm_wait = 0;         // seconds the engine was held up by the memories
  double engine_wait = 0;      // seconds the job was ready before its engine was free
  double link_wait = 0;        // seconds the network held the engine beyond its streaming
  sc_core::sc_time free_at;    // the engine can take its next job
  sc_core::sc_time streaming;  // how long the engine streamed
};

class DmaJobOwner {
 public:
  virtual ~DmaJobOwner() = default;
  // Called when jobs of `instruction` start, with the times they will reach (all >= now);
  // several jobs of one instruction starting together are reported in one call.
  virtual void slices_done(std::uint32_t instruction, const DmaSliceDone* done,
                           std::size_t count) = 0;
};

struct DmaJob {
  const DmaSlice* slice = nullptr;  // the owner keeps it until the job is reported done
  sc_core::sc_time ready;           // may start from then on
  DmaJobOwner* owner = nullptr;
  std::uint32_t instruction = 0;
  std::uint8_t queue = 0;
  std::uint32_t slices = 1;  // in lockstep: slice[0 .. slices), one per engine
};

class DmaEngines : public sc_core::sc_module, public NetworkClient {
 public:
  tlm_utils::simple_initiator_socket<DmaEngines> socket;

  SC_HAS_PROCESS(DmaEngines);
  DmaEngines(sc_core::sc_module_name name, const config::DmaParams& params);

  std::uint32_t count() const { return static_cast<std::uint32_t>(m_engines.size()); }
  // Whether every engine the slices use has room in its hardware queue `queue`.
  bool can_accept(const std::vector<DmaSlice>& slices, std::uint8_t queue) const;
  // Queues one job per slice (on the slice's engine, hardware queue `queue`), each ready
  // at `ready`; `slices` must stay in place until the owner is told they are done.
  void enqueue(const std::vector<DmaSlice>& slices, const sc_core::sc_time& ready,
               DmaJobOwner* owner, std::uint32_t instruction, std::uint8_t queue);
  // Notified whenever a job leaves a queue (space for more).
  const sc_core::sc_event& space_freed() const { return m_space_freed; }
  // Sum over engines of the time they spent streaming.
  sc_core::sc_time busy_total() const;

  // Sends slices bound for other chips through `network`; the engines belong to chip
  // `chip`, and engine e is the link interface's source `first_source + e`.
  void attach_network(Network* network, std::uint32_t chip, std::uint32_t first_source);

  void transfer_injected(std::uint64_t tag) override;
  void transfer_landed(std::uint64_t tag, const sc_core::sc_time& landed) override;

  // Whether the engines may be kept in lockstep (see below). On by default; it changes no
  // result, which the tests check by turning it off.
  static void allow_lockstep(bool allowed);

 private:
  static constexpr std::uint32_t kNone = ~std::uint32_t{0};

  // The hardware queues of one engine: FIFO lists threaded through one pool of job slots
  // (a busy engine can hold queues x queue_depth jobs; separate containers per queue and
  // engine cost more in cache misses than the jobs themselves), and the list of non-empty
  // queues, which round-robin scans instead of all queues.
  struct Engine {
    std::vector<DmaJob> pool;
    std::vector<std::uint32_t> next;        // per slot: the next slot of its queue
    std::vector<std::uint32_t> free_slots;  // slots to reuse
    std::vector<std::uint32_t> head;        // per queue: first slot, kNone when empty
    std::vector<std::uint32_t> tail;        // per queue: last slot
    std::vector<std::uint32_t> count;       // per queue: jobs waiting
    std::vector<std::uint32_t> active;      // non-empty queues, ascending
    sc_core::sc_time head_ready;            // earliest ready time of the heads (if active)
    std::uint32_t next_queue = 0;           // round-robin position
    sc_core::sc_time free_at = sc_core::SC_ZERO_TIME;
    sc_core::sc_time busy = sc_core::SC_ZERO_TIME;
    bool sending = false;  // streaming into the network: free when the network says so
  };
  // A slice in the network: whom to tell, and what to tell them.
  struct RemoteJob {
    DmaJobOwner* owner = nullptr;
    std::uint32_t instruction = 0;
    DmaSliceDone done;
    double streaming_ns = 0;  // the engine's own streaming time, without the network
  };

  void dispatch();  // the SC_METHOD: starts every job that can start now
  // The next ready job of `e` at `now`, round-robin across its queues.
  void init_queues(Engine& e) const;
  static void push(Engine& e, DmaJob job);
  static bool pick(Engine& e, const sc_core::sc_time& now, DmaJob& job);
  static void update_head_ready(Engine& e);
  // Starts m_starting[first, last), whose rows together are `src` and `dst`.
  void start(std::size_t first, std::size_t last, const DmaRows& src, const DmaRows& dst,
             const sc_core::sc_time& now);
  // One transaction arriving now; returns when its target finished streaming and sets
  // `done` to when its last byte is done (fixed latency included).
  sc_core::sc_time transport(tlm::tlm_command command, const DmaRows& rows,
                             const sc_core::sc_time& now, sc_core::sc_time& done);
  void schedule(const sc_core::sc_time& now);

  // Lockstep: while every transfer spans all engines with equal slices, all engines have
  // the same queues, round-robin position and free time, so they pick the same transfer
  // at the same moment. They then share one state (m_shared, whose jobs stand for all
  // their slices) and a transfer costs one queue operation instead of one per engine. The
  // first transfer that breaks the symmetry copies the shared state into every engine;
  // lockstep resumes once all engines are idle at the same round-robin position.
  static bool symmetric(const std::vector<DmaSlice>& slices, std::size_t engines);
  bool remote(const DmaRows& rows) const;
  void start_remote(const DmaJob& job, const sc_core::sc_time& now);
  void leave_lockstep();
  void try_lockstep(const sc_core::sc_time& now);
  Engine m_shared;
  bool m_lockstep = false;

  const config::DmaParams& m_params;
  std::vector<Engine> m_engines;
  std::vector<DmaJob> m_starting;  // jobs dispatch() is starting, in engine order
  std::vector<DmaSliceDone> m_done;
  sc_core::sc_event m_wake;
  sc_core::sc_event m_space_freed;
  ShapedPayload m_payload;
  double m_ns_per_byte;

  Network* m_network = nullptr;
  std::uint32_t m_chip = 0;
  std::uint32_t m_first_source = 0;
  std::vector<RemoteJob> m_remote;  // by tag
  std::vector<std::uint32_t> m_free_remote;
};

}  // namespace trnsim::sysc
