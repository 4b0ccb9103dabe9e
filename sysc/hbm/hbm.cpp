#include "sysc/hbm/hbm.h"

#include <algorithm>

#include "sysc/common/clock.h"
#include "sysc/memory/address_map.h"

namespace trnsim::sysc {

using sc_core::sc_time;

Hbm::Hbm(sc_core::sc_module_name name, const config::HbmParams& params)
    : sc_module(name),
      socket("socket"),
      m_params(params),
      m_channels(std::size_t{params.stacks} * params.channels_per_stack) {
  m_ns_per_byte = static_cast<double>(m_channels.size()) / params.bandwidth_gb_s;
  socket.register_b_transport(this, &Hbm::b_transport);
}

std::size_t Hbm::channel_of(std::uint64_t unit) const {
  // Fold the higher address bits into the channel index (XOR interleaving, as memory
  // controllers do) so that power-of-two strides such as rows of a tensor do not all start
  // on the same channel.
  const std::uint64_t n = m_channels.size();
  std::uint64_t folded = 0;
  for (std::uint64_t u = unit; u > 0; u /= n)
    folded ^= u % n;
  return static_cast<std::size_t>(folded % n);
}

sc_time Hbm::channel_busy_total() const {
  sc_time total = sc_core::SC_ZERO_TIME;
  for (const auto& c : m_channels)
    total += c.busy_total();
  return total;
}

void Hbm::b_transport(tlm::tlm_generic_payload& trans, sc_time& delay) {
  const sc_time now = sc_core::sc_time_stamp();
  const sc_time arrival = now + delay;
  const std::uint64_t begin = decode_address(trans.get_address()).offset;
  const std::uint64_t end = begin + trans.get_data_length();
  const std::uint64_t interleave = std::max<std::uint64_t>(1, m_params.interleave_bytes);
  sc_time done = arrival;
  for (std::uint64_t a = begin; a < end;) {
    const std::uint64_t unit_end = std::min(end, (a / interleave + 1) * interleave);
    Server& channel = m_channels[channel_of(a / interleave)];
    done = std::max(
        done,
        channel.reserve(arrival, nanoseconds(static_cast<double>(unit_end - a) * m_ns_per_byte))
            .end);
    a = unit_end;
  }
  (trans.is_read() ? m_bytes_read : m_bytes_written) += trans.get_data_length();
  delay = done + nanoseconds(m_params.latency_ns) - now;
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

}  // namespace trnsim::sysc
