// What a run that did not finish reports, at the trace lines of its streams: the streams
// of a deadlock and what each waits for, or where the watchdog (a time limit) stopped them.
// Shared by the command line and the simulation fuzz target, which checks every such
// diagnostic points into the trace.
#pragma once

#include <string_view>

#include "common/diagnostic.h"
#include "sysc/system/simulation.h"

namespace trnsim::sysc {

// One error per stream that never finished, at the instruction it is stuck on (at its
// first unmet wait), saying what it waits for and who could still post it. `source`: the
// trace text, for the lines under the messages (may be empty).
void report_deadlock(const SimulationResult& result, const trace::Program& program,
                     std::string_view source, DiagnosticList& diags);

// The watchdog: one error for the limit (about the whole run, so at line 0), then a note
// at the instruction where each unfinished stream stood.
void report_stopped(const SimulationResult& result, const trace::Program& program,
                    std::string_view source, DiagnosticList& diags);

}  // namespace trnsim::sysc
