#include "sysc/memory/sram_ports.h"

#include <algorithm>

#include "sysc/common/clock.h"

namespace trnsim::sysc {

namespace {
std::size_t idx(isa::Engine e) {
  return static_cast<std::size_t>(e);
}
}  // namespace

SramPorts::SramPorts(const config::SystemConfig& cfg) : m_cfg(cfg), m_psum_banks(cfg.psum.banks) {
  for (std::size_t e = 0; e < isa::kNumEngines; ++e) {
    m_sbuf_port[e] = &m_sbuf_port_storage[e];
    m_psum_port[e] = &m_psum_port_storage[e];
  }
  if (cfg.sbuf.vector_gpsimd_share_port) {
    m_sbuf_port[idx(isa::Engine::kPool)] = m_sbuf_port[idx(isa::Engine::kDve)];
    m_sbuf_shared[idx(isa::Engine::kPool)] = m_sbuf_shared[idx(isa::Engine::kDve)] = true;
  }
  // With share_same_bank_only the two engines meet only in a bank, which the bank servers
  // below already serialise; otherwise they share one PSUM port whatever the bank.
  if (cfg.psum.vector_scalar_share_port && !cfg.psum.vector_scalar_share_same_bank_only) {
    m_psum_port[idx(isa::Engine::kAct)] = m_psum_port[idx(isa::Engine::kDve)];
    m_psum_shared[idx(isa::Engine::kAct)] = m_psum_shared[idx(isa::Engine::kDve)] = true;
  }
}

void SramPorts::collect(isa::Engine engine, const trace::Program& p, const trace::Instruction& ins,
                        std::vector<Need>& needs) {
  bool sbuf = false, psum = false;
  std::uint32_t first_bank = m_cfg.psum.banks, last_bank = 0;
  const trace::Arg* args = p.args_of(ins);
  for (std::uint32_t i = 0; i < ins.num_args; ++i) {
    if (args[i].kind != isa::ArgKind::kOperand) continue;
    const trace::Operand& op = p.operand(args[i].operand);
    if (op.memory() == isa::Memory::kSbuf) sbuf = true;
    if (op.memory() != isa::Memory::kPsum) continue;
    psum = true;
    const std::uint64_t start =
        op.form == trace::OperandForm::kPsumBank ? op.offset * m_cfg.psum.bank_bytes : op.offset;
    std::uint64_t span = isa::dtype_bytes(op.dtype);
    for (std::uint32_t d = 0; d < op.ndims; ++d) {
      span += (op.dims[d].size - 1) *
              static_cast<std::uint64_t>(std::max<std::int64_t>(0, op.dims[d].start_or_stride)) *
              isa::dtype_bytes(op.dtype);
    }
    first_bank = std::min<std::uint32_t>(first_bank,
                                         static_cast<std::uint32_t>(start / m_cfg.psum.bank_bytes));
    last_bank = std::max<std::uint32_t>(
        last_bank, static_cast<std::uint32_t>((start + span - 1) / m_cfg.psum.bank_bytes));
  }
  // Only ports somebody shares can conflict; an engine's private port never delays it
  // beyond its own pipeline, which m_next_issue already covers.
  if (sbuf && m_sbuf_shared[idx(engine)]) {
    needs.push_back({m_sbuf_port[idx(engine)], events::StallReason::kSbufPort});
  }
  if (psum && m_psum_shared[idx(engine)]) {
    needs.push_back({m_psum_port[idx(engine)], events::StallReason::kPsumPort});
  }
  for (std::uint32_t b = first_bank; b <= last_bank && b < m_psum_banks.size(); ++b) {
    needs.push_back({&m_psum_banks[b], events::StallReason::kPsumBank});
  }
}

sc_core::sc_time SramPorts::acquire(isa::Engine engine, const trace::Program& p,
                                    const trace::Instruction& ins, const sc_core::sc_time& earliest,
                                    const sc_core::sc_time& occupancy,
                                    events::InstructionEvent& ev) {
  m_scratch.clear();
  collect(engine, p, ins, m_scratch);
  sc_core::sc_time start = earliest;
  events::StallReason reason = events::StallReason::kSemaphore;
  for (const Need& n : m_scratch) {
    sc_core::sc_time t = n.server->available_at(earliest);
    if (t > start) {
      start = t;
      reason = n.reason;
    }
  }
  if (start > earliest) ev.stall[static_cast<std::size_t>(reason)] += seconds(start - earliest);
  for (const Need& n : m_scratch)
    n.server->reserve(start, occupancy);
  return start;
}

}  // namespace trnsim::sysc
