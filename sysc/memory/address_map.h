// The system's physical address map, as seen by DMA engines and the chip router.
//
//   bits 63..48  chip
//   bits 47..44  region: 0 = HBM, 1 = SBUF
//   bits 43..36  core (SBUF only)
//   bits 35..0   offset: HBM byte address, or partition * bytes_per_partition + byte
//
// HBM capacity per chip is limited to 2^44 bytes (16 TiB) and SBUF to 2^36 bytes per core
// by this layout, far beyond any configuration in sight.
#pragma once

#include <cstdint>

namespace trnsim::sysc {

enum class Region : std::uint8_t { kHbm = 0, kSbuf = 1 };

struct DecodedAddress {
  std::uint32_t chip = 0;
  Region region = Region::kHbm;
  std::uint32_t core = 0;
  std::uint64_t offset = 0;
};

inline constexpr std::uint64_t kHbmOffsetBits = 44;
inline constexpr std::uint64_t kSramOffsetBits = 36;

inline std::uint64_t hbm_address(std::uint32_t chip, std::uint64_t offset) {
  return (std::uint64_t{chip} << 48) | offset;
}

inline std::uint64_t sbuf_address(std::uint32_t chip, std::uint32_t core, std::uint64_t offset) {
  return (std::uint64_t{chip} << 48) | (std::uint64_t{1} << 44) | (std::uint64_t{core} << 36) |
         offset;
}

inline DecodedAddress decode_address(std::uint64_t a) {
  DecodedAddress d;
  d.chip = static_cast<std::uint32_t>(a >> 48);
  d.region = static_cast<Region>((a >> 44) & 0xf);
  if (d.region == Region::kHbm) {
    d.offset = a & ((std::uint64_t{1} << kHbmOffsetBits) - 1);
  } else {
    d.core = static_cast<std::uint32_t>((a >> 36) & 0xff);
    d.offset = a & ((std::uint64_t{1} << kSramOffsetBits) - 1);
  }
  return d;
}

}  // namespace trnsim::sysc
