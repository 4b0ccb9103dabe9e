#include "sysc/chip/chip_router.h"

#include "sysc/memory/address_map.h"

namespace trnsim::sysc {

ChipRouter::ChipRouter(sc_core::sc_module_name name, std::uint32_t chip,
                       std::map<std::uint32_t, int> sbuf_port_of_core)
    : sc_module(name),
      target("target"),
      initiator("initiator"),
      m_chip(chip),
      m_sbuf_port_of_core(std::move(sbuf_port_of_core)) {
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
  auto it = m_sbuf_port_of_core.find(a.core);
  if (it == m_sbuf_port_of_core.end()) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    SC_REPORT_ERROR("trnsim/router", "transfer to the SBUF of a core that is not simulated");
    return;
  }
  initiator[it->second]->b_transport(trans, delay);
}

}  // namespace trnsim::sysc
