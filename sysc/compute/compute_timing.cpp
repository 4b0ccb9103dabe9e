#include "sysc/compute/compute_timing.h"

#include <algorithm>
#include <cstdlib>

#include "config/derived.h"

namespace trnsim::sysc {

using isa::Attr;
using isa::Opcode;
using isa::Word;

double elements_per_cycle(const config::ComputeEngineParams& e, isa::DType dtype) {
  return config::per_dtype(e.elements_per_cycle, dtype);
}

namespace {

template <typename F>
void for_each_operand(const trace::Program& p, const trace::Instruction& ins, F&& f) {
  const trace::Arg* args = p.args_of(ins);
  for (std::uint32_t i = 0; i < ins.num_args; ++i) {
    if (args[i].kind == isa::ArgKind::kOperand) f(p.operand(args[i].operand), args[i].key);
  }
}

bool all_dtype(const trace::Program& p, const trace::Instruction& ins, isa::DType t) {
  bool all = true;
  for_each_operand(p, ins, [&](const trace::Operand& op, Attr key) {
    if (key == Attr::kNone && op.dtype != t) all = false;
  });
  return all;
}

bool innermost_contiguous(const trace::Operand& op) {
  return op.ndims == 0 || op.dims[op.ndims - 1].start_or_stride == 1;
}

bool word_is(const trace::Program& p, const trace::Instruction& ins, Attr key, Word w) {
  const trace::Arg* a = p.find_attr(ins, key);
  return a && a->kind == isa::ArgKind::kWord && a->word == w;
}

}  // namespace

double cycles_per_element(const config::ComputeEngineParams& e, const trace::Program& p,
                          const trace::Instruction& ins) {
  const config::OpClassCosts& c = e.cycles_per_element;
  switch (ins.opcode) {
    case Opcode::kActivation:
      return word_is(p, ins, Attr::kFunc, Word::kReciprocal) ? c.reciprocal : c.activation;
    case Opcode::kTensorScalar:
      return c.tensor_scalar;
    case Opcode::kTensorCopy:
      return c.tensor_copy;
    case Opcode::kTensorTensor: {
      // Fast: bf16 add/mul/sub with contiguous operands, or one input in PSUM.
      const trace::Operand& a = p.operand(p.positional(ins, 1)->operand);
      const trace::Operand& b = p.operand(p.positional(ins, 2)->operand);
      const bool one_psum =
          (a.memory() == isa::Memory::kPsum) != (b.memory() == isa::Memory::kPsum);
      const bool simple_op = word_is(p, ins, Attr::kOp, Word::kAdd) ||
                             word_is(p, ins, Attr::kOp, Word::kMul) ||
                             word_is(p, ins, Attr::kOp, Word::kSub);
      const bool fast_bf16 = simple_op && all_dtype(p, ins, isa::DType::kBf16) &&
                             innermost_contiguous(a) && innermost_contiguous(b);
      return fast_bf16 || one_psum ? c.tensor_tensor : c.tensor_tensor_slow;
    }
    case Opcode::kTensorReduce: {
      const bool fast =
          (word_is(p, ins, Attr::kOp, Word::kAdd) || word_is(p, ins, Attr::kOp, Word::kMax)) &&
          p.operand(p.positional(ins, 1)->operand).dtype == isa::DType::kBf16;
      return fast ? c.tensor_reduce_fast : c.tensor_reduce;
    }
    case Opcode::kMemset: {
      const trace::Arg* v = p.find_attr(ins, Attr::kValue);
      const bool zero = !v || (v->kind == isa::ArgKind::kInt ? v->integer == 0 : v->real == 0.0);
      const isa::DType t = p.operand(p.positional(ins, 0)->operand).dtype;
      const bool half = t == isa::DType::kBf16 || t == isa::DType::kFp16;
      return zero && half ? c.memset_zero_fast : c.memset;
    }
    case Opcode::kIota:
      return c.iota;
    case Opcode::kAffineSelect:
      return c.affine_select;
    case Opcode::kTranspose32:
      return c.transpose;
    case Opcode::kBnStats:
      return c.bn_stats;
    case Opcode::kBnAggr:
      return c.bn_aggr;
    case Opcode::kPartitionReduce:
      return c.partition_reduce;
    default:
      return 1.0;
  }
}

ComputeCycles compute_cycles(const config::ComputeEngineParams& e, const config::SbufParams& sbuf,
                             const trace::Program& p, const trace::Instruction& ins) {
  ComputeCycles out;
  if (ins.opcode == Opcode::kNop || ins.opcode == Opcode::kSemSet) {
    out.occupancy = 1;
    out.latency = 1;
    return out;
  }
  // N: the largest per-partition element count among the positional operands; the rate:
  // the slowest dtype among them; the stride penalty: any operand striding wide.
  double rate = 0;
  bool wide_stride = false;
  for_each_operand(p, ins, [&](const trace::Operand& op, Attr key) {
    if (key != Attr::kNone) return;
    out.elements = std::max(out.elements, op.free_elements());
    const double r = elements_per_cycle(e, op.dtype);
    rate = rate == 0 ? r : std::min(rate, r);
    if (op.ndims > 0) {
      const auto stride_bytes =
          static_cast<std::uint64_t>(std::llabs(op.dims[op.ndims - 1].start_or_stride)) *
          isa::dtype_bytes(op.dtype);
      if (stride_bytes > sbuf.wide_stride_bytes) wide_stride = true;
    }
  });
  if (rate <= 0) rate = 1;
  double work = static_cast<double>(out.elements) * cycles_per_element(e, p, ins) / rate;
  if (wide_stride) work *= sbuf.strided_access_factor;
  double fixed = 0;
  if (ins.opcode == Opcode::kIota) fixed = e.fixed_cycles.iota;
  if (ins.opcode == Opcode::kAffineSelect) fixed = e.fixed_cycles.affine_select;
  out.occupancy = std::max<double>(e.min_issue_interval_cycles, work) + fixed;
  out.latency = out.occupancy + e.access_start_cycles + e.fixed_latency_cycles;
  return out;
}

}  // namespace trnsim::sysc
