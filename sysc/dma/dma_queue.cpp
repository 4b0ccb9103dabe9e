#include "sysc/dma/dma_queue.h"

#include <algorithm>

namespace trnsim::sysc {

using sc_core::sc_time;

DmaQueue::DmaQueue(sc_core::sc_module_name name, EngineContext& ctx, trace::Stream stream,
                   DmaEngines& engines, const TensorAddresses& tensors)
    : EngineBase(name, ctx, std::move(stream), Clock(ctx.cfg.core.clock_ghz)),
      m_engines(engines),
      m_tensors(tensors) {}

void DmaQueue::execute(const trace::Instruction& ins, events::InstructionEvent& ev) {
  const trace::Program& p = m_ctx.program;
  const sc_time now = sc_core::sc_time_stamp();
  if (execute_control(ins, ev)) return;

  plan_dma(p, ins, m_ctx.cfg, m_tensors, m_plan);
  DmaPlan& plan = m_plan;
  // Every engine the transfer uses must have room in its hardware queue.
  while (!m_engines.can_accept(plan.slices, ins.queue))
    sc_core::wait(m_engines.space_freed());
  const sc_time issue = sc_core::sc_time_stamp();
  ev.stall[static_cast<std::size_t>(events::StallReason::kDmaQueueFull)] += seconds(issue - now);
  ev.issue = seconds(issue);
  ev.bytes = std::max(plan.src_bytes, plan.dst_bytes);

  const sc_time descriptors = nanoseconds(m_ctx.cfg.dma.descriptor_ns);
  m_next_issue = issue + descriptors;
  ev.busy_end = seconds(m_next_issue);
  // "From semaphore to start": descriptor generation is part of the start latency.
  const sc_time ready =
      issue + nanoseconds(std::max(m_ctx.cfg.dma.start_latency_ns, m_ctx.cfg.dma.descriptor_ns));

  if (plan.slices.empty()) {  // nothing to move: complete after the descriptors
    apply_read_posts(ins);
    complete_at(ready, ev);
    return;
  }
  InFlight& f = m_in_flight[ev.index];
  std::swap(f.plan, m_plan);
  f.remaining = f.plan.slices.size();
  f.ev = ev;
  m_engines.enqueue(f.plan.slices, ready, this, ev.index, ins.queue);
}

void DmaQueue::slices_done(std::uint32_t instruction, const DmaSliceDone* done, std::size_t count) {
  auto it = m_in_flight.find(instruction);
  InFlight& f = it->second;
  for (std::size_t i = 0; i < count; ++i) {
    const DmaSliceDone& d = done[i];
    f.read_done = std::max(f.read_done, d.read_done);
    f.end = std::max(f.end, d.end);
    if (!m_ctx.probe.active()) continue;
    events::TransferEvent t;
    t.instruction = instruction;
    t.core_index = f.ev.core_index;
    t.dma_engine = d.engine;
    t.queue = f.ev.queue;
    t.start = seconds(d.start);
    t.end = seconds(d.end);
    t.engine_free = seconds(d.free_at);
    t.bytes = d.bytes;
    t.src = f.plan.src_memory;
    t.dst = f.plan.dst_memory;
    t.hbm_wait = d.hbm_wait;
    t.engine_wait = d.engine_wait;
    t.link_wait = d.link_wait;
    m_ctx.probe.transfer(t);
  }
  f.remaining -= count;
  if (f.remaining > 0) return;
  read_posts_at(f.read_done, instruction);
  complete_at(f.end, f.ev);
  // Keep the planning storage for the next instruction.
  std::swap(m_plan, f.plan);
  m_in_flight.erase(it);
}

}  // namespace trnsim::sysc
