#include "trace/footprint.h"

#include <algorithm>

namespace trnsim::trace {

std::uint64_t Footprint::elements() const {
  std::uint64_t n = 1;
  for (std::uint32_t d = 0; d < ndims; ++d)
    n *= size[d];
  return n;
}

std::int64_t Footprint::lo() const {
  std::int64_t lo = base;
  for (std::uint32_t d = 0; d < ndims; ++d) {
    if (stride[d] < 0) lo += stride[d] * static_cast<std::int64_t>(size[d] - 1);
  }
  return lo;
}

std::int64_t Footprint::hi() const {
  std::int64_t hi = base + elem_bytes;
  for (std::uint32_t d = 0; d < ndims; ++d) {
    if (stride[d] > 0) hi += stride[d] * static_cast<std::int64_t>(size[d] - 1);
  }
  return hi;
}

Footprint footprint(const Program& program, const Operand& op, CoreId where,
                    const config::SystemConfig& cfg,
                    const std::vector<std::uint64_t>& tensor_addresses) {
  Footprint f;
  f.memory = op.memory();
  const CoreId owner = op.owner(where);  // `where` for HBM: no on-chip prefix there
  f.chip = owner.chip;
  f.core = owner.core;
  f.elem_bytes = isa::dtype_bytes(op.dtype);
  f.ndims = op.ndims;
  for (std::uint32_t d = 0; d < op.ndims; ++d) {
    f.size[d] = op.dims[d].size;
    f.stride[d] = op.dims[d].start_or_stride * static_cast<std::int64_t>(f.elem_bytes);
  }
  switch (op.form) {
    case OperandForm::kSbuf:
    case OperandForm::kPsumOffset:
      f.p0 = op.part_begin;
      f.p1 = op.part_end;
      f.base = static_cast<std::int64_t>(op.offset);
      break;
    case OperandForm::kPsumBank:
      f.p0 = op.part_begin;
      f.p1 = op.part_end;
      f.base = static_cast<std::int64_t>(op.offset * cfg.psum.bank_bytes);
      break;
    case OperandForm::kHbmAddress:
      f.chip = op.chip == kNone ? where.chip : op.chip;
      f.base = static_cast<std::int64_t>(op.offset);
      break;
    case OperandForm::kTensorSlice: {
      // A slice [a0:b0, a1:b1, ...] of a row-major tensor: dimension d steps by the
      // product of the later extents of the tensor's shape.
      const TensorDecl& t = program.tensors[op.tensor];
      std::int64_t stride = f.elem_bytes;
      std::int64_t offset = 0;
      for (std::uint32_t d = op.ndims; d-- > 0;) {
        f.stride[d] = stride;
        offset += op.dims[d].start_or_stride * stride;
        stride *= static_cast<std::int64_t>(t.shape[d]);
      }
      f.chip = t.chip;
      f.base = static_cast<std::int64_t>(tensor_addresses.at(op.tensor)) + offset;
      break;
    }
  }
  if (f.ndims == 0) {
    f.ndims = 1;
    f.size[0] = 1;
    f.stride[0] = f.elem_bytes;
  }
  return f;
}

bool byte_runs(const Footprint& f, std::size_t max_runs,
               std::vector<std::pair<std::int64_t, std::int64_t>>& runs) {
  runs.clear();
  // The innermost dimensions that are contiguous form one run.
  std::int64_t run = f.elem_bytes;
  std::uint32_t outer = f.ndims;
  while (outer > 0 && f.stride[outer - 1] == run) {
    run *= static_cast<std::int64_t>(f.size[outer - 1]);
    --outer;
  }
  std::array<std::uint64_t, 1 + isa::kMaxPatternDims> index{};
  bool complete = true;
  for (;;) {
    if (runs.size() == max_runs) {
      complete = false;
      break;
    }
    std::int64_t start = f.base;
    for (std::uint32_t d = 0; d < outer; ++d)
      start += static_cast<std::int64_t>(index[d]) * f.stride[d];
    runs.emplace_back(start, start + run);
    // Next index of the outer dimensions, innermost fastest.
    std::uint32_t d = outer;
    while (d > 0 && ++index[d - 1] == f.size[d - 1]) {
      index[d - 1] = 0;
      --d;
    }
    if (d == 0) break;
  }
  std::sort(runs.begin(), runs.end());
  std::size_t out = 0;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (out > 0 && runs[i].first <= runs[out - 1].second) {
      runs[out - 1].second = std::max(runs[out - 1].second, runs[i].second);
    } else {
      runs[out++] = runs[i];
    }
  }
  runs.resize(out);
  return complete;
}

}  // namespace trnsim::trace
