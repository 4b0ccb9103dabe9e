// The on-chip fabric between the DMA engines of all cores and the memories: decodes a
// system address (memory/address_map.h) and forwards the TLM transaction to the HBM or to
// the SBUF of the addressed core. Target sockets are bound by every DMA engine of the chip
// (and by the network); a chip that only holds tensors nobody moves has none, so binding is
// optional. Initiator socket 0 goes to the HBM, socket 1 + k to the k-th core's SBUF.
// Fidelity: the fabric adds no delay of its own; addresses of other chips are refused
// until the chip-to-chip interconnect is modelled.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <systemc>
#include <tlm>

namespace trnsim::sysc {

class ChipRouter : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket_optional<ChipRouter> target;
  tlm_utils::multi_passthrough_initiator_socket<ChipRouter> initiator;

  ChipRouter(sc_core::sc_module_name name, std::uint32_t chip,
             std::map<std::uint32_t, int> sbuf_port_of_core);

 private:
  void b_transport(int id, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);

  std::uint32_t m_chip;
  std::vector<int> m_sbuf_port_of_core;  // by core number; -1 for a core not simulated
};

}  // namespace trnsim::sysc
