// The HBM of one chip, shared by all its cores: a TLM-2.0 target with a total bandwidth
// (bandwidth_gb_s), a fixed access latency, and stacks x channels that addresses are
// interleaved over every interleave_bytes.
//
// Timing of a transaction of B bytes arriving at t (DMA engines send one per slice piece,
// memory/transfer_shape.h):
//  - sharing: the HBM is a first-come-first-served server of B / bandwidth, so what all
//    engines of all cores move together never exceeds the bandwidth, and a congested HBM
//    delays them (the "HBM bandwidth" stall);
//  - parallelism: a transaction touching u interleave units can use at most min(u,
//    channels) channels, so it streams for at least B / (min(u, channels) x the bandwidth
//    of one channel): a narrow strided access is slower than a wide one;
//  - the last byte is done one latency after it streamed.
// Fidelity: channels are not individual servers, so two transactions hitting the same few
// channels do not conflict more than any other two; the address interleaving (with XOR
// folding in real controllers) spreads the traffic of tiled kernels evenly, which is what
// this assumes. No row-buffer, refresh or read/write turnaround effects. Modelling
// channels one by one costs a reservation per 256 bytes, which made DMA the bulk of the
// simulation time for the accuracy of hot-spot cases that interleaving makes rare.
#pragma once

#include <cstdint>

#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

#include "config/config.h"
#include "sysc/common/server.h"

namespace trnsim::sysc {

class Hbm : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Hbm> socket;

  Hbm(sc_core::sc_module_name name, const config::HbmParams& params);

  std::uint64_t bytes_read() const { return m_bytes_read; }
  std::uint64_t bytes_written() const { return m_bytes_written; }
  // Time spent moving bytes at full bandwidth (utilisation = this / elapsed).
  const sc_core::sc_time& busy_total() const { return m_server.busy_total(); }

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  // Interleave units a transaction touches, capped at the number of channels.
  std::uint64_t channels_touched(std::uint64_t offset, std::uint64_t row_bytes, std::uint64_t rows,
                                 std::int64_t stride) const;

  const config::HbmParams& m_params;
  Server m_server;
  std::uint64_t m_channels;
  double m_ns_per_byte;          // of the whole HBM
  double m_ns_per_byte_channel;  // of one channel
  sc_core::sc_time m_latency;
  unsigned m_unit_shift;  // log2(interleave_bytes)
  std::uint64_t m_bytes_read = 0;
  std::uint64_t m_bytes_written = 0;
};

}  // namespace trnsim::sysc
