#include "sysc/compute/compute_engine.h"

#include "sysc/compute/compute_timing.h"

namespace trnsim::sysc {

using sc_core::sc_time;

ComputeEngine::ComputeEngine(sc_core::sc_module_name name, EngineContext& ctx, trace::Stream stream,
                             const config::ComputeEngineParams& params, SramPorts& ports)
    : EngineBase(name, ctx, std::move(stream), Clock(params.clock_ghz)),
      m_params(params),
      m_ports(ports) {}

sc_time ComputeEngine::wake_up_delay() const {
  return clock().cycles(m_params.dependent_overhead_cycles);
}

void ComputeEngine::execute(const trace::Instruction& ins, events::InstructionEvent& ev) {
  const trace::Program& p = m_ctx.program;
  const ComputeCycles c = compute_cycles(m_params, m_ctx.cfg.sbuf, p, ins);
  const sc_time occupancy = clock().cycles(c.occupancy);
  const sc_time start =
      m_ports.acquire(ins.engine, p, ins, sc_core::sc_time_stamp(), occupancy, ev);
  wait_until(start);
  ev.issue = seconds(start);
  m_next_issue = start + occupancy;
  ev.busy_end = seconds(m_next_issue);
  const trace::Arg* args = p.args_of(ins);
  for (std::uint32_t i = 0; i < ins.num_args; ++i) {
    if (args[i].kind != isa::ArgKind::kOperand) continue;
    const trace::Operand& op = p.operand(args[i].operand);
    ev.bytes += op.free_elements() * op.partitions() * isa::dtype_bytes(op.dtype);
  }
  apply_read_posts(ins);
  complete_at(start + clock().cycles(c.latency), ev);
}

SyncEngine::SyncEngine(sc_core::sc_module_name name, EngineContext& ctx, trace::Stream stream)
    : EngineBase(name, ctx, std::move(stream), Clock(ctx.cfg.sync.clock_ghz)) {}

void SyncEngine::execute(const trace::Instruction& ins, events::InstructionEvent& ev) {
  const sc_time now = sc_core::sc_time_stamp();
  ev.issue = seconds(now);
  m_next_issue = now + clock().cycles(m_ctx.cfg.sync.issue_cycles);
  ev.busy_end = seconds(m_next_issue);
  apply_read_posts(ins);
  complete_at(m_next_issue, ev);
}

}  // namespace trnsim::sysc
