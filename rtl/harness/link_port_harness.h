// The one interface between a verilated link_port (rtl/link_port.sv) and the cross-check:
// flits offered at given cycles and the consumer's ready pattern go in; when each flit was
// presented, started, arrived in the receive buffer and left it, with its data, come out.
// The harness only drives the handshakes; it computes no expected values.
//
// Each run() resets the port with the given timing on its cfg_*_i ports and counts cycles
// from the first cycle after reset (cycle 0). Flit i is presented (in_valid_i) from the
// later of its offer cycle and the cycle after flit i - 1 started, and held until it starts;
// the consumer's out_ready_i in cycle c is ready[c], high beyond the end of the pattern.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include <verilated.h>

namespace trnsim::cosim {

// The values for the cfg_*_i ports, in link cycles.
struct LinkPortTiming {
  std::uint32_t credits = 1;
  std::uint64_t flit_cycles = 1;
  std::uint64_t wire_cycles = 0;
  std::uint64_t credit_cycles = 0;
};

struct LinkPortStimulus {
  std::vector<std::uint64_t> data;    // flit i's payload
  std::vector<std::uint64_t> offers;  // the first cycle flit i may be presented; non-decreasing
  std::vector<bool> ready;            // the consumer's out_ready_i per cycle
};

struct LinkPortEvent {
  std::uint64_t cycle = 0;
  std::uint64_t data = 0;
};

struct LinkPortResult {
  std::vector<std::uint64_t> presented;   // per flit: first cycle in_valid_i was high for it
  std::vector<std::uint64_t> started;     // per flit: the cycle in_valid_i and in_ready_o were high
  std::vector<LinkPortEvent> arrivals;    // arrived_o, in order
  std::vector<LinkPortEvent> departures;  // out_valid_o and out_ready_i, in order
  std::uint64_t stall_cycles = 0;         // cycles with in_valid_i high and in_ready_o low
  std::uint64_t cycles = 0;               // cycles run
};

template <typename Model>
class LinkPortHarness {
 public:
  explicit LinkPortHarness(Model& model) : m_model(model) {}

  // Runs until every flit has left the buffer or `cycle_limit` cycles have passed (a flit
  // that never leaves is reported by its missing departure, not waited on forever).
  LinkPortResult run(const LinkPortTiming& t, const LinkPortStimulus& s,
                     std::uint64_t cycle_limit) {
    m_model.cfg_credits_i = t.credits;
    m_model.cfg_flit_cycles_i = static_cast<std::uint32_t>(t.flit_cycles);
    m_model.cfg_wire_cycles_i = static_cast<std::uint32_t>(t.wire_cycles);
    m_model.cfg_credit_cycles_i = static_cast<std::uint32_t>(t.credit_cycles);
    m_model.in_valid_i = 0;
    m_model.out_ready_i = 0;
    m_model.rst_ni = 0;
    edge();
    edge();
    m_model.rst_ni = 1;
    m_model.eval();

    const std::size_t n = s.data.size();
    LinkPortResult r;
    std::size_t next = 0;  // the flit to present
    std::uint64_t cycle = 0;
    for (; cycle < cycle_limit && r.departures.size() < n; ++cycle) {
      // This cycle's inputs.
      const bool present =
          next < n && s.offers[next] <= cycle && (next == 0 || r.started[next - 1] < cycle);
      m_model.in_valid_i = present;
      m_model.in_data_i = present ? s.data[next] : 0;
      m_model.out_ready_i = cycle >= s.ready.size() || s.ready[cycle];
      m_model.eval();

      // What happens in it.
      if (present) {
        if (r.presented.size() == next) r.presented.push_back(cycle);
        if (m_model.in_ready_o) {
          r.started.push_back(cycle);
          ++next;
        } else {
          ++r.stall_cycles;
        }
      }
      if (m_model.arrived_o) r.arrivals.push_back({cycle, m_model.arrived_data_o});
      if (m_model.out_valid_o && m_model.out_ready_i)
        r.departures.push_back({cycle, m_model.out_data_o});
      edge();
    }
    r.cycles = cycle;
    return r;
  }

 private:
  void edge() {
    m_model.clk_i = 1;
    m_model.eval();
    m_model.clk_i = 0;
    m_model.eval();
  }

  Model& m_model;
};

}  // namespace trnsim::cosim
