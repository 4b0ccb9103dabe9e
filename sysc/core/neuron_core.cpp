#include "sysc/core/neuron_core.h"

#include <fmt/format.h>

#include "sysc/compute/compute_engine.h"
#include "sysc/dma/dma_queue.h"
#include "sysc/tensor/tensor_engine.h"

namespace trnsim::sysc {

NeuronCore::NeuronCore(sc_core::sc_module_name name, EngineContext& ctx, std::uint32_t core_index,
                       const std::vector<trace::Stream>& streams, const TensorAddresses& tensors)
    : sc_module(name), m_core_index(core_index), m_ports(ctx.cfg) {
  const config::SystemConfig& cfg = ctx.cfg;
  m_sbuf = std::make_unique<SbufTarget>("sbuf", cfg);
  m_dma = std::make_unique<DmaEngines>("dma", cfg.dma);

  for (const trace::Stream& s : streams) {
    if (s.core_index != core_index) continue;
    switch (s.engine) {
      case isa::Engine::kPe:
        m_engines.push_back(std::make_unique<TensorEngine>("pe", ctx, s, m_ports));
        break;
      case isa::Engine::kAct:
        m_engines.push_back(std::make_unique<ComputeEngine>("act", ctx, s, cfg.scalar, m_ports));
        break;
      case isa::Engine::kDve:
        m_engines.push_back(std::make_unique<ComputeEngine>("dve", ctx, s, cfg.vector, m_ports));
        break;
      case isa::Engine::kPool:
        m_engines.push_back(std::make_unique<ComputeEngine>("pool", ctx, s, cfg.gpsimd, m_ports));
        break;
      case isa::Engine::kSync:
        m_engines.push_back(std::make_unique<SyncEngine>("sync", ctx, s));
        break;
      case isa::Engine::kDma:
        m_engines.push_back(std::make_unique<DmaQueue>(fmt::format("dma_q{}", s.queue).c_str(), ctx,
                                                       s, *m_dma, tensors));
        break;
    }
  }
}

}  // namespace trnsim::sysc
