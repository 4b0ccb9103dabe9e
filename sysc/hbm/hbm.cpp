#include "sysc/hbm/hbm.h"

#include <algorithm>
#include <bit>

#include "sysc/common/clock.h"
#include "sysc/memory/address_map.h"
#include "sysc/memory/transfer_shape.h"

namespace trnsim::sysc {

using sc_core::sc_time;

Hbm::Hbm(sc_core::sc_module_name name, const config::HbmParams& params)
    : sc_module(name),
      socket("socket"),
      m_params(params),
      m_channels(
          std::max<std::uint64_t>(1, std::uint64_t{params.stacks} * params.channels_per_stack)),
      m_ns_per_byte(1.0 / params.bandwidth_gb_s),  // GB/s == bytes/ns
      m_ns_per_byte_channel(static_cast<double>(m_channels) / params.bandwidth_gb_s),
      m_latency(nanoseconds(params.latency_ns)),
      m_unit_shift(static_cast<unsigned>(std::countr_zero(params.interleave_bytes))) {
  socket.register_b_transport(this, &Hbm::b_transport);
}

std::uint64_t Hbm::channels_touched(std::uint64_t offset, std::uint64_t row_bytes,
                                    std::uint64_t rows, std::int64_t stride) const {
  // interleave_bytes is a power of two (the config loader checks).
  const std::uint64_t unit = m_params.interleave_bytes;
  if (row_bytes == 0) return 1;
  const std::uint64_t per_row = ((offset & (unit - 1)) + row_bytes + unit - 1) >> m_unit_shift;
  // Rows closer together than a unit share units; otherwise each row has its own.
  const std::uint64_t distance = static_cast<std::uint64_t>(stride < 0 ? -stride : stride);
  const std::uint64_t rows_apart = distance >= unit ? rows : 1;
  return std::min(m_channels, per_row * rows_apart);
}

void Hbm::b_transport(tlm::tlm_generic_payload& trans, sc_time& delay) {
  const sc_time arrival = sc_core::sc_time_stamp() + delay;
  const std::uint64_t bytes = trans.get_data_length();
  TransferShape* shape = transfer_shape(trans);
  const std::uint64_t rows = shape ? std::max<std::uint64_t>(1, shape->rows) : 1;
  const std::uint64_t offset = decode_address(trans.get_address()).offset;
  const std::uint64_t parallel =
      channels_touched(offset, bytes / rows, rows, shape ? shape->row_stride : 0);

  const double b = static_cast<double>(bytes);
  const Server::Grant grant = m_server.reserve(arrival, nanoseconds(b * m_ns_per_byte));
  const sc_time spread =
      arrival + nanoseconds(b * m_ns_per_byte_channel / static_cast<double>(parallel));
  const sc_time streamed = std::max(grant.end, spread);
  if (shape) shape->stream_end = streamed;

  (trans.is_read() ? m_bytes_read : m_bytes_written) += bytes;
  delay = streamed + m_latency - sc_core::sc_time_stamp();
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

}  // namespace trnsim::sysc
