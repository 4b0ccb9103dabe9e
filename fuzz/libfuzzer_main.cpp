// The libFuzzer entry point of one target; TRNSIM_FUZZ_BODY names its body
// (fuzz_targets.h). A property violation prints what was wrong and aborts, which libFuzzer
// reports as a crash and saves the input.
#include <cstdio>
#include <cstdlib>

#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    return TRNSIM_FUZZ_BODY(data, size);
  } catch (const trnsim::fuzz::PropertyViolation& e) {
    std::fprintf(stderr, "property violated: %s\n", e.what());
    std::abort();
  }
}
