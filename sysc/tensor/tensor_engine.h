// The tensor engine (TensorE) of a NeuronCore: matmul and transpose on a weight-stationary
// systolic array, timed by tensor_timing.h.
//
// Sequencing: with background weight load, a matmul's LoadStationary runs in the shadow
// weight buffer as soon as the previous matmul has started streaming, and its
// MultiplyMoving starts when both its weights are in and the array's input port is free;
// without it, the array loads, streams and drains one matmul at a time. The first matmul
// pays first_use_init_cycles. Throttling (trn2/trn3) scales the streaming rate of a matmul
// by a factor fixed when it starts: throttle_start_fraction when throttling engages (first
// use), rising linearly to 1 over throttle_ramp_us; it engages again when the array's
// input was busy less than half of the last throttle_reengage_us (a window that lies
// wholly after the previous engagement, so a ramp is not cut short by its own start).
// Fidelity: the PSUM write is a fixed latency; accumulation into a bank holds that bank
// (SramPorts) for the streaming time.
#pragma once

#include <deque>
#include <utility>

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
  // Time the array's input streamed within [from, to], from the recent intervals.
  sc_core::sc_time streamed_within(const sc_core::sc_time& from, const sc_core::sc_time& to);

  const config::TensorEngineParams& m_params;
  SramPorts& m_ports;
  bool m_used = false;
  sc_core::sc_time m_shadow_free = sc_core::SC_ZERO_TIME;  // weight buffer can be reloaded
  sc_core::sc_time m_port_free = sc_core::SC_ZERO_TIME;    // moving input port free
  sc_core::sc_time m_ramp_start = sc_core::SC_ZERO_TIME;
  // Streaming intervals of the last throttle_reengage_us (merged when they touch).
  std::deque<std::pair<sc_core::sc_time, sc_core::sc_time>> m_streaming;
};

}  // namespace trnsim::sysc
