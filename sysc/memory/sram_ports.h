// The access ports of a core's SBUF and PSUM and its PSUM banks, as servers.
//
// Each engine normally has its own SBUF and PSUM ports, so engines only contend where the
// configuration says they share one: on NC-v2 the Vector and GpSimd engines cannot access
// SBUF at the same time, and Vector and Scalar cannot access PSUM at the same time
// (sbuf.vector_gpsimd_share_port, psum.vector_scalar_share_port). A PSUM bank serves one
// engine at a time: the tensor engine accumulating into a bank and another engine reading
// it serialise. An instruction holds what it uses for its whole occupancy.
// Fidelity: SBUF bank conflicts inside one engine's access are not modelled (the stride
// penalty in compute_timing.h stands for them); DMA traffic does not take engine ports.
#pragma once

#include <array>
#include <vector>

#include "config/config.h"
#include "events/observer.h"
#include "isa/isa.h"
#include "sysc/common/server.h"
#include "trace/program.h"

namespace trnsim::sysc {

class SramPorts {
 public:
  explicit SramPorts(const config::SystemConfig& cfg);

  // Reserves what `ins` running on `engine` uses for `occupancy` from the earliest time
  // all of it is free, no earlier than `earliest`. Returns that start time and adds the
  // delay to the stall reason of the resource that was free last.
  sc_core::sc_time acquire(isa::Engine engine, const trace::Program& p,
                           const trace::Instruction& ins, const sc_core::sc_time& earliest,
                           const sc_core::sc_time& occupancy, events::InstructionEvent& ev);

 private:
  struct Need {
    Server* server;
    events::StallReason reason;
  };
  void collect(isa::Engine engine, const trace::Program& p, const trace::Instruction& ins,
               std::vector<Need>& needs);

  const config::SystemConfig& m_cfg;
  std::array<Server, isa::kNumEngines> m_sbuf_port_storage;
  std::array<Server, isa::kNumEngines> m_psum_port_storage;
  std::array<Server*, isa::kNumEngines> m_sbuf_port{};
  std::array<Server*, isa::kNumEngines> m_psum_port{};
  std::array<bool, isa::kNumEngines> m_sbuf_shared{};
  std::array<bool, isa::kNumEngines> m_psum_shared{};
  std::vector<Server> m_psum_banks;
  std::vector<Need> m_scratch;
};

}  // namespace trnsim::sysc
