// A chip: its HBM, the on-chip router and the NeuronCores the program uses. A core with no
// section in the program whose SBUF another core's DMA writes into gets its SBUF alone.
#pragma once

#include <memory>
#include <vector>

#include <systemc>

#include "sysc/chip/chip_router.h"
#include "sysc/core/neuron_core.h"
#include "sysc/hbm/hbm.h"

namespace trnsim::sysc {

class Chip : public sc_core::sc_module {
 public:
  Chip(sc_core::sc_module_name name, EngineContext& ctx, std::uint32_t chip,
       const std::vector<trace::Stream>& streams, const TensorAddresses& tensors,
       const std::vector<std::uint32_t>& sbuf_only_cores = {});

  Hbm& hbm() { return *m_hbm; }
  ChipRouter& router() { return *m_router; }
  const std::vector<std::unique_ptr<NeuronCore>>& cores() const { return m_cores; }

 private:
  std::unique_ptr<Hbm> m_hbm;
  std::unique_ptr<ChipRouter> m_router;
  std::vector<std::unique_ptr<NeuronCore>> m_cores;
  std::vector<std::unique_ptr<SbufTarget>> m_sbuf_only;
};

}  // namespace trnsim::sysc
