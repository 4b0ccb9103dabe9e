// The shape of a DMA transaction, carried on the TLM-2.0 generic payload as an extension.
//
// A DMA engine moves a list of rows (partitions of SBUF, or rows of an HBM tensor) in one
// b_transport call rather than one call per row: the payload's address is the first row's,
// its data length the bytes of all rows, and this extension says how many rows and how far
// apart. Targets report back, besides the annotated delay (when the last byte is done,
// fixed latency included), when they finished streaming the bytes: a DMA engine overlaps
// that latency with its next transaction, but not the streaming.
// A payload without the extension is one contiguous row.
#pragma once

#include <cstdint>

#include <systemc>
#include <tlm>

namespace trnsim::sysc {

class TransferShape : public tlm::tlm_extension<TransferShape> {
 public:
  std::uint64_t rows = 1;
  std::int64_t row_stride = 0;  // bytes from one row's first byte to the next's
  // Set by the target: absolute time its last byte was streamed, before fixed latency.
  sc_core::sc_time stream_end = sc_core::SC_ZERO_TIME;

  tlm::tlm_extension_base* clone() const override { return new TransferShape(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override {
    *this = static_cast<const TransferShape&>(other);
  }
};

// What an initiator of timing-only transactions (a DMA engine, the network writing packets
// at their destination) sends: a payload carrying no data (a valid dummy pointer) with a
// TransferShape extension, built once and reused for every transaction.
class ShapedPayload {
 public:
  ShapedPayload() {
    m_payload.set_data_ptr(&m_dummy_data);
    m_payload.set_streaming_width(0);
    m_payload.set_byte_enable_ptr(nullptr);
    m_payload.set_dmi_allowed(false);
    m_payload.set_extension(&m_shape);
  }
  ~ShapedPayload() {
    // The payload would delete its extensions; this one is a member.
    m_payload.clear_extension(&m_shape);
  }
  ShapedPayload(const ShapedPayload&) = delete;
  ShapedPayload& operator=(const ShapedPayload&) = delete;

  // Sets up a transaction of `rows` rows of `bytes` in all, `row_stride` apart from
  // `address`, arriving at `now`; returns the payload to pass to b_transport.
  tlm::tlm_generic_payload& prepare(tlm::tlm_command command, std::uint64_t address,
                                    std::uint64_t bytes, std::uint64_t rows,
                                    std::int64_t row_stride, const sc_core::sc_time& now) {
    m_payload.set_command(command);
    m_payload.set_address(address);
    m_payload.set_data_length(static_cast<unsigned>(bytes));
    m_payload.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    m_shape.rows = rows;
    m_shape.row_stride = row_stride;
    m_shape.stream_end = now;
    return m_payload;
  }
  // After b_transport: when the target finished streaming (at least `now` of prepare()).
  const sc_core::sc_time& stream_end() const { return m_shape.stream_end; }

 private:
  tlm::tlm_generic_payload m_payload;
  TransferShape m_shape;
  unsigned char m_dummy_data = 0;
};

// The extension of `trans`, or nullptr.
inline TransferShape* transfer_shape(tlm::tlm_generic_payload& trans) {
  TransferShape* shape = nullptr;
  trans.get_extension(shape);
  return shape;
}

}  // namespace trnsim::sysc
