#include "stats/top_waits.h"

#include <algorithm>
#include <tuple>

namespace trnsim::stats {

namespace {

constexpr std::size_t kEngineBusy = static_cast<std::size_t>(events::StallReason::kEngineBusy);

// The order of the list: longer waits first, then file order. As a heap comparator it keeps
// the record that ranks last on top, the one to drop when a longer wait comes.
bool ranks_before(const WaitRecord& a, const WaitRecord& b) {
  if (a.wait_seconds != b.wait_seconds) return a.wait_seconds > b.wait_seconds;
  return std::tie(a.instruction, a.core_index) < std::tie(b.instruction, b.core_index);
}

}  // namespace

double wait_before_issue(const events::InstructionEvent& e) {
  double wait = 0;
  for (std::size_t k = 0; k < events::kNumStallReasons; ++k) {
    if (k != kEngineBusy) wait += e.stall[k];
  }
  return wait;
}

void TopWaits::offer(const events::InstructionEvent& e) {
  if (m_limit == 0) return;
  const double wait = wait_before_issue(e);
  if (!(wait > 0)) return;
  WaitRecord r;
  r.instruction = e.index;
  r.core_index = e.core_index;
  r.engine = e.engine;
  r.queue = e.queue;
  r.wait_seconds = wait;
  r.stall_seconds = e.stall;
  // The largest reason; on a tie the first in StallReason order.
  std::size_t largest = kEngineBusy == 0 ? 1 : 0;
  for (std::size_t k = 0; k < events::kNumStallReasons; ++k) {
    if (k != kEngineBusy && e.stall[k] > e.stall[largest]) largest = k;
  }
  r.reason = static_cast<events::StallReason>(largest);

  if (m_heap.size() < m_limit) {
    m_heap.push_back(r);
    std::push_heap(m_heap.begin(), m_heap.end(), ranks_before);
  } else if (ranks_before(r, m_heap.front())) {
    std::pop_heap(m_heap.begin(), m_heap.end(), ranks_before);
    m_heap.back() = r;
    std::push_heap(m_heap.begin(), m_heap.end(), ranks_before);
  }
}

std::vector<WaitRecord> TopWaits::sorted() const {
  std::vector<WaitRecord> out = m_heap;
  std::sort(out.begin(), out.end(), ranks_before);
  return out;
}

}  // namespace trnsim::stats
