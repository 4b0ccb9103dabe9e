// A clock as a period, for turning cycle counts of a block into simulated time.
#pragma once

#include <systemc>

namespace trnsim::sysc {

class Clock {
 public:
  explicit Clock(double ghz) : m_period_ns(1.0 / ghz), m_ghz(ghz) {}

  // `cycles` may be fractional: throughputs such as 0.25 columns per cycle give them.
  sc_core::sc_time cycles(double cycles) const {
    return sc_core::sc_time(cycles * m_period_ns, sc_core::SC_NS);
  }
  double to_cycles(const sc_core::sc_time& t) const { return t.to_seconds() * m_ghz * 1e9; }
  double ghz() const { return m_ghz; }
  double period_ns() const { return m_period_ns; }

 private:
  double m_period_ns;
  double m_ghz;
};

inline sc_core::sc_time nanoseconds(double ns) {
  return sc_core::sc_time(ns, sc_core::SC_NS);
}

}  // namespace trnsim::sysc
