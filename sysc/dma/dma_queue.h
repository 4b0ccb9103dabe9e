// A DMA queue of the trace (`dma.qN`): the instruction stream that triggers transfers.
//
// Issuing a copy generates its descriptors (dma.descriptor_ns, during which the queue can
// issue nothing else), plans it over the core's DMA engines (dma_plan.h) and enqueues one
// job per engine into that engine's hardware queue N, stalling (DMA queue full) while any
// of them holds queue_depth jobs. The instruction completes, and its @complete posts are
// applied once, when the last engine's last byte has landed; its @read posts when the
// last source byte has been read.
#pragma once

#include <unordered_map>
#include <vector>

#include "sysc/dma/dma_engines.h"
#include "sysc/dma/dma_plan.h"
#include "sysc/engine/engine_base.h"

namespace trnsim::sysc {

class DmaQueue : public EngineBase, public DmaJobOwner {
 public:
  DmaQueue(sc_core::sc_module_name name, EngineContext& ctx, trace::Stream stream,
           DmaEngines& engines, const TensorAddresses& tensors);

  void slices_done(std::uint32_t instruction, const DmaSliceDone* done, std::size_t count) override;

 protected:
  void execute(const trace::Instruction& ins, events::InstructionEvent& ev) override;

 private:
  struct InFlight {
    DmaPlan plan;  // its slices are what the engines' jobs point to
    std::size_t remaining = 0;
    sc_core::sc_time read_done = sc_core::SC_ZERO_TIME;
    sc_core::sc_time end = sc_core::SC_ZERO_TIME;
    events::InstructionEvent ev;
  };

  DmaEngines& m_engines;
  const TensorAddresses& m_tensors;
  std::unordered_map<std::uint32_t, InFlight> m_in_flight;  // node-based: stable addresses
  DmaPlan m_plan;  // reused for planning, so that its storage is too
};

}  // namespace trnsim::sysc
