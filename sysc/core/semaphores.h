// The hardware semaphores of every core in the system, indexed like
// trace::Program::semaphores. An instruction's wait(...) blocks its engine's stream until
// the value is reached; its post(...) changes the value and wakes the waiters.
//
// Fidelity: a post is visible to every engine of the system in the same delta cycle;
// cross-chip semaphore traffic over the interconnect is the link model's to delay.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <systemc>

#include "trace/program.h"

namespace trnsim::sysc {

class Semaphores {
 public:
  explicit Semaphores(std::size_t count);

  std::int64_t value(std::uint32_t id) const { return m_values[id]; }
  // Blocks the calling SC_THREAD until value(id) >= target. Returns true if it had to wait.
  bool wait_at_least(std::uint32_t id, std::int64_t target);
  // Applies a post (+=, -=, =) and wakes the waiters of that semaphore.
  void post(const trace::SyncOp& op);

 private:
  std::vector<std::int64_t> m_values;
  std::vector<std::unique_ptr<sc_core::sc_event>> m_changed;
};

}  // namespace trnsim::sysc
