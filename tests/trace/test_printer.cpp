// The printer (sim/trace/printer.h): the canonical form `trnsim fmt` writes, and the
// round-trip guarantee on every trace we have: parse(print(p)) is equivalent to p, and
// printing is idempotent, print(parse(print(p))) == print(p) byte for byte.
#include <doctest/doctest.h>

#include <limits>
#include <string>
#include <vector>

#include "trace/parser.h"
#include "trace/printer.h"
#include "trace_test_util.h"

namespace trnsim::trace {
namespace {

using test::parse_ok;

// The round-trip guarantee for one trace text.
void check_round_trip(std::string_view text, const std::string& name) {
  INFO(name);
  const Program original = parse_ok(text, name);
  const std::string printed = print_program(original);
  INFO("printed:\n" << printed);
  const Program reparsed = parse_ok(printed, name + " (printed)");
  std::string why;
  CHECK_MESSAGE(equivalent(original, reparsed, &why), why);
  CHECK(print_program(reparsed) == printed);
}

// Every trace we keep: the good test traces, the docs' ```trn examples and the workloads.
struct NamedText {
  std::string name;
  std::string text;
};

std::vector<NamedText> all_good_traces() {
  std::vector<NamedText> out;
  for (const auto& path : test::files_in(test::test_data("trace/good"), ".trn")) {
    out.push_back({path.filename().string(), test::read_text(path)});
  }
  const std::string doc = test::read_text(test::source_path("docs/trace-format.md"));
  for (const auto& block : test::fenced_blocks(doc)) {
    if (block.info == "trn") {
      out.push_back({"docs/trace-format.md:" + std::to_string(block.line), block.text});
    }
  }
  for (const auto& path : test::files_in(test::source_path("workloads"), ".trn")) {
    out.push_back({"workloads/" + path.filename().string(), test::read_text(path)});
  }
  return out;
}

TEST_CASE("printer: every good trace, docs example and workload round-trips") {
  const auto traces = all_good_traces();
  CHECK(traces.size() >= 10);
  for (const auto& t : traces)
    check_round_trip(t.text, t.name);
}

TEST_CASE("docs: the trace-format page keeps the starting spec's example") {
  // The 128x128x512 tile of ISA.md, kept in tests/trace/good/gemm_tile.trn, must appear as
  // one of the page's ```trn blocks, unchanged.
  std::string gemm = test::read_text(test::test_data("trace/good/gemm_tile.trn"));
  gemm.erase(0, gemm.find('\n') + 1);  // the file's first line is its own comment
  const std::string doc = test::read_text(test::source_path("docs/trace-format.md"));
  bool found = false;
  for (const auto& block : test::fenced_blocks(doc))
    found |= block.info == "trn" && block.text == gemm;
  CHECK(found);
}

TEST_CASE("docs: the canonical-form example shows what fmt really prints") {
  // "This trace: ... formats as: ...": two consecutive trn blocks, the second the printed
  // form of the first.
  const std::string doc = test::read_text(test::source_path("docs/trace-format.md"));
  std::vector<test::FencedBlock> trn;
  for (auto& block : test::fenced_blocks(doc)) {
    if (block.info == "trn") trn.push_back(block);
  }
  int pairs = 0;
  for (std::size_t i = 0; i + 1 < trn.size(); ++i) {
    pairs += print_program(parse_ok(trn[i].text)) == trn[i + 1].text;
  }
  CHECK(pairs == 1);
}

TEST_CASE("docs: every fenced block is marked trn or text") {
  const std::string doc = test::read_text(test::source_path("docs/trace-format.md"));
  int trn = 0;
  for (const auto& block : test::fenced_blocks(doc)) {
    INFO("block at line " << block.line);
    CHECK((block.info == "trn" || block.info == "text"));
    trn += block.info == "trn";
  }
  CHECK(trn >= 4);
}

TEST_CASE("printer: the canonical form") {
  const Program p = parse_ok(R"(.trace 1
.tensor B  hbm  bf16 [128,512] init=random(seed=2)   # comments go
.tensor A hbm fp32 [4] init=zeros at=4096
.alias o = sbuf[0:128]@1024.bf16[512]
.sem s_in   s_out
dma.q0:copy o,hbm:B  post(s_in+=1)
act: activation o, o bias=1 func=relu scale=2.0 post(s_out += 1 @complete) wait(s_in >= 1)
dma.q12: copy hbm:B[0:128, 0:512], o wait(s_out>=1)
)");
  CHECK(print_program(p) == R"(.trace 1
.tensor B hbm bf16 [128, 512] init=random(seed=2, dist=normal)
.tensor A hbm fp32 [4] at=0x1000
.alias o = sbuf[0:128]@0x400.bf16[512]

.sem s_in s_out
dma.q0: copy o, hbm:B[0:128, 0:512] post(s_in += 1)
act:    activation o, o func=relu scale=2.0 bias=1 wait(s_in >= 1) post(s_out += 1)
dma.q12: copy hbm:B[0:128, 0:512], o wait(s_out >= 1)
)");
}

TEST_CASE("printer: sections are written when there is more than chip 0 core 0") {
  const Program one = parse_ok(".trace 1\nchip 0 core 0\n.sem s\nsync: nop post(s += 1)\n");
  CHECK(print_program(one) == ".trace 1\n\n.sem s\nsync:   nop post(s += 1)\n");

  // An empty section still prints, or the core would be lost.
  const Program empty = parse_ok(".trace 1\nchip 0 core 0\n");
  CHECK(print_program(empty) == ".trace 1\n\nchip 0 core 0\n");
  check_round_trip(".trace 1\nchip 0 core 0\n", "empty section");

  const Program other = parse_ok(".trace 1\nchip 3 core 1\nsync: nop\n");
  CHECK(print_program(other) == ".trace 1\n\nchip 3 core 1\nsync:   nop\n");

  // Declarations before the first section belong to chip 0 core 0, which is printed first.
  const Program two = parse_ok(R"(.trace 1
.sem a
chip 1 core 0
.sem b
sync: nop post(chip0.core0.a += 1)
chip 0 core 0
sync: nop wait(a >= 1) post(chip1.core0.b = 0)
.tensor T hbm fp32 [2]
)");
  CHECK(print_program(two) == R"(.trace 1
.tensor T hbm fp32 [2]

chip 0 core 0
.sem a
sync:   nop wait(a >= 1) post(chip1.core0.b = 0)

chip 1 core 0
.sem b
sync:   nop post(chip0.core0.a += 1)
)");
}

TEST_CASE("printer: tensors") {
  const Program p = parse_ok(R"(.trace 1
.tensor A chip2.hbm int8 [1, 2, 3, 4] init=none output
.tensor B hbm fp32 [8] init=file("x y.npy") at=0x0
chip 5 core 0
.tensor C hbm bf16 [16] init=random(dist=uniform)
)");
  CHECK(print_program(p) == R"(.trace 1
.tensor A chip2.hbm int8 [1, 2, 3, 4] init=none output
.tensor B hbm fp32 [8] at=0x0 init=file("x y.npy")
.tensor C chip5.hbm bf16 [16] init=random(seed=0, dist=uniform)

chip 5 core 0
)");
}

TEST_CASE("printer: operands in every form") {
  const Program p = parse_ok(R"(.trace 1
.tensor A hbm bf16 [128, 512]
dve: tensor_tensor sbuf[32:64]@256.bf16[4:2, 8:-1], psum[0:128]@0x800.fp32[512:1], psum[64:128]@bank7.fp32[2, 3, 4, 5] op=add
dma.q0: copy hbm@4096.fp32[128:512, 512], chip3.hbm@0x10.int8[1]
dma.q0: copy hbm:A[1:3, 0:512], hbm:A
)");
  std::vector<std::string> printed;
  for (const auto& op : p.operands)
    printed.push_back(print_operand(p, op));
  CHECK(printed == std::vector<std::string>{
                       "sbuf[32:64]@0x100.bf16[4:2, 8:-1]",
                       "psum[0:128]@0x800.fp32[512]",
                       "psum[64:128]@bank7.fp32[2, 3, 4, 5]",
                       "hbm@0x1000.fp32[128:512, 512]",
                       "chip3.hbm@0x10.int8[1]",
                       "hbm:A[1:3, 0:512]",
                       "hbm:A[0:128, 0:512]",
                   });
}

TEST_CASE("printer: on-chip operands of a named core keep their owner") {
  const Program p = parse_ok(R"(.trace 1
dma.q0: copy chip1.core0.sbuf [0:128] @ 64 . bf16 [512], core1.sbuf[0:128]@0.bf16[512]
dve: memset chip0.core0.psum[0:1]@bank2.fp32[4]
)");
  std::vector<std::string> printed;
  for (const auto& op : p.operands)
    printed.push_back(print_operand(p, op));
  CHECK(printed == std::vector<std::string>{
                       "chip1.core0.sbuf[0:128]@0x40.bf16[512]",
                       "core1.sbuf[0:128]@0x0.bf16[512]",
                       "chip0.core0.psum[0:1]@bank2.fp32[4]",
                   });
  check_round_trip(print_program(p), "owners");
}

TEST_CASE("printer: numbers are exact and keep their kind") {
  const Program p = parse_ok(R"(.trace 1
dve: tensor_scalar sbuf[0:1]@0.fp32[1], sbuf[0:1]@0.fp32[1] op0=add s0=0.1 op1=mul s1=-0.0
dve: tensor_scalar sbuf[0:1]@0.fp32[1], sbuf[0:1]@0.fp32[1] op0=add s0=1e-300 op1=mul s1=1e+30
dve: tensor_scalar sbuf[0:1]@0.fp32[1], sbuf[0:1]@0.fp32[1] op0=add s0=inf op1=mul s1=-inf
dve: tensor_scalar sbuf[0:1]@0.fp32[1], sbuf[0:1]@0.fp32[1] op0=add s0=nan op1=mul s1=3.0
dve: memset sbuf[0:1]@0.fp32[1] value=-9223372036854775808
dve: memset sbuf[0:1]@0.fp32[1] value=2Ki
dve: memset sbuf[0:1]@0.fp32[1] value=0.30000000000000004
)");
  const std::string text = print_program(p);
  CHECK(text.find("s0=0.1 op1=mul s1=-0.0\n") != std::string::npos);
  CHECK(text.find("s0=1e-300 op1=mul s1=1e+30\n") != std::string::npos);
  CHECK(text.find("s0=inf op1=mul s1=-inf\n") != std::string::npos);
  CHECK(text.find("s0=nan op1=mul s1=3.0\n") != std::string::npos);  // a real stays real
  CHECK(text.find("value=-9223372036854775808\n") != std::string::npos);
  CHECK(text.find("value=2048\n") != std::string::npos);
  CHECK(text.find("value=0.30000000000000004\n") != std::string::npos);
  check_round_trip(text, "numbers");
}

TEST_CASE("printer: a program built in code prints canonically and reads back equivalent") {
  // Generators build Programs directly: attributes in any order, posts before waits, and
  // semaphores of different cores declared interleaved.
  Program p;
  const std::uint32_t c0 = p.core_index(CoreId{0, 0});
  const std::uint32_t c1 = p.core_index(CoreId{0, 1});
  p.add_semaphore(SemaphoreDecl{"a", c0});
  p.add_semaphore(SemaphoreDecl{"x", c1});
  p.add_semaphore(SemaphoreDecl{"b", c0});
  Operand tile;
  tile.form = OperandForm::kSbuf;
  tile.dtype = isa::DType::kFp32;
  tile.part_end = 128;
  tile.ndims = 1;
  tile.dims[0] = Dim{64, 1};
  const std::uint32_t op = p.intern(tile);
  CHECK(p.intern(tile) == op);

  Arg args[4];
  args[0].operand = op;
  args[1].operand = op;
  args[2].key = isa::Attr::kS0;
  args[2].kind = isa::ArgKind::kReal;
  args[2].real = 0.5;
  args[3].key = isa::Attr::kOp0;
  args[3].kind = isa::ArgKind::kWord;
  args[3].word = isa::Word::kMul;
  SyncOp syncs[2];
  syncs[0].semaphore = 1;  // core 1's x, from core 0
  syncs[0].kind = SyncKind::kPostAdd;
  syncs[0].value = 1;
  syncs[1].semaphore = 2;  // b
  syncs[1].value = 1;
  Instruction ins;
  ins.opcode = isa::Opcode::kTensorScalar;
  ins.engine = isa::Engine::kDve;
  ins.core_index = c0;
  p.add_instruction(ins, args, 4, syncs, 2);

  const std::string text = print_program(p);
  CHECK(text == R"(.trace 1

chip 0 core 0
.sem a b
dve:    tensor_scalar sbuf[0:128]@0x0.fp32[64], sbuf[0:128]@0x0.fp32[64] op0=mul s0=0.5 wait(b >= 1) post(chip0.core1.x += 1)

chip 0 core 1
.sem x
)");
  const Program back = parse_ok(text);
  std::string why;
  CHECK_MESSAGE(equivalent(p, back, &why), why);
  CHECK(print_program(back) == text);
}

TEST_CASE("equivalent: finds each kind of difference") {
  const std::string base = R"(.trace 1
.tensor A hbm fp32 [4] init=random(seed=1)
.sem s t
dve: memset sbuf[0:1]@0.fp32[4] value=1 wait(s >= 1) post(t += 1)
)";
  const Program a = parse_ok(base);
  std::string why;
  CHECK(equivalent(a, a, &why));

  struct Case {
    std::string_view from, to, why_contains;
  };
  const Case cases[] = {
      {"value=1", "value=2", "instruction 0"},
      {"value=1", "value=1.0", "instruction 0"},  // an integer is not a real
      {"wait(s >= 1)", "wait(t >= 1)", "instruction 0"},
      {"post(t += 1)", "post(t += 1 @read)", "instruction 0"},
      {"@0.fp32", "@0x4.fp32", "instruction 0"},
      {"seed=1", "seed=2", "tensor A"},
      {".sem s t", ".sem t s", "semaphores"},
      {"dve:", "pool:", "stream"},
  };
  for (const auto& c : cases) {
    std::string changed = base;
    changed.replace(changed.find(c.from), c.from.size(), c.to);
    INFO(changed);
    const Program b = parse_ok(changed);
    why.clear();
    CHECK_FALSE(equivalent(a, b, &why));
    CHECK(why.find(c.why_contains) != std::string::npos);
  }
  // Source positions and the order of attributes do not matter.
  const Program moved = parse_ok("# shifted\n" + base);
  CHECK(equivalent(a, moved));
}

}  // namespace
}  // namespace trnsim::trace
