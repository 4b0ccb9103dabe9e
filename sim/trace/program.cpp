#include "trace/program.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <tuple>

#include <fmt/format.h>

namespace trnsim::trace {

std::uint64_t TensorDecl::elements() const {
  std::uint64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

isa::Memory Operand::memory() const {
  switch (form) {
    case OperandForm::kSbuf:
      return isa::Memory::kSbuf;
    case OperandForm::kPsumOffset:
    case OperandForm::kPsumBank:
      return isa::Memory::kPsum;
    case OperandForm::kHbmAddress:
    case OperandForm::kTensorSlice:
      return isa::Memory::kHbm;
  }
  return isa::Memory::kHbm;
}

std::uint64_t Operand::free_elements() const {
  std::uint64_t n = 1;
  for (std::uint32_t i = 0; i < ndims; ++i) n *= dims[i].size;
  return n;
}

std::size_t Program::OperandHash::operator()(const Operand& op) const {
  // FNV-1a over the fields that matter; padding bytes are never read.
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&h](std::uint64_t v) {
    h ^= v;
    h *= 1099511628211ull;
  };
  mix(static_cast<std::uint64_t>(op.form) | (static_cast<std::uint64_t>(op.dtype) << 8) |
      (static_cast<std::uint64_t>(op.ndims) << 16));
  mix(op.chip);
  mix((static_cast<std::uint64_t>(op.part_begin) << 32) | op.part_end);
  mix(op.offset);
  mix(op.tensor);
  for (std::uint32_t i = 0; i < op.ndims; ++i) {
    mix(op.dims[i].size);
    mix(static_cast<std::uint64_t>(op.dims[i].start_or_stride));
  }
  return static_cast<std::size_t>(h);
}

std::uint32_t Program::intern(const Operand& op) {
  auto [it, inserted] =
      m_operand_index.try_emplace(op, static_cast<std::uint32_t>(operands.size()));
  if (inserted) operands.push_back(op);
  return it->second;
}

std::uint32_t Program::core_index(CoreId id, std::uint32_t line) {
  for (std::uint32_t i = 0; i < cores.size(); ++i) {
    if (cores[i].id == id) return i;
  }
  cores.push_back(CoreSection{id, line});
  m_semaphore_index.resize(cores.size());
  return static_cast<std::uint32_t>(cores.size() - 1);
}

std::uint32_t Program::add_instruction(Instruction ins, const Arg* a, std::size_t num_args,
                                       const SyncOp* s, std::size_t num_syncs) {
  ins.first_arg = static_cast<std::uint32_t>(args.size());
  ins.num_args = static_cast<std::uint8_t>(num_args);
  ins.first_sync = static_cast<std::uint32_t>(syncs.size());
  ins.num_syncs = static_cast<std::uint8_t>(num_syncs);
  args.insert(args.end(), a, a + num_args);
  syncs.insert(syncs.end(), s, s + num_syncs);
  instructions.push_back(ins);
  return static_cast<std::uint32_t>(instructions.size() - 1);
}

const Arg* Program::find_attr(const Instruction& ins, isa::Attr key) const {
  const Arg* a = args_of(ins);
  for (std::uint32_t i = 0; i < ins.num_args; ++i) {
    if (a[i].key == key) return &a[i];
  }
  return nullptr;
}

const Arg* Program::positional(const Instruction& ins, std::size_t n) const {
  const Arg* a = args_of(ins);
  for (std::uint32_t i = 0; i < ins.num_args; ++i) {
    if (a[i].key == isa::Attr::kNone && n-- == 0) return &a[i];
  }
  return nullptr;
}

std::vector<Stream> Program::streams() const {
  std::map<std::tuple<std::uint32_t, isa::Engine, std::uint8_t>, std::size_t> index;
  std::vector<Stream> out;
  for (std::uint32_t i = 0; i < instructions.size(); ++i) {
    const auto& ins = instructions[i];
    auto key = std::make_tuple(ins.core_index, ins.engine, ins.queue);
    auto [it, inserted] = index.try_emplace(key, out.size());
    if (inserted) out.push_back(Stream{ins.core_index, ins.engine, ins.queue, {}});
    out[it->second].instructions.push_back(i);
  }
  std::vector<Stream> sorted;
  sorted.reserve(out.size());
  for (auto& [key, pos] : index) sorted.push_back(std::move(out[pos]));
  return sorted;
}

std::uint32_t Program::find_tensor(std::string_view name) const {
  auto it = m_tensor_index.find(name);
  return it == m_tensor_index.end() ? kNone : it->second;
}

std::uint32_t Program::find_semaphore(std::uint32_t core, std::string_view name) const {
  if (core >= m_semaphore_index.size()) return kNone;
  auto it = m_semaphore_index[core].find(name);
  return it == m_semaphore_index[core].end() ? kNone : it->second;
}

std::uint32_t Program::add_semaphore(SemaphoreDecl decl) {
  if (decl.core_index >= m_semaphore_index.size()) m_semaphore_index.resize(decl.core_index + 1);
  auto index = static_cast<std::uint32_t>(semaphores.size());
  m_semaphore_index[decl.core_index].emplace(decl.name, index);
  semaphores.push_back(std::move(decl));
  return index;
}

std::uint32_t Program::add_tensor(TensorDecl decl) {
  auto index = static_cast<std::uint32_t>(tensors.size());
  m_tensor_index.emplace(decl.name, index);
  tensors.push_back(std::move(decl));
  return index;
}

namespace {

// Compares two programs field by field, recording the first difference.
class Comparer {
 public:
  Comparer(const Program& a, const Program& b) : m_a(a), m_b(b) {}

  bool run() {
    if (m_a.version != m_b.version) return differ("format version");
    if (!same_tensors() || !same_cores() || !same_semaphores()) return false;
    auto sa = m_a.streams();
    auto sb = m_b.streams();
    if (sa.size() != sb.size()) {
      return differ(fmt::format("{} vs {} instruction streams", sa.size(), sb.size()));
    }
    for (std::size_t s = 0; s < sa.size(); ++s) {
      if (!same_stream(sa[s], sb[s])) return false;
    }
    return true;
  }

  std::string why;

 private:
  bool differ(std::string what) {
    why = std::move(what);
    return false;
  }

  bool same_tensors() {
    if (m_a.tensors.size() != m_b.tensors.size()) return differ("number of tensors");
    for (std::size_t i = 0; i < m_a.tensors.size(); ++i) {
      const auto& x = m_a.tensors[i];
      const auto& y = m_b.tensors[i];
      if (x.name != y.name || x.chip != y.chip || x.dtype != y.dtype || x.shape != y.shape ||
          x.has_address != y.has_address || (x.has_address && x.address != y.address) ||
          x.init != y.init || x.output != y.output ||
          (x.init == InitKind::kRandom && (x.seed != y.seed || x.dist != y.dist)) ||
          (x.init == InitKind::kFile && x.file != y.file)) {
        return differ("tensor " + x.name);
      }
    }
    return true;
  }

  bool same_cores() {
    if (m_a.cores.size() != m_b.cores.size()) return differ("number of core sections");
    for (std::size_t i = 0; i < m_a.cores.size(); ++i) {
      if (!(m_a.cores[i].id == m_b.cores[i].id)) return differ("core section order");
    }
    return true;
  }

  bool same_semaphores() {
    if (m_a.semaphores.size() != m_b.semaphores.size()) return differ("number of semaphores");
    for (std::size_t i = 0; i < m_a.semaphores.size(); ++i) {
      if (m_a.semaphores[i].name != m_b.semaphores[i].name ||
          m_a.semaphores[i].core_index != m_b.semaphores[i].core_index) {
        return differ("semaphore " + m_a.semaphores[i].name);
      }
    }
    return true;
  }

  bool same_arg(const Arg& x, const Arg& y) {
    if (x.key != y.key || x.kind != y.kind) return false;
    switch (x.kind) {
      case isa::ArgKind::kOperand:
        return m_a.operand(x.operand) == m_b.operand(y.operand);
      case isa::ArgKind::kInt:
        return x.integer == y.integer;
      case isa::ArgKind::kReal:
        // Bitwise, so that NaN equals NaN and -0 differs from 0: printing must be exact.
        return std::memcmp(&x.real, &y.real, sizeof(double)) == 0;
      case isa::ArgKind::kWord:
        return x.word == y.word;
      case isa::ArgKind::kSemaphore:
        return x.semaphore == y.semaphore;
    }
    return false;
  }

  bool same_stream(const Stream& x, const Stream& y) {
    if (x.core_index != y.core_index || x.engine != y.engine || x.queue != y.queue ||
        x.instructions.size() != y.instructions.size()) {
      return differ("instruction streams");
    }
    for (std::size_t k = 0; k < x.instructions.size(); ++k) {
      const auto& i = m_a.instructions[x.instructions[k]];
      const auto& j = m_b.instructions[y.instructions[k]];
      auto where = [&] {
        return fmt::format("instruction {} of stream {}.q{} of core {} (line {} vs {})", k,
                           isa::engine_name(x.engine), x.queue, x.core_index, i.line, j.line);
      };
      if (i.opcode != j.opcode || i.num_args != j.num_args || i.num_syncs != j.num_syncs) {
        return differ(where());
      }
      for (std::uint32_t n = 0; n < i.num_args; ++n) {
        if (!same_arg(m_a.args_of(i)[n], m_b.args_of(j)[n])) return differ(where());
      }
      for (std::uint32_t n = 0; n < i.num_syncs; ++n) {
        const auto& s = m_a.syncs_of(i)[n];
        const auto& t = m_b.syncs_of(j)[n];
        if (s.semaphore != t.semaphore || s.value != t.value || s.kind != t.kind ||
            s.when != t.when) {
          return differ(where());
        }
      }
    }
    return true;
  }

  const Program& m_a;
  const Program& m_b;
};

}  // namespace

bool equivalent(const Program& a, const Program& b, std::string* why) {
  Comparer c(a, b);
  bool same = c.run();
  if (!same && why) *why = c.why;
  return same;
}

}  // namespace trnsim::trace
