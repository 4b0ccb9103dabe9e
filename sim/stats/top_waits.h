// The instructions that waited longest before they could issue, kept in a small bounded
// heap so that a run of millions of instructions costs a few records.
//
// A wait is the sum of an instruction's stall reasons except engine_busy: that one is the
// engine still working on its stream's previous instruction, not time lost to the schedule.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "events/observer.h"

namespace trnsim::stats {

struct WaitRecord {
  std::uint32_t instruction = 0;  // into Program::instructions
  std::uint32_t core_index = 0;
  isa::Engine engine = isa::Engine::kSync;
  std::uint8_t queue = 0;
  double wait_seconds = 0;
  events::StallReason reason = events::StallReason::kSemaphore;  // the largest part of the wait
  std::array<double, events::kNumStallReasons> stall_seconds{};
};

// The wait of an issued instruction, as defined above.
double wait_before_issue(const events::InstructionEvent& e);

class TopWaits {
 public:
  static constexpr std::size_t kDefaultLimit = 5;
  explicit TopWaits(std::size_t limit = kDefaultLimit) : m_limit(limit) {}

  // Considers an issued instruction; waits of 0 are never kept.
  void offer(const events::InstructionEvent& e);
  // Longest first; equal waits by instruction index, then core.
  std::vector<WaitRecord> sorted() const;

 private:
  std::size_t m_limit;
  std::vector<WaitRecord> m_heap;  // the shortest kept wait on top
};

}  // namespace trnsim::stats
