// What an instruction reads and writes: its operands with their roles (isa.h), where they
// land (trace::footprint) and their columns on the trace line, for the checks that watch
// a simulation.
#pragma once

#include <cstdint>
#include <vector>

#include "config/config.h"
#include "trace/footprint.h"
#include "trace/program.h"

namespace trnsim::check {

struct OperandAccess {
  trace::Footprint where;
  std::uint16_t column = 0;
  bool accumulates = false;  // a matmul reading the PSUM it accumulates into
};

// The operands `ins` reads (at issue) or, with `writes`, writes (at completion). A
// read-modify-write operand is in both lists: a matmul's PSUM destination with
// acc=accumulate (acc=start only writes it) and copy_add's destination.
void operand_accesses(const trace::Program& program, const trace::Instruction& ins,
                      const config::SystemConfig& cfg,
                      const std::vector<std::uint64_t>& tensor_addresses, bool writes,
                      std::vector<OperandAccess>& out);

}  // namespace trnsim::check
