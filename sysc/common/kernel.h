// Driving the SystemC kernel from a library.
//
// trnsim runs simulations from its own main() (the CLI, the tests, sweeps), sometimes
// several in one process. SystemC 2.3 has no API to start over after a simulation, so each
// run gets a fresh simulation context; the old one is deliberately leaked (deleting it is
// not supported by the 2.3.4 kernel and crashes), which costs a few kilobytes per run.
#pragma once

namespace trnsim::sysc {

// Gives the next simulation a fresh SystemC kernel with femtosecond resolution: clock
// periods such as 1/2.4 GHz = 416.67 ps are then represented to within 0.5 fs, so no
// integer truncation of periods accumulates into visible drift.
void reset_kernel();

// Kernel time ticks per nanosecond at that resolution.
inline constexpr double kTicksPerNs = 1e6;

}  // namespace trnsim::sysc
