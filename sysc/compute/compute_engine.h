// The vector (VectorE), scalar/activation (ScalarE) and GpSimd engines of a NeuronCore.
// They differ in their parameters (clock, per-dtype rates, op-class costs, all in the
// config) and in which opcodes they run (the ISA table), not in how they are sequenced, so
// one model serves all three: compute_timing.h gives each instruction's occupancy and
// latency, SramPorts the port and PSUM-bank contention.
#pragma once

#include "config/config.h"
#include "sysc/engine/engine_base.h"
#include "sysc/memory/sram_ports.h"

namespace trnsim::sysc {

class ComputeEngine : public EngineBase {
 public:
  ComputeEngine(sc_core::sc_module_name name, EngineContext& ctx, trace::Stream stream,
                const config::ComputeEngineParams& params, SramPorts& ports);

 protected:
  void execute(const trace::Instruction& ins, events::InstructionEvent& ev) override;
  sc_core::sc_time wake_up_delay() const override;

 private:
  const config::ComputeEngineParams& m_params;
  SramPorts& m_ports;
};

// The Sync engine: a sequencer without a datapath; its instructions carry semaphore
// operations (nop, sem.set) and take `sync.issue_cycles` each.
class SyncEngine : public EngineBase {
 public:
  SyncEngine(sc_core::sc_module_name name, EngineContext& ctx, trace::Stream stream);

 protected:
  void execute(const trace::Instruction& ins, events::InstructionEvent& ev) override;
};

}  // namespace trnsim::sysc
