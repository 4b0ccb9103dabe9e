// A parsed trace: the tensors in HBM, the semaphores of each core, and one instruction
// stream per engine per core. Produced by the parser (parser.h) or by a generator, printed
// back by printer.h, checked by checker.h, executed by the models.
//
// Layout is chosen for size: a trace can hold millions of instructions, so instructions
// are small fixed records that point into shared pools of arguments and semaphore
// operations, and identical operands are stored once.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "isa/isa.h"

namespace trnsim::trace {

inline constexpr std::uint32_t kFormatVersion = 1;
inline constexpr std::uint32_t kNone = 0xffffffffu;

// Where a core sits in the system.
struct CoreId {
  std::uint32_t chip = 0;
  std::uint32_t core = 0;
  friend bool operator==(const CoreId&, const CoreId&) = default;
};

enum class InitKind : std::uint8_t { kNone, kZeros, kRandom, kFile };
enum class Distribution : std::uint8_t { kNormal, kUniform };

struct TensorDecl {
  std::string name;
  std::uint32_t chip = 0;  // whose HBM holds it
  isa::DType dtype = isa::DType::kFp32;
  std::vector<std::uint64_t> shape;
  bool has_address = false;  // `at=` given; otherwise the simulator assigns one
  std::uint64_t address = 0;
  InitKind init = InitKind::kZeros;
  std::uint64_t seed = 0;
  Distribution dist = Distribution::kNormal;
  std::string file;  // InitKind::kFile
  bool output = false;
  std::uint32_t line = 0;

  std::uint64_t elements() const;
  std::uint64_t bytes() const { return elements() * isa::dtype_bytes(dtype); }
};

struct SemaphoreDecl {
  std::string name;
  std::uint32_t core_index = 0;  // into Program::cores
  std::uint32_t line = 0;
  std::uint32_t column = 0;
};

// The kinds of operand syntax; kept so the printer writes back what the author wrote.
enum class OperandForm : std::uint8_t {
  kSbuf,         // [[chipN.]coreM.]sbuf[P0:P1]@OFFSET.DTYPE[pattern]
  kPsumOffset,   // psum[P0:P1]@OFFSET.DTYPE[pattern]
  kPsumBank,     // psum[P0:P1]@bankB.DTYPE[pattern]
  kHbmAddress,   // [chipN.]hbm@ADDR.DTYPE[pattern]
  kTensorSlice,  // hbm:NAME[s0:e0, ...]
};

// One dimension of an access pattern (size, stride in elements) or of a tensor slice
// (size = end - start, start in `start_or_stride`).
struct Dim {
  std::uint32_t size = 0;
  std::int64_t start_or_stride = 0;
  friend bool operator==(const Dim&, const Dim&) = default;
};

// An access to memory: a partition range and a free-dimension pattern (SBUF/PSUM), a raw
// HBM pattern, or a slice of a declared tensor.
//
// Memory is named relative to the issuing instruction's core unless the operand says
// otherwise: `chip` and `core` are kNone for "the issuing chip/core". An on-chip operand
// written `chipN.coreM.sbuf` or `coreM.sbuf` names that core's memory (a DMA writing
// into another core's SBUF); `chip` stays kNone for `coreM.sbuf`, the issuing chip.
struct Operand {
  OperandForm form = OperandForm::kSbuf;
  isa::DType dtype = isa::DType::kFp32;
  std::uint8_t ndims = 0;
  std::uint32_t chip = kNone;    // an explicit chipN. prefix (kHbmAddress, on-chip); else kNone
  std::uint32_t part_begin = 0;  // SBUF/PSUM partitions [part_begin, part_end)
  std::uint32_t part_end = 0;
  std::uint64_t offset = 0;      // byte offset in the partition, bank number, or HBM address
  std::uint32_t tensor = kNone;  // kTensorSlice: index into Program::tensors
  std::uint32_t core = kNone;    // on-chip with a coreM. prefix; else kNone (fills padding)
  std::array<Dim, isa::kMaxPatternDims> dims{};

  friend bool operator==(const Operand&, const Operand&) = default;

  isa::Memory memory() const;
  // The core whose SBUF/PSUM an on-chip operand names, for an instruction issued by `issuer`.
  CoreId owner(CoreId issuer) const {
    return {chip == kNone ? issuer.chip : chip, core == kNone ? issuer.core : core};
  }
  std::uint32_t partitions() const { return part_end - part_begin; }
  // Elements per partition (SBUF/PSUM) or in all (HBM).
  std::uint64_t free_elements() const;
};

// An argument of an instruction: a positional operand, or the value of a `key=value`.
struct Arg {
  isa::Attr key = isa::Attr::kNone;  // kNone: positional
  isa::ArgKind kind = isa::ArgKind::kOperand;
  std::uint16_t column = 0;     // source column, 0 when not from a file (clamped)
  std::uint32_t alias = kNone;  // the alias the operand was written as, if any
  union {
    std::uint32_t operand;    // kOperand: index into Program::operands
    std::int64_t integer;     // kInt
    double real;              // kReal
    isa::Word word;           // kWord
    std::uint32_t semaphore;  // kSemaphore: index into Program::semaphores
  };
  Arg() : integer(0) {}
};

enum class SyncKind : std::uint8_t { kWaitGe, kPostAdd, kPostSub, kPostSet };
enum class PostWhen : std::uint8_t { kComplete, kRead };

// A semaphore condition (`wait(s >= N)`) or update (`post(s += N @read)`).
struct SyncOp {
  std::uint32_t semaphore = 0;  // index into Program::semaphores
  std::int64_t value = 0;
  SyncKind kind = SyncKind::kWaitGe;
  PostWhen when = PostWhen::kComplete;
  std::uint16_t column = 0;
};

struct Instruction {
  std::uint32_t line = 0;        // source line, 0 when generated
  std::uint32_t first_arg = 0;   // into Program::args
  std::uint32_t first_sync = 0;  // into Program::syncs
  std::uint32_t core_index = 0;  // into Program::cores
  isa::Opcode opcode = isa::Opcode::kNop;
  isa::Engine engine = isa::Engine::kSync;
  std::uint8_t queue = 0;  // DMA queue number
  std::uint8_t num_args = 0;
  std::uint8_t num_syncs = 0;
};

struct CoreSection {
  CoreId id;
  std::uint32_t line = 0;  // first `chip C core K` line, 0 for the implicit chip 0 core 0
};

// An instruction stream: the instructions of one engine (or DMA queue) of one core, in
// program order.
struct Stream {
  std::uint32_t core_index = 0;
  isa::Engine engine = isa::Engine::kSync;
  std::uint8_t queue = 0;
  std::vector<std::uint32_t> instructions;  // into Program::instructions
};

struct AliasDecl {
  std::string name;
  std::uint32_t operand = 0;  // into Program::operands
  std::uint32_t line = 0;
};

// A name -> index map that can be searched with a string_view, without allocating.
struct NameHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using NameIndex = std::unordered_map<std::string, std::uint32_t, NameHash, std::equal_to<>>;

class Program {
 public:
  std::string file;  // for messages; may be empty
  std::uint32_t version = kFormatVersion;
  std::vector<TensorDecl> tensors;
  std::vector<SemaphoreDecl> semaphores;
  std::vector<AliasDecl> aliases;
  std::vector<CoreSection> cores;
  std::vector<Instruction> instructions;  // in file order
  std::vector<Arg> args;
  std::vector<SyncOp> syncs;
  std::vector<Operand> operands;  // each distinct operand once

  // Interning: returns the index of `op` in `operands`, adding it if new.
  std::uint32_t intern(const Operand& op);
  // Returns the index of the core section, adding it if new.
  std::uint32_t core_index(CoreId id, std::uint32_t line = 0);
  // Adds an instruction with its arguments and semaphore operations.
  std::uint32_t add_instruction(Instruction ins, const Arg* args, std::size_t num_args,
                                const SyncOp* syncs, std::size_t num_syncs);

  const Arg* args_of(const Instruction& ins) const { return args.data() + ins.first_arg; }
  const SyncOp* syncs_of(const Instruction& ins) const { return syncs.data() + ins.first_sync; }
  const Operand& operand(std::uint32_t index) const { return operands[index]; }
  // The value of attribute `key` of an instruction, or nullptr when absent.
  const Arg* find_attr(const Instruction& ins, isa::Attr key) const;
  // The n-th positional argument, or nullptr.
  const Arg* positional(const Instruction& ins, std::size_t n) const;

  // Streams grouped by core and engine, built on demand, in a stable order (core, engine,
  // queue).
  std::vector<Stream> streams() const;

  std::uint32_t find_tensor(std::string_view name) const;  // kNone if absent
  // Semaphore `name` of core `core_index`; kNone if absent.
  std::uint32_t find_semaphore(std::uint32_t core_index, std::string_view name) const;
  std::uint32_t add_semaphore(SemaphoreDecl decl);
  std::uint32_t add_tensor(TensorDecl decl);

 private:
  struct OperandHash {
    std::size_t operator()(const Operand& op) const;
  };
  // The interning index: an open-addressed table of indices into `operands` (kNone when
  // empty), a power of two in size and at most half full. Four bytes per slot instead of a
  // node per operand keeps traces with millions of distinct operands small.
  std::vector<std::uint32_t> m_operand_slots;
  NameIndex m_tensor_index;
  std::vector<NameIndex> m_semaphore_index;  // per core index
};

// Semantic equality: the same tensors, core sections and semaphores, and the same
// instruction streams with the same arguments. Not compared: source lines and columns,
// aliases, the order of the operand pool, how instructions of different streams
// interleave, the order of attributes (matched by key), where the wait list sits relative
// to the post list, and the order in which semaphores of different cores were declared
// (semaphores are matched by core and name). On a difference, `why` (if given) says where.
bool equivalent(const Program& a, const Program& b, std::string* why = nullptr);

}  // namespace trnsim::trace
