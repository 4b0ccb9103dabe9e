// What every engine model of a simulation shares: the program it runs, the configuration
// it is timed by, the semaphores and the probe observers listen on.
#pragma once

#include "config/config.h"
#include "events/observer.h"
#include "trace/program.h"

namespace trnsim::sysc {

class ArrayTiming;
class Network;
class Semaphores;

struct EngineContext {
  const trace::Program& program;
  const config::SystemConfig& cfg;
  Semaphores& semaphores;
  const events::Probe& probe;
  // The tensor engine's array cycles; null: the formulas of tensor_timing.h.
  ArrayTiming* array_timing;
  // The chip-to-chip network; null when the system is one chip.
  Network* network;
};

}  // namespace trnsim::sysc
