// A core's SBUF as seen by DMA engines: a TLM-2.0 target that charges the SRAM access
// start (sbuf.access_start_cycles of the core clock) to every transfer.
// Fidelity: DMA traffic into SBUF is not bandwidth-limited here; SBUF is far wider than
// the core's DMA engines together.
#pragma once

#include <cstdint>

#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

#include "config/config.h"

namespace trnsim::sysc {

class SbufTarget : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<SbufTarget> socket;

  SbufTarget(sc_core::sc_module_name name, const config::SystemConfig& cfg);
  std::uint64_t bytes_read() const { return m_bytes_read; }
  std::uint64_t bytes_written() const { return m_bytes_written; }

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);

  sc_core::sc_time m_access;
  std::uint64_t m_bytes_read = 0;
  std::uint64_t m_bytes_written = 0;
};

}  // namespace trnsim::sysc
