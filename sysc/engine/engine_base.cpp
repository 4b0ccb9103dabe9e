#include "sysc/engine/engine_base.h"

#include <algorithm>

#include "sysc/core/semaphores.h"
#include "sysc/link/network.h"

namespace trnsim::sysc {

using sc_core::sc_time;

EngineBase::EngineBase(sc_core::sc_module_name name, EngineContext& ctx, trace::Stream stream,
                       Clock clock)
    : sc_module(name), m_ctx(ctx), m_stream(std::move(stream)), m_clock(clock) {
  SC_THREAD(run);
  SC_METHOD(serve_completions);
  sensitive << m_completion_due;
  dont_initialize();
}

void EngineBase::wait_until(const sc_time& t) {
  const sc_time now = sc_core::sc_time_stamp();
  if (t > now) sc_core::wait(t - now);
}

bool EngineBase::execute_control(const trace::Instruction& ins, events::InstructionEvent& ev) {
  if (ins.opcode != isa::Opcode::kNop && ins.opcode != isa::Opcode::kSemSet) return false;
  const sc_time now = sc_core::sc_time_stamp();
  ev.issue = seconds(now);
  m_next_issue = now + m_clock.cycles(1);
  ev.busy_end = seconds(m_next_issue);
  apply_read_posts(ins);
  complete_at(m_next_issue, ev);
  return true;
}

void EngineBase::run() {
  const trace::Program& p = m_ctx.program;
  for (m_position = 0; m_position < m_stream.instructions.size(); ++m_position) {
    const std::uint32_t index = m_stream.instructions[m_position];
    const trace::Instruction& ins = p.instructions[index];
    events::InstructionEvent ev;
    ev.index = index;
    ev.core_index = ins.core_index;
    ev.engine = ins.engine;
    ev.queue = ins.queue;
    ev.ready = seconds(sc_core::sc_time_stamp());

    // 1. The semaphore conditions and the pipeline (the previous instruction's initiation
    // interval). A stream blocked on a semaphore waits for it first: if it is met after
    // the pipeline frees up, that is one thread switch instead of two. The conditions are
    // checked again once the pipeline is free, which is when they count (normally they
    // still hold: semaphores only grow, short of a sem.set or -=).
    const sc_time ready = sc_core::sc_time_stamp();
    const sc_time pipeline_free = std::max(ready, m_next_issue);
    bool blocked = wait_conditions(ins);
    if (m_next_issue > sc_core::sc_time_stamp()) {
      wait_until(m_next_issue);
      blocked = wait_conditions(ins);
    }
    // 2. The sequencer's wake-up, when the engine sat blocked on a semaphore.
    if (blocked) {
      const sc_time wake_up = wake_up_delay();
      if (wake_up > sc_core::SC_ZERO_TIME) sc_core::wait(wake_up);
    }
    ev.stall[static_cast<std::size_t>(events::StallReason::kEngineBusy)] +=
        seconds(pipeline_free - ready);
    ev.stall[static_cast<std::size_t>(events::StallReason::kSemaphore)] +=
        seconds(sc_core::sc_time_stamp() - pipeline_free);

    // 3. The engine itself.
    execute(ins, ev);
    if (m_ctx.probe.active()) m_ctx.probe.issue(ev);
  }
  m_finished = true;
}

bool EngineBase::wait_conditions(const trace::Instruction& ins) {
  bool blocked = false;
  const trace::SyncOp* syncs = m_ctx.program.syncs_of(ins);
  for (std::uint32_t i = 0; i < ins.num_syncs; ++i) {
    if (syncs[i].kind == trace::SyncKind::kWaitGe) {
      blocked |= m_ctx.semaphores.wait_at_least(syncs[i].semaphore, syncs[i].value);
    }
  }
  return blocked;
}

void EngineBase::push(Pending p) {
  const sc_time now = sc_core::sc_time_stamp();
  const sc_time at = p.at;
  m_pending.push(std::move(p));
  // A timed notification replaces a later pending one, never an earlier one.
  m_completion_due.notify(at > now ? at - now : sc_core::SC_ZERO_TIME);
}

void EngineBase::complete_at(const sc_time& at, const events::InstructionEvent& ev) {
  push(Pending{at, m_seq++, false, ev});
}

void EngineBase::read_posts_at(const sc_time& at, std::uint32_t instruction) {
  events::InstructionEvent ev;
  ev.index = instruction;
  push(Pending{at, m_seq++, true, ev});
}

void EngineBase::serve_completions() {
  const sc_time now = sc_core::sc_time_stamp();
  while (!m_pending.empty() && m_pending.top().at <= now) {
    Pending p = m_pending.top();
    m_pending.pop();
    const trace::Instruction& ins = m_ctx.program.instructions[p.ev.index];
    if (p.read_posts_only) {
      apply_read_posts(ins);
      continue;
    }
    apply_complete_posts(ins);
    p.ev.complete = seconds(now);
    if (m_ctx.probe.active()) m_ctx.probe.complete(p.ev);
  }
  if (!m_pending.empty()) m_completion_due.notify(m_pending.top().at - now);
}

void EngineBase::apply_complete_posts(const trace::Instruction& ins) {
  const trace::Program& p = m_ctx.program;
  if (ins.opcode == isa::Opcode::kSemSet) {
    trace::SyncOp set;
    set.kind = trace::SyncKind::kPostSet;
    set.semaphore = p.positional(ins, 0)->semaphore;
    set.value = p.positional(ins, 1)->integer;
    post(ins, set);
  }
  const trace::SyncOp* syncs = p.syncs_of(ins);
  for (std::uint32_t i = 0; i < ins.num_syncs; ++i) {
    if (syncs[i].kind != trace::SyncKind::kWaitGe && syncs[i].when == trace::PostWhen::kComplete) {
      post(ins, syncs[i]);
    }
  }
}

void EngineBase::apply_read_posts(const trace::Instruction& ins) {
  const trace::SyncOp* syncs = m_ctx.program.syncs_of(ins);
  for (std::uint32_t i = 0; i < ins.num_syncs; ++i) {
    if (syncs[i].kind != trace::SyncKind::kWaitGe && syncs[i].when == trace::PostWhen::kRead) {
      post(ins, syncs[i]);
    }
  }
}

void EngineBase::post(const trace::Instruction& ins, const trace::SyncOp& op) {
  // A semaphore of another chip is updated by a packet over the network.
  const trace::Program& p = m_ctx.program;
  const std::uint32_t chip = p.cores[stream().core_index].id.chip;
  const std::uint32_t target = p.cores[p.semaphores[op.semaphore].core_index].id.chip;
  if (target != chip && m_ctx.network != nullptr) {
    m_ctx.network->post(chip, target, [this, &ins, op] { apply_post(ins, op); });
    return;
  }
  apply_post(ins, op);
}

void EngineBase::apply_post(const trace::Instruction& ins, const trace::SyncOp& op) {
  m_ctx.semaphores.post(op);
  if (!m_ctx.probe.active()) return;
  events::PostEvent e;
  e.instruction = static_cast<std::uint32_t>(&ins - m_ctx.program.instructions.data());
  e.semaphore = op.semaphore;
  e.kind = op.kind == trace::SyncKind::kPostSet   ? events::PostKind::kSet
           : op.kind == trace::SyncKind::kPostSub ? events::PostKind::kSub
                                                  : events::PostKind::kAdd;
  e.value = op.value;
  e.result = m_ctx.semaphores.value(op.semaphore);
  e.at_read = op.when == trace::PostWhen::kRead;
  e.time = seconds(sc_core::sc_time_stamp());
  m_ctx.probe.post(e);
}

}  // namespace trnsim::sysc
