#include "sysc/dma/dma_plan.h"

#include <algorithm>
#include <array>
#include <stdexcept>

#include "sysc/memory/address_map.h"
#include "trace/footprint.h"

namespace trnsim::sysc {

namespace {

// An operand as rows of bytes in the system address space: dimension 0 is the row
// dimension (partitions for SBUF, the outermost pattern or slice dimension for HBM).
struct Layout {
  std::uint64_t base = 0;
  std::uint32_t elem_bytes = 1;
  std::uint32_t ndims = 0;
  std::array<std::uint64_t, 1 + isa::kMaxPatternDims> size{};
  std::array<std::int64_t, 1 + isa::kMaxPatternDims> stride{};  // bytes
  isa::Memory memory = isa::Memory::kHbm;

  std::uint64_t rows() const { return size[0]; }
  std::uint64_t row_bytes() const {
    std::uint64_t n = elem_bytes;
    for (std::uint32_t d = 1; d < ndims; ++d)
      n *= size[d];
    return n;
  }
  std::uint64_t total_bytes() const { return rows() * row_bytes(); }
  // Bytes of the longest contiguous run inside a row: descriptor elements are runs.
  std::uint64_t run_bytes() const {
    std::uint64_t run = elem_bytes;
    for (std::uint32_t d = ndims; d-- > 1;) {
      if (stride[d] != static_cast<std::int64_t>(run)) break;
      run *= size[d];
    }
    return run;
  }
  std::uint64_t row_address(std::uint64_t r) const {
    return static_cast<std::uint64_t>(static_cast<std::int64_t>(base) +
                                      static_cast<std::int64_t>(r) * stride[0]);
  }
};

Layout layout_of(const trace::Program& p, const trace::Operand& op, std::uint32_t chip,
                 std::uint32_t core, const config::SystemConfig& cfg,
                 const TensorAddresses& tensors) {
  const trace::Footprint f = trace::footprint(p, op, {chip, core}, cfg, tensors);
  Layout l;
  l.elem_bytes = f.elem_bytes;
  l.memory = f.memory;
  std::uint32_t first = 0;  // where the footprint's dimensions go
  switch (f.memory) {
    case isa::Memory::kSbuf:
      // The partitions are the rows.
      l.base = sbuf_address(
          f.chip, f.core,
          std::uint64_t{f.p0} * cfg.sbuf.bytes_per_partition + static_cast<std::uint64_t>(f.base));
      l.size[0] = f.p1 - f.p0;
      l.stride[0] = static_cast<std::int64_t>(cfg.sbuf.bytes_per_partition);
      first = 1;
      break;
    case isa::Memory::kHbm:
      l.base = hbm_address(f.chip, static_cast<std::uint64_t>(f.base));
      break;
    case isa::Memory::kPsum:
      // The static checker rejects DMA to or from PSUM before any simulation.
      throw std::logic_error("DMA operand in PSUM reached the timing model");
  }
  for (std::uint32_t d = 0; d < f.ndims; ++d) {
    l.size[first + d] = f.size[d];
    l.stride[first + d] = f.stride[d];
  }
  l.ndims = first + f.ndims;
  return l;
}

// Drops leading dimensions of size 1, as in a slice at one index of an outer dimension
// (one batch of a three-dimensional tensor): the next dimension holds the rows.
Layout without_unit_rows(Layout l) {
  std::uint32_t drop = 0;
  while (drop + 1 < l.ndims && l.size[drop] == 1)
    ++drop;
  if (drop == 0) return l;
  for (std::uint32_t d = drop; d < l.ndims; ++d) {
    l.size[d - drop] = l.size[d];
    l.stride[d - drop] = l.stride[d];
  }
  l.ndims -= drop;
  return l;
}

// Folds a layout into a single row (for copies whose sides disagree on the row count).
Layout as_single_row(Layout l) {
  const std::uint64_t bytes = l.total_bytes();
  Layout one = l;
  one.ndims = 2;
  one.size[0] = 1;
  one.stride[0] = 0;
  one.size[1] = bytes / l.elem_bytes;
  // Contiguous only if the original was one run; otherwise keep its run count below.
  one.stride[1] = l.run_bytes() >= bytes ? l.elem_bytes : 0;
  return one;
}

std::uint64_t runs_in(const Layout& l) {
  return std::max<std::uint64_t>(1, l.row_bytes() / l.run_bytes());
}

}  // namespace

DmaPlan plan_dma(const trace::Program& program, const trace::Instruction& ins,
                 const config::SystemConfig& cfg, const TensorAddresses& tensors) {
  DmaPlan plan;
  plan_dma(program, ins, cfg, tensors, plan);
  return plan;
}

void plan_dma(const trace::Program& program, const trace::Instruction& ins,
              const config::SystemConfig& cfg, const TensorAddresses& tensors, DmaPlan& plan) {
  const trace::CoreId where = program.cores[ins.core_index].id;
  const trace::Operand& dst_op = program.operand(program.positional(ins, 0)->operand);
  const trace::Operand& src_op = program.operand(program.positional(ins, 1)->operand);
  Layout dst = layout_of(program, dst_op, where.chip, where.core, cfg, tensors);
  Layout src = layout_of(program, src_op, where.chip, where.core, cfg, tensors);
  if (dst.rows() != src.rows()) {
    // Partitions may map onto the dimension after leading unit ones (docs/trace-format.md).
    const Layout dst_rows = without_unit_rows(dst), src_rows = without_unit_rows(src);
    if (dst_rows.rows() == src.rows()) {
      dst = dst_rows;
    } else if (src_rows.rows() == dst.rows()) {
      src = src_rows;
    }
  }
  if (dst.rows() != src.rows()) {
    dst = as_single_row(dst);
    src = as_single_row(src);
  }

  plan.src_memory = src.memory;
  plan.dst_memory = dst.memory;
  plan.src_bytes = src.total_bytes();
  plan.dst_bytes = dst.total_bytes();

  // Rows go to engines in contiguous groups.
  const std::uint64_t rows = dst.rows();
  const double runs_per_row = static_cast<double>(std::max(runs_in(src), runs_in(dst)));
  const auto engines = static_cast<std::uint32_t>(std::min<std::uint64_t>(cfg.dma.engines, rows));
  plan.slices.resize(engines);
  for (std::uint32_t e = 0; e < engines; ++e) {
    DmaSlice& slice = plan.slices[e];
    slice.engine = e;
    const std::uint64_t first = rows * e / engines;
    const std::uint64_t count = rows * (e + 1) / engines - first;
    slice.src = DmaRows{src.row_address(first), src.stride[0], count, src.row_bytes()};
    slice.dst = DmaRows{dst.row_address(first), dst.stride[0], count, dst.row_bytes()};
    slice.runs = runs_per_row * static_cast<double>(count);
  }
}

}  // namespace trnsim::sysc
