// A shared resource that serves one request at a time: an SRAM port, a PSUM bank, an HBM
// channel, a DMA engine. Requests reserve an interval; a request arriving while the
// resource is busy starts when it frees up. The wait is the queueing delay that the models
// attribute to a named stall reason.
//
// Reservations are granted in the order they are made (first come, first served in
// simulation order), which is what lets the models compute times arithmetically instead of
// simulating the resource cycle by cycle.
#pragma once

#include <algorithm>

#include <systemc>

namespace trnsim::sysc {

class Server {
 public:
  struct Grant {
    sc_core::sc_time start;
    sc_core::sc_time end;
  };

  // Reserves `duration` starting no earlier than `earliest`.
  Grant reserve(const sc_core::sc_time& earliest, const sc_core::sc_time& duration) {
    sc_core::sc_time start = std::max(earliest, m_busy_until);
    m_busy_until = start + duration;
    m_busy_total += duration;
    return {start, m_busy_until};
  }
  // When a request arriving at `t` could start.
  sc_core::sc_time available_at(const sc_core::sc_time& t) const {
    return std::max(t, m_busy_until);
  }
  const sc_core::sc_time& busy_until() const { return m_busy_until; }
  const sc_core::sc_time& busy_total() const { return m_busy_total; }

 private:
  sc_core::sc_time m_busy_until = sc_core::SC_ZERO_TIME;
  sc_core::sc_time m_busy_total = sc_core::SC_ZERO_TIME;
};

}  // namespace trnsim::sysc
