// The static checker: one function per rule family, each naming the rule it enforces.
//
// Rule families (the numbers are used in the comments below):
//  1. Cores, engines and semaphores exist in the configuration and are used legally.
//  2. Memory legality per engine and opcode (ARCH-FACTS "Memory rules", first bullet).
//  3. Dtypes per opcode and operand role.
//  4. Bounds of SBUF, PSUM and HBM accesses and of tensor slices.
//  5. HBM layout of the declared tensors (hbm_layout.h).
//  6. Compute-engine access patterns: partition start alignment, pattern sizes and strides,
//     free size per instruction (ARCH-FACTS "Memory rules", bullets 2-4).
//  7. Opcode limits and operand shapes that must agree (ISA.md instruction table).
//
// Diagnostics come out in a fixed order: the declarations' (core sections and tensors) in
// line order, then each instruction's in file order, its rule families in the order above
// (rule 5 comes with the declarations). To avoid cascades,
// shape rules (7) are skipped for an instruction whose operands are in an illegal memory
// (2): their partition counts mean nothing there.
#include "trace/checker.h"

#include <algorithm>
#include <array>
#include <limits>
#include <string>

#include <fmt/format.h>

#include "trace/hbm_layout.h"
#include "trace/lexer.h"

namespace trnsim::trace {

namespace {

using isa::DType;
using isa::Engine;
using isa::Memory;
using isa::Opcode;

// Byte offsets of an access pattern can need more than 64 bits: offsets < 2^64, sizes <
// 2^32, strides within int64 and elements of at most 4 bytes over at most 4 dimensions give
// magnitudes below 2^100, exact in 128 bits.
using Wide = __int128;

constexpr std::uint64_t kMaxU64 = std::numeric_limits<std::uint64_t>::max();

// Partition start alignment of compute-engine operands (ARCH-FACTS "Memory rules"): an
// operand of at most `max_partitions` partitions must start at a multiple of `start_step`
// (0: at partition 0 only). The first row that holds the operand's count applies.
struct PartitionAlignment {
  std::uint32_t max_partitions;
  std::uint32_t start_step;
  std::string_view rule;  // quoted in the message
};
constexpr PartitionAlignment kPartitionAlignments[] = {
    {32, 32, "up to 32 partitions must start at 0, 32, 64 or 96"},
    {64, 64, "33..64 partitions must start at 0 or 64"},
    {std::numeric_limits<std::uint32_t>::max(), 0, "more than 64 partitions must start at 0"},
};

// transpose32 transposes 32x32 blocks across partitions (ISA.md), so both of its extents
// are whole blocks.
constexpr std::uint64_t kTranspose32Block = 32;

// What an operand's dtype must be (rule 3).
enum class DTypeClass : std::uint8_t { kAny, kFloat, kFp32 };

std::string_view memory_name(Memory m) {
  switch (m) {
    case Memory::kSbuf:
      return "sbuf";
    case Memory::kPsum:
      return "psum";
    case Memory::kHbm:
      return "hbm";
  }
  return "hbm";
}

std::string memory_list(isa::MemorySet set) {
  std::string out;
  for (Memory m : {Memory::kSbuf, Memory::kPsum, Memory::kHbm}) {
    if (!set.has(m)) continue;
    if (!out.empty()) out += " or ";
    out += memory_name(m);
  }
  return out.empty() ? std::string("no memory") : out;
}

bool on_chip(const Operand& op) {
  return op.memory() != Memory::kHbm;
}

// Elements per partition (SBUF/PSUM) or in all (HBM), saturating instead of wrapping.
std::uint64_t free_elements(const Operand& op) {
  std::uint64_t n = 1;
  for (std::uint32_t d = 0; d < op.ndims; ++d) {
    if (__builtin_mul_overflow(n, std::uint64_t{op.dims[d].size}, &n)) return kMaxU64;
  }
  return n;
}

// Every element an operand names: partitions x free elements on chip, the pattern in HBM.
std::uint64_t total_elements(const Operand& op) {
  std::uint64_t n = free_elements(op);
  std::uint64_t parts = on_chip(op) ? op.partitions() : 1;
  return __builtin_mul_overflow(n, parts, &n) ? kMaxU64 : n;
}

// The bytes [lo, hi] (inclusive) an access pattern touches from `base`: each dimension
// moves (size-1)*stride elements, downwards for a negative stride.
struct ByteRange {
  Wide lo = 0;
  Wide hi = 0;
};
ByteRange byte_range(const Operand& op, Wide base) {
  const Wide elem = isa::dtype_bytes(op.dtype);
  ByteRange r{base, base};
  for (std::uint32_t d = 0; d < op.ndims; ++d) {
    Wide span = Wide{op.dims[d].size - 1} * op.dims[d].start_or_stride * elem;
    (span < 0 ? r.lo : r.hi) += span;
  }
  r.hi += elem - 1;
  return r;
}

// The column of the token numbered `index` on `line`, for declarations that keep no column.
std::uint32_t token_column(std::string_view source, std::uint32_t line, std::size_t index) {
  std::vector<Token> tokens;
  lex_line(line_of(source, line), tokens);
  return index + 1 < tokens.size() ? tokens[index].column : (line == 0 ? 0 : 1);
}

class Checker {
 public:
  Checker(const Program& program, const config::SystemConfig& cfg, std::string_view source,
          DiagnosticList& diags)
      : m_program(program), m_cfg(cfg), m_source(source), m_diags(diags) {}

  void run() {
    check_declarations();
    for (const Instruction& ins : m_program.instructions) {
      if (m_diags.full()) return;
      check_instruction(ins);
    }
  }

 private:
  // Per opcode: the dtype class of each positional operand (rule 3) and the shape rule (7).
  struct OpcodeRules {
    Opcode opcode;
    std::array<DTypeClass, 3> dtypes;
    void (Checker::*shape)();
  };
  static const OpcodeRules& rules_of(Opcode op);

  // ---- reporting -----------------------------------------------------------------------
  void report_at(std::uint32_t line, std::uint32_t column, std::string message) {
    if (m_out->full()) return;
    m_out->error(m_program.file, line, column, std::move(message),
                 std::string(line_of(m_source, line)));
  }
  // About the current instruction, at `column` (its first column when 0).
  void report(std::uint32_t column, std::string message) {
    report_at(m_ins->line, column != 0 ? column : first_column(m_ins->line), std::move(message));
  }
  void report(const Arg& arg, std::string message) { report(arg.column, std::move(message)); }

  // Found on demand: line_of() scans the source from the start, so it must only run for
  // the (capped) diagnostics, never once per instruction.
  std::uint32_t first_column(std::uint32_t line) const {
    if (line == 0) return 0;
    std::string_view text = line_of(m_source, line);
    std::size_t at = text.find_first_not_of(" \t");
    return at == std::string_view::npos ? 1 : static_cast<std::uint32_t>(at + 1);
  }

  // ---- the current instruction's arguments ---------------------------------------------
  const Operand* operand_of(const Arg* arg) const {
    if (arg == nullptr || arg->kind != isa::ArgKind::kOperand) return nullptr;
    return &m_program.operand(arg->operand);
  }
  const Arg* positional(std::size_t n) const { return m_program.positional(*m_ins, n); }
  const Operand* positional_operand(std::size_t n) const { return operand_of(positional(n)); }
  const Arg* attr(isa::Attr key) const { return m_program.find_attr(*m_ins, key); }

  // Calls fn(arg, operand, role, access) for every operand-valued argument, positional or
  // attribute, in source order.
  template <typename Fn>
  void for_each_operand(Fn&& fn) const {
    const Arg* args = m_program.args_of(*m_ins);
    std::size_t pos = 0;
    for (std::uint32_t i = 0; i < m_ins->num_args; ++i) {
      const Arg& arg = args[i];
      std::string_view role;
      isa::Access access = isa::Access::kRead;
      if (arg.key == isa::Attr::kNone) {
        if (pos < m_info->positional.size()) {
          role = m_info->positional[pos].role;
          access = m_info->positional[pos].access;
        }
        ++pos;
      } else {
        role = isa::attr_name(arg.key);
        for (const auto& spec : m_info->attrs) {
          if (spec.key == arg.key) access = spec.access;
        }
      }
      if (arg.kind == isa::ArgKind::kOperand) fn(arg, m_program.operand(arg.operand), role, access);
    }
  }

  // Sections and tensors are checked whole, before the instructions; their diagnostics are
  // collected apart and emitted in line order, since sections and tensor declarations
  // interleave in the file while the two checks run one after the other.
  void check_declarations() {
    DiagnosticList declarations(std::numeric_limits<std::size_t>::max());
    m_out = &declarations;
    check_core_sections();
    check_tensors();
    m_out = &m_diags;
    std::vector<Diagnostic> items = declarations.items();
    std::stable_sort(items.begin(), items.end(),
                     [](const Diagnostic& a, const Diagnostic& b) { return a.line < b.line; });
    for (Diagnostic& d : items) {
      if (m_diags.full()) return;
      m_diags.add(std::move(d));
    }
  }

  // ---- rule 1: cores, engines, semaphores ----------------------------------------------
  // Every core section names a chip and core the configuration has (ARCH-FACTS "Chip":
  // cores per chip; the system's chip count).
  void check_core_sections() {
    for (const CoreSection& section : m_program.cores) {
      // `chip C core K`: C is token 1, K is token 3.
      if (section.id.chip >= m_cfg.system.chips) {
        report_at(section.line, token_column(m_source, section.line, 1),
                  fmt::format("chip {} does not exist: the system has {} chip(s)", section.id.chip,
                              m_cfg.system.chips));
      }
      if (section.id.core >= m_cfg.chip.cores) {
        report_at(section.line, token_column(m_source, section.line, 3),
                  fmt::format("core {} does not exist: a chip has {} core(s)", section.id.core,
                              m_cfg.chip.cores));
      }
    }
  }

  // Rules 1 and 5 for declarations: each tensor's HBM belongs to an existing chip, and the
  // tensors of each chip fit its HBM without overlapping.
  void check_tensors() {
    for (const TensorDecl& t : m_program.tensors) {
      if (t.chip >= m_cfg.system.chips) {
        report_at(t.line, tensor_field_column(m_source, t.line, TensorField::kLocation),
                  fmt::format("tensor '{}' is in the HBM of chip {}, which does not exist: the "
                              "system has {} chip(s)",
                              t.name, t.chip, m_cfg.system.chips));
      }
    }
    assign_tensor_addresses(m_program, m_cfg.hbm, m_out, m_source);
  }

  // A DMA instruction names one of its core's queues (DmaParams::queues).
  void check_engine() {
    if (m_ins->engine == Engine::kDma && m_ins->queue >= m_cfg.dma.queues) {
      report(0, fmt::format("DMA queue {} does not exist: a core has queues dma.q0..dma.q{}",
                            m_ins->queue, m_cfg.dma.queues - 1));
    }
  }

  // Waits name the instruction's own core's semaphores (a core's sequencers can only poll
  // local semaphores; posts may travel to another core). Semaphores hold counts >= 0, so
  // waits for, and values set to, a negative number are errors.
  void check_semaphores() {
    const SyncOp* syncs = m_program.syncs_of(*m_ins);
    for (std::uint32_t i = 0; i < m_ins->num_syncs; ++i) {
      const SyncOp& op = syncs[i];
      if (op.kind == SyncKind::kWaitGe && op.semaphore < m_program.semaphores.size()) {
        const SemaphoreDecl& sem = m_program.semaphores[op.semaphore];
        if (sem.core_index != m_ins->core_index) {
          const CoreId owner = m_program.cores[sem.core_index].id;
          report(op.column, fmt::format("wait on semaphore '{}' of chip {} core {}: an "
                                        "instruction can only wait on its own core's semaphores",
                                        sem.name, owner.chip, owner.core));
        }
      }
      if (op.kind == SyncKind::kWaitGe || op.kind == SyncKind::kPostSet) {
        check_semaphore_value(op.kind == SyncKind::kWaitGe ? "wait" : "post", op.value, op.column);
      }
    }
    if (m_ins->opcode == Opcode::kSemSet) {
      if (const Arg* value = positional(1); value != nullptr && value->kind == isa::ArgKind::kInt) {
        check_semaphore_value("sem.set", value->integer, value->column);
      }
    }
  }
  void check_semaphore_value(std::string_view what, std::int64_t value, std::uint32_t column) {
    if (value < 0) {
      report(column,
             fmt::format("{} value {} is negative (semaphores hold values >= 0)", what, value));
    }
  }

  // ---- rule 2: memory legality ---------------------------------------------------------
  // ARCH-FACTS "Memory rules": TensorE reads SBUF only and writes PSUM only; Vector and
  // Scalar read and write SBUF and PSUM; GpSimd SBUF only; DMA moves between HBM and SBUF
  // (never PSUM). Operand-valued attributes obey the same rule as positional operands.
  void check_memories() {
    for_each_operand([&](const Arg& arg, const Operand& op, std::string_view role,
                         isa::Access access) {
      isa::MemorySet allowed = isa::engine_memories(m_ins->engine);
      std::string_view verb = "access";
      if (m_ins->engine == Engine::kPe) {
        // TensorE's split: what it writes (dst) is PSUM, what it reads is SBUF.
        bool writes = access != isa::Access::kRead;
        allowed = writes ? isa::kPsumOnly : isa::kSbufOnly;
        verb = writes ? "write" : "read";
      }
      if (allowed.has(op.memory())) return;
      m_memory_error = true;
      report(arg,
             fmt::format("{} ({}) cannot {} {}: {} {} must be in {}",
                         isa::engine_name(m_ins->engine), isa::engine_title(m_ins->engine), verb,
                         memory_name(op.memory()), m_info->name, role, memory_list(allowed)));
    });
  }

  // An on-chip operand naming its core (`chipN.coreM.sbuf`) exists in the system, and
  // names another core's memory only where a DMA copies into or out of that SBUF: the
  // engines of a core reach their own SBUF and PSUM only, and DMA never touches PSUM.
  void check_owners() {
    for_each_operand([&](const Arg& arg, const Operand& op, std::string_view role, isa::Access) {
      if (!on_chip(op) || (op.chip == kNone && op.core == kNone)) return;
      const CoreId issuer = m_program.cores[m_ins->core_index].id;
      const CoreId owner = op.owner(issuer);
      if (owner.chip >= m_cfg.system.chips) {
        report(arg, fmt::format("chip {} does not exist: the system has {} chip(s)", owner.chip,
                                m_cfg.system.chips));
        return;
      }
      if (owner.core >= m_cfg.chip.cores) {
        report(arg, fmt::format("core {} does not exist: a chip has {} core(s)", owner.core,
                                m_cfg.chip.cores));
        return;
      }
      if (owner == issuer) return;
      if (op.memory() == Memory::kPsum) {
        if (m_ins->engine == Engine::kDma) return;  // rule 2 said DMA never touches PSUM
        m_memory_error = true;
        report(arg, fmt::format("{} {} names the psum of chip {} core {}: only the SBUF of "
                                "another core can be named (chipN.coreM.sbuf[..]), by a DMA "
                                "copy or copy_add",
                                m_info->name, role, owner.chip, owner.core));
      } else if (m_ins->engine != Engine::kDma) {
        m_memory_error = true;
        report(arg, fmt::format("{} ({}) cannot access the sbuf of chip {} core {}: an engine "
                                "reaches its own core's sbuf only; a DMA copy or copy_add can "
                                "move data into another core's SBUF",
                                isa::engine_name(m_ins->engine), isa::engine_title(m_ins->engine),
                                owner.chip, owner.core));
      }
    });
  }

  // ---- rule 3: dtypes ------------------------------------------------------------------
  // Per opcode, each positional operand's dtype class (OpcodeRules::dtypes); every
  // operand-valued attribute (scale, bias, accum, s0, s1) is a float, because the engines
  // apply them in fp32 arithmetic; plus the relations between operands of matmul and
  // transpose. Judgement calls, where ARCH-FACTS is silent and the engines convert on
  // write: element-wise, reduce, copy, iota (GpSimd casts its int32 results to any dtype)
  // and DMA operands take any dtype.
  void check_dtypes() {
    const auto& classes = rules_of(m_ins->opcode).dtypes;
    for (std::size_t n = 0; n < classes.size(); ++n) {
      const Arg* arg = positional(n);
      const Operand* op = operand_of(arg);
      if (op != nullptr && n < m_info->positional.size()) {
        check_dtype_class(*arg, *op, m_info->positional[n].role, classes[n]);
      }
    }
    for_each_operand([&](const Arg& arg, const Operand& op, std::string_view role, isa::Access) {
      if (arg.key != isa::Attr::kNone) check_dtype_class(arg, op, role, DTypeClass::kFloat);
    });
    const Operand* dst = positional_operand(0);
    const Operand* src = positional_operand(1);
    if (m_ins->opcode == Opcode::kMatmul) {
      const Operand* moving = positional_operand(2);
      if (src != nullptr && moving != nullptr && src->dtype != moving->dtype) {
        report(*positional(2),
               fmt::format("matmul stationary and moving dtypes differ: {} vs {}",
                           isa::dtype_name(src->dtype), isa::dtype_name(moving->dtype)));
      }
    }
    if (m_ins->opcode == Opcode::kTranspose && dst != nullptr && src != nullptr &&
        dst->dtype != DType::kFp32 && dst->dtype != src->dtype) {
      report(*positional(0), fmt::format("transpose dst must be fp32 or the src dtype {}, got {}",
                                         isa::dtype_name(src->dtype), isa::dtype_name(dst->dtype)));
    }
  }
  void check_dtype_class(const Arg& arg, const Operand& op, std::string_view role, DTypeClass cls) {
    if (cls == DTypeClass::kFp32 && op.dtype != DType::kFp32) {
      report(arg, fmt::format("{} {} must be fp32, got {}", m_info->name, role,
                              isa::dtype_name(op.dtype)));
    } else if (cls == DTypeClass::kFloat && !isa::dtype_is_float(op.dtype)) {
      report(arg, fmt::format("{} {} must be a float dtype (fp32, bf16, fp16, fp8e4, fp8e5), "
                              "got {}",
                              m_info->name, role, isa::dtype_name(op.dtype)));
    }
  }

  // ---- rule 4: bounds ------------------------------------------------------------------
  // Every byte an operand touches exists: SBUF and PSUM partitions and bytes per partition,
  // PSUM banks, HBM capacity and chips, tensor slices inside their tensor's shape.
  void check_bounds() {
    for_each_operand([&](const Arg& arg, const Operand& op, std::string_view, isa::Access) {
      switch (op.form) {
        case OperandForm::kSbuf:
          check_on_chip_bounds(arg, op, "sbuf", "SBUF", m_cfg.sbuf.partitions, op.offset,
                               m_cfg.sbuf.bytes_per_partition);
          break;
        case OperandForm::kPsumOffset:
        case OperandForm::kPsumBank:
          check_psum_bounds(arg, op);
          break;
        case OperandForm::kHbmAddress:
          check_hbm_bounds(arg, op);
          break;
        case OperandForm::kTensorSlice:
          check_slice_bounds(arg, op);
          break;
      }
    });
  }
  void check_on_chip_bounds(const Arg& arg, const Operand& op, std::string_view name,
                            std::string_view title, std::uint32_t partitions, Wide base,
                            std::uint64_t bytes) {
    if (op.part_end > partitions) {
      report(arg, fmt::format("{} partitions {}:{} out of bounds, {} has {} partitions", name,
                              op.part_begin, op.part_end, title, partitions));
    }
    ByteRange r = byte_range(op, base);
    if (r.lo < 0 || r.hi >= Wide{bytes}) {
      report(arg, fmt::format("{} access out of bounds: bytes {}..{} of each partition, {} has "
                              "{} bytes per partition",
                              name, r.lo, r.hi, title, bytes));
    }
  }
  void check_psum_bounds(const Arg& arg, const Operand& op) {
    const config::PsumParams& psum = m_cfg.psum;
    Wide base = op.offset;
    if (op.form == OperandForm::kPsumBank) {
      if (op.offset >= psum.banks) {
        report(arg, fmt::format("psum bank {} does not exist, PSUM has {} banks", op.offset,
                                psum.banks));
        return;
      }
      base = Wide{op.offset} * psum.bank_bytes;
    }
    check_on_chip_bounds(arg, op, "psum", "PSUM", psum.partitions, base,
                         std::uint64_t{psum.banks} * psum.bank_bytes);
  }
  void check_hbm_bounds(const Arg& arg, const Operand& op) {
    if (op.chip != kNone && op.chip >= m_cfg.system.chips) {
      report(arg, fmt::format("hbm of chip {} does not exist: the system has {} chip(s)", op.chip,
                              m_cfg.system.chips));
    }
    ByteRange r = byte_range(op, Wide{op.offset});
    if (r.lo < 0 || r.hi >= Wide{m_cfg.hbm.capacity_bytes}) {
      report(arg, fmt::format("hbm access out of bounds: bytes {}..{}, HBM has {} bytes", r.lo,
                              r.hi, m_cfg.hbm.capacity_bytes));
    }
  }
  void check_slice_bounds(const Arg& arg, const Operand& op) {
    if (op.tensor >= m_program.tensors.size()) return;  // unresolved: the parser reported it
    const TensorDecl& t = m_program.tensors[op.tensor];
    if (op.ndims != t.shape.size()) {
      report(arg, fmt::format("slice of tensor '{}' has {} dimension(s), the tensor has {}", t.name,
                              op.ndims, t.shape.size()));
      return;
    }
    for (std::uint32_t d = 0; d < op.ndims; ++d) {
      const auto start = static_cast<std::uint64_t>(op.dims[d].start_or_stride);
      const std::uint64_t end = start + op.dims[d].size;
      if (op.dims[d].start_or_stride < 0 || end > t.shape[d] || end < start) {
        report(arg, fmt::format("slice of tensor '{}' out of bounds: dimension {} is {}:{}, the "
                                "tensor has {}",
                                t.name, d, op.dims[d].start_or_stride, end, t.shape[d]));
      }
    }
  }

  // ---- rule 6: compute-engine access patterns ------------------------------------------
  // ARCH-FACTS "Memory rules": contiguous partitions starting at an aligned partition; up
  // to 4 (size, stride) pairs with sizes < 65536 and signed 16-bit strides; at most 64 Ki
  // free elements in SBUF, 4 Ki in PSUM for Vector and Scalar. DMA is exempt.
  void check_access_patterns() {
    for_each_operand([&](const Arg& arg, const Operand& op, std::string_view, isa::Access) {
      if (!on_chip(op)) return;  // an HBM operand of a compute engine is a rule 2 error
      check_partition_start(arg, op);
      for (std::uint32_t d = 0; d < op.ndims; ++d) {
        const Dim& dim = op.dims[d];
        if (dim.size > isa::kMaxPatternSize) {
          report(arg, fmt::format("access pattern dimension {} size {} exceeds {}", d, dim.size,
                                  isa::kMaxPatternSize));
        }
        if (dim.start_or_stride < isa::kMinPatternStride ||
            dim.start_or_stride > isa::kMaxPatternStride) {
          report(arg, fmt::format("access pattern dimension {} stride {} outside the signed "
                                  "16-bit range {}..{}",
                                  d, dim.start_or_stride, isa::kMinPatternStride,
                                  isa::kMaxPatternStride));
        }
      }
      check_free_size(arg, op);
    });
  }
  void check_partition_start(const Arg& arg, const Operand& op) {
    const std::uint32_t parts = op.partitions();
    for (const PartitionAlignment& a : kPartitionAlignments) {
      if (parts > a.max_partitions) continue;
      bool ok = a.start_step == 0 ? op.part_begin == 0 : op.part_begin % a.start_step == 0;
      if (!ok) {
        report(arg, fmt::format("partition start {} not allowed for {} partitions ({})",
                                op.part_begin, parts, a.rule));
      }
      return;
    }
  }
  void check_free_size(const Arg& arg, const Operand& op) {
    const std::uint64_t n = free_elements(op);
    if (op.memory() == Memory::kSbuf && n > isa::kMaxSbufFreeElements) {
      report(arg, fmt::format("free size {} elements per partition exceeds {} for an sbuf "
                              "operand",
                              n, isa::kMaxSbufFreeElements));
    }
    const bool vector_or_scalar = m_ins->engine == Engine::kAct || m_ins->engine == Engine::kDve;
    if (op.memory() == Memory::kPsum && vector_or_scalar && n > isa::kMaxPsumFreeElements) {
      report(arg, fmt::format("free size {} elements per partition exceeds {} for a psum "
                              "operand of {}",
                              n, isa::kMaxPsumFreeElements, isa::engine_title(m_ins->engine)));
    }
  }

  // ---- rule 7: opcode limits and shapes ------------------------------------------------
  void check_shapes() {
    if (auto rule = rules_of(m_ins->opcode).shape) (this->*rule)();
    check_scalar_operands();
  }

  // matmul: dst[M, N] = stationary[K, M]^T * moving[K, N]. K is the partition count of both
  // inputs (<= PE rows), M the stationary free size (<= PE columns), N the moving free size
  // (<= one PSUM bank of fp32); dst is M partitions by N elements, all in one PSUM bank.
  void shape_matmul() {
    const Operand* dst = positional_operand(0);
    const Operand* stationary = positional_operand(1);
    const Operand* moving = positional_operand(2);
    if (dst == nullptr || stationary == nullptr || moving == nullptr) return;
    const std::uint32_t k = stationary->partitions();
    const std::uint64_t m = free_elements(*stationary);
    const std::uint64_t n = free_elements(*moving);
    const config::TensorEngineParams& pe = m_cfg.tensor;
    if (moving->partitions() != k) {
      report(*positional(2), fmt::format("matmul stationary and moving partitions differ: K={} "
                                         "vs {} (the contraction dimension)",
                                         k, moving->partitions()));
    }
    if (k > pe.rows) {
      report(*positional(1), fmt::format("matmul contraction K={} exceeds {} PE rows", k, pe.rows));
    }
    if (m > pe.cols) {
      report(*positional(1), fmt::format("matmul stationary free size M={} exceeds {} PE "
                                         "columns",
                                         m, pe.cols));
    }
    if (n > pe.max_moving_free) {
      report(*positional(2), fmt::format("matmul moving free size {} exceeds {} (one PSUM bank "
                                         "of fp32)",
                                         n, pe.max_moving_free));
    }
    if (dst->partitions() != m) {
      report(*positional(0), fmt::format("matmul dst has {} partitions, expected M={} (the "
                                         "stationary free size)",
                                         dst->partitions(), m));
    }
    if (free_elements(*dst) != n) {
      report(*positional(0), fmt::format("matmul dst has {} elements per partition, expected "
                                         "N={} (the moving free size)",
                                         free_elements(*dst), n));
    }
    check_one_psum_bank(*positional(0), *dst);
  }
  // ARCH-FACTS: "One matmul writes one PSUM bank".
  void check_one_psum_bank(const Arg& arg, const Operand& dst) {
    const std::uint64_t bank_bytes = m_cfg.psum.bank_bytes;
    if (dst.memory() != Memory::kPsum || bank_bytes == 0) return;
    Wide base = dst.form == OperandForm::kPsumBank ? Wide{dst.offset} * bank_bytes : dst.offset;
    ByteRange r = byte_range(dst, base);
    if (r.lo < 0 || r.lo / bank_bytes == r.hi / bank_bytes) return;  // negative: a bounds error
    report(arg, fmt::format("matmul dst spans PSUM banks {}..{} (bytes {}..{} of each "
                            "partition): a matmul writes one bank of {} bytes",
                            r.lo / bank_bytes, r.hi / bank_bytes, r.lo, r.hi, bank_bytes));
  }

  // transpose on TensorE: src P x F becomes dst F x P; F is limited by the PE columns.
  void shape_transpose() {
    const Operand* dst = positional_operand(0);
    const Operand* src = positional_operand(1);
    if (dst == nullptr || src == nullptr) return;
    const std::uint64_t f = free_elements(*src);
    if (f > m_cfg.tensor.cols) {
      report(*positional(1),
             fmt::format("transpose src free size {} exceeds {} PE columns", f, m_cfg.tensor.cols));
    }
    if (dst->partitions() != f) {
      report(*positional(0), fmt::format("transpose dst has {} partitions, expected {} (the src "
                                         "free size)",
                                         dst->partitions(), f));
    }
    if (free_elements(*dst) != src->partitions()) {
      report(*positional(0), fmt::format("transpose dst has {} elements per partition, expected "
                                         "{} (the src partitions)",
                                         free_elements(*dst), src->partitions()));
    }
  }

  // Element-wise opcodes: every input has dst's partitions and free element count (the
  // patterns may differ in shape, each partition streams the same number of elements).
  void shape_elementwise() {
    const Operand* dst = positional_operand(0);
    if (dst == nullptr) return;
    for (std::size_t n = 1; n < m_info->positional.size(); ++n) {
      const Operand* in = positional_operand(n);
      if (in == nullptr) continue;
      std::string_view role = m_info->positional[n].role;
      check_same_partitions(*positional(n), role, *in, *dst);
      if (free_elements(*in) != free_elements(*dst)) {
        report(*positional(n),
               fmt::format("{} {} has {} elements per partition, dst has {}", m_info->name, role,
                           free_elements(*in), free_elements(*dst)));
      }
    }
  }
  void check_same_partitions(const Arg& arg, std::string_view role, const Operand& op,
                             const Operand& dst) {
    if (op.partitions() != dst.partitions()) {
      report(arg, fmt::format("{} {} has {} partitions, dst has {}", m_info->name, role,
                              op.partitions(), dst.partitions()));
    }
  }

  // tensor_scalar: element-wise, and the second operator comes with its operand.
  void shape_tensor_scalar() {
    shape_elementwise();
    const Arg* op1 = attr(isa::Attr::kOp1);
    const Arg* s1 = attr(isa::Attr::kS1);
    if (op1 != nullptr && s1 == nullptr) {
      report(*op1, "tensor_scalar op1= given without s1=: the second operator needs its operand");
    } else if (s1 != nullptr && op1 == nullptr) {
      report(*s1, "tensor_scalar s1= given without op1=: the operand needs its operator");
    }
  }

  // tensor_reduce: the innermost `axes` dimensions of src (default 1) collapse, so dst holds
  // src's free elements divided by their product, on the same partitions.
  void shape_tensor_reduce() {
    const Operand* dst = positional_operand(0);
    const Operand* src = positional_operand(1);
    if (dst == nullptr || src == nullptr) return;
    check_same_partitions(*positional(1), "src", *src, *dst);
    const Arg* axes_arg = attr(isa::Attr::kAxes);
    const std::int64_t axes = axes_arg != nullptr ? axes_arg->integer : 1;
    if (axes < 1 || axes > src->ndims) {
      report(axes_arg != nullptr ? axes_arg->column : 0,
             fmt::format("tensor_reduce axes={} must be between 1 and {} (the src "
                         "pattern's dimensions)",
                         axes, src->ndims));
      return;
    }
    std::uint64_t reduced = 1;
    for (std::int64_t d = src->ndims - axes; d < src->ndims; ++d) {
      if (__builtin_mul_overflow(reduced, std::uint64_t{src->dims[d].size}, &reduced)) {
        reduced = kMaxU64;
      }
    }
    const std::uint64_t expected = free_elements(*src) / reduced;
    if (free_elements(*dst) != expected) {
      report(*positional(0),
             fmt::format("tensor_reduce dst has {} elements per partition, "
                         "expected {} (src {} reduced over the innermost {} "
                         "axis/axes of {} elements)",
                         free_elements(*dst), expected, free_elements(*src), axes, reduced));
    }
  }

  // transpose32: whole 32x32 blocks, and the result has the source's shape.
  void shape_transpose32() {
    const Operand* dst = positional_operand(0);
    const Operand* src = positional_operand(1);
    if (dst == nullptr || src == nullptr) return;
    if (src->partitions() % kTranspose32Block != 0 || free_elements(*src) % kTranspose32Block) {
      report(*positional(1),
             fmt::format("transpose32 src is {} partitions x {} elements: both "
                         "must be multiples of {}",
                         src->partitions(), free_elements(*src), kTranspose32Block));
    }
    shape_elementwise();
  }

  // partition_reduce: reduces across partitions into one partition, element by element.
  void shape_partition_reduce() {
    const Operand* dst = positional_operand(0);
    const Operand* src = positional_operand(1);
    if (dst == nullptr || src == nullptr) return;
    if (dst->partitions() != 1) {
      report(*positional(0),
             fmt::format("partition_reduce dst has {} partitions, expected 1", dst->partitions()));
    }
    if (free_elements(*dst) != free_elements(*src)) {
      report(*positional(0), fmt::format("partition_reduce dst has {} elements per partition, "
                                         "src has {}",
                                         free_elements(*dst), free_elements(*src)));
    }
  }

  // bn_stats / bn_aggr: statistics stay in their partition. Kept simple on purpose: only
  // the partition counts are checked; the free sizes of the statistics records are the
  // numerics model's business.
  void shape_same_partitions() {
    const Operand* dst = positional_operand(0);
    const Operand* src = positional_operand(1);
    if (dst != nullptr && src != nullptr) check_same_partitions(*positional(1), "src", *src, *dst);
  }

  // The dimension of an HBM operand that `partitions` map onto: the outermost one, or the
  // first after leading dimensions of size 1 (a slice at one index of an outer dimension,
  // e.g. one batch of a three-dimensional tensor). kNone when neither matches.
  static std::uint32_t partition_dim(const Operand& hbm, std::uint32_t partitions) {
    for (std::uint32_t d = 0; d < hbm.ndims; ++d) {
      if (hbm.dims[d].size == partitions) return d;
      if (hbm.dims[d].size != 1) break;
    }
    return kNone;
  }

  // DMA copy / copy_add: both sides name the same number of elements. Between a partition
  // range and HBM, the partitions map to the outermost HBM dimension (ISA.md "Operands").
  // Leading dimensions of size 1 may come first: they select one index and map nowhere.
  void shape_dma() {
    const Operand* dst = positional_operand(0);
    const Operand* src = positional_operand(1);
    if (dst == nullptr || src == nullptr) return;
    if (on_chip(*dst) != on_chip(*src)) {
      const bool dst_on_chip = on_chip(*dst);
      const Operand& chip_side = dst_on_chip ? *dst : *src;
      const Operand& hbm_side = dst_on_chip ? *src : *dst;
      const Arg& hbm_arg = *positional(dst_on_chip ? 1 : 0);
      if (partition_dim(hbm_side, chip_side.partitions()) == kNone) {
        report(hbm_arg, fmt::format("{} hbm side's outermost dimension is {}, the {} side has {} "
                                    "partitions (they map one to one)",
                                    m_info->name, hbm_side.dims[0].size,
                                    memory_name(chip_side.memory()), chip_side.partitions()));
        return;
      }
    }
    if (total_elements(*dst) != total_elements(*src)) {
      report(*positional(1), fmt::format("{} element counts differ: dst has {}, src has {}",
                                         m_info->name, total_elements(*dst), total_elements(*src)));
    }
  }

  // `[P,1]` operands (scale, bias, accum, s0, s1): one element on each of dst's partitions.
  void check_scalar_operands() {
    const Operand* dst = positional_operand(0);
    if (dst == nullptr || !on_chip(*dst)) return;
    for_each_operand([&](const Arg& arg, const Operand& op, std::string_view role, isa::Access) {
      if (arg.key == isa::Attr::kNone) return;
      check_same_partitions(arg, role, op, *dst);
      if (free_elements(op) != 1) {
        report(arg, fmt::format("{} {} must have 1 element per partition, got {}", m_info->name,
                                role, free_elements(op)));
      }
    });
  }

  // ---- one instruction -----------------------------------------------------------------
  void check_instruction(const Instruction& ins) {
    m_ins = &ins;
    m_info = &isa::opcode_info(ins.opcode);
    m_memory_error = false;
    check_engine();
    check_semaphores();
    check_memories();
    check_owners();
    check_dtypes();
    check_bounds();
    if (m_info->is_compute) check_access_patterns();
    if (!m_memory_error) check_shapes();
  }

  const Program& m_program;
  const config::SystemConfig& m_cfg;
  std::string_view m_source;
  DiagnosticList& m_diags;
  DiagnosticList* m_out = &m_diags;  // where report_at writes

  // The instruction being checked.
  const Instruction* m_ins = nullptr;
  const isa::OpcodeInfo* m_info = nullptr;
  bool m_memory_error = false;
};

const Checker::OpcodeRules& Checker::rules_of(Opcode op) {
  using enum DTypeClass;
  static constexpr OpcodeRules kRules[] = {
      // PSUM accumulates in fp32; the PE array multiplies float inputs.
      {Opcode::kMatmul, {kFp32, kFloat, kFloat}, &Checker::shape_matmul},
      {Opcode::kTranspose, {kAny, kAny, kAny}, &Checker::shape_transpose},
      {Opcode::kActivation, {kAny, kAny, kAny}, &Checker::shape_elementwise},
      {Opcode::kTensorTensor, {kAny, kAny, kAny}, &Checker::shape_elementwise},
      {Opcode::kTensorScalar, {kAny, kAny, kAny}, &Checker::shape_tensor_scalar},
      {Opcode::kTensorReduce, {kAny, kAny, kAny}, &Checker::shape_tensor_reduce},
      {Opcode::kTensorCopy, {kAny, kAny, kAny}, &Checker::shape_elementwise},
      {Opcode::kMemset, {kAny, kAny, kAny}, nullptr},
      {Opcode::kTranspose32, {kAny, kAny, kAny}, &Checker::shape_transpose32},
      // Mean and variance are float statistics of float data.
      {Opcode::kBnStats, {kFloat, kFloat, kAny}, &Checker::shape_same_partitions},
      {Opcode::kBnAggr, {kFloat, kFloat, kAny}, &Checker::shape_same_partitions},
      {Opcode::kIota, {kAny, kAny, kAny}, nullptr},
      {Opcode::kAffineSelect, {kAny, kAny, kAny}, &Checker::shape_elementwise},
      {Opcode::kPartitionReduce, {kAny, kAny, kAny}, &Checker::shape_partition_reduce},
      {Opcode::kCopy, {kAny, kAny, kAny}, &Checker::shape_dma},
      {Opcode::kCopyAdd, {kAny, kAny, kAny}, &Checker::shape_dma},
      {Opcode::kNop, {kAny, kAny, kAny}, nullptr},
      {Opcode::kSemSet, {kAny, kAny, kAny}, nullptr},
  };
  static_assert(std::size(kRules) == isa::kNumOpcodes, "one OpcodeRules row per Opcode");
  static_assert(
      [] {
        for (std::size_t i = 0; i < std::size(kRules); ++i) {
          if (kRules[i].opcode != static_cast<Opcode>(i)) return false;
        }
        return true;
      }(),
      "OpcodeRules rows in Opcode order");
  return kRules[static_cast<std::size_t>(op)];
}

}  // namespace

bool check_program(const Program& program, const config::SystemConfig& cfg, std::string_view source,
                   DiagnosticList& diags) {
  const std::size_t before = diags.error_count();
  Checker(program, cfg, source, diags).run();
  return diags.error_count() == before;
}

}  // namespace trnsim::trace
