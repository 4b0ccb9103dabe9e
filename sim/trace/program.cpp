#include "trace/program.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <map>
#include <tuple>

#include <fmt/format.h>

namespace trnsim::trace {

std::uint64_t TensorDecl::elements() const {
  std::uint64_t n = 1;
  for (auto d : shape)
    n *= d;
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
  for (std::uint32_t i = 0; i < ndims; ++i)
    n *= dims[i].size;
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
  mix(op.core);
  mix((static_cast<std::uint64_t>(op.part_begin) << 32) | op.part_end);
  mix(op.offset);
  mix(op.tensor);
  for (std::uint32_t i = 0; i < op.ndims; ++i) {
    mix(op.dims[i].size);
    mix(static_cast<std::uint64_t>(op.dims[i].start_or_stride));
  }
  // The multiplications only carry bits upward; fold the high bits down, since the
  // interning table indexes by the low ones.
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return static_cast<std::size_t>(h);
}

std::uint32_t Program::intern(const Operand& op) {
  if (2 * (operands.size() + 1) > m_operand_slots.size()) {
    // Grow and re-insert; also picks up operands appended to the pool directly.
    std::vector<std::uint32_t> slots(
        std::bit_ceil(std::max<std::size_t>(64, 4 * (operands.size() + 1))), kNone);
    const std::size_t mask = slots.size() - 1;
    for (std::uint32_t i = 0; i < operands.size(); ++i) {
      std::size_t s = OperandHash{}(operands[i]) & mask;
      while (slots[s] != kNone)
        s = (s + 1) & mask;
      slots[s] = i;
    }
    m_operand_slots = std::move(slots);
  }
  const std::size_t mask = m_operand_slots.size() - 1;
  std::size_t s = OperandHash{}(op)&mask;
  while (m_operand_slots[s] != kNone) {
    if (operands[m_operand_slots[s]] == op) return m_operand_slots[s];
    s = (s + 1) & mask;
  }
  m_operand_slots[s] = static_cast<std::uint32_t>(operands.size());
  operands.push_back(op);
  return m_operand_slots[s];
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
  // Element by element: a range insert of two or three records costs more in its call.
  for (std::size_t i = 0; i < num_args; ++i)
    args.push_back(a[i]);
  for (std::size_t i = 0; i < num_syncs; ++i)
    syncs.push_back(s[i]);
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
  for (auto& [key, pos] : index)
    sorted.push_back(std::move(out[pos]));
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

  // Semaphores are compared by core and name: the index order depends on how declarations
  // of different cores interleave in the file, which the printer does not keep.
  bool same_semaphores() {
    if (m_a.semaphores.size() != m_b.semaphores.size()) return differ("number of semaphores");
    for (std::uint32_t c = 0; c < m_a.cores.size(); ++c) {
      auto names_a = semaphore_names(m_a, c);
      auto names_b = semaphore_names(m_b, c);
      if (names_a != names_b) {
        return differ(fmt::format("semaphores of chip {} core {}", m_a.cores[c].id.chip,
                                  m_a.cores[c].id.core));
      }
    }
    return true;
  }

  static std::vector<std::string_view> semaphore_names(const Program& p, std::uint32_t core) {
    std::vector<std::string_view> out;
    for (const auto& s : p.semaphores) {
      if (s.core_index == core) out.push_back(s.name);
    }
    return out;
  }

  bool same_semaphore(std::uint32_t x, std::uint32_t y) const {
    if (x >= m_a.semaphores.size() || y >= m_b.semaphores.size()) return x == y;
    const SemaphoreDecl& s = m_a.semaphores[x];
    const SemaphoreDecl& t = m_b.semaphores[y];
    return s.core_index == t.core_index && s.name == t.name;
  }

  bool same_value(const Arg& x, const Arg& y) const {
    if (x.kind != y.kind) return false;
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
        return same_semaphore(x.semaphore, y.semaphore);
    }
    return false;
  }

  // Positional arguments in order; attributes by key, in any order.
  bool same_args(const Instruction& i, const Instruction& j) const {
    const Arg* a = m_a.args_of(i);
    std::size_t position = 0;
    for (std::uint32_t n = 0; n < i.num_args; ++n) {
      const Arg* other =
          a[n].key == isa::Attr::kNone ? m_b.positional(j, position++) : m_b.find_attr(j, a[n].key);
      if (!other || !same_value(a[n], *other)) return false;
    }
    return true;
  }

  // Waits in order and posts in order; where the two lists sit relative to each other is
  // not meaning (the printer writes wait(...) before post(...)).
  bool same_syncs(const Instruction& i, const Instruction& j) const {
    return same_sync_list(i, j, true) && same_sync_list(i, j, false);
  }

  bool same_sync_list(const Instruction& i, const Instruction& j, bool waits) const {
    auto pick = [waits](const SyncOp& s) { return (s.kind == SyncKind::kWaitGe) == waits; };
    const SyncOp* s = m_a.syncs_of(i);
    const SyncOp* t = m_b.syncs_of(j);
    std::uint32_t x = 0, y = 0;
    while (true) {
      while (x < i.num_syncs && !pick(s[x]))
        ++x;
      while (y < j.num_syncs && !pick(t[y]))
        ++y;
      if (x == i.num_syncs || y == j.num_syncs) return x == i.num_syncs && y == j.num_syncs;
      if (!same_semaphore(s[x].semaphore, t[y].semaphore) || s[x].value != t[y].value ||
          s[x].kind != t[y].kind || s[x].when != t[y].when) {
        return false;
      }
      ++x;
      ++y;
    }
  }

  bool same_stream(const Stream& x, const Stream& y) {
    if (x.core_index != y.core_index || x.engine != y.engine || x.queue != y.queue ||
        x.instructions.size() != y.instructions.size()) {
      return differ(fmt::format("stream {}.q{} of core {}: {} vs {} instructions",
                                isa::engine_name(x.engine), x.queue, x.core_index,
                                x.instructions.size(), y.instructions.size()));
    }
    for (std::size_t k = 0; k < x.instructions.size(); ++k) {
      const auto& i = m_a.instructions[x.instructions[k]];
      const auto& j = m_b.instructions[y.instructions[k]];
      if (i.opcode != j.opcode || i.num_args != j.num_args || i.num_syncs != j.num_syncs ||
          !same_args(i, j) || !same_syncs(i, j)) {
        return differ(fmt::format("instruction {} of stream {}.q{} of core {} (line {} vs {})", k,
                                  isa::engine_name(x.engine), x.queue, x.core_index, i.line,
                                  j.line));
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
