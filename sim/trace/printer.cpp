#include "trace/printer.h"

#include <cmath>

#include <fmt/format.h>

namespace trnsim::trace {

namespace {

// Reals are printed in the shortest form that reads back to the same double, and always
// with a '.' or exponent so that they read back as reals, not integers.
std::string real_text(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

void append_pattern(std::string& out, const Operand& op) {
  out += '[';
  for (std::uint32_t d = 0; d < op.ndims; ++d) {
    if (d) out += ", ";
    if (op.dims[d].start_or_stride == 1) {
      out += fmt::format("{}", op.dims[d].size);
    } else {
      out += fmt::format("{}:{}", op.dims[d].size, op.dims[d].start_or_stride);
    }
  }
  out += ']';
}

class Printer {
 public:
  explicit Printer(const Program& p) : m_p(p) {}

  std::string run() {
    m_out += fmt::format(".trace {}\n", m_p.version);
    for (const auto& t : m_p.tensors)
      tensor(t);
    for (const auto& a : m_p.aliases) {
      m_out += fmt::format(".alias {} = {}\n", a.name, print_operand(m_p, m_p.operand(a.operand)));
    }
    std::vector<std::vector<std::uint32_t>> by_core(m_p.cores.size());
    for (std::uint32_t i = 0; i < m_p.instructions.size(); ++i) {
      by_core[m_p.instructions[i].core_index].push_back(i);
    }
    for (std::uint32_t c = 0; c < m_p.cores.size(); ++c) {
      std::string sems;
      for (const auto& s : m_p.semaphores) {
        if (s.core_index == c) sems += " " + s.name;
      }
      // A trace whose only core is chip 0 core 0 needs no section line, unless the core
      // would otherwise leave no trace in the text (a lone `chip 0 core 0` line).
      const bool implicit = m_p.cores.size() == 1 && m_p.cores[0].id == CoreId{0, 0} &&
                            (!sems.empty() || !by_core[c].empty());
      m_out += '\n';
      if (!implicit) {
        m_out += fmt::format("chip {} core {}\n", m_p.cores[c].id.chip, m_p.cores[c].id.core);
      }
      if (!sems.empty()) m_out += ".sem" + sems + "\n";
      for (auto i : by_core[c])
        instruction(m_p.instructions[i]);
    }
    return std::move(m_out);
  }

 private:
  void tensor(const TensorDecl& t) {
    m_out += fmt::format(".tensor {} {} {} [", t.name,
                         t.chip == 0 ? std::string("hbm") : fmt::format("chip{}.hbm", t.chip),
                         isa::dtype_name(t.dtype));
    for (std::size_t d = 0; d < t.shape.size(); ++d) {
      if (d) m_out += ", ";
      m_out += fmt::format("{}", t.shape[d]);
    }
    m_out += ']';
    if (t.has_address) m_out += fmt::format(" at=0x{:x}", t.address);
    switch (t.init) {
      case InitKind::kNone:
        m_out += " init=none";
        break;
      case InitKind::kZeros:
        break;  // the default
      case InitKind::kRandom:
        m_out += fmt::format(" init=random(seed={}, dist={})", t.seed,
                             t.dist == Distribution::kNormal ? "normal" : "uniform");
        break;
      case InitKind::kFile:
        m_out += fmt::format(" init=file(\"{}\")", t.file);
        break;
    }
    if (t.output) m_out += " output";
    m_out += '\n';
  }

  std::string semaphore(std::uint32_t s, std::uint32_t core) const {
    const SemaphoreDecl& d = m_p.semaphores[s];
    if (d.core_index == core) return d.name;
    const CoreId& id = m_p.cores[d.core_index].id;
    return fmt::format("chip{}.core{}.{}", id.chip, id.core, d.name);
  }

  void value(const Arg& a, std::uint32_t core) {
    switch (a.kind) {
      case isa::ArgKind::kOperand:
        m_out += a.alias != kNone ? m_p.aliases[a.alias].name
                                  : print_operand(m_p, m_p.operand(a.operand));
        break;
      case isa::ArgKind::kInt:
        m_out += fmt::format("{}", a.integer);
        break;
      case isa::ArgKind::kReal:
        m_out += real_text(a.real);
        break;
      case isa::ArgKind::kWord:
        m_out += isa::word_name(a.word);
        break;
      case isa::ArgKind::kSemaphore:
        m_out += semaphore(a.semaphore, core);
        break;
    }
  }

  void instruction(const Instruction& ins) {
    const isa::OpcodeInfo& info = isa::opcode_info(ins.opcode);
    std::string engine = ins.engine == isa::Engine::kDma
                             ? fmt::format("dma.q{}:", ins.queue)
                             : fmt::format("{}:", isa::engine_name(ins.engine));
    // Padded so that opcodes line up; a long DMA queue name still gets one space.
    m_out += fmt::format("{:<7} {}", engine, info.name);
    const Arg* args = m_p.args_of(ins);
    bool first_positional = true;
    for (std::uint32_t i = 0; i < ins.num_args; ++i) {
      if (args[i].key != isa::Attr::kNone) continue;
      m_out += first_positional ? " " : ", ";
      first_positional = false;
      value(args[i], ins.core_index);
    }
    // Attributes in the ISA table's order, whatever order they were written in.
    for (const isa::AttrSpec& spec : info.attrs) {
      if (const Arg* a = m_p.find_attr(ins, spec.key)) {
        m_out += fmt::format(" {}=", isa::attr_name(spec.key));
        value(*a, ins.core_index);
      }
    }
    const SyncOp* syncs = m_p.syncs_of(ins);
    std::string waits, posts;
    for (std::uint32_t i = 0; i < ins.num_syncs; ++i) {
      const SyncOp& s = syncs[i];
      std::string name = semaphore(s.semaphore, ins.core_index);
      if (s.kind == SyncKind::kWaitGe) {
        waits += fmt::format("{}{} >= {}", waits.empty() ? "" : ", ", name, s.value);
        continue;
      }
      const char* op = s.kind == SyncKind::kPostAdd   ? "+="
                       : s.kind == SyncKind::kPostSub ? "-="
                                                      : "=";
      posts += fmt::format("{}{} {} {}{}", posts.empty() ? "" : ", ", name, op, s.value,
                           s.when == PostWhen::kRead ? " @read" : "");
    }
    if (!waits.empty()) m_out += " wait(" + waits + ")";
    if (!posts.empty()) m_out += " post(" + posts + ")";
    m_out += '\n';
  }

  const Program& m_p;
  std::string m_out;
};

// `chipN.coreM.` or `coreM.` before an on-chip operand of a named core; empty otherwise.
std::string owner_prefix(const Operand& op) {
  if (op.core == kNone) return {};
  if (op.chip == kNone) return fmt::format("core{}.", op.core);
  return fmt::format("chip{}.core{}.", op.chip, op.core);
}

}  // namespace

std::string print_operand(const Program& program, const Operand& op) {
  std::string out;
  switch (op.form) {
    case OperandForm::kSbuf:
    case OperandForm::kPsumOffset:
      out = owner_prefix(op);
      out += fmt::format("{}[{}:{}]@0x{:x}.{}", op.form == OperandForm::kSbuf ? "sbuf" : "psum",
                         op.part_begin, op.part_end, op.offset, isa::dtype_name(op.dtype));
      append_pattern(out, op);
      break;
    case OperandForm::kPsumBank:
      out = owner_prefix(op);
      out += fmt::format("psum[{}:{}]@bank{}.{}", op.part_begin, op.part_end, op.offset,
                         isa::dtype_name(op.dtype));
      append_pattern(out, op);
      break;
    case OperandForm::kHbmAddress:
      out = op.chip == kNone ? std::string("hbm") : fmt::format("chip{}.hbm", op.chip);
      out += fmt::format("@0x{:x}.{}", op.offset, isa::dtype_name(op.dtype));
      append_pattern(out, op);
      break;
    case OperandForm::kTensorSlice:
      out = fmt::format("hbm:{}[", program.tensors[op.tensor].name);
      for (std::uint32_t d = 0; d < op.ndims; ++d) {
        if (d) out += ", ";
        out += fmt::format("{}:{}", op.dims[d].start_or_stride,
                           op.dims[d].start_or_stride + op.dims[d].size);
      }
      out += ']';
      break;
  }
  return out;
}

std::string print_program(const Program& program) {
  return Printer(program).run();
}

}  // namespace trnsim::trace
