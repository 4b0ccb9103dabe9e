// Totals the memory models count during a run, handed to the report at the end.
#pragma once

#include <cstdint>
#include <string>

namespace trnsim::events {

struct MemoryTraffic {
  std::uint64_t hbm_bytes_read = 0;
  std::uint64_t hbm_bytes_written = 0;
  double hbm_busy_seconds = 0;         // at full bandwidth, summed over chips
  std::uint32_t chips = 0;             // chips simulated
  double dma_engine_busy_seconds = 0;  // summed over the DMA engines of all cores
  std::uint32_t dma_engines = 0;       // in all simulated cores

  // The chip-to-chip network, if the system has one. A port is one direction of the links
  // between two nodes; bytes and busy time are summed over ports, so a byte that crosses
  // three links counts three times.
  std::uint32_t link_ports = 0;
  std::uint64_t link_bytes = 0;
  std::uint64_t link_packets = 0;
  double link_busy_seconds = 0;
  // Every port at its full bandwidth (its parallel links x link.bandwidth_gb_s), summed:
  // link_bytes over this is a lower bound on the run time.
  double link_peak_bytes_per_s = 0;
  std::string busiest_link;  // the port that was busy longest
  double busiest_link_seconds = 0;
};

}  // namespace trnsim::events
