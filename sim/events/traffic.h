// Totals the memory models count during a run, handed to the report at the end.
#pragma once

#include <cstdint>

namespace trnsim::events {

struct MemoryTraffic {
  std::uint64_t hbm_bytes_read = 0;
  std::uint64_t hbm_bytes_written = 0;
  double hbm_busy_seconds = 0;         // at full bandwidth, summed over chips
  std::uint32_t chips = 0;             // chips simulated
  double dma_engine_busy_seconds = 0;  // summed over the DMA engines of all cores
  std::uint32_t dma_engines = 0;       // in all simulated cores
};

}  // namespace trnsim::events
