// Reading traces (format version 1, docs/trace-format.md) into a Program.
//
// The parser checks syntax, resolves names (tensors, aliases, semaphores) and checks each
// instruction against the ISA table: engine, operand count and kinds, attribute names and
// values. Checks that need a chip configuration (bounds, alignment, sizes, memory and
// dtype legality, shapes) are in checker.h. Every error in the file is reported, up to the
// DiagnosticList cap, not only the first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/diagnostic.h"
#include "trace/program.h"

namespace trnsim::trace {

// Limits on what one trace may ask for (docs/trace-format.md), each an error at the line
// that passes it. Instructions: 32 Mi, some 3 GB in memory, far past any kernel a compiler
// emits for one core group today; the parser stops reading there. Bytes of one tensor:
// 1 TiB, past any chip's HBM, so that sizes computed from a shape never overflow.
inline constexpr std::size_t kMaxInstructions = std::size_t{1} << 25;
inline constexpr std::uint64_t kMaxTensorBytes = std::uint64_t{1} << 40;

// Parses `text`; `file` names it in messages. Throws InputError with every diagnostic.
Program parse_trace(std::string_view text, const std::string& file);

// What the parser accepts at most; the defaults are the format's limits (tests lower them).
struct ParseLimits {
  std::size_t max_instructions = kMaxInstructions;
};

// Parses into `program` and reports into `diags` instead of throwing; returns true when
// there was no error. Used by tools that want to go on after errors.
bool parse_trace(std::string_view text, const std::string& file, Program& program,
                 DiagnosticList& diags, const ParseLimits& limits = {});

// Reads and parses a trace file. Throws InputError.
Program load_trace(const std::string& path);

}  // namespace trnsim::trace
