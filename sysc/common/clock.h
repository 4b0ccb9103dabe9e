// A clock as a period, for turning cycle counts of a block into simulated time.
#pragma once

#include <cstdint>

#include <systemc>

#include "sysc/common/kernel.h"

namespace trnsim::sysc {

// Simulated time of a non-negative number of nanoseconds, rounded to the kernel's
// resolution (kernel.h). Built from the tick count directly: the sc_time
// constructor from a double and a unit looks the resolution up on every call, and the
// models make a few of these per instruction.
inline sc_core::sc_time nanoseconds(double ns) {
  return sc_core::sc_time::from_value(static_cast<sc_dt::uint64>(ns * kTicksPerNs + 0.5));
}

// Seconds of a simulated time, from its tick count at the kernel's fixed resolution
// (sc_time::to_seconds() looks the resolution up in the simulation context every call).
inline double seconds(const sc_core::sc_time& t) {
  return static_cast<double>(t.value()) / (kTicksPerNs * 1e9);
}

class Clock {
 public:
  explicit Clock(double ghz) : m_period_ns(1.0 / ghz), m_ghz(ghz) {}

  // `cycles` may be fractional: throughputs such as 0.25 columns per cycle give them.
  sc_core::sc_time cycles(double cycles) const { return nanoseconds(cycles * m_period_ns); }
  double to_cycles(const sc_core::sc_time& t) const { return seconds(t) * m_ghz * 1e9; }
  double ghz() const { return m_ghz; }
  double period_ns() const { return m_period_ns; }

 private:
  double m_period_ns;
  double m_ghz;
};

}  // namespace trnsim::sysc
