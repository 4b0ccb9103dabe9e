// A NeuronCore built from the configuration: one engine model per instruction stream the
// program gives this core (tensor, vector, scalar, GpSimd, sync, and each DMA queue), its
// DMA engines, its SBUF/PSUM ports and its SBUF as a DMA target.
#pragma once

#include <memory>
#include <vector>

#include <systemc>

#include "sysc/dma/dma_engines.h"
#include "sysc/dma/dma_plan.h"
#include "sysc/engine/engine_base.h"
#include "sysc/memory/sbuf_target.h"
#include "sysc/memory/sram_ports.h"

namespace trnsim::sysc {

class NeuronCore : public sc_core::sc_module {
 public:
  NeuronCore(sc_core::sc_module_name name, EngineContext& ctx, std::uint32_t core_index,
             const std::vector<trace::Stream>& streams, const TensorAddresses& tensors);

  std::uint32_t core_index() const { return m_core_index; }
  SbufTarget& sbuf() { return *m_sbuf; }
  DmaEngines& dma() { return *m_dma; }
  const DmaEngines& dma() const { return *m_dma; }
  const std::vector<std::unique_ptr<EngineBase>>& engines() const { return m_engines; }

 private:
  std::uint32_t m_core_index;
  SramPorts m_ports;
  std::unique_ptr<SbufTarget> m_sbuf;
  std::unique_ptr<DmaEngines> m_dma;
  std::vector<std::unique_ptr<EngineBase>> m_engines;
};

}  // namespace trnsim::sysc
