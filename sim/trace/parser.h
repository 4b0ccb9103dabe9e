// Reading traces (format version 1, docs/trace-format.md) into a Program.
//
// The parser checks syntax, resolves names (tensors, aliases, semaphores) and checks each
// instruction against the ISA table: engine, operand count and kinds, attribute names and
// values. Checks that need a chip configuration (bounds, alignment, sizes, memory and
// dtype legality, shapes) are in checker.h. Every error in the file is reported, up to the
// DiagnosticList cap, not only the first.
#pragma once

#include <string>
#include <string_view>

#include "common/diagnostic.h"
#include "trace/program.h"

namespace trnsim::trace {

// Parses `text`; `file` names it in messages. Throws InputError with every diagnostic.
Program parse_trace(std::string_view text, const std::string& file);

// Parses into `program` and reports into `diags` instead of throwing; returns true when
// there was no error. Used by tools that want to go on after errors.
bool parse_trace(std::string_view text, const std::string& file, Program& program,
                 DiagnosticList& diags);

// Reads and parses a trace file. Throws InputError.
Program load_trace(const std::string& path);

}  // namespace trnsim::trace
