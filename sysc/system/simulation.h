// Running a program on a configured system: builds the SystemC model (System -> Chip ->
// NeuronCore -> engines), runs the kernel until no event is left, and says how it ended.
//
// This is the one entry point the command line, the tests and the benchmarks use; it
// knows nothing about files or output formats. Observers attached receive every event.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/diagnostic.h"
#include "config/config.h"
#include "events/observer.h"
#include "events/traffic.h"
#include "sysc/dma/dma_plan.h"
#include "trace/program.h"

namespace trnsim::sysc {

class ArrayTiming;

// A stream that did not finish: the instruction it is stuck at and why.
struct BlockedStream {
  std::uint32_t instruction = 0;  // into Program::instructions
  std::uint32_t core_index = 0;
  isa::Engine engine = isa::Engine::kSync;
  std::uint8_t queue = 0;
  // The unmet wait conditions: semaphore index, value needed, value held.
  struct Condition {
    std::uint32_t semaphore;
    std::int64_t needed;
    std::int64_t held;
  };
  std::vector<Condition> conditions;
};

struct SimulationResult {
  double seconds = 0;                  // simulated time when the last event happened
  bool completed = false;              // every stream ran to its end
  bool stopped_at_limit = false;       // the time limit came first, with work left to do
  std::vector<BlockedStream> blocked;  // when not completed: a deadlock, or where each
                                       // unfinished stream was when the limit hit
  events::MemoryTraffic traffic;
  std::vector<std::int64_t> final_semaphores;
};

// Reports, with their trace lines, what the model cannot run: a DMA reading another
// chip's memory (the network carries writes; the chip holding the data writes it over).
// Returns true when there is none. (A separate step rather than an exception from
// simulate(): unwinding through a process that has switched SystemC thread stacks confuses
// AddressSanitizer.)
bool check_supported(const trace::Program& program, DiagnosticList& diags);

// Models plugged in instead of the built-in formulas (all optional).
struct ModelHooks {
  ArrayTiming* array_timing = nullptr;  // the tensor engine's array (sysc/tensor/array_timing.h)
};

// `tensors`: the HBM address of each tensor (trace::assign_tensor_addresses). The program
// must have passed trace::check_program against `cfg` and check_supported.
// `time_limit_seconds` > 0 stops the run at that simulated time (a watchdog for huge or
// runaway traces). `hooks` replace parts of the model (`trnsim run --rtl`).
SimulationResult simulate(const trace::Program& program, const config::SystemConfig& cfg,
                          const TensorAddresses& tensors,
                          const std::vector<events::Observer*>& observers = {},
                          double time_limit_seconds = 0, const ModelHooks& hooks = {});

}  // namespace trnsim::sysc
