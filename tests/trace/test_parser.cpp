// The trace parser on good input (sim/trace/parser.h): every opcode, operand form,
// attribute kind, declaration and semaphore form reads into the Program it should.
// Malformed input is in test_bad_syntax.cpp.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

#include "trace/parser.h"
#include "trace_test_util.h"

namespace trnsim::trace {
namespace {

using isa::ArgKind;
using isa::Attr;
using isa::DType;
using isa::Engine;
using isa::Opcode;
using isa::Word;
using test::parse_ok;

// The only instruction of a one-instruction trace.
const Instruction& only_instruction(const Program& p) {
  REQUIRE(p.instructions.size() == 1);
  return p.instructions[0];
}

const Operand& operand_arg(const Program& p, const Instruction& ins, std::size_t n) {
  const Arg* a = p.positional(ins, n);
  REQUIRE(a != nullptr);
  REQUIRE(a->kind == ArgKind::kOperand);
  return p.operand(a->operand);
}

const Arg& attr(const Program& p, const Instruction& ins, Attr key) {
  const Arg* a = p.find_attr(ins, key);
  REQUIRE_MESSAGE(a != nullptr, "missing attribute " << isa::attr_name(key));
  return *a;
}

// A value of the kind an argument takes, for building one instruction of every opcode.
std::string sample_value(const isa::ArgKindSet kinds, std::span<const Word> words) {
  if (kinds.has(ArgKind::kOperand)) return "sbuf[0:128]@0x40.fp32[4]";
  if (kinds.has(ArgKind::kWord)) return std::string(isa::word_name(words.front()));
  if (kinds.has(ArgKind::kSemaphore)) return "s";
  return "3";
}

TEST_CASE("parser: every opcode on every engine it runs on, with required attributes") {
  // Built from the ISA table, so an opcode added there is covered here too.
  for (std::size_t o = 0; o < isa::kNumOpcodes; ++o) {
    const isa::OpcodeInfo& info = isa::opcode_info(static_cast<Opcode>(o));
    for (std::size_t e = 0; e < isa::kNumEngines; ++e) {
      const auto engine = static_cast<Engine>(e);
      if (!isa::runs_on(info, engine)) continue;
      std::string line = engine == Engine::kDma ? "dma.q3" : std::string(isa::engine_name(engine));
      line += ": " + std::string(info.name);
      for (std::size_t i = 0; i < info.positional.size(); ++i) {
        line += (i ? ", " : " ") + sample_value(info.positional[i].kinds, {});
      }
      std::size_t required = 0;
      for (const auto& spec : info.attrs) {
        if (!spec.required) continue;
        line += " " + std::string(isa::attr_name(spec.key)) + "=" +
                sample_value(spec.kinds, spec.words);
        ++required;
      }
      INFO(line);
      const Program p = parse_ok(".trace 1\n.sem s\n" + line + "\n");
      const Instruction& ins = only_instruction(p);
      CHECK(ins.opcode == info.opcode);
      CHECK(ins.engine == engine);
      CHECK(ins.queue == (engine == Engine::kDma ? 3 : 0));
      CHECK(ins.num_args == info.positional.size() + required);
      CHECK(ins.line == 3);
    }
  }
}

TEST_CASE("parser: the ISA example, field by field") {
  // tests/trace/good/gemm_tile.trn: the starting spec's example after a comment line.
  const Program p = parse_ok(test::read_text(test::test_data("trace/good/gemm_tile.trn")));
  CHECK(p.version == 1);
  REQUIRE(p.tensors.size() == 3);
  CHECK(p.tensors[0].init == InitKind::kRandom);
  CHECK(p.tensors[0].seed == 1);
  CHECK(p.tensors[0].dist == Distribution::kNormal);
  CHECK(p.tensors[2].init == InitKind::kZeros);
  CHECK(p.tensors[2].output);
  REQUIRE(p.cores.size() == 1);
  CHECK(p.cores[0].id == CoreId{0, 0});
  REQUIRE(p.semaphores.size() == 3);
  REQUIRE(p.instructions.size() == 5);

  const Instruction& mm = p.instructions[2];
  CHECK(mm.opcode == Opcode::kMatmul);
  CHECK(mm.engine == Engine::kPe);
  CHECK(mm.line == 10);
  const Operand& dst = operand_arg(p, mm, 0);
  CHECK(dst.form == OperandForm::kPsumBank);
  CHECK(dst.offset == 0);
  CHECK(dst.dtype == DType::kFp32);
  CHECK(dst.partitions() == 128);
  CHECK(dst.free_elements() == 512);
  CHECK(attr(p, mm, Attr::kAcc).word == Word::kStart);
  REQUIRE(mm.num_syncs == 2);
  const SyncOp* syncs = p.syncs_of(mm);
  CHECK(syncs[0].kind == SyncKind::kWaitGe);
  CHECK(p.semaphores[syncs[0].semaphore].name == "s_in");
  CHECK(syncs[0].value == 2);
  CHECK(syncs[1].kind == SyncKind::kPostAdd);
  CHECK(syncs[1].when == PostWhen::kComplete);

  // The same SBUF tile written twice is one operand in the pool.
  CHECK(p.positional(p.instructions[0], 0)->operand == p.positional(mm, 1)->operand);

  const auto streams = p.streams();
  REQUIRE(streams.size() == 4);  // pe, act, dma.q0, dma.q1 (ordered by engine, then queue)
  CHECK(streams[0].engine == Engine::kPe);
  CHECK(streams[1].engine == Engine::kAct);
  CHECK(streams[2].engine == Engine::kDma);
  CHECK(streams[2].queue == 0);
  CHECK(streams[2].instructions == std::vector<std::uint32_t>{0, 4});
  CHECK(streams[3].queue == 1);
}

TEST_CASE("parser: SBUF and PSUM operand forms") {
  const Program p = parse_ok(R"(.trace 1
dve: tensor_tensor sbuf[32:64]@256.bf16[4:2, 8:-1], psum[0:128]@0x800.fp32[512], psum[64:128]@bank7.fp32[2, 3, 4, 5] op=add
)");
  const Instruction& ins = only_instruction(p);
  const Operand& a = operand_arg(p, ins, 0);
  CHECK(a.form == OperandForm::kSbuf);
  CHECK(a.memory() == isa::Memory::kSbuf);
  CHECK(a.part_begin == 32);
  CHECK(a.part_end == 64);
  CHECK(a.offset == 256);
  CHECK(a.dtype == DType::kBf16);
  REQUIRE(a.ndims == 2);
  CHECK(a.dims[0] == Dim{4, 2});
  CHECK(a.dims[1] == Dim{8, -1});
  CHECK(a.chip == kNone);

  const Operand& b = operand_arg(p, ins, 1);
  CHECK(b.form == OperandForm::kPsumOffset);
  CHECK(b.memory() == isa::Memory::kPsum);
  CHECK(b.offset == 0x800);
  REQUIRE(b.ndims == 1);
  CHECK(b.dims[0] == Dim{512, 1});  // `[512]` is `[512:1]`

  const Operand& c = operand_arg(p, ins, 2);
  CHECK(c.form == OperandForm::kPsumBank);
  CHECK(c.offset == 7);
  CHECK(c.ndims == 4);
  CHECK(c.free_elements() == 2 * 3 * 4 * 5);
}

TEST_CASE("parser: an operand is the same however it is spaced, and however often named") {
  const Program p = parse_ok(R"(.trace 1
.tensor A hbm bf16 [128, 512]
dma.q0: copy sbuf[0:128]@0x0.bf16[512], hbm:A[0:128, 0:512]
dma.q0: copy sbuf [ 0 : 128 ] @ 0x0 . bf16 [ 512 ] , hbm:A [0:128,0:512]
dma.q0: copy sbuf[0:128]@0x0.bf16[512], hbm:A
dma.q0: copy sbuf[0:128]@0.bf16[512:1], hbm:A[0:128, 0:512]
)");
  REQUIRE(p.instructions.size() == 4);
  CHECK(p.operands.size() == 2);
  for (const auto& ins : p.instructions) {
    CHECK(p.positional(ins, 0)->operand == p.positional(p.instructions[0], 0)->operand);
    CHECK(p.positional(ins, 1)->operand == p.positional(p.instructions[0], 1)->operand);
  }
}

TEST_CASE("parser: a known operand text followed by more brackets is read as written") {
  // `hbm:A` alone is the whole tensor; `hbm:A [0:64, 0:512]` (a blank before the slice)
  // is a slice, even after the bare form has been seen.
  const Program p = parse_ok(R"(.trace 1
.tensor A hbm bf16 [128, 512]
dma.q0: copy sbuf[0:128]@0x0.bf16[512], hbm:A
dma.q0: copy sbuf[0:64]@0x0.bf16[512], hbm:A [0:64, 0:512]
)");
  CHECK(operand_arg(p, p.instructions[0], 1).dims[0] == Dim{128, 0});
  CHECK(operand_arg(p, p.instructions[1], 1).dims[0] == Dim{64, 0});
}

TEST_CASE("parser: every dtype") {
  for (std::size_t d = 0; d < isa::kNumDTypes; ++d) {
    const auto dtype = static_cast<DType>(d);
    const std::string name(isa::dtype_name(dtype));
    INFO(name);
    const Program p = parse_ok(".trace 1\n.tensor T hbm " + name +
                               " [4]\ndve: memset sbuf[0:1]@0." + name + "[4]\n");
    CHECK(p.tensors[0].dtype == dtype);
    CHECK(operand_arg(p, only_instruction(p), 0).dtype == dtype);
  }
}

TEST_CASE("parser: HBM operand forms") {
  const Program p = parse_ok(R"(.trace 1
.tensor A hbm bf16 [4, 8, 16, 32]
.tensor V chip1.hbm fp32 [1000]
dma.q0: copy hbm@0x1000.bf16[128:512, 512], chip2.hbm@4096.fp32[64]
dma.q1: copy hbm:A[1:3, 0:8, 4:12, 0:32], hbm:V
dma.q2: copy hbm:V[10:20], hbm:A
)");
  REQUIRE(p.instructions.size() == 3);
  const Operand& raw = operand_arg(p, p.instructions[0], 0);
  CHECK(raw.form == OperandForm::kHbmAddress);
  CHECK(raw.memory() == isa::Memory::kHbm);
  CHECK(raw.chip == kNone);  // this chip
  CHECK(raw.offset == 0x1000);
  CHECK(raw.dims[0] == Dim{128, 512});
  const Operand& remote = operand_arg(p, p.instructions[0], 1);
  CHECK(remote.chip == 2);
  CHECK(remote.offset == 4096);

  const Operand& slice = operand_arg(p, p.instructions[1], 0);
  CHECK(slice.form == OperandForm::kTensorSlice);
  CHECK(slice.tensor == 0);
  CHECK(slice.dtype == DType::kBf16);  // from the tensor
  REQUIRE(slice.ndims == 4);
  CHECK(slice.dims[0] == Dim{2, 1});  // size 3-1, start 1
  CHECK(slice.dims[2] == Dim{8, 4});
  CHECK(slice.free_elements() == 2 * 8 * 8 * 32);

  // A bare tensor name is the whole tensor: the same operand as its full slice.
  const Operand& whole = operand_arg(p, p.instructions[1], 1);
  CHECK(whole.tensor == 1);
  REQUIRE(whole.ndims == 1);
  CHECK(whole.dims[0] == Dim{1000, 0});
  const Operand& whole_a = operand_arg(p, p.instructions[2], 1);
  CHECK(whole_a.ndims == 4);
  CHECK(whole_a.free_elements() == 4 * 8 * 16 * 32);
  CHECK(p.tensors[1].chip == 1);
}

TEST_CASE("parser: another core's SBUF, named by chip and core or by core alone") {
  const Program p = parse_ok(R"(.trace 1
chip 1 core 2
dma.q0: copy chip0.core1.sbuf[0:128]@0x40.bf16[512], sbuf[0:128]@0.bf16[512]
dma.q1: copy core3.sbuf [0:64] @ 0x0 . fp32 [16], chip1.core2.sbuf[0:64]@0.fp32[16]
dve: memset core3.psum[0:1]@bank2.fp32[4]
)");
  REQUIRE(p.instructions.size() == 3);
  const Operand& remote = operand_arg(p, p.instructions[0], 0);
  CHECK(remote.form == OperandForm::kSbuf);
  CHECK(remote.memory() == isa::Memory::kSbuf);
  CHECK(remote.chip == 0);
  CHECK(remote.core == 1);
  CHECK(remote.offset == 0x40);
  CHECK(remote.owner(CoreId{1, 2}) == CoreId{0, 1});
  const Operand& local = operand_arg(p, p.instructions[0], 1);
  CHECK(local.chip == kNone);
  CHECK(local.core == kNone);
  CHECK(local.owner(CoreId{1, 2}) == CoreId{1, 2});

  // `coreM.` keeps the issuing chip: the operand is relative, like `hbm@`.
  const Operand& same_chip = operand_arg(p, p.instructions[1], 0);
  CHECK(same_chip.chip == kNone);
  CHECK(same_chip.core == 3);
  CHECK(same_chip.owner(CoreId{1, 2}) == CoreId{1, 3});
  // Naming the issuing core in full is a different text for the same memory.
  const Operand& self = operand_arg(p, p.instructions[1], 1);
  CHECK(self.owner(CoreId{1, 2}) == CoreId{1, 2});

  const Operand& psum = operand_arg(p, p.instructions[2], 0);  // the checker refuses it
  CHECK(psum.form == OperandForm::kPsumBank);
  CHECK(psum.core == 3);
}

TEST_CASE("parser: attribute values of every kind") {
  const Program p = parse_ok(R"(.trace 1
.sem s
act: activation sbuf[0:128]@0.bf16[512], sbuf[0:128]@0x400.bf16[512] func=silu scale=0.5 bias=-2 accum=sbuf[0:128]@0x800.fp32[1]
act: activation sbuf[0:128]@0.bf16[512], sbuf[0:128]@0x400.bf16[512] scale=sbuf[0:128]@0xc00.fp32[1] bias=1e-3
dve: tensor_scalar sbuf[0:128]@0.fp32[4], sbuf[0:128]@0x10.fp32[4] op0=mul s0=-inf op1=bypass s1=nan
dve: tensor_reduce sbuf[0:128]@0.fp32[1], sbuf[0:128]@0x10.fp32[4, 4] op=max axes=2
dve: memset sbuf[0:128]@0.fp32[4] value=1Ki
pool: iota sbuf[0:128]@0.int32[64] base=-5 pstep=64 fstep=1
pool: affine_select sbuf[0:128]@0.fp32[64], sbuf[0:128]@0x100.fp32[64] cmp=ge pcoef=-1 fcoef=1 offset=0 fill=-inf
pool: partition_reduce sbuf[0:1]@0.fp32[64], sbuf[0:128]@0x100.fp32[64] op=add
pe: matmul psum[0:128]@bank1.fp32[512], sbuf[0:128]@0.bf16[128], sbuf[0:128]@0x100.bf16[512] acc=accumulate
sync: sem.set s, -3
)");
  REQUIRE(p.instructions.size() == 10);
  const auto& act = p.instructions[0];
  CHECK(attr(p, act, Attr::kFunc).kind == ArgKind::kWord);
  CHECK(attr(p, act, Attr::kFunc).word == Word::kSilu);
  CHECK(attr(p, act, Attr::kScale).kind == ArgKind::kReal);
  CHECK(attr(p, act, Attr::kScale).real == 0.5);
  CHECK(attr(p, act, Attr::kBias).kind == ArgKind::kInt);  // an integer stays an integer
  CHECK(attr(p, act, Attr::kBias).integer == -2);
  CHECK(attr(p, act, Attr::kAccum).kind == ArgKind::kOperand);
  CHECK(p.operand(attr(p, act, Attr::kAccum).operand).offset == 0x800);
  // Attribute columns point at the key.
  CHECK(attr(p, act, Attr::kScale).column == 80);

  const auto& act2 = p.instructions[1];
  CHECK(attr(p, act2, Attr::kScale).kind == ArgKind::kOperand);
  CHECK(attr(p, act2, Attr::kBias).real == 1e-3);
  CHECK(p.find_attr(act2, Attr::kFunc) == nullptr);  // optional, absent

  const auto& ts = p.instructions[2];
  CHECK(attr(p, ts, Attr::kS0).real == -std::numeric_limits<double>::infinity());
  CHECK(std::isnan(attr(p, ts, Attr::kS1).real));
  CHECK(attr(p, ts, Attr::kOp1).word == Word::kBypass);

  CHECK(attr(p, p.instructions[3], Attr::kAxes).integer == 2);
  CHECK(attr(p, p.instructions[4], Attr::kValue).integer == 1024);
  CHECK(attr(p, p.instructions[5], Attr::kBase).integer == -5);
  const auto& sel = p.instructions[6];
  CHECK(attr(p, sel, Attr::kCmp).word == Word::kGe);
  CHECK(attr(p, sel, Attr::kPcoef).integer == -1);
  CHECK(attr(p, sel, Attr::kFill).real == -std::numeric_limits<double>::infinity());
  CHECK(attr(p, p.instructions[7], Attr::kOp).word == Word::kAdd);
  CHECK(attr(p, p.instructions[8], Attr::kAcc).word == Word::kAccumulate);

  const auto& set = p.instructions[9];
  CHECK(set.opcode == Opcode::kSemSet);
  CHECK(p.positional(set, 0)->kind == ArgKind::kSemaphore);
  CHECK(p.positional(set, 0)->semaphore == 0);
  CHECK(p.positional(set, 1)->integer == -3);
}

TEST_CASE("parser: attributes may come in any order, before or after wait and post") {
  const Program p = parse_ok(R"(.trace 1
.sem s
pool: affine_select sbuf[0:128]@0.fp32[64], sbuf[0:128]@0x100.fp32[64] post(s += 1) fill=0 wait(s >= 0) cmp=lt
)");
  const Instruction& ins = only_instruction(p);
  CHECK(attr(p, ins, Attr::kFill).integer == 0);
  CHECK(attr(p, ins, Attr::kCmp).word == Word::kLt);
  CHECK(ins.num_syncs == 2);
}

TEST_CASE("parser: tensor declarations") {
  const Program p = parse_ok(R"(.trace 1
.tensor A hbm fp32 [4]
.tensor B hbm bf16 [2, 3, 4, 5] at=0x10_0000 init=none
.tensor C chip3.hbm int8 [64Ki] init=random(dist=uniform, seed=7) output
.tensor D hbm fp16 [8] output init=file("data/d 1.npy")
.tensor E hbm fp32 [8] init=random()
.tensor F hbm fp32 [8] init=zeros
chip 2 core 1
.tensor G hbm uint8 [1]
)");
  REQUIRE(p.tensors.size() == 7);
  const TensorDecl& a = p.tensors[0];
  CHECK(a.name == "A");
  CHECK(a.chip == 0);
  CHECK(a.init == InitKind::kZeros);  // the default
  CHECK_FALSE(a.has_address);
  CHECK_FALSE(a.output);
  CHECK(a.line == 2);
  const TensorDecl& b = p.tensors[1];
  CHECK(b.shape == std::vector<std::uint64_t>{2, 3, 4, 5});
  CHECK(b.has_address);
  CHECK(b.address == 0x100000);
  CHECK(b.init == InitKind::kNone);
  CHECK(b.elements() == 120);
  CHECK(b.bytes() == 240);
  const TensorDecl& c = p.tensors[2];
  CHECK(c.chip == 3);
  CHECK(c.shape[0] == 65536);
  CHECK(c.init == InitKind::kRandom);
  CHECK(c.seed == 7);
  CHECK(c.dist == Distribution::kUniform);
  CHECK(c.output);
  CHECK(p.tensors[3].init == InitKind::kFile);
  CHECK(p.tensors[3].file == "data/d 1.npy");
  CHECK(p.tensors[3].output);
  CHECK(p.tensors[4].init == InitKind::kRandom);
  CHECK(p.tensors[4].seed == 0);
  CHECK(p.tensors[4].dist == Distribution::kNormal);
  CHECK(p.tensors[5].init == InitKind::kZeros);
  CHECK(p.tensors[6].chip == 2);  // `hbm` is the current section's chip
  CHECK(p.find_tensor("G") == 6);
  CHECK(p.find_tensor("H") == kNone);
}

TEST_CASE("parser: sections and semaphore scoping") {
  const Program p = parse_ok(R"(.trace 1
.sem s_a            # before any section: chip 0 core 0
sync: nop post(s_a += 1)

chip 1 core 0
.sem s_a s_rx       # a name may repeat on another core
sync: nop wait(s_rx >= 1) post(chip0.core0.s_a += 1)
sync: sem.set chip0.core0.s_a, 0

chip 0 core 0       # a section may be reopened
dma.q0: nop post(chip1.core0.s_rx += 1, chip2.core3.s_late = 5 @read)

chip 2 core 3
.sem s_late
)");
  REQUIRE(p.cores.size() == 3);
  CHECK(p.cores[0].id == CoreId{0, 0});
  CHECK(p.cores[0].line == 0);  // implicit
  CHECK(p.cores[1].id == CoreId{1, 0});
  CHECK(p.cores[1].line == 5);
  CHECK(p.cores[2].id == CoreId{2, 3});
  REQUIRE(p.semaphores.size() == 4);
  CHECK(p.find_semaphore(0, "s_a") == 0);
  CHECK(p.find_semaphore(1, "s_a") == 1);
  CHECK(p.find_semaphore(1, "s_rx") == 2);
  CHECK(p.find_semaphore(2, "s_late") == 3);
  CHECK(p.semaphores[2].line == 6);
  CHECK(p.semaphores[2].column == 10);

  REQUIRE(p.instructions.size() == 4);
  CHECK(p.instructions[0].core_index == 0);
  const Instruction& rx = p.instructions[1];
  CHECK(rx.core_index == 1);
  CHECK(p.syncs_of(rx)[0].semaphore == 2);  // local s_rx
  CHECK(p.syncs_of(rx)[1].semaphore == 0);  // chip 0 core 0's s_a
  CHECK(p.positional(p.instructions[2], 0)->semaphore == 0);
  const Instruction& tx = p.instructions[3];
  CHECK(tx.core_index == 0);
  CHECK(tx.engine == Engine::kDma);
  // A forward reference to a core declared later is resolved at the end.
  CHECK(p.syncs_of(tx)[0].semaphore == 2);
  const SyncOp& late = p.syncs_of(tx)[1];
  CHECK(late.semaphore == 3);
  CHECK(late.kind == SyncKind::kPostSet);
  CHECK(late.value == 5);
  CHECK(late.when == PostWhen::kRead);
}

TEST_CASE("parser: a qualified name of the current core is the local semaphore") {
  const Program p = parse_ok(R"(.trace 1
chip 4 core 2
.sem s
sync: nop wait(chip4.core2.s >= 1)
)");
  CHECK(p.syncs_of(only_instruction(p))[0].semaphore == 0);
}

TEST_CASE("parser: every wait and post form") {
  const Program p = parse_ok(R"(.trace 1
.sem a b c
sync: nop wait(a >= 0, b >= -1, c >= 0x10) post(a += 1, b -= 2 @complete, c = 0 @read)
)");
  const Instruction& ins = only_instruction(p);
  REQUIRE(ins.num_syncs == 6);
  const SyncOp* s = p.syncs_of(ins);
  CHECK(s[1].value == -1);
  CHECK(s[2].value == 16);
  CHECK(s[3].kind == SyncKind::kPostAdd);
  CHECK(s[4].kind == SyncKind::kPostSub);
  CHECK(s[4].value == 2);
  CHECK(s[4].when == PostWhen::kComplete);
  CHECK(s[5].kind == SyncKind::kPostSet);
  CHECK(s[5].when == PostWhen::kRead);
  CHECK(s[5].column == 75);
}

TEST_CASE("parser: aliases") {
  const Program p = parse_ok(R"(.trace 1
.tensor A hbm bf16 [128, 512]
.alias xt = sbuf[0:128]@0x0.bf16[512]
.alias a_hbm = hbm:A
.alias xt2 = xt
dma.q0: copy xt, a_hbm
dve: tensor_copy sbuf[0:128]@0x0.bf16[512], xt2
)");
  REQUIRE(p.aliases.size() == 3);
  CHECK(p.aliases[0].name == "xt");
  CHECK(p.aliases[0].line == 3);
  CHECK(p.aliases[2].operand == p.aliases[0].operand);  // an alias of an alias
  const Arg* dst = p.positional(p.instructions[0], 0);
  CHECK(dst->alias == 0);
  CHECK(p.positional(p.instructions[0], 1)->alias == 1);
  // Written out, the same operand is the same pool entry, with no alias recorded.
  const Arg* written = p.positional(p.instructions[1], 0);
  CHECK(written->alias == kNone);
  CHECK(written->operand == dst->operand);
  CHECK(p.positional(p.instructions[1], 1)->alias == 2);
}

TEST_CASE("parser: DMA queues and engines") {
  const Program p = parse_ok(R"(.trace 1
dma.q0: nop
dma.q15: nop
dma.q255: nop
pe: nop
act: nop
dve: nop
pool: nop
sync: nop
)");
  REQUIRE(p.instructions.size() == 8);
  CHECK(p.instructions[1].queue == 15);
  CHECK(p.instructions[2].queue == 255);
  CHECK(p.instructions[3].engine == Engine::kPe);
  CHECK(p.instructions[7].engine == Engine::kSync);
  CHECK(p.streams().size() == 8);
}

TEST_CASE("parser: blank lines, comments, tabs and CRLF line ends") {
  const Program p = parse_ok(
      "# a comment before the header\r\n\r\n.trace 1 # version\r\n\t.sem s\r\n"
      "sync:\tnop post(s += 1)   # done\r\n   \r\n");
  REQUIRE(p.instructions.size() == 1);
  CHECK(p.instructions[0].line == 5);
}

TEST_CASE("parser: a file without a final newline") {
  const Program p = parse_ok(".trace 1\n.sem s\nsync: nop post(s += 1)");
  CHECK(p.instructions.size() == 1);
}

TEST_CASE("parser: numbers in every accepted form") {
  const Program p = parse_ok(R"(.trace 1
.tensor T hbm fp32 [1_024, 2Ki, 1K, 0x10]
dve: memset sbuf[0:128]@4Ki.fp32[1M:1, 2:0x1_0] value=1.5e3
)");
  CHECK(p.tensors[0].shape == std::vector<std::uint64_t>{1024, 2048, 1000, 16});
  const Instruction& ins = only_instruction(p);
  const Operand& op = operand_arg(p, ins, 0);
  CHECK(op.offset == 4096);
  CHECK(op.dims[0] == Dim{1000000, 1});
  CHECK(op.dims[1] == Dim{2, 16});
  CHECK(attr(p, ins, Attr::kValue).real == 1500.0);
}

TEST_CASE("parser: an empty trace has no cores") {
  const Program p = parse_ok(".trace 1\n");
  CHECK(p.cores.empty());
  CHECK(p.instructions.empty());
  CHECK(p.file == "test.trn");
}

TEST_CASE("parser: the throwing form carries every diagnostic") {
  try {
    (void)parse_trace(".trace 1\npee: nop\nsync: nope\n", "x.trn");
    FAIL("no exception");
  } catch (const InputError& e) {
    CHECK(e.diagnostics().error_count() == 2);
    CHECK(std::string(e.what()) ==
          "x.trn:2:1: error: unknown engine 'pee'; did you mean 'pe'?\n  pee: nop\n  ^");
  }
}

TEST_CASE("parser: load_trace names a missing file") {
  try {
    (void)load_trace("/nonexistent/dir/x.trn");
    FAIL("no exception");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).starts_with("/nonexistent/dir/x.trn: error: cannot open"));
  }
}

TEST_CASE("parser: load_trace reads a file") {
  const Program p = load_trace(test::test_data("trace/good/gemm_tile.trn").string());
  CHECK(p.file.ends_with("gemm_tile.trn"));
  CHECK_FALSE(p.instructions.empty());
}

TEST_CASE("parser: diagnostics keep appending to a list that already has errors") {
  DiagnosticList diags;
  diags.error("other.yaml", 1, 1, "earlier");
  Program p;
  CHECK(parse_trace(".trace 1\n", "t.trn", p, diags));  // no new error: true
  CHECK_FALSE(parse_trace(".trace 1\nx\n", "t.trn", p, diags));
  CHECK(diags.error_count() == 2);
}

TEST_CASE("parser: a line longer than 64 KiB is an error at the byte past the limit") {
  const std::string text = ".trace 1\n# " + std::string(70000, 'x') + "\nsync: nop\n";
  Program program;
  DiagnosticList diags;
  CHECK_FALSE(parse_trace(text, "long.trn", program, diags));
  REQUIRE(diags.items().size() == 1);
  const Diagnostic& d = diags.items()[0];
  CHECK(d.line == 2);
  CHECK(d.column == 65537);
  CHECK(d.message == "line is 70002 bytes long, the limit is 65536");
  CHECK(d.source_line.size() == 65536);
  CHECK(program.instructions.size() == 1);  // the lines after it are still read
}

TEST_CASE("parser: past the instruction limit, one error and the rest of the file unread") {
  const std::string text = ".trace 1\nsync: nop\nact: nop\npe: nop\npe: frobnicate\nsync: nop\n";
  Program program;
  DiagnosticList diags;
  CHECK_FALSE(parse_trace(text, "many.trn", program, diags, ParseLimits{.max_instructions = 2}));
  REQUIRE(diags.items().size() == 1);  // line 5's unknown opcode is never read
  const Diagnostic& d = diags.items()[0];
  CHECK(d.line == 4);
  CHECK(d.column == 1);
  CHECK(d.message ==
        "more than 2 instructions, the limit for one trace; the rest of the file is not read");
  CHECK(program.instructions.size() == 2);
  // At the limit exactly, the trace is fine.
  Program exact;
  CHECK(parse_trace(".trace 1\nsync: nop\nact: nop\n", "two.trn", exact, diags,
                    ParseLimits{.max_instructions = 2}));
}

}  // namespace
}  // namespace trnsim::trace
