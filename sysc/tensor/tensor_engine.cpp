#include "sysc/tensor/tensor_engine.h"

#include <algorithm>

#include "sysc/tensor/array_timing.h"
#include "sysc/tensor/tensor_timing.h"

namespace trnsim::sysc {

using sc_core::sc_time;

TensorEngine::TensorEngine(sc_core::sc_module_name name, EngineContext& ctx, trace::Stream stream,
                           SramPorts& ports)
    : EngineBase(name, ctx, std::move(stream), Clock(ctx.cfg.tensor.clock_ghz)),
      m_params(ctx.cfg.tensor),
      m_ports(ports) {}

sc_time TensorEngine::streamed_within(const sc_time& from, const sc_time& to) {
  while (!m_streaming.empty() && m_streaming.front().second <= from)
    m_streaming.pop_front();
  sc_time total = sc_core::SC_ZERO_TIME;
  for (const auto& [begin, end] : m_streaming) {
    const sc_time b = std::max(begin, from);
    const sc_time e = std::min(end, to);
    if (e > b) total += e - b;
  }
  return total;
}

double TensorEngine::throttle_factor(const sc_time& start) {
  if (!m_params.throttle) return 1.0;
  const sc_time window = nanoseconds(m_params.throttle_reengage_us * 1e3);
  if (!m_used) {
    m_ramp_start = start;
  } else if (start >= m_ramp_start + window &&
             streamed_within(start - window, start) * 2 < window) {
    m_ramp_start = start;  // under half busy for a whole window: throttling engages again
  }
  const double ramp = m_params.throttle_ramp_us * 1e-6;
  const double progress = ramp <= 0 ? 1.0 : std::min(1.0, seconds(start - m_ramp_start) / ramp);
  return m_params.throttle_start_fraction + (1.0 - m_params.throttle_start_fraction) * progress;
}

void TensorEngine::execute(const trace::Instruction& ins, events::InstructionEvent& ev) {
  const trace::Program& p = m_ctx.program;
  const sc_time now = sc_core::sc_time_stamp();
  if (execute_control(ins, ev)) return;

  MatmulCycles c;
  const trace::Operand& dst = p.operand(p.positional(ins, 0)->operand);
  if (ins.opcode == isa::Opcode::kMatmul) {
    const trace::Operand& stationary = p.operand(p.positional(ins, 1)->operand);
    const trace::Operand& moving = p.operand(p.positional(ins, 2)->operand);
    MatmulShape s{moving.partitions(), static_cast<std::uint32_t>(stationary.free_elements()),
                  moving.free_elements(), moving.dtype};
    c = m_ctx.array_timing ? m_ctx.array_timing->cycles(m_params, s, false, ev.index)
                           : matmul_cycles(m_params, s);
    ev.flops = 2.0 * s.k * s.m * static_cast<double>(s.n);
    ev.bytes = (stationary.free_elements() * stationary.partitions() +
                moving.free_elements() * moving.partitions()) *
                   isa::dtype_bytes(moving.dtype) +
               dst.free_elements() * dst.partitions() * isa::dtype_bytes(dst.dtype);
  } else {
    const trace::Operand& src = p.operand(p.positional(ins, 1)->operand);
    if (m_ctx.array_timing) {
      const MatmulShape s{src.partitions(), static_cast<std::uint32_t>(src.free_elements()),
                          src.partitions(), src.dtype};
      c = m_ctx.array_timing->cycles(m_params, s, true, ev.index);
    } else {
      c = transpose_cycles(m_params, src.partitions(), src.free_elements());
    }
    ev.bytes = src.free_elements() * src.partitions() * isa::dtype_bytes(src.dtype) * 2;
  }

  const Clock& clk = clock();
  sc_time load_start = now;
  if (!m_used) load_start += clk.cycles(m_params.first_use_init_cycles);
  if (m_params.background_weight_load) load_start = std::max(load_start, m_shadow_free);
  const sc_time loaded = load_start + clk.cycles(c.weight_load);
  sc_time start = std::max(loaded, m_port_free);
  const double factor = throttle_factor(start);
  const sc_time stream = clk.cycles(c.stream / factor);
  // The PSUM bank (and any shared port) for the streaming time.
  start = m_ports.acquire(isa::Engine::kPe, p, ins, start, stream, ev);
  wait_until(start);

  m_used = true;
  if (c.weight_load > 0) {
    ev.weight_load_start = seconds(load_start);
    ev.weight_load_end = seconds(loaded);
  }
  ev.issue = seconds(start);
  const sc_time flowed = start + clk.cycles(c.flow / factor);
  const sc_time complete = flowed + clk.cycles(c.fill_drain + c.psum_write);
  m_port_free = start + stream;
  if (m_params.throttle) {
    if (!m_streaming.empty() && m_streaming.back().second >= start) {
      m_streaming.back().second = m_port_free;
    } else {
      m_streaming.emplace_back(start, m_port_free);
    }
  }
  if (m_params.background_weight_load) {
    m_shadow_free = start;  // this matmul's weights moved to the active buffer
    m_next_issue = start;   // the next one may begin loading right away
  } else {
    m_next_issue = complete - clk.cycles(c.psum_write);  // the array has drained
  }
  ev.busy_end = seconds(m_port_free);
  apply_read_posts(ins);
  complete_at(complete, ev);
}

}  // namespace trnsim::sysc
