// What every engine model of a simulation shares: the program it runs, the configuration
// it is timed by, the semaphores and the probe observers listen on.
#pragma once

#include "config/config.h"
#include "events/observer.h"
#include "trace/program.h"

namespace trnsim::sysc {

class Semaphores;

struct EngineContext {
  const trace::Program& program;
  const config::SystemConfig& cfg;
  Semaphores& semaphores;
  const events::Probe& probe;
};

}  // namespace trnsim::sysc
