#include "gen/program_builder.h"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "common/diagnostic.h"

namespace trnsim::gen {

namespace {

// Semaphore values are 32-bit signed in the trace format (the parser rejects larger ones).
constexpr std::int64_t kMaxSemaphoreValue = std::numeric_limits<std::int32_t>::max();

}  // namespace

Sync::Sync(std::initializer_list<Wait> wait_list, std::initializer_list<std::uint32_t> post_list) {
  if (wait_list.size() > kMax || post_list.size() > kMax) {
    throw std::logic_error("gen::Sync: too many waits or posts for one instruction");
  }
  std::copy(wait_list.begin(), wait_list.end(), waits.begin());
  std::copy(post_list.begin(), post_list.end(), posts.begin());
  num_waits = static_cast<std::uint8_t>(wait_list.size());
  num_posts = static_cast<std::uint8_t>(post_list.size());
}

ProgramBuilder::ProgramBuilder(std::string file) {
  m_program.file = std::move(file);
}

std::uint32_t ProgramBuilder::add_tensor(trace::TensorDecl decl) {
  return m_program.add_tensor(std::move(decl));
}

void ProgramBuilder::begin_core(trace::CoreId id) {
  m_core = m_program.core_index(id);
}

std::uint32_t ProgramBuilder::add_semaphore(std::string name) {
  return m_program.add_semaphore(trace::SemaphoreDecl{std::move(name), m_core, 0, 0});
}

trace::Operand ProgramBuilder::sbuf(std::uint32_t partitions, std::uint64_t offset,
                                    isa::DType dtype, std::uint32_t elements) const {
  trace::Operand op;
  op.form = trace::OperandForm::kSbuf;
  op.dtype = dtype;
  op.part_end = partitions;
  op.offset = offset;
  op.ndims = 1;
  op.dims[0] = trace::Dim{elements, 1};
  return op;
}

trace::Operand ProgramBuilder::psum_bank(std::uint32_t partitions, std::uint32_t bank,
                                         isa::DType dtype, std::uint32_t elements) const {
  trace::Operand op = sbuf(partitions, bank, dtype, elements);
  op.form = trace::OperandForm::kPsumBank;
  return op;
}

trace::Operand ProgramBuilder::slice(std::uint32_t tensor, std::uint64_t row_begin,
                                     std::uint64_t row_end, std::uint64_t col_begin,
                                     std::uint64_t col_end) const {
  trace::Operand op;
  op.form = trace::OperandForm::kTensorSlice;
  op.dtype = m_program.tensors[tensor].dtype;
  op.tensor = tensor;
  op.ndims = 2;
  op.dims[0] = trace::Dim{static_cast<std::uint32_t>(row_end - row_begin),
                          static_cast<std::int64_t>(row_begin)};
  op.dims[1] = trace::Dim{static_cast<std::uint32_t>(col_end - col_begin),
                          static_cast<std::int64_t>(col_begin)};
  return op;
}

trace::Operand ProgramBuilder::slice(std::uint32_t tensor, std::uint64_t batch,
                                     std::uint64_t row_begin, std::uint64_t row_end,
                                     std::uint64_t col_begin, std::uint64_t col_end) const {
  trace::Operand op = slice(tensor, row_begin, row_end, col_begin, col_end);
  op.ndims = 3;
  op.dims[2] = op.dims[1];
  op.dims[1] = op.dims[0];
  op.dims[0] = trace::Dim{1, static_cast<std::int64_t>(batch)};
  return op;
}

trace::Operand ProgramBuilder::slice(std::uint32_t tensor,
                                     std::initializer_list<Range> ranges) const {
  if (ranges.size() == 0 || ranges.size() > isa::kMaxTensorDims) {
    throw std::logic_error("ProgramBuilder::slice: 1 to kMaxTensorDims ranges");
  }
  trace::Operand op;
  op.form = trace::OperandForm::kTensorSlice;
  op.dtype = m_program.tensors[tensor].dtype;
  op.tensor = tensor;
  op.ndims = static_cast<std::uint8_t>(ranges.size());
  std::uint32_t d = 0;
  for (const Range& r : ranges) {
    op.dims[d++] =
        trace::Dim{static_cast<std::uint32_t>(r.end - r.begin), static_cast<std::int64_t>(r.begin)};
  }
  return op;
}

trace::Arg ProgramBuilder::operand(const trace::Operand& op) {
  trace::Arg arg;
  arg.kind = isa::ArgKind::kOperand;
  arg.operand = m_program.intern(op);
  return arg;
}

trace::Arg ProgramBuilder::word(isa::Attr key, isa::Word value) {
  trace::Arg arg;
  arg.key = key;
  arg.kind = isa::ArgKind::kWord;
  arg.word = value;
  return arg;
}

void ProgramBuilder::emit(StreamId where, isa::Opcode opcode,
                          std::initializer_list<trace::Arg> args, const Sync& sync) {
  // The printer writes waits before posts, each in order; keep that order so that a
  // reparsed program compares equal.
  std::vector<trace::SyncOp> ops;
  for (std::size_t i = 0; i < sync.num_waits; ++i) {
    const Wait& w = sync.waits[i];
    if (w.value > kMaxSemaphoreValue) {
      throw InputError(m_program.file, 0, 0,
                       fmt::format("the program is too large: semaphore '{}' would need to "
                                   "count to {}, beyond the 32-bit limit of the trace format",
                                   m_program.semaphores[w.semaphore].name, w.value));
    }
    if (w.value <= 0) continue;
    const std::uint64_t key = (std::uint64_t{w.semaphore} << 16) |
                              (static_cast<std::uint64_t>(where.engine) << 8) | where.queue;
    auto [it, inserted] = m_waited.try_emplace(key, w.value);
    if (!inserted) {
      if (it->second >= w.value) continue;
      it->second = w.value;
    }
    ops.push_back(trace::SyncOp{w.semaphore, w.value, trace::SyncKind::kWaitGe,
                                trace::PostWhen::kComplete, 0});
  }
  for (std::size_t i = 0; i < sync.num_posts; ++i) {
    ops.push_back(
        trace::SyncOp{sync.posts[i], 1, trace::SyncKind::kPostAdd, trace::PostWhen::kComplete, 0});
  }
  trace::Instruction ins;
  ins.core_index = m_core;
  ins.opcode = opcode;
  ins.engine = where.engine;
  ins.queue = where.queue;
  m_program.add_instruction(ins, args.begin(), args.size(), ops.data(), ops.size());
}

Wait GuardedBuffer::begin(Phase phase) {
  if (m_phase != phase) {
    m_phase_start = m_accesses;
    m_phase = phase;
  }
  ++m_accesses;
  return Wait{m_semaphore, m_phase_start};
}

Wait GuardedBuffer::write() {
  // New contents always start a new phase, even right after another write.
  m_phase = Phase::kNone;
  return begin(Phase::kWrite);
}

Wait GuardedBuffer::accumulate() {
  return begin(Phase::kWrite);
}

Wait GuardedBuffer::read() {
  return begin(Phase::kRead);
}

}  // namespace trnsim::gen
