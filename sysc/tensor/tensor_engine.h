// The tensor engine (TensorE) of a NeuronCore: matmul and transpose on a weight-stationary
// systolic array, timed by tensor_timing.h.
//
// Sequencing: with background weight load, a matmul's LoadStationary runs in the shadow
// weight buffer as soon as the previous matmul has started streaming, and its
// MultiplyMoving starts when both its weights are in and the array's input port is free;
// without it, the array loads, streams and drains one matmul at a time. The first matmul
// pays first_use_init_cycles. Throttling (trn2/trn3) scales the streaming rate: it starts
// at throttle_start_fraction, ramps linearly to full over throttle_ramp_us of activity, and
// starts again after the engine idled for throttle_reengage_us.
// Fidelity: the PSUM write is a fixed latency; accumulation into a bank holds that bank
// (SramPorts) for the streaming time.
#pragma once

#include "sysc/engine/engine_base.h"
#include "sysc/memory/sram_ports.h"

namespace trnsim::sysc {

class TensorEngine : public EngineBase {
 public:
  TensorEngine(sc_core::sc_module_name name, EngineContext& ctx, trace::Stream stream,
               SramPorts& ports);

 protected:
  void execute(const trace::Instruction& ins, events::InstructionEvent& ev) override;

 private:
  double throttle_factor(const sc_core::sc_time& start);

  const config::TensorEngineParams& m_params;
  SramPorts& m_ports;
  bool m_used = false;
  sc_core::sc_time m_shadow_free = sc_core::SC_ZERO_TIME;  // weight buffer can be reloaded
  sc_core::sc_time m_port_free = sc_core::SC_ZERO_TIME;    // moving input port free
  sc_core::sc_time m_ramp_start = sc_core::SC_ZERO_TIME;
  sc_core::sc_time m_last_active = sc_core::SC_ZERO_TIME;
};

}  // namespace trnsim::sysc
