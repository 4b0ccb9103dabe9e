#include "sysc/chip/chip_router.h"

#include "sysc/memory/address_map.h"

namespace trnsim::sysc {

ChipRouter::ChipRouter(sc_core::sc_module_name name, std::uint32_t chip,
                       std::map<std::uint32_t, int> sbuf_port_of_core)
    : sc_module(name), target("target"), initiator("initiator"), m_chip(chip) {
  for (const auto& [core, port] : sbuf_port_of_core) {
    if (core >= m_sbuf_port_of_core.size()) m_sbuf_port_of_core.resize(core + 1, -1);
    m_sbuf_port_of_core[core] = port;
  }
  target.register_b_transport(this, &ChipRouter::b_transport);
}

void ChipRouter::b_transport(int, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  const DecodedAddress a = decode_address(trans.get_address());
  if (a.chip != m_chip) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    SC_REPORT_ERROR("trnsim/router",
                    "transfer to another chip: the chip-to-chip interconnect is not modelled yet");
    return;
  }
  if (a.region == Region::kHbm) {
    initiator[0]->b_transport(trans, delay);
    return;
  }
  const int port = a.core < m_sbuf_port_of_core.size() ? m_sbuf_port_of_core[a.core] : -1;
  if (port < 0) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    SC_REPORT_ERROR("trnsim/router", "transfer to the SBUF of a core that is not simulated");
    return;
  }
  initiator[port]->b_transport(trans, delay);
}

}  // namespace trnsim::sysc
