#include "events/observer.h"

namespace trnsim::events {

std::string_view stall_reason_name(StallReason r) {
  switch (r) {
    case StallReason::kSemaphore:
      return "semaphore_wait";
    case StallReason::kEngineBusy:
      return "engine_busy";
    case StallReason::kSbufPort:
      return "sbuf_port_conflict";
    case StallReason::kPsumPort:
      return "psum_port_conflict";
    case StallReason::kPsumBank:
      return "psum_bank_busy";
    case StallReason::kDmaQueueFull:
      return "dma_queue_full";
    case StallReason::kCount:
      break;
  }
  return "unknown";
}

}  // namespace trnsim::events
