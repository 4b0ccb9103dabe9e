// The instruction set of trace format version 1, described as data in one place.
//
// Everything that knows about opcodes (the parser, the printer, the static checker, the
// timing models, the generators) reads these tables instead of switching on names, so an
// opcode is added by adding one row. The meaning of each opcode is documented in
// docs/trace-format.md; the legality rules come from ARCH-FACTS.md "Memory rules".
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace trnsim::isa {

enum class DType : std::uint8_t {
  kFp32,
  kBf16,
  kFp16,
  kFp8e4,
  kFp8e5,
  kInt32,
  kInt16,
  kInt8,
  kUint8
};
inline constexpr std::size_t kNumDTypes = 9;

std::string_view dtype_name(DType t);
std::optional<DType> dtype_from_name(std::string_view name);
std::uint32_t dtype_bytes(DType t);
bool dtype_is_float(DType t);

// The engines that own an instruction stream. A core has one stream of each compute
// engine and of Sync, plus one per DMA queue.
enum class Engine : std::uint8_t { kPe, kAct, kDve, kPool, kSync, kDma };
inline constexpr std::size_t kNumEngines = 6;

std::string_view engine_name(Engine e);  // "pe", "act", "dve", "pool", "sync", "dma"
std::optional<Engine> engine_from_name(std::string_view name);  // without the ".qN" suffix
// The human name used in reports: "TensorE", "ScalarE", "VectorE", "GpSimdE", "SyncE", "DMA".
std::string_view engine_title(Engine e);

enum class Memory : std::uint8_t { kSbuf, kPsum, kHbm };

// A bit set of memories, used for legality rules.
struct MemorySet {
  std::uint8_t bits = 0;
  constexpr bool has(Memory m) const { return bits & (1u << static_cast<unsigned>(m)); }
};
inline constexpr MemorySet kSbufOnly{1u << 0};
inline constexpr MemorySet kPsumOnly{1u << 1};
inline constexpr MemorySet kHbmOnly{1u << 2};
inline constexpr MemorySet kSbufPsum{(1u << 0) | (1u << 1)};
inline constexpr MemorySet kSbufHbm{(1u << 0) | (1u << 2)};

// Keywords that appear as attribute values (functions, ALU ops, modes). One table so that
// a value is a small integer in the program and the printer gets its spelling back.
enum class Word : std::uint8_t {
  // activation functions
  kIdentity,
  kRelu,
  kGelu,
  kSilu,
  kExp,
  kTanh,
  kSigmoid,
  kRsqrt,
  kSqrt,
  kSquare,
  kLog,
  kReciprocal,
  // ALU and reduce operators
  kAdd,
  kSub,
  kMul,
  kMax,
  kMin,
  kDiv,
  kPow,
  kEq,
  kLt,
  kGt,
  kBypass,
  // matmul accumulation
  kStart,
  kAccumulate,
  // affine_select comparisons
  kGe,
  kLe,
  kNe,
  kCount
};
std::string_view word_name(Word w);
std::optional<Word> word_from_name(std::string_view name);

// Word groups allowed by attributes.
std::span<const Word> activation_functions();
std::span<const Word> tensor_tensor_ops();
std::span<const Word> scalar_ops();
std::span<const Word> reduce_ops();
std::span<const Word> accumulate_modes();
std::span<const Word> compare_ops();

enum class Opcode : std::uint8_t {
  kMatmul,
  kTranspose,
  kActivation,
  kTensorTensor,
  kTensorScalar,
  kTensorReduce,
  kTensorCopy,
  kMemset,
  kTranspose32,
  kBnStats,
  kBnAggr,
  kIota,
  kAffineSelect,
  kPartitionReduce,
  kCopy,
  kCopyAdd,
  kNop,
  kSemSet,
  kCount
};
inline constexpr std::size_t kNumOpcodes = static_cast<std::size_t>(Opcode::kCount);

// Attribute keys (`key=value` after the operands).
enum class Attr : std::uint8_t {
  kNone,  // marks a positional argument
  kAcc,
  kFunc,
  kScale,
  kBias,
  kAccum,
  kOp,
  kOp0,
  kS0,
  kOp1,
  kS1,
  kAxes,
  kValue,
  kBase,
  kPstep,
  kFstep,
  kFill,
  kCmp,
  kPcoef,
  kFcoef,
  kOffset,
  kCount
};
std::string_view attr_name(Attr a);
std::optional<Attr> attr_from_name(std::string_view name);

// What an argument may be.
enum class ArgKind : std::uint8_t { kOperand, kInt, kReal, kWord, kSemaphore };

struct ArgKindSet {
  std::uint8_t bits = 0;
  constexpr bool has(ArgKind k) const { return bits & (1u << static_cast<unsigned>(k)); }
};
inline constexpr ArgKindSet kOperandArg{1u << 0};
inline constexpr ArgKindSet kIntArg{1u << 1};
inline constexpr ArgKindSet kNumberArg{(1u << 1) | (1u << 2)};  // int or real
inline constexpr ArgKindSet kNumberOrOperandArg{(1u << 0) | (1u << 1) | (1u << 2)};
inline constexpr ArgKindSet kWordArg{1u << 3};
inline constexpr ArgKindSet kSemaphoreArg{1u << 4};

// Which role an operand plays, for the data-flow observers (race checker, numerics).
enum class Access : std::uint8_t { kRead, kWrite, kReadWrite };

struct PositionalSpec {
  std::string_view role;  // "dst", "src", "stationary", ...: used in messages
  ArgKindSet kinds;
  Access access = Access::kRead;
};

struct AttrSpec {
  Attr key;
  ArgKindSet kinds;
  bool required = false;
  std::span<const Word> words;    // allowed words when kinds has kWord
  Access access = Access::kRead;  // when the value is an operand (accum= is written)
};

// Per-engine memory legality of an opcode's operands: which memories each positional
// operand (and operand-valued attribute) may name when run on that engine.
struct OpcodeInfo {
  Opcode opcode;
  std::string_view name;
  std::uint8_t engines;  // bit set of Engine
  std::span<const PositionalSpec> positional;
  std::span<const AttrSpec> attrs;
  bool is_dma = false;
  bool is_compute = false;  // subject to compute-engine access-pattern rules
};

const OpcodeInfo& opcode_info(Opcode op);
std::optional<Opcode> opcode_from_name(std::string_view name);
constexpr bool runs_on(const OpcodeInfo& info, Engine e) {
  return info.engines & (1u << static_cast<unsigned>(e));
}
// The memories an operand of a compute engine may name (reads and writes alike; TensorE's
// dst/src split is in the checker's matmul rule).
MemorySet engine_memories(Engine e);

// Access-pattern limits for compute-engine operands (ARCH-FACTS "Memory rules").
inline constexpr std::uint32_t kMaxPatternDims = 4;
inline constexpr std::uint32_t kMaxPatternSize = 65535;
inline constexpr std::int32_t kMinPatternStride = -32768;
inline constexpr std::int32_t kMaxPatternStride = 32767;
inline constexpr std::uint64_t kMaxSbufFreeElements = 64 * 1024;
inline constexpr std::uint64_t kMaxPsumFreeElements = 4 * 1024;
inline constexpr std::uint32_t kMaxTensorDims = 4;

}  // namespace trnsim::isa
