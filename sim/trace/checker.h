// Static checks of a Program against a chip configuration: everything that can be known
// wrong before simulating. The rules come from ARCH-FACTS.md "Memory rules" and the ISA
// table; each violation names the instruction's line and the operand's column.
//
// Checked: memory and dtype legality per engine and opcode; SBUF/PSUM/HBM bounds; partition
// start alignment and contiguity for compute engines; access-pattern sizes and strides;
// free-size limits per opcode; operand shapes that must agree (matmul K/M/N, element-wise
// dst/src, DMA element counts); tensor slices inside their tensors; tensors inside HBM and
// not overlapping; cores, chips and DMA queues that exist in the configuration; semaphore
// waits on the instruction's own core.
#pragma once

#include <string_view>

#include "common/diagnostic.h"
#include "config/config.h"
#include "trace/program.h"

namespace trnsim::trace {

// Appends one diagnostic per violation to `diags`. `source` is the trace text (for the
// source line under each message; may be empty for generated programs). Returns true when
// no error was found.
bool check_program(const Program& program, const config::SystemConfig& cfg, std::string_view source,
                   DiagnosticList& diags);

}  // namespace trnsim::trace
