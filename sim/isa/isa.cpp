#include "isa/isa.h"

#include <algorithm>

namespace trnsim::isa {

namespace {

constexpr std::array<std::string_view, kNumDTypes> kDTypeNames = {
    "fp32", "bf16", "fp16", "fp8e4", "fp8e5", "int32", "int16", "int8", "uint8"};
constexpr std::array<std::uint32_t, kNumDTypes> kDTypeBytes = {4, 2, 2, 1, 1, 4, 2, 1, 1};

constexpr std::array<std::string_view, kNumEngines> kEngineNames = {"pe",   "act",  "dve",
                                                                    "pool", "sync", "dma"};
constexpr std::array<std::string_view, kNumEngines> kEngineTitles = {
    "TensorE", "ScalarE", "VectorE", "GpSimdE", "SyncE", "DMA"};

constexpr std::array<std::string_view, static_cast<std::size_t>(Word::kCount)> kWordNames = {
    "identity", "relu",   "gelu",   "silu",       "exp",        "tanh", "sigmoid",
    "rsqrt",    "sqrt",   "square", "log",        "reciprocal", "add",  "sub",
    "mul",      "max",    "min",    "div",        "pow",        "eq",   "lt",
    "gt",       "bypass", "start",  "accumulate", "ge",         "le",   "ne"};

constexpr std::array<std::string_view, static_cast<std::size_t>(Attr::kCount)> kAttrNames = {
    "",     "acc",   "func", "scale", "bias",  "accum", "op",  "op0",   "s0",    "op1",   "s1",
    "axes", "value", "base", "pstep", "fstep", "fill",  "cmp", "pcoef", "fcoef", "offset"};

constexpr Word kActivationFunctions[] = {
    Word::kIdentity, Word::kRelu,  Word::kGelu, Word::kSilu,   Word::kExp, Word::kTanh,
    Word::kSigmoid,  Word::kRsqrt, Word::kSqrt, Word::kSquare, Word::kLog, Word::kReciprocal};
constexpr Word kTensorTensorOps[] = {Word::kAdd, Word::kSub, Word::kMul, Word::kMax, Word::kMin,
                                     Word::kDiv, Word::kPow, Word::kEq,  Word::kLt,  Word::kGt};
constexpr Word kScalarOps[] = {Word::kAdd, Word::kSub, Word::kMul,   Word::kMax,
                               Word::kMin, Word::kDiv, Word::kPow,   Word::kEq,
                               Word::kLt,  Word::kGt,  Word::kBypass};
constexpr Word kReduceOps[] = {Word::kAdd, Word::kMax, Word::kMin, Word::kMul};
constexpr Word kAccumulateModes[] = {Word::kStart, Word::kAccumulate};
constexpr Word kCompareOps[] = {Word::kGe, Word::kGt, Word::kLe, Word::kLt, Word::kEq, Word::kNe};

constexpr std::uint8_t engine_bit(Engine e) {
  return static_cast<std::uint8_t>(1u << static_cast<unsigned>(e));
}
constexpr std::uint8_t kAllEngines = 0x3f;

// Positional operand lists shared by several opcodes.
constexpr PositionalSpec kDstSrc[] = {{"dst", kOperandArg, Access::kWrite},
                                      {"src", kOperandArg, Access::kRead}};
constexpr PositionalSpec kDstOnly[] = {{"dst", kOperandArg, Access::kWrite}};
constexpr PositionalSpec kMatmulOperands[] = {{"dst", kOperandArg, Access::kReadWrite},
                                              {"stationary", kOperandArg, Access::kRead},
                                              {"moving", kOperandArg, Access::kRead}};
constexpr PositionalSpec kTensorTensorOperands[] = {{"dst", kOperandArg, Access::kWrite},
                                                    {"a", kOperandArg, Access::kRead},
                                                    {"b", kOperandArg, Access::kRead}};
constexpr PositionalSpec kCopyAddOperands[] = {{"dst", kOperandArg, Access::kReadWrite},
                                               {"src", kOperandArg, Access::kRead}};
constexpr PositionalSpec kSemSetOperands[] = {{"semaphore", kSemaphoreArg, Access::kWrite},
                                              {"value", kIntArg, Access::kRead}};

constexpr AttrSpec kMatmulAttrs[] = {{Attr::kAcc, kWordArg, false, kAccumulateModes}};
constexpr AttrSpec kActivationAttrs[] = {{Attr::kFunc, kWordArg, false, kActivationFunctions},
                                         {Attr::kScale, kNumberOrOperandArg, false, {}},
                                         {Attr::kBias, kNumberOrOperandArg, false, {}},
                                         {Attr::kAccum, kOperandArg, false, {}, Access::kWrite}};
constexpr AttrSpec kTensorTensorAttrs[] = {{Attr::kOp, kWordArg, true, kTensorTensorOps}};
constexpr AttrSpec kTensorScalarAttrs[] = {{Attr::kOp0, kWordArg, true, kScalarOps},
                                           {Attr::kS0, kNumberOrOperandArg, true, {}},
                                           {Attr::kOp1, kWordArg, false, kScalarOps},
                                           {Attr::kS1, kNumberOrOperandArg, false, {}}};
constexpr AttrSpec kTensorReduceAttrs[] = {{Attr::kOp, kWordArg, true, kReduceOps},
                                           {Attr::kAxes, kIntArg, false, {}}};
constexpr AttrSpec kMemsetAttrs[] = {{Attr::kValue, kNumberArg, false, {}}};
constexpr AttrSpec kIotaAttrs[] = {{Attr::kBase, kNumberArg, false, {}},
                                   {Attr::kPstep, kNumberArg, false, {}},
                                   {Attr::kFstep, kNumberArg, false, {}}};
constexpr AttrSpec kAffineSelectAttrs[] = {{Attr::kCmp, kWordArg, false, kCompareOps},
                                           {Attr::kPcoef, kIntArg, false, {}},
                                           {Attr::kFcoef, kIntArg, false, {}},
                                           {Attr::kOffset, kIntArg, false, {}},
                                           {Attr::kFill, kNumberArg, false, {}}};
constexpr AttrSpec kPartitionReduceAttrs[] = {{Attr::kOp, kWordArg, true, kReduceOps}};

constexpr std::uint8_t kPe = engine_bit(Engine::kPe);
constexpr std::uint8_t kAct = engine_bit(Engine::kAct);
constexpr std::uint8_t kDve = engine_bit(Engine::kDve);
constexpr std::uint8_t kPool = engine_bit(Engine::kPool);
constexpr std::uint8_t kDma = engine_bit(Engine::kDma);

// The table: one row per opcode, in Opcode order.
const OpcodeInfo kOpcodes[] = {
    {Opcode::kMatmul, "matmul", kPe, kMatmulOperands, kMatmulAttrs, false, true},
    {Opcode::kTranspose, "transpose", kPe, kDstSrc, {}, false, true},
    {Opcode::kActivation, "activation", kAct, kDstSrc, kActivationAttrs, false, true},
    {Opcode::kTensorTensor, "tensor_tensor", kDve | kPool, kTensorTensorOperands,
     kTensorTensorAttrs, false, true},
    {Opcode::kTensorScalar, "tensor_scalar", kDve | kAct | kPool, kDstSrc, kTensorScalarAttrs,
     false, true},
    {Opcode::kTensorReduce, "tensor_reduce", kDve, kDstSrc, kTensorReduceAttrs, false, true},
    {Opcode::kTensorCopy, "tensor_copy", kDve | kAct | kPool, kDstSrc, {}, false, true},
    {Opcode::kMemset, "memset", kDve | kPool, kDstOnly, kMemsetAttrs, false, true},
    {Opcode::kTranspose32, "transpose32", kDve, kDstSrc, {}, false, true},
    {Opcode::kBnStats, "bn_stats", kDve, kDstSrc, {}, false, true},
    {Opcode::kBnAggr, "bn_aggr", kDve, kDstSrc, {}, false, true},
    {Opcode::kIota, "iota", kPool, kDstOnly, kIotaAttrs, false, true},
    {Opcode::kAffineSelect, "affine_select", kPool, kDstSrc, kAffineSelectAttrs, false, true},
    {Opcode::kPartitionReduce, "partition_reduce", kPool, kDstSrc, kPartitionReduceAttrs, false,
     true},
    {Opcode::kCopy, "copy", kDma, kDstSrc, {}, true, false},
    {Opcode::kCopyAdd, "copy_add", kDma, kCopyAddOperands, {}, true, false},
    {Opcode::kNop, "nop", kAllEngines, {}, {}, false, false},
    {Opcode::kSemSet, "sem.set", kAllEngines, kSemSetOperands, {}, false, false},
};
static_assert(std::size(kOpcodes) == kNumOpcodes, "one OpcodeInfo row per Opcode");

template <typename T, std::size_t N>
std::optional<T> index_of(const std::array<std::string_view, N>& names, std::string_view name) {
  auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end()) return std::nullopt;
  return static_cast<T>(it - names.begin());
}

}  // namespace

std::string_view dtype_name(DType t) {
  return kDTypeNames[static_cast<std::size_t>(t)];
}
std::optional<DType> dtype_from_name(std::string_view name) {
  return index_of<DType>(kDTypeNames, name);
}
std::uint32_t dtype_bytes(DType t) {
  return kDTypeBytes[static_cast<std::size_t>(t)];
}
bool dtype_is_float(DType t) {
  return static_cast<unsigned>(t) <= static_cast<unsigned>(DType::kFp8e5);
}

std::string_view engine_name(Engine e) {
  return kEngineNames[static_cast<std::size_t>(e)];
}
std::optional<Engine> engine_from_name(std::string_view name) {
  return index_of<Engine>(kEngineNames, name);
}
std::string_view engine_title(Engine e) {
  return kEngineTitles[static_cast<std::size_t>(e)];
}

std::string_view word_name(Word w) {
  return kWordNames[static_cast<std::size_t>(w)];
}
std::optional<Word> word_from_name(std::string_view name) {
  return index_of<Word>(kWordNames, name);
}

std::span<const Word> activation_functions() {
  return kActivationFunctions;
}
std::span<const Word> tensor_tensor_ops() {
  return kTensorTensorOps;
}
std::span<const Word> scalar_ops() {
  return kScalarOps;
}
std::span<const Word> reduce_ops() {
  return kReduceOps;
}
std::span<const Word> accumulate_modes() {
  return kAccumulateModes;
}
std::span<const Word> compare_ops() {
  return kCompareOps;
}

std::string_view attr_name(Attr a) {
  return kAttrNames[static_cast<std::size_t>(a)];
}
std::optional<Attr> attr_from_name(std::string_view name) {
  if (name.empty()) return std::nullopt;
  return index_of<Attr>(kAttrNames, name);
}

const OpcodeInfo& opcode_info(Opcode op) {
  return kOpcodes[static_cast<std::size_t>(op)];
}

std::optional<Opcode> opcode_from_name(std::string_view name) {
  for (const auto& info : kOpcodes) {
    if (info.name == name) return info.opcode;
  }
  return std::nullopt;
}

MemorySet engine_memories(Engine e) {
  switch (e) {
    case Engine::kPe:
    case Engine::kAct:
    case Engine::kDve:
      return kSbufPsum;
    case Engine::kPool:
      return kSbufOnly;
    case Engine::kDma:
      return kSbufHbm;
    case Engine::kSync:
      return MemorySet{};
  }
  return MemorySet{};
}

}  // namespace trnsim::isa
