// Writing a Program back as trace text in canonical form (what `trnsim fmt` prints).
//
// Canonical form: `.trace 1`, then the tensors, then the aliases, then for each core in
// order of first appearance its section line (omitted for a trace whose only core is chip
// 0 core 0), its `.sem` line and its instructions in file order, one space between tokens,
// engine names padded so the opcodes line up. parse(print(p)) is equivalent to p.
#pragma once

#include <string>

#include "trace/program.h"

namespace trnsim::trace {

std::string print_program(const Program& program);

// One operand in trace syntax, e.g. `sbuf[0:128]@0x100.bf16[512]`.
std::string print_operand(const Program& program, const Operand& op);

}  // namespace trnsim::trace
