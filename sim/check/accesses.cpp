#include "check/accesses.h"

namespace trnsim::check {

void operand_accesses(const trace::Program& program, const trace::Instruction& ins,
                      const config::SystemConfig& cfg,
                      const std::vector<std::uint64_t>& tensor_addresses, bool writes,
                      std::vector<OperandAccess>& out) {
  out.clear();
  const isa::OpcodeInfo& info = isa::opcode_info(ins.opcode);
  const trace::Arg* args = program.args_of(ins);
  // A matmul starting its accumulation (the default) only writes its PSUM destination.
  bool accumulates = false;
  for (std::uint32_t i = 0; i < ins.num_args; ++i) {
    if (args[i].key == isa::Attr::kAcc && args[i].kind == isa::ArgKind::kWord) {
      accumulates = args[i].word == isa::Word::kAccumulate;
    }
  }
  const trace::CoreId where = program.cores[ins.core_index].id;
  std::uint32_t positional = 0;
  for (std::uint32_t i = 0; i < ins.num_args; ++i) {
    const trace::Arg& arg = args[i];
    isa::Access role = isa::Access::kRead;
    bool matmul_dst = false;
    if (arg.key == isa::Attr::kNone) {
      const std::uint32_t index = positional++;
      if (index < info.positional.size()) role = info.positional[index].access;
      matmul_dst = index == 0 && ins.opcode == isa::Opcode::kMatmul;
      if (matmul_dst && !accumulates) role = isa::Access::kWrite;
    } else {
      for (const isa::AttrSpec& spec : info.attrs) {
        if (spec.key == arg.key) role = spec.access;
      }
    }
    if (arg.kind != isa::ArgKind::kOperand) continue;
    const bool wanted = writes ? role != isa::Access::kRead : role != isa::Access::kWrite;
    if (!wanted) continue;
    OperandAccess a;
    a.where = trace::footprint(program, program.operand(arg.operand), where, cfg, tensor_addresses);
    a.column = arg.column;
    a.accumulates = matmul_dst && accumulates && !writes;
    out.push_back(a);
  }
}

}  // namespace trnsim::check
