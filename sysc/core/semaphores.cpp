#include "sysc/core/semaphores.h"

namespace trnsim::sysc {

Semaphores::Semaphores(std::size_t count) : m_values(count, 0) {
  m_changed.reserve(count);
  for (std::size_t i = 0; i < count; ++i)
    m_changed.push_back(std::make_unique<sc_core::sc_event>());
}

bool Semaphores::wait_at_least(std::uint32_t id, std::int64_t target) {
  bool waited = false;
  while (m_values[id] < target) {
    waited = true;
    sc_core::wait(*m_changed[id]);
  }
  return waited;
}

void Semaphores::post(const trace::SyncOp& op) {
  switch (op.kind) {
    case trace::SyncKind::kPostAdd:
      m_values[op.semaphore] += op.value;
      break;
    case trace::SyncKind::kPostSub:
      m_values[op.semaphore] -= op.value;
      break;
    case trace::SyncKind::kPostSet:
      m_values[op.semaphore] = op.value;
      break;
    case trace::SyncKind::kWaitGe:
      return;
  }
  // Delta notification: every waiter sees the new value, whatever its process order.
  m_changed[op.semaphore]->notify(sc_core::SC_ZERO_TIME);
}

}  // namespace trnsim::sysc
