#include "trace_interpreter.h"

#include <algorithm>
#include <array>
#include <functional>
#include <random>
#include <stdexcept>

#include <fmt/format.h>

namespace trnsim::test {

namespace {

using trace::Operand;
using trace::OperandForm;

// The bytes (SBUF/PSUM, per partition) or the rows and columns (a tensor slice) that one
// operand of an instruction touches.
struct Region {
  isa::Memory memory = isa::Memory::kSbuf;
  std::uint32_t owner = 0;       // core index for SBUF/PSUM, tensor index for HBM
  std::uint64_t p0 = 0, p1 = 0;  // partitions, or rows
  std::uint64_t lo = 0, hi = 0;  // bytes in a partition, or columns
  bool write = false;
};

bool conflict(const Region& a, const Region& b) {
  return (a.write || b.write) && a.memory == b.memory && a.owner == b.owner && a.p0 < b.p1 &&
         b.p0 < a.p1 && a.lo < b.hi && b.lo < a.hi;
}

// Element offsets (in elements from the operand's start) of an access pattern, innermost
// dimension fastest.
std::vector<std::int64_t> pattern_offsets(const Operand& op) {
  std::vector<std::int64_t> out;
  out.reserve(op.free_elements());
  std::array<std::uint32_t, isa::kMaxPatternDims> index{};
  for (std::uint64_t n = 0; n < op.free_elements(); ++n) {
    std::int64_t offset = 0;
    for (std::uint32_t d = 0; d < op.ndims; ++d)
      offset += index[d] * op.dims[d].start_or_stride;
    out.push_back(offset);
    for (std::uint32_t d = op.ndims; d-- > 0;) {
      if (++index[d] < op.dims[d].size) break;
      index[d] = 0;
    }
  }
  return out;
}

// What stops a run: a race, a deadlock, or something the interpreter does not model.
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct PendingWrite {
  std::uint32_t* value;
  std::uint32_t* count;  // write counter of an HBM element, or nullptr
  std::uint32_t data;
};

struct InFlight {
  std::uint32_t instruction;
  std::size_t stream;
  std::vector<Region> regions;
  std::vector<PendingWrite> writes;
};

class Interpreter {
 public:
  Interpreter(const trace::Program& p, const config::SystemConfig& cfg, Policy policy,
              std::uint64_t seed)
      : m_p(p), m_cfg(cfg), m_policy(policy), m_rng(seed), m_streams(p.streams()) {}

  InterpretResult run() {
    InterpretResult result;
    try {
      allocate();
      loop();
    } catch (const Failure& failure) {
      result.error = failure.what();
    }
    result.tensors = std::move(m_tensors);
    result.writes = std::move(m_writes);
    return result;
  }

 private:
  // --- memory ------------------------------------------------------------------------------
  static bool on_chip(const Operand& op) {
    return op.form == OperandForm::kSbuf || op.form == OperandForm::kPsumBank ||
           op.form == OperandForm::kPsumOffset;
  }
  std::uint64_t base_byte(const Operand& op) const {
    return op.form == OperandForm::kPsumBank ? op.offset * m_cfg.psum.bank_bytes : op.offset;
  }
  std::vector<std::vector<std::uint32_t>>& storage(std::uint32_t core, const Operand& op) {
    auto& per_core = op.memory() == isa::Memory::kSbuf ? m_sbuf : m_psum;
    return per_core[core];
  }

  // Sizes every partition's storage once, so element pointers stay valid.
  void allocate() {
    m_granule = 4;
    std::vector<std::uint64_t> sbuf_end(m_p.cores.size(), 0), psum_end(m_p.cores.size(), 0);
    for (const auto& ins : m_p.instructions) {
      for (std::uint32_t a = 0; a < ins.num_args; ++a) {
        const trace::Arg& arg = m_p.args_of(ins)[a];
        if (arg.kind != isa::ArgKind::kOperand) continue;
        const Operand& op = m_p.operand(arg.operand);
        if (!on_chip(op)) continue;
        m_granule = std::min(m_granule, isa::dtype_bytes(op.dtype));
        auto& end = op.memory() == isa::Memory::kSbuf ? sbuf_end : psum_end;
        end[ins.core_index] = std::max(end[ins.core_index], extent(op).second);
      }
    }
    m_sbuf.resize(m_p.cores.size());
    m_psum.resize(m_p.cores.size());
    for (std::size_t c = 0; c < m_p.cores.size(); ++c) {
      m_sbuf[c].assign(m_cfg.sbuf.partitions,
                       std::vector<std::uint32_t>(sbuf_end[c] / m_granule + 1));
      m_psum[c].assign(m_cfg.psum.partitions,
                       std::vector<std::uint32_t>(psum_end[c] / m_granule + 1));
    }
    for (const auto& t : m_p.tensors) {
      std::vector<std::uint32_t> values(t.elements(), 0);
      if (t.init == trace::InitKind::kRandom) {
        for (std::uint64_t i = 0; i < values.size(); ++i)
          values[i] = initial_value(t.seed, i);
      }
      m_tensors.push_back(std::move(values));
      m_writes.emplace_back(t.elements(), 0);
    }
    m_semaphores.assign(m_p.semaphores.size(), 0);
  }

  // Byte range [lo, hi) of each partition an on-chip operand covers.
  std::pair<std::uint64_t, std::uint64_t> extent(const Operand& op) const {
    std::int64_t lo = 0, hi = 0;
    for (std::uint32_t d = 0; d < op.ndims; ++d) {
      const std::int64_t span = (op.dims[d].size - 1) * op.dims[d].start_or_stride;
      (span < 0 ? lo : hi) += span;
    }
    const std::int64_t bytes = isa::dtype_bytes(op.dtype);
    const std::int64_t base = static_cast<std::int64_t>(base_byte(op));
    return {static_cast<std::uint64_t>(base + lo * bytes),
            static_cast<std::uint64_t>(base + (hi + 1) * bytes)};
  }

  Region region(std::uint32_t core, const Operand& op, bool write) const {
    Region r;
    r.memory = op.memory();
    r.write = write;
    if (on_chip(op)) {
      r.owner = core;
      r.p0 = op.part_begin;
      r.p1 = op.part_end;
      std::tie(r.lo, r.hi) = extent(op);
      return r;
    }
    const SliceView v = view(op);
    r.owner = op.tensor;
    r.p0 = v.row;
    r.p1 = v.row + v.rows;
    r.lo = v.col;
    r.hi = v.col + v.cols;
    return r;
  }

  // A tensor slice as rows and columns: the rows are its outermost dimension after any
  // leading dimensions of size 1 (which select one index, as for batches), numbered over the
  // tensor's flattened outer dimensions; the columns are everything inner to it, flattened,
  // as a bounding range. Two-dimensional slices are exactly their rows and columns.
  struct SliceView {
    std::uint64_t row = 0, rows = 0, col = 0, cols = 0;
  };
  SliceView view(const Operand& op) const {
    if (op.form != OperandForm::kTensorSlice || op.ndims < 2) {
      throw Failure("unsupported operand: only SBUF/PSUM patterns and tensor slices of 2+ dims");
    }
    const auto& shape = m_p.tensors[op.tensor].shape;
    std::uint32_t first = 0;
    while (first + 2 < op.ndims && op.dims[first].size == 1)
      ++first;
    SliceView v;
    for (std::uint32_t d = 0; d <= first; ++d)
      v.row = v.row * shape[d] + static_cast<std::uint64_t>(op.dims[d].start_or_stride);
    v.rows = op.dims[first].size;
    std::uint64_t stride = 1, last = 0;
    for (std::uint32_t d = op.ndims; d-- > first + 1;) {
      v.col += static_cast<std::uint64_t>(op.dims[d].start_or_stride) * stride;
      last +=
          (static_cast<std::uint64_t>(op.dims[d].start_or_stride) + op.dims[d].size - 1) * stride;
      stride *= shape[d];
    }
    v.cols = last + 1 - v.col;
    return v;
  }

  // Flat indices of a slice's elements, row-major.
  std::vector<std::uint64_t> slice_indices(const Operand& op) const {
    view(op);  // validates the form
    const auto& shape = m_p.tensors[op.tensor].shape;
    std::vector<std::uint64_t> out;
    std::array<std::uint32_t, isa::kMaxPatternDims> index{};
    std::uint64_t total = 1;
    for (std::uint32_t d = 0; d < op.ndims; ++d)
      total *= op.dims[d].size;
    for (std::uint64_t n = 0; n < total; ++n) {
      std::uint64_t flat = 0;
      for (std::uint32_t d = 0; d < op.ndims; ++d)
        flat = flat * shape[d] + static_cast<std::uint64_t>(op.dims[d].start_or_stride) + index[d];
      out.push_back(flat);
      for (std::uint32_t d = op.ndims; d-- > 0;) {
        if (++index[d] < op.dims[d].size) break;
        index[d] = 0;
      }
    }
    return out;
  }

  // The elements of an operand in canonical order: partition (or slice row) outermost,
  // then the free pattern (or slice columns). `counts` gets HBM write counters.
  std::vector<std::uint32_t*> elements(std::uint32_t core, const Operand& op,
                                       std::vector<std::uint32_t*>* counts = nullptr) {
    std::vector<std::uint32_t*> out;
    if (on_chip(op)) {
      auto& mem = storage(core, op);
      const auto offsets = pattern_offsets(op);
      const std::uint64_t base = base_byte(op);
      const std::uint32_t bytes = isa::dtype_bytes(op.dtype);
      for (std::uint32_t p = op.part_begin; p < op.part_end; ++p) {
        for (auto o : offsets) {
          const std::uint64_t byte = base + static_cast<std::uint64_t>(o * bytes);
          if (byte % m_granule != 0) throw Failure("unaligned on-chip access");
          out.push_back(&mem[p][byte / m_granule]);
        }
      }
      return out;
    }
    auto& values = m_tensors[op.tensor];
    auto& writes = m_writes[op.tensor];
    for (std::uint64_t i : slice_indices(op)) {
      out.push_back(&values[i]);
      if (counts) counts->push_back(&writes[i]);
    }
    return out;
  }

  // --- execution -----------------------------------------------------------------------------
  std::string where(std::uint32_t i) const {
    const auto& ins = m_p.instructions[i];
    const std::string engine = ins.engine == isa::Engine::kDma
                                   ? fmt::format("dma.q{}", ins.queue)
                                   : std::string(isa::engine_name(ins.engine));
    return fmt::format("line {} ({} {}, core {})", ins.line, engine,
                       isa::opcode_info(ins.opcode).name, ins.core_index);
  }

  const Operand& positional(const trace::Instruction& ins, std::size_t n) const {
    return m_p.operand(m_p.positional(ins, n)->operand);
  }

  // Reads the inputs of instruction `i` now and returns its accesses and future writes.
  InFlight start(std::uint32_t i, std::size_t stream) {
    const auto& ins = m_p.instructions[i];
    const auto& info = isa::opcode_info(ins.opcode);
    InFlight f{i, stream, {}, {}};
    for (std::size_t n = 0; n < info.positional.size(); ++n) {
      const trace::Arg* arg = m_p.positional(ins, n);
      if (arg->kind != isa::ArgKind::kOperand) continue;
      f.regions.push_back(region(ins.core_index, m_p.operand(arg->operand),
                                 info.positional[n].access != isa::Access::kRead));
    }
    // Operand-valued attributes: per-partition scalars read, and accum= written.
    for (std::uint32_t a = 0; a < ins.num_args; ++a) {
      const trace::Arg& arg = m_p.args_of(ins)[a];
      if (arg.key == isa::Attr::kNone || arg.kind != isa::ArgKind::kOperand) continue;
      f.regions.push_back(
          region(ins.core_index, m_p.operand(arg.operand), arg.key == isa::Attr::kAccum));
    }
    const std::uint32_t core = ins.core_index;
    if (compute(i, f)) return f;
    switch (ins.opcode) {
      case isa::Opcode::kNop:
        break;
      case isa::Opcode::kMemset: {
        // Only value=0 (the default) is needed: zero padding.
        const trace::Arg* value = m_p.find_attr(ins, isa::Attr::kValue);
        if (value && (value->kind == isa::ArgKind::kInt ? value->integer != 0 : value->real != 0))
          throw Failure(fmt::format("{}: memset of a value other than 0", where(i)));
        for (std::uint32_t* e : elements(core, positional(ins, 0)))
          f.writes.push_back({e, nullptr, 0});
        break;
      }
      case isa::Opcode::kCopy:
      case isa::Opcode::kTensorCopy:
      case isa::Opcode::kActivation: {
        std::vector<std::uint32_t*> counts;
        auto dst = elements(core, positional(ins, 0), &counts);
        auto src = elements(core, positional(ins, 1));
        if (dst.size() != src.size()) {
          throw Failure(
              fmt::format("{}: dst has {} elements, src {}", where(i), dst.size(), src.size()));
        }
        for (std::size_t e = 0; e < dst.size(); ++e) {
          f.writes.push_back({dst[e], counts.empty() ? nullptr : counts[e], *src[e]});
        }
        break;
      }
      case isa::Opcode::kCopyAdd: {
        // DST += SRC: both read now, the sum written at completion, so a concurrent access
        // to DST (another add included) is a race, as for any read-modify-write.
        std::vector<std::uint32_t*> counts;
        auto dst = elements(core, positional(ins, 0), &counts);
        auto src = elements(core, positional(ins, 1));
        if (dst.size() != src.size()) {
          throw Failure(
              fmt::format("{}: dst has {} elements, src {}", where(i), dst.size(), src.size()));
        }
        for (std::size_t e = 0; e < dst.size(); ++e) {
          f.writes.push_back({dst[e], counts.empty() ? nullptr : counts[e], *dst[e] + *src[e]});
        }
        break;
      }
      case isa::Opcode::kMatmul: {
        const Operand& d = positional(ins, 0);
        const Operand& s = positional(ins, 1);
        const Operand& m = positional(ins, 2);
        const std::uint64_t k = s.partitions(), rows = s.free_elements(), cols = m.free_elements();
        if (m.partitions() != k || d.partitions() != rows || d.free_elements() != cols) {
          throw Failure(fmt::format("{}: matmul shapes do not agree", where(i)));
        }
        const trace::Arg* acc = m_p.find_attr(ins, isa::Attr::kAcc);
        const bool accumulate = acc && acc->word == isa::Word::kAccumulate;
        auto dst = elements(core, d);
        // Gather the operands into contiguous arrays so the product loop vectorises.
        auto gather = [&](const Operand& op) {
          std::vector<std::uint32_t> values;
          for (std::uint32_t* e : elements(core, op))
            values.push_back(*e);
          return values;
        };
        const std::vector<std::uint32_t> st = gather(s), mv = gather(m);
        std::vector<std::uint32_t> sum(cols);
        for (std::uint64_t r = 0; r < rows; ++r) {
          for (std::uint64_t c = 0; c < cols; ++c)
            sum[c] = accumulate ? *dst[r * cols + c] : 0;
          for (std::uint64_t p = 0; p < k; ++p) {
            const std::uint32_t a = st[p * rows + r];
            const std::uint32_t* b = &mv[p * cols];
            for (std::uint64_t c = 0; c < cols; ++c)
              sum[c] += a * b[c];
          }
          for (std::uint64_t c = 0; c < cols; ++c)
            f.writes.push_back({dst[r * cols + c], nullptr, sum[c]});
        }
        break;
      }
      case isa::Opcode::kTranspose: {
        // Exact: DST[f][p] = SRC[p][f].
        const Operand& d = positional(ins, 0);
        const Operand& s = positional(ins, 1);
        const std::uint64_t parts = s.partitions(), free = s.free_elements();
        if (d.partitions() != free || d.free_elements() != parts) {
          throw Failure(fmt::format("{}: transpose shapes do not agree", where(i)));
        }
        auto dst = elements(core, d);
        auto src = elements(core, s);
        for (std::uint64_t p = 0; p < parts; ++p) {
          for (std::uint64_t e = 0; e < free; ++e)
            f.writes.push_back({dst[e * parts + p], nullptr, *src[p * free + e]});
        }
        break;
      }
      default:
        throw Failure(fmt::format("{}: opcode not supported by the test interpreter", where(i)));
    }
    return f;
  }

  // Integer stand-ins for the vector, scalar and GpSimd arithmetic the norm generators use.
  // They are not the real functions: each result mixes every input it depends on (and the
  // instruction's opcode and keyword attributes), so reading a stale or overwritten value
  // changes the outputs with overwhelming probability, which the caller detects by comparing
  // with a run in program order. Returns false for opcodes handled elsewhere.
  static std::uint32_t mix(std::uint32_t a, std::uint32_t b) {
    std::uint64_t z = (std::uint64_t{a} << 32 | b) + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return static_cast<std::uint32_t>(z ^ (z >> 31));
  }

  bool compute(std::uint32_t i, InFlight& f) {
    const auto& ins = m_p.instructions[i];
    const std::uint32_t core = ins.core_index;
    bool elementwise = false;
    switch (ins.opcode) {
      case isa::Opcode::kActivation:
      case isa::Opcode::kTensorScalar:
      case isa::Opcode::kTensorTensor:
      case isa::Opcode::kAffineSelect:
        elementwise = true;
        break;
      case isa::Opcode::kTensorReduce:
      case isa::Opcode::kBnStats:
      case isa::Opcode::kBnAggr:
        break;
      default:
        return false;
    }
    if (ins.opcode == isa::Opcode::kActivation) {
      // A plain func=identity (the default) is a copy, handled with tensor_copy.
      const trace::Arg* func = m_p.find_attr(ins, isa::Attr::kFunc);
      const bool plain =
          (!func || func->word == isa::Word::kIdentity) && !m_p.find_attr(ins, isa::Attr::kScale) &&
          !m_p.find_attr(ins, isa::Attr::kBias) && !m_p.find_attr(ins, isa::Attr::kAccum);
      if (plain) return false;
    }
    // The instruction's own constant: opcode, keywords and immediates.
    std::uint32_t tag = mix(static_cast<std::uint32_t>(ins.opcode), 0);
    std::vector<std::vector<std::uint32_t*>> scalars;  // [P,1] operands, per partition
    trace::Operand accum_op{};
    bool has_accum = false;
    for (std::uint32_t a = 0; a < ins.num_args; ++a) {
      const trace::Arg& arg = m_p.args_of(ins)[a];
      if (arg.key == isa::Attr::kNone) continue;
      const auto key = static_cast<std::uint32_t>(arg.key);
      if (arg.kind == isa::ArgKind::kWord) {
        tag = mix(tag, key << 16 | static_cast<std::uint32_t>(arg.word));
      } else if (arg.kind == isa::ArgKind::kReal || arg.kind == isa::ArgKind::kInt) {
        const double v = arg.kind == isa::ArgKind::kReal ? arg.real : double(arg.integer);
        tag = mix(tag, key << 16 ^ static_cast<std::uint32_t>(std::hash<double>{}(v)));
      } else if (arg.kind == isa::ArgKind::kOperand) {
        const Operand& op = m_p.operand(arg.operand);
        if (arg.key == isa::Attr::kAccum) {
          accum_op = op;
          has_accum = true;
        } else {
          tag = mix(tag, key);
          scalars.push_back(elements(core, op));
        }
      }
    }
    const Operand& d = positional(ins, 0);
    auto dst = elements(core, d);
    std::vector<std::vector<std::uint32_t*>> srcs;
    for (std::size_t n = 1; n < isa::opcode_info(ins.opcode).positional.size(); ++n)
      srcs.push_back(elements(core, positional(ins, n)));
    const std::uint64_t parts = d.partitions();
    const std::uint64_t dst_free = d.free_elements();
    for (const auto& sc : scalars) {
      if (sc.size() != parts)
        throw Failure(fmt::format("{}: a scalar operand is not [P,1]", where(i)));
    }
    for (const auto& src : srcs) {
      if (src.size() % parts != 0) throw Failure(fmt::format("{}: partitions differ", where(i)));
      if (elementwise && src.size() != dst.size()) {
        throw Failure(
            fmt::format("{}: dst has {} elements, a source {}", where(i), dst.size(), src.size()));
      }
    }
    std::vector<std::uint32_t> sums(parts, 0);
    for (std::uint64_t p = 0; p < parts; ++p) {
      std::uint32_t row_tag = tag;
      for (const auto& sc : scalars)
        row_tag = mix(row_tag, *sc[p]);
      if (elementwise) {
        for (std::uint64_t e = 0; e < dst_free; ++e) {
          std::uint32_t v = row_tag;
          for (const auto& src : srcs)
            v = mix(v, *src[p * dst_free + e]);
          sums[p] += v;
          f.writes.push_back({dst[p * dst_free + e], nullptr, v});
        }
        continue;
      }
      // Reductions and statistics: every output word depends on the whole row.
      const std::uint64_t src_free = srcs[0].size() / parts;
      std::uint32_t row = row_tag;
      for (std::uint64_t e = 0; e < src_free; ++e)
        row = mix(row, *srcs[0][p * src_free + e]);
      for (std::uint64_t e = 0; e < dst_free; ++e)
        f.writes.push_back(
            {dst[p * dst_free + e], nullptr, mix(row, static_cast<std::uint32_t>(e))});
    }
    if (has_accum) {
      auto acc = elements(core, accum_op);
      if (acc.size() != parts) throw Failure(fmt::format("{}: accum is not [P,1]", where(i)));
      for (std::uint64_t p = 0; p < parts; ++p)
        f.writes.push_back({acc[p], nullptr, sums[p]});
    }
    return true;
  }

  bool waits_hold(std::uint32_t i) const {
    const auto& ins = m_p.instructions[i];
    const trace::SyncOp* ops = m_p.syncs_of(ins);
    for (std::uint32_t n = 0; n < ins.num_syncs; ++n) {
      if (ops[n].kind == trace::SyncKind::kWaitGe &&
          m_semaphores[ops[n].semaphore] < ops[n].value) {
        return false;
      }
    }
    return true;
  }

  void post(std::uint32_t i, trace::PostWhen when) {
    const auto& ins = m_p.instructions[i];
    const trace::SyncOp* ops = m_p.syncs_of(ins);
    for (std::uint32_t n = 0; n < ins.num_syncs; ++n) {
      const auto& op = ops[n];
      if (op.kind == trace::SyncKind::kWaitGe || op.when != when) continue;
      auto& v = m_semaphores[op.semaphore];
      v = op.kind == trace::SyncKind::kPostAdd   ? v + op.value
          : op.kind == trace::SyncKind::kPostSub ? v - op.value
                                                 : op.value;
    }
  }

  bool can_issue(std::size_t s) const {
    const auto& st = m_streams[s];
    if (m_next[s] >= st.instructions.size()) return false;
    if (st.engine != isa::Engine::kDma && m_in_flight_of[s] > 0) return false;
    return waits_hold(st.instructions[m_next[s]]);
  }

  void issue(std::size_t s) {
    const std::uint32_t i = m_streams[s].instructions[m_next[s]++];
    InFlight f = start(i, s);
    for (const InFlight& other : m_in_flight) {
      for (const Region& a : f.regions) {
        for (const Region& b : other.regions) {
          if (conflict(a, b)) {
            throw Failure(fmt::format("race: {} issued while {} is in flight on overlapping memory",
                                      where(i), where(other.instruction)));
          }
        }
      }
    }
    post(i, trace::PostWhen::kRead);
    ++m_in_flight_of[s];
    m_in_flight.push_back(std::move(f));
  }

  void complete(std::size_t index) {
    InFlight f = std::move(m_in_flight[index]);
    m_in_flight.erase(m_in_flight.begin() + static_cast<std::ptrdiff_t>(index));
    for (const PendingWrite& w : f.writes) {
      *w.value = w.data;
      if (w.count) ++*w.count;
    }
    post(f.instruction, trace::PostWhen::kComplete);
    --m_in_flight_of[f.stream];
  }

  // Every instruction in the order of the program's text, each completing before the next
  // issues: what the generator means the program to compute.
  void program_order() {
    std::vector<std::size_t> stream_of(m_p.instructions.size());
    for (std::size_t s = 0; s < m_streams.size(); ++s) {
      for (std::uint32_t i : m_streams[s].instructions)
        stream_of[i] = s;
    }
    for (std::uint32_t i = 0; i < m_p.instructions.size(); ++i) {
      const std::size_t s = stream_of[i];
      if (!can_issue(s)) {
        throw Failure(
            fmt::format("in program order, {} cannot issue: its waits do not hold", where(i)));
      }
      issue(s);
      complete(m_in_flight.size() - 1);
    }
  }

  void loop() {
    m_next.assign(m_streams.size(), 0);
    m_in_flight_of.assign(m_streams.size(), 0);
    if (m_policy == Policy::kProgramOrder) {
      program_order();
      return;
    }
    while (true) {
      std::vector<std::size_t> ready;
      for (std::size_t s = 0; s < m_streams.size(); ++s) {
        if (can_issue(s)) ready.push_back(s);
      }
      if (ready.empty() && m_in_flight.empty()) break;
      switch (m_policy) {
        case Policy::kIssueLowestFirst:
          ready.empty() ? complete(m_in_flight.size() - 1) : issue(ready.front());
          break;
        case Policy::kIssueHighestFirst:
          ready.empty() ? complete(0) : issue(ready.back());
          break;
        case Policy::kCompleteFirst:
          m_in_flight.empty() ? issue(ready.front()) : complete(0);
          break;
        case Policy::kRandom: {
          std::uniform_int_distribution<std::size_t> pick(0, ready.size() + m_in_flight.size() - 1);
          const std::size_t n = pick(m_rng);
          n < ready.size() ? issue(ready[n]) : complete(n - ready.size());
          break;
        }
        case Policy::kProgramOrder:  // runs in program_order()
          return;
        case Policy::kRandomLazy: {
          constexpr std::uint64_t kIssueOdds = 8;  // issue 7 times in 8 when possible
          if (!ready.empty() && (m_in_flight.empty() || m_rng() % kIssueOdds != 0)) {
            issue(ready[m_rng() % ready.size()]);
          } else {
            complete(m_rng() % m_in_flight.size());
          }
          break;
        }
      }
    }
    std::string blocked;
    for (std::size_t s = 0; s < m_streams.size(); ++s) {
      if (m_next[s] < m_streams[s].instructions.size()) {
        blocked += fmt::format("\n  {} waits", where(m_streams[s].instructions[m_next[s]]));
      }
    }
    if (!blocked.empty()) throw Failure("deadlock:" + blocked);
  }

  const trace::Program& m_p;
  const config::SystemConfig& m_cfg;
  Policy m_policy;
  std::mt19937_64 m_rng;
  std::vector<trace::Stream> m_streams;
  std::vector<std::size_t> m_next;
  std::vector<std::uint32_t> m_in_flight_of;
  std::vector<InFlight> m_in_flight;
  std::vector<std::int64_t> m_semaphores;
  std::uint32_t m_granule = 1;  // bytes per stored on-chip element
  // [core][partition][byte / granule]
  std::vector<std::vector<std::vector<std::uint32_t>>> m_sbuf, m_psum;
  std::vector<std::vector<std::uint32_t>> m_tensors, m_writes;
};

}  // namespace

std::uint32_t initial_value(std::uint64_t seed, std::uint64_t index) {
  // splitmix64: a different, well-mixed value for every (seed, index).
  std::uint64_t z = seed * 0x9e3779b97f4a7c15ull + index + 1;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return static_cast<std::uint32_t>(z ^ (z >> 31));
}

InterpretResult interpret(const trace::Program& program, const config::SystemConfig& cfg,
                          Policy policy, std::uint64_t seed) {
  return Interpreter(program, cfg, policy, seed).run();
}

std::string policy_name(Policy policy, std::uint64_t seed) {
  switch (policy) {
    case Policy::kIssueLowestFirst:
      return "issue lowest stream first";
    case Policy::kIssueHighestFirst:
      return "issue highest stream first";
    case Policy::kCompleteFirst:
      return "complete first";
    case Policy::kRandom:
      break;
    case Policy::kRandomLazy:
      return fmt::format("random, lazy completion (seed {})", seed);
    case Policy::kProgramOrder:
      return "program order";
  }
  return fmt::format("random (seed {})", seed);
}

}  // namespace trnsim::test
