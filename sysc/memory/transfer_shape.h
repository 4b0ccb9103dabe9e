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

// The extension of `trans`, or nullptr.
inline TransferShape* transfer_shape(tlm::tlm_generic_payload& trans) {
  TransferShape* shape = nullptr;
  trans.get_extension(shape);
  return shape;
}

}  // namespace trnsim::sysc
