// Writing a Program back as trace text in canonical form (what `trnsim fmt` prints).
//
// Canonical form (docs/trace-format.md, "Canonical form"): `.trace 1`, the tensors, the
// aliases, then for each core in order of first appearance a blank line, its section line
// (omitted for a trace whose only core is chip 0 core 0), its `.sem` line and its
// instructions in file order. One space between items; engines padded so opcodes line up;
// attributes in the ISA table's order, then wait(...), then post(...); hex addresses;
// tensor operands as full slices; reals in their shortest exact form.
//
// Guarantee: parse(print(p)) is equivalent to p (program.h), and printing is idempotent:
// print(parse(print(p))) == print(p) byte for byte. Comments and blank lines are not kept.
#pragma once

#include <string>

#include "trace/program.h"

namespace trnsim::trace {

std::string print_program(const Program& program);

// One operand in trace syntax, e.g. `sbuf[0:128]@0x100.bf16[512]`.
std::string print_operand(const Program& program, const Operand& op);

}  // namespace trnsim::trace
