// The HBM of one chip, shared by all its cores: stacks x channels, each channel a server
// with bandwidth bandwidth_gb_s / channels, addresses interleaved across channels every
// interleave_bytes (the channel index XOR-folded with higher address digits, so that
// power-of-two strides spread over the channels), and a fixed access latency. A TLM-2.0 target:
// b_transport reserves the channels the transfer's bytes fall in, from the time the request arrives
// (now + annotated delay), and returns the delay until the last byte is done. Fidelity: no
// row-buffer, refresh or read/write turnaround effects; channels serve in order of request.
#pragma once

#include <cstdint>
#include <vector>

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
  // Sum over channels of their busy time (for utilisation = this / (channels * elapsed)).
  sc_core::sc_time channel_busy_total() const;
  std::uint32_t channels() const { return static_cast<std::uint32_t>(m_channels.size()); }

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  std::size_t channel_of(std::uint64_t interleave_unit) const;

  const config::HbmParams& m_params;
  std::vector<Server> m_channels;
  double m_ns_per_byte;  // of one channel
  std::uint64_t m_bytes_read = 0;
  std::uint64_t m_bytes_written = 0;
};

}  // namespace trnsim::sysc
