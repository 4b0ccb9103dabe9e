// One direction of one credit flow-controlled link (the building block of the chip-to-chip
// NeuronLink model): a sender that transmits a flit only while it holds a credit, the
// flit's serialization at the link bandwidth, the wire, a receive buffer of
// link.buffer_credits flits that releases them when its consumer takes them, and each
// credit's way back to the sender. The cycle rules are link_timing.h; this module
// sequences them in simulated time on the link clock (link.clock_ghz).
//
// Use: a producer thread calls send() for each flit in order; it returns once the flit
// has started (the producer is back-pressured while the link holds no credit). A consumer
// thread calls receive(), or wait_for_flit() then take() to choose the cycle itself (a
// consumer that stalls simply takes later; the buffer fills and the credits stop).
// Calls arriving between link-clock edges act at the next edge.
//
// Fidelity: see link_timing.h. Event-driven: it computes when each flit starts, arrives
// and frees its credit, and wakes the threads only then; idle cycles cost nothing.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include <systemc>

#include "config/config.h"
#include "sysc/common/clock.h"
#include "sysc/link/link_timing.h"

namespace trnsim::sysc {

// A flit's payload, link.flit_bytes bytes; the link never looks inside.
struct Flit {
  std::vector<std::uint8_t> bytes;
};

class CreditLink : public sc_core::sc_module {
 public:
  CreditLink(sc_core::sc_module_name name, const config::LinkParams& params);

  // What happened to a flit, in link cycles (link_timing.h).
  struct SendRecord {
    std::uint64_t offered = 0;  // the cycle send() was called in (rounded up to an edge)
    std::uint64_t start = 0;    // the cycle it started; start - offered cycles of stall
    std::uint64_t arrival = 0;  // the first cycle it is in the receive buffer
  };
  struct TakeRecord {
    Flit flit;
    std::uint64_t arrival = 0;
    std::uint64_t departure = 0;    // the cycle the consumer took it
    std::uint64_t credit_back = 0;  // the first cycle its credit can be spent
  };

  // Producer side, from an SC_THREAD: waits until the flit can start, then returns.
  SendRecord send(Flit flit);

  // Consumer side, from an SC_THREAD. wait_for_flit() waits until a flit has been sent and
  // returns the first cycle (at or after now) in which the oldest one can leave the buffer;
  // take() takes it in the current cycle, which must be such a cycle.
  std::uint64_t wait_for_flit();
  TakeRecord take();
  // Both: the oldest flit, as soon as it can leave.
  TakeRecord receive();

  const LinkCycles& cycles() const { return m_flow.cycles(); }
  const Clock& clock() const { return m_clock; }
  // The current link cycle: now, rounded up to a clock edge.
  std::uint64_t current_cycle() const;
  // Cycles the producer has waited in send() beyond its offers, in total.
  std::uint64_t stall_cycles() const { return m_stall_cycles; }

 private:
  void wait_until(std::uint64_t cycle);

  Clock m_clock;
  CreditFlow m_flow;
  std::deque<Flit> m_in_flight;  // payloads of the flits CreditFlow holds, oldest first
  sc_core::sc_event m_sent;      // a flit started (the consumer may wait for one)
  sc_core::sc_event m_taken;     // a flit left the buffer (its credit's time is known)
  std::uint64_t m_stall_cycles = 0;
};

}  // namespace trnsim::sysc
