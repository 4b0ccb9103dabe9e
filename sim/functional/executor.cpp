#include "functional/executor.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <limits>

#include <fmt/format.h>

#include "common/diagnostic.h"
#include "functional/random_init.h"
#include "functional/semantics.h"
#include "numerics/numerics.h"

namespace trnsim::functional {

namespace {

using isa::Attr;
using isa::Opcode;
using isa::Word;

double number(const trace::Arg& arg) {
  return arg.kind == isa::ArgKind::kInt ? static_cast<double>(arg.integer) : arg.real;
}

Word word(const trace::Program& p, const trace::Instruction& ins, Attr key, Word fallback) {
  const trace::Arg* arg = p.find_attr(ins, key);
  return arg != nullptr && arg->kind == isa::ArgKind::kWord ? arg->word : fallback;
}

std::int64_t integer(const trace::Program& p, const trace::Instruction& ins, Attr key) {
  const trace::Arg* arg = p.find_attr(ins, key);
  return arg != nullptr ? arg->integer : 0;
}

// Values computed in double (memset, iota) stored as `t`: integers exactly, rounded to
// nearest even and saturated (NaN to 0); floats through fp32.
std::vector<std::byte> encode_exact(isa::DType t, const std::vector<double>& values) {
  if (isa::dtype_is_float(t)) {
    std::vector<float> f(values.begin(), values.end());
    return numerics::encode(t, f);
  }
  double lo = 0, hi = 0;
  switch (t) {
    case isa::DType::kInt32:
      lo = -2147483648.0;
      hi = 2147483647.0;
      break;
    case isa::DType::kInt16:
      lo = -32768;
      hi = 32767;
      break;
    case isa::DType::kInt8:
      lo = -128;
      hi = 127;
      break;
    default:
      lo = 0;
      hi = 255;
      break;  // uint8
  }
  const std::uint32_t width = isa::dtype_bytes(t);
  std::vector<std::byte> out(values.size() * width);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double v =
        std::isnan(values[i]) ? 0.0 : std::min(hi, std::max(lo, std::nearbyint(values[i])));
    const auto bits = static_cast<std::uint32_t>(static_cast<std::int64_t>(v));
    for (std::uint32_t b = 0; b < width; ++b)
      out[i * width + b] = static_cast<std::byte>(bits >> (8 * b));
  }
  return out;
}

std::uint64_t total_elements(const trace::Footprint& f) {
  return static_cast<std::uint64_t>(f.p1 - f.p0) * f.elements();
}

}  // namespace

FunctionalExecutor::FunctionalExecutor(const trace::Program& program,
                                       const config::SystemConfig& cfg,
                                       const std::vector<std::uint64_t>& tensor_addresses)
    : m_program(program),
      m_cfg(cfg),
      m_addresses(tensor_addresses),
      m_memory(program, cfg, tensor_addresses) {
  for (std::uint32_t t = 0; t < program.tensors.size(); ++t)
    initialise(t);
}

void FunctionalExecutor::initialise(std::uint32_t index) {
  const trace::TensorDecl& decl = m_program.tensors[index];
  std::span<std::byte> bytes = m_memory.tensor(index);
  if (decl.init == trace::InitKind::kRandom) {
    numerics::encode(decl.dtype, random_tensor(decl), bytes);
    return;
  }
  if (decl.init != trace::InitKind::kFile) return;  // zeros and poison are set by Memory
  // A relative path is relative to the trace's folder, so a trace and its data travel
  // together.
  std::filesystem::path path(decl.file);
  if (path.is_relative() && !m_program.file.empty()) {
    path = std::filesystem::path(m_program.file).parent_path() / path;
  }
  const auto fail = [&](const std::string& why) {
    throw InputError(
        m_program.file, decl.line, 1,
        fmt::format("init=file(\"{}\") of tensor '{}': {}", decl.file, decl.name, why));
  };
  io::Array array;
  try {
    array = io::read_npy(path.string());
  } catch (const InputError& e) {
    const auto& items = e.diagnostics().items();
    const std::string why = items.empty() ? std::string(e.what()) : items.front().message;
    // Name the file as it was looked for when that is not how the trace wrote it.
    fail(path.string() == decl.file ? why : fmt::format("{}: {}", path.string(), why));
  }
  if (array.shape != decl.shape) {
    fail(fmt::format("the file holds shape {}, the tensor is {}", io::shape_string(array.shape),
                     io::shape_string(decl.shape)));
  }
  if (array.dtype == decl.dtype) {
    std::copy(array.data.begin(), array.data.end(), bytes.begin());
  } else {
    numerics::encode(decl.dtype, array.to_floats(), bytes);
  }
}

io::Array FunctionalExecutor::tensor_array(std::uint32_t index) const {
  const trace::TensorDecl& decl = m_program.tensors[index];
  io::Array a;
  a.shape = decl.shape;
  a.dtype = decl.dtype;
  const std::span<const std::byte> bytes = m_memory.tensor(index);
  a.data.assign(bytes.begin(), bytes.end());
  return a;
}

std::vector<float> FunctionalExecutor::tensor_values(std::uint32_t index) const {
  return numerics::decode(m_program.tensors[index].dtype, m_memory.tensor(index));
}

const trace::Operand& FunctionalExecutor::operand(const trace::Arg& arg) const {
  return m_program.operand(arg.operand);
}

trace::Footprint FunctionalExecutor::where(const trace::Instruction& ins,
                                           const trace::Arg& arg) const {
  return trace::footprint(m_program, operand(arg), m_program.cores[ins.core_index].id, m_cfg,
                          m_addresses);
}

std::vector<std::byte> FunctionalExecutor::read_bytes(const trace::Footprint& f) {
  std::vector<std::byte> bytes(total_elements(f) * f.elem_bytes);
  m_memory.gather(f, bytes);
  return bytes;
}

std::vector<float> FunctionalExecutor::read(const trace::Instruction& ins, const trace::Arg& arg) {
  return numerics::decode(operand(arg).dtype, read_bytes(where(ins, arg)));
}

FunctionalExecutor::Tile FunctionalExecutor::read_tile(const trace::Instruction& ins,
                                                       std::size_t position) {
  const trace::Arg& arg = *m_program.positional(ins, position);
  return {operand(arg).partitions(), operand(arg).free_elements(), read(ins, arg)};
}

std::vector<float> FunctionalExecutor::per_partition(const trace::Instruction& ins,
                                                     const trace::Arg* arg,
                                                     std::uint32_t partitions, float fallback) {
  if (arg == nullptr) return std::vector<float>(partitions, fallback);
  if (arg->kind != isa::ArgKind::kOperand) {
    return std::vector<float>(partitions, static_cast<float>(number(*arg)));
  }
  std::vector<float> values = read(ins, *arg);
  values.resize(partitions, fallback);
  return values;
}

void FunctionalExecutor::store(const trace::Instruction& ins, const trace::Arg& dst,
                               const std::vector<float>& values, Writes& out) const {
  PendingWrite w;
  w.where = where(ins, dst);
  w.dtype = operand(dst).dtype;
  w.bytes.resize(total_elements(w.where) * w.where.elem_bytes);
  // The static checks make the counts agree; should they not, the tail stays zero rather
  // than an exception escaping into the simulation.
  const std::size_t n = std::min(values.size(), total_elements(w.where));
  numerics::encode(w.dtype, std::span<const float>(values.data(), n),
                   std::span<std::byte>(w.bytes).first(n * w.where.elem_bytes));
  out.push_back(std::move(w));
}

namespace {

// One key per instruction stream.
std::uint64_t stream_key(const trace::Instruction& ins) {
  return (static_cast<std::uint64_t>(ins.core_index) << 16) |
         (static_cast<std::uint64_t>(ins.engine) << 8) | ins.queue;
}

}  // namespace

void FunctionalExecutor::on_issue(const events::InstructionEvent& ev) {
  const trace::Instruction& ins = m_program.instructions[ev.index];
  if (ins.opcode == Opcode::kNop || ins.opcode == Opcode::kSemSet) return;
  std::vector<std::uint32_t>& in_flight = m_in_flight[stream_key(ins)];
  for (std::uint32_t earlier : in_flight)
    apply(earlier);
  in_flight.assign(1, ev.index);
  execute(ins, m_pending[ev.index]);
}

void FunctionalExecutor::on_complete(const events::InstructionEvent& ev) {
  if (!m_pending.contains(ev.index)) return;
  apply(ev.index);
  std::vector<std::uint32_t>& in_flight = m_in_flight[stream_key(m_program.instructions[ev.index])];
  std::erase(in_flight, ev.index);
}

void FunctionalExecutor::apply(std::uint32_t instruction) {
  auto it = m_pending.find(instruction);
  if (it == m_pending.end()) return;
  for (PendingWrite& w : it->second) {
    if (!w.addend.empty()) {
      std::vector<float> current = numerics::decode(w.dtype, read_bytes(w.where));
      for (std::size_t i = 0; i < current.size(); ++i)
        current[i] += w.addend[i];
      w.bytes = numerics::encode(w.dtype, current);
    }
    m_memory.scatter(w.where, w.bytes);
  }
  m_pending.erase(it);
}

void FunctionalExecutor::execute(const trace::Instruction& ins, Writes& out) {
  using Handler = void (FunctionalExecutor::*)(const trace::Instruction&, Writes&);
  // Indexed by isa::Opcode; nop and sem.set have no data effect.
  static constexpr std::array<Handler, isa::kNumOpcodes> kHandlers = {
      &FunctionalExecutor::matmul,
      &FunctionalExecutor::transpose,
      &FunctionalExecutor::activation,
      &FunctionalExecutor::tensor_tensor,
      &FunctionalExecutor::tensor_scalar,
      &FunctionalExecutor::tensor_reduce,
      &FunctionalExecutor::tensor_copy,
      &FunctionalExecutor::memset,
      &FunctionalExecutor::transpose32,
      &FunctionalExecutor::bn_stats,
      &FunctionalExecutor::bn_aggr,
      &FunctionalExecutor::iota,
      &FunctionalExecutor::affine_select,
      &FunctionalExecutor::partition_reduce,
      &FunctionalExecutor::copy,
      &FunctionalExecutor::copy_add,
      nullptr,
      nullptr};
  static_assert(static_cast<std::size_t>(Opcode::kCopyAdd) == 15 &&
                static_cast<std::size_t>(Opcode::kSemSet) == 17);
  const Handler handler = kHandlers[static_cast<std::size_t>(ins.opcode)];
  if (handler != nullptr) (this->*handler)(ins, out);
}

void FunctionalExecutor::tensor_copy(const trace::Instruction& ins, Writes& out) {
  store(ins, *m_program.positional(ins, 0), read(ins, *m_program.positional(ins, 1)), out);
}

void FunctionalExecutor::memset(const trace::Instruction& ins, Writes& out) {
  const trace::Arg& dst = *m_program.positional(ins, 0);
  const trace::Arg* value = m_program.find_attr(ins, Attr::kValue);
  const trace::Footprint f = where(ins, dst);
  const std::vector<double> values(total_elements(f), value ? number(*value) : 0.0);
  out.push_back({f, operand(dst).dtype, encode_exact(operand(dst).dtype, values), {}});
}

void FunctionalExecutor::matmul(const trace::Instruction& ins, Writes& out) {
  const trace::Arg& dst = *m_program.positional(ins, 0);
  const trace::Arg& stationary = *m_program.positional(ins, 1);
  const trace::Arg& moving = *m_program.positional(ins, 2);
  const trace::Operand& mv = operand(moving);
  const auto k = mv.partitions();
  const auto m = static_cast<std::uint32_t>(operand(stationary).free_elements());
  const auto n = static_cast<std::uint32_t>(mv.free_elements());
  std::vector<float> result(static_cast<std::size_t>(m) * n);
  functional::matmul(read(ins, stationary), read(ins, moving), k, m, n,
                     mv.dtype != isa::DType::kFp32, result);
  if (word(m_program, ins, Attr::kAcc, Word::kStart) == Word::kAccumulate) {
    out.push_back({where(ins, dst), operand(dst).dtype, {}, std::move(result)});
  } else {
    store(ins, dst, result, out);
  }
}

void FunctionalExecutor::transpose(const trace::Instruction& ins, Writes& out) {
  const Tile src = read_tile(ins, 1);
  std::vector<float> result(src.values.size());
  for (std::uint32_t p = 0; p < src.partitions; ++p) {
    for (std::uint64_t i = 0; i < src.free; ++i)
      result[i * src.partitions + p] = src.at(p, i);
  }
  store(ins, *m_program.positional(ins, 0), result, out);
}

void FunctionalExecutor::activation(const trace::Instruction& ins, Writes& out) {
  Tile src = read_tile(ins, 1);
  const Word func = word(m_program, ins, Attr::kFunc, Word::kIdentity);
  const std::vector<float> scale =
      per_partition(ins, m_program.find_attr(ins, Attr::kScale), src.partitions, 1.0f);
  const std::vector<float> bias =
      per_partition(ins, m_program.find_attr(ins, Attr::kBias), src.partitions, 0.0f);
  std::vector<float> sums(src.partitions, 0.0f);
  for (std::uint32_t p = 0; p < src.partitions; ++p) {
    for (std::uint64_t i = 0; i < src.free; ++i) {
      float& v = src.at(p, i);
      v = activate(func, v * scale[p] + bias[p]);
      sums[p] += v;
    }
  }
  store(ins, *m_program.positional(ins, 0), src.values, out);
  if (const trace::Arg* accum = m_program.find_attr(ins, Attr::kAccum))
    store(ins, *accum, sums, out);
}

void FunctionalExecutor::tensor_tensor(const trace::Instruction& ins, Writes& out) {
  std::vector<float> a = read(ins, *m_program.positional(ins, 1));
  const std::vector<float> b = read(ins, *m_program.positional(ins, 2));
  const Word op = word(m_program, ins, Attr::kOp, Word::kAdd);
  for (std::size_t i = 0; i < a.size(); ++i)
    a[i] = alu(op, a[i], b[i]);
  store(ins, *m_program.positional(ins, 0), a, out);
}

void FunctionalExecutor::tensor_scalar(const trace::Instruction& ins, Writes& out) {
  Tile src = read_tile(ins, 1);
  const Word op0 = word(m_program, ins, Attr::kOp0, Word::kBypass);
  const Word op1 = word(m_program, ins, Attr::kOp1, Word::kBypass);
  const std::vector<float> s0 =
      per_partition(ins, m_program.find_attr(ins, Attr::kS0), src.partitions, 0.0f);
  const std::vector<float> s1 =
      per_partition(ins, m_program.find_attr(ins, Attr::kS1), src.partitions, 0.0f);
  for (std::uint32_t p = 0; p < src.partitions; ++p) {
    for (std::uint64_t i = 0; i < src.free; ++i)
      src.at(p, i) = alu(op1, alu(op0, src.at(p, i), s0[p]), s1[p]);
  }
  store(ins, *m_program.positional(ins, 0), src.values, out);
}

void FunctionalExecutor::tensor_reduce(const trace::Instruction& ins, Writes& out) {
  const trace::Operand& s = operand(*m_program.positional(ins, 1));
  const std::int64_t axes = std::max<std::int64_t>(1, integer(m_program, ins, Attr::kAxes));
  std::uint64_t group = 1;
  for (std::int64_t d = s.ndims - 1; d >= 0 && d >= s.ndims - axes; --d)
    group *= s.dims[d].size;
  const Word op = word(m_program, ins, Attr::kOp, Word::kAdd);
  const std::vector<float> in = read(ins, *m_program.positional(ins, 1));
  std::vector<float> result(in.size() / group);
  for (std::size_t r = 0; r < result.size(); ++r) {
    float acc = in[r * group];
    for (std::uint64_t j = 1; j < group; ++j)
      acc = alu(op, acc, in[r * group + j]);
    result[r] = acc;
  }
  store(ins, *m_program.positional(ins, 0), result, out);
}

void FunctionalExecutor::transpose32(const trace::Instruction& ins, Writes& out) {
  const Tile src = read_tile(ins, 1);
  std::vector<float> result(src.values.size());
  constexpr std::uint32_t kBlock = 32;
  for (std::uint32_t p = 0; p < src.partitions; ++p) {
    for (std::uint64_t i = 0; i < src.free; ++i) {
      // Within each 32 x 32 block, partition and element index swap.
      const std::uint32_t block_p = p / kBlock * kBlock;
      const std::uint64_t block_i = i / kBlock * kBlock;
      result[p * src.free + i] =
          src.at(static_cast<std::uint32_t>(block_p + (i - block_i)), block_i + (p - block_p));
    }
  }
  store(ins, *m_program.positional(ins, 0), result, out);
}

void FunctionalExecutor::bn_stats(const trace::Instruction& ins, Writes& out) {
  statistics(ins, false, out);
}

void FunctionalExecutor::bn_aggr(const trace::Instruction& ins, Writes& out) {
  statistics(ins, true, out);
}

void FunctionalExecutor::statistics(const trace::Instruction& ins, bool aggregate, Writes& out) {
  const trace::Arg& dst = *m_program.positional(ins, 0);
  const Tile src = read_tile(ins, 1);
  const std::uint64_t dst_free = operand(dst).free_elements();
  const std::size_t produced = std::min<std::uint64_t>(aggregate ? 2 : 6, dst_free);
  std::vector<float> result(src.partitions * dst_free, 0.0f);
  std::vector<float> record(6);
  for (std::uint32_t p = 0; p < src.partitions; ++p) {
    const std::span<const float> row(&src.at(p, 0), src.free);
    if (aggregate) {
      functional::bn_aggr(row, std::span<float>(record).first(2));
    } else {
      functional::bn_stats(row, record);
    }
    std::copy_n(record.begin(), produced, result.begin() + p * dst_free);
  }
  store(ins, dst, result, out);
}

void FunctionalExecutor::iota(const trace::Instruction& ins, Writes& out) {
  const trace::Arg& dst = *m_program.positional(ins, 0);
  const trace::Arg* base = m_program.find_attr(ins, Attr::kBase);
  const trace::Arg* pstep = m_program.find_attr(ins, Attr::kPstep);
  const trace::Arg* fstep = m_program.find_attr(ins, Attr::kFstep);
  const double b = base ? number(*base) : 0.0;
  const double ps = pstep ? number(*pstep) : 0.0;
  const double fs = fstep ? number(*fstep) : 1.0;
  const std::uint32_t partitions = operand(dst).partitions();
  const std::uint64_t free = operand(dst).free_elements();
  std::vector<double> values(partitions * free);
  for (std::uint32_t p = 0; p < partitions; ++p) {
    for (std::uint64_t i = 0; i < free; ++i)
      values[p * free + i] = b + p * ps + static_cast<double>(i) * fs;
  }
  out.push_back(
      {where(ins, dst), operand(dst).dtype, encode_exact(operand(dst).dtype, values), {}});
}

void FunctionalExecutor::affine_select(const trace::Instruction& ins, Writes& out) {
  Tile src = read_tile(ins, 1);
  const std::int64_t a = integer(m_program, ins, Attr::kPcoef);
  const std::int64_t b = integer(m_program, ins, Attr::kFcoef);
  const std::int64_t c = integer(m_program, ins, Attr::kOffset);
  const trace::Arg* fill_arg = m_program.find_attr(ins, Attr::kFill);
  const float fill = fill_arg ? static_cast<float>(number(*fill_arg)) : 0.0f;
  const Word cmp = word(m_program, ins, Attr::kCmp, Word::kGe);
  for (std::uint32_t p = 0; p < src.partitions; ++p) {
    for (std::uint64_t i = 0; i < src.free; ++i) {
      if (!holds(cmp, a * p + b * static_cast<std::int64_t>(i) + c)) src.at(p, i) = fill;
    }
  }
  store(ins, *m_program.positional(ins, 0), src.values, out);
}

void FunctionalExecutor::partition_reduce(const trace::Instruction& ins, Writes& out) {
  const Tile src = read_tile(ins, 1);
  const Word op = word(m_program, ins, Attr::kOp, Word::kAdd);
  std::vector<float> result(&src.at(0, 0), &src.at(0, 0) + src.free);
  for (std::uint32_t p = 1; p < src.partitions; ++p) {
    for (std::uint64_t i = 0; i < src.free; ++i)
      result[i] = alu(op, result[i], src.at(p, i));
  }
  store(ins, *m_program.positional(ins, 0), result, out);
}

void FunctionalExecutor::copy(const trace::Instruction& ins, Writes& out) {
  dma(ins, false, out);
}

void FunctionalExecutor::copy_add(const trace::Instruction& ins, Writes& out) {
  dma(ins, true, out);
}

void FunctionalExecutor::dma(const trace::Instruction& ins, bool add, Writes& out) {
  const trace::Arg& dst = *m_program.positional(ins, 0);
  const trace::Arg& src = *m_program.positional(ins, 1);
  const isa::DType from = operand(src).dtype;
  const isa::DType to = operand(dst).dtype;
  std::vector<std::byte> bytes = read_bytes(where(ins, src));
  if (add) {
    out.push_back({where(ins, dst), to, {}, numerics::decode(from, bytes)});
    return;
  }
  // Same dtype: the bytes move as they are (NaN payloads and all int32 values intact).
  if (from != to) bytes = numerics::encode(to, numerics::decode(from, bytes));
  out.push_back({where(ins, dst), to, std::move(bytes), {}});
}

}  // namespace trnsim::functional
