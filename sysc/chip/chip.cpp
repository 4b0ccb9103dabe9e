#include "sysc/chip/chip.h"

#include <map>

#include <fmt/format.h>

namespace trnsim::sysc {

Chip::Chip(sc_core::sc_module_name name, EngineContext& ctx, std::uint32_t chip,
           const std::vector<trace::Stream>& streams, const TensorAddresses& tensors,
           const std::vector<std::uint32_t>& sbuf_only_cores)
    : sc_module(name) {
  m_hbm = std::make_unique<Hbm>("hbm", ctx.cfg.hbm);
  std::map<std::uint32_t, int> sbuf_port_of_core;
  for (std::uint32_t c = 0; c < ctx.program.cores.size(); ++c) {
    const trace::CoreId id = ctx.program.cores[c].id;
    if (id.chip != chip) continue;
    m_cores.push_back(std::make_unique<NeuronCore>(fmt::format("core{}", id.core).c_str(), ctx, c,
                                                   streams, tensors));
    sbuf_port_of_core[id.core] = static_cast<int>(m_cores.size());  // 0 is the HBM
  }
  for (std::uint32_t core : sbuf_only_cores) {
    if (sbuf_port_of_core.contains(core)) continue;
    m_sbuf_only.push_back(
        std::make_unique<SbufTarget>(fmt::format("core{}_sbuf", core).c_str(), ctx.cfg));
    sbuf_port_of_core[core] = static_cast<int>(m_cores.size() + m_sbuf_only.size());
  }
  m_router = std::make_unique<ChipRouter>("router", chip, sbuf_port_of_core);
  m_router->initiator.bind(m_hbm->socket);
  for (auto& core : m_cores) {
    m_router->initiator.bind(core->sbuf().socket);
    core->dma().socket.bind(m_router->target);
  }
  for (auto& sbuf : m_sbuf_only)
    m_router->initiator.bind(sbuf->socket);
}

}  // namespace trnsim::sysc
