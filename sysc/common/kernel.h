// Driving the SystemC kernel from a library.
//
// trnsim runs simulations from its own main() (the CLI, the tests, sweeps, the fuzz
// targets), sometimes many in one process. SystemC 2.3 has no API to start over after a
// simulation, so each run gets a fresh simulation context. A context can only be deleted
// once every module registered with it is gone (the 2.3.4 kernel crashes otherwise), so
// reset_kernel() leaves the old one behind, some 20 KB; a run that owns all its modules
// (simulate()) uses ScopedKernel and deletes its context at the end, so that thousands of
// runs in one process (a fuzz target) do not add up.
#pragma once

namespace sc_core {
class sc_simcontext;
}

namespace trnsim::sysc {

// Gives the next simulation a fresh SystemC kernel with femtosecond resolution: clock
// periods such as 1/2.4 GHz = 416.67 ps are then represented to within 0.5 fs, so no
// integer truncation of periods accumulates into visible drift.
void reset_kernel();

// A fresh simulation context for the object's lifetime. Every module of the run must be
// destroyed before it is.
class ScopedKernel {
 public:
  ScopedKernel();
  ~ScopedKernel();
  ScopedKernel(const ScopedKernel&) = delete;
  ScopedKernel& operator=(const ScopedKernel&) = delete;

 private:
  sc_core::sc_simcontext* m_context;
};

// To be called when sc_start has returned. Under AddressSanitizer, declares the main
// thread's stack current again (see kernel.cpp), so that a leak check in the middle of the
// process (libFuzzer runs one after each input) scans the right stack; otherwise a no-op.
void restore_main_stack();

// Kernel time ticks per nanosecond at that resolution.
inline constexpr double kTicksPerNs = 1e6;

}  // namespace trnsim::sysc
