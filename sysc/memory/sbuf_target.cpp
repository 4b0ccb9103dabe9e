#include "sysc/memory/sbuf_target.h"

#include "sysc/common/clock.h"

namespace trnsim::sysc {

SbufTarget::SbufTarget(sc_core::sc_module_name name, const config::SystemConfig& cfg)
    : sc_module(name),
      socket("socket"),
      m_access(Clock(cfg.core.clock_ghz).cycles(cfg.sbuf.access_start_cycles)) {
  socket.register_b_transport(this, &SbufTarget::b_transport);
}

void SbufTarget::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  (trans.is_read() ? m_bytes_read : m_bytes_written) += trans.get_data_length();
  delay += m_access;
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

}  // namespace trnsim::sysc
