// Tests of the static checker (sim/trace/checker.h) and the HBM layout (hbm_layout.h).
//
// Each file in tests/trace/bad_static/ is a syntactically valid trace that breaks one rule
// family (its first line says how). The table below gives, per file, the exact first
// diagnostic (line, column, message) and the number of errors, derived by hand from the
// rule and the test config; a file with several errors proves that every violation in a
// file is reported, not only the first.
#include <doctest/doctest.h>

#include <limits>
#include <string>
#include <vector>

#include "common/diagnostic.h"
#include "common/source_file.h"
#include "config/config.h"
#include "trace/checker.h"
#include "trace/hbm_layout.h"
#include "trace/parser.h"

namespace trnsim::trace {
namespace {

constexpr std::uint64_t kTestHbmBytes = 1 << 20;

// trn2 defaults (SBUF 128 x 224 KiB, PSUM 128 x 8 x 2 KiB banks, 128x128 PE array, 512
// moving columns) on a small system: 2 chips of 2 cores, 4 DMA queues per core, 1 MiB of
// HBM with a 256-byte interleave, so that capacity errors need only small tensors.
config::SystemConfig test_config() {
  config::SystemConfig cfg;
  cfg.system.chips = 2;
  cfg.chip.cores = 2;
  cfg.dma.queues = 4;
  cfg.hbm.capacity_bytes = kTestHbmBytes;
  cfg.hbm.interleave_bytes = 256;
  return cfg;
}

struct Checked {
  Program program;
  DiagnosticList diags;
};

// Parses `text` (which must be valid syntax) and checks it against the test config.
Checked check_text(const std::string& text, const std::string& file = "test.trn",
                   std::size_t max_errors = 50) {
  Checked out{Program{}, DiagnosticList(max_errors)};
  DiagnosticList parse_diags;
  bool parsed = parse_trace(text, file, out.program, parse_diags);
  INFO(parse_diags.to_string());
  REQUIRE(parsed);
  check_program(out.program, test_config(), text, out.diags);
  return out;
}

struct BadCase {
  const char* file;
  std::uint32_t line;
  std::uint32_t column;
  const char* message;
  std::size_t errors;
};

// Columns count from 1 on the source line; where an operand is at fault the column is the
// operand's, otherwise the instruction's (or the declaration field's).
const BadCase kBadCases[] = {
    // ---- rule 1: cores, engines, semaphores
    {"r1_core_missing.trn", 3, 13, "core 5 does not exist: a chip has 2 core(s)", 1},
    // tensor line 4 (location column 11), section line 5, raw HBM operand line 8.
    {"r1_chip_missing.trn", 4, 11,
     "tensor 'A' is in the HBM of chip 3, which does not exist: the system has 2 chip(s)", 3},
    {"r1_dma_queue.trn", 3, 1, "DMA queue 7 does not exist: a core has queues dma.q0..dma.q3", 1},
    {"r1_wait_remote.trn", 7, 16,
     "wait on semaphore 's_rx' of chip 0 core 1: an instruction can only wait on its own "
     "core's semaphores",
     1},
    {"r1_negative_sem.trn", 4, 16, "wait value -1 is negative (semaphores hold values >= 0)", 3},
    // ---- rule 2: memory legality
    {"r2_pool_psum.trn", 3, 19,
     "pool (GpSimdE) cannot access psum: tensor_copy dst must be in sbuf", 1},
    {"r2_matmul_dst_sbuf.trn", 3, 12, "pe (TensorE) cannot write sbuf: matmul dst must be in psum",
     1},
    {"r2_matmul_moving_psum.trn", 3, 66,
     "pe (TensorE) cannot read psum: matmul moving must be in sbuf", 1},
    {"r2_dma_psum.trn", 4, 14, "dma (DMA) cannot access psum: copy dst must be in sbuf or hbm", 1},
    // lines 4 to 8 and 11; line 9 (a DMA into another core's SBUF) and line 10 (the own
    // core named in full) are fine. 229376 + 15*4 + 3 = 229439.
    {"r2_remote_core.trn", 4, 18,
     "dve (VectorE) cannot access the sbuf of chip 1 core 0: an engine reaches its own core's "
     "sbuf only; a DMA copy or copy_add can move data into another core's SBUF",
     6},
    {"r2_attr_memory.trn", 3, 78,
     "act (ScalarE) cannot access hbm: activation bias must be in sbuf or psum", 1},
    // ---- rule 3: dtypes
    {"r3_matmul_dst_dtype.trn", 3, 12, "matmul dst must be fp32, got bf16", 1},
    // stationary not float, then stationary and moving differ.
    {"r3_matmul_int.trn", 4, 41,
     "matmul stationary must be a float dtype (fp32, bf16, fp16, fp8e4, fp8e5), got int8", 2},
    {"r3_transpose_dtype.trn", 3, 15, "transpose dst must be fp32 or the src dtype bf16, got fp16",
     1},
    {"r3_bn_int.trn", 3, 15,
     "bn_stats dst must be a float dtype (fp32, bf16, fp16, fp8e4, fp8e5), got int32", 1},
    {"r3_bias_dtype.trn", 3, 77,
     "activation bias must be a float dtype (fp32, bf16, fp16, fp8e4, fp8e5), got int32", 1},
    // ---- rule 4: bounds
    // 224 Ki = 229376; last byte 229376 + 1023*4 + 3 = 233471.
    {"r4_sbuf_oob.trn", 3, 18,
     "sbuf access out of bounds: bytes 229376..233471 of each partition, SBUF has 229376 bytes "
     "per partition",
     1},
    {"r4_sbuf_partitions.trn", 4, 14,
     "sbuf partitions 64:130 out of bounds, SBUF has 128 partitions", 1},
    {"r4_psum_bank.trn", 3, 42, "psum bank 8 does not exist, PSUM has 8 banks", 1},
    // lowest byte 0 + 3*(-1)*4 = -12; highest 0 + 3 = 3; PSUM partition = 8 * 2048 bytes.
    {"r4_psum_neg_stride.trn", 3, 41,
     "psum access out of bounds: bytes -12..3 of each partition, PSUM has 16384 bytes per "
     "partition",
     1},
    // bytes 1024 .. 1024 + 511*4 + 3 = 3071: banks 1024/2048 = 0 to 3071/2048 = 1.
    {"r4_matmul_two_banks.trn", 3, 12,
     "matmul dst spans PSUM banks 0..1 (bytes 1024..3071 of each partition): a matmul writes "
     "one bank of 2048 bytes",
     1},
    // 0xFFFF0 = 1048560; last byte 1048560 + 63*4 + 3 = 1048815. Line 5: 16 + 7*(-2)*4 = -40 to 16
    // + 3 = 19.
    {"r4_hbm_oob.trn", 4, 36,
     "hbm access out of bounds: bytes 1048560..1048815, HBM has 1048576 bytes", 2},
    {"r4_slice_oob.trn", 4, 39,
     "slice of tensor 'A' out of bounds: dimension 1 is 100:200, the tensor has 128", 1},
    // ---- rule 5: HBM layout
    {"r5_overlap.trn", 4, 30,
     "tensor 'B' at 0x800 (4096 bytes) overlaps tensor 'A' at 0x0 (4096 bytes, line 3)", 1},
    // 0xFF000 + 2048*4 = 0x101000 > 0x100000.
    {"r5_at_capacity.trn", 3, 30,
     "tensor 'A' at 0xff000 (8192 bytes) ends beyond the HBM capacity of 1048576 bytes", 1},
    // 524288 + 524288 + 64 = 1048640, crossing 1048576 at C.
    {"r5_total.trn", 5, 9, "tensors on chip 0 need 1048640 bytes in all, HBM has 1048576 bytes", 1},
    // A moves past E (0x40000..0x40fff) to 0x41000 and ends at 0xc1000; B needs 0x40000 more.
    {"r5_no_room.trn", 6, 9,
     "tensor 'B' (262144 bytes) does not fit in the HBM of chip 0: the first free address is "
     "0xc1000, HBM has 1048576 bytes",
     1},
    // ---- rule 6: compute-engine access patterns
    {"r6_partition_start.trn", 3, 18,
     "partition start 16 not allowed for 64 partitions (33..64 partitions must start at 0 or 64)",
     3},
    {"r6_pattern_size.trn", 3, 13, "access pattern dimension 0 size 70000 exceeds 65535", 2},
    {"r6_stride.trn", 3, 17,
     "access pattern dimension 0 stride 40000 outside the signed 16-bit range -32768..32767", 1},
    {"r6_psum_free.trn", 3, 44,
     "free size 8192 elements per partition exceeds 4096 for a psum operand of VectorE", 1},
    // ---- rule 7: opcode limits and shapes
    {"r7_matmul_moving.trn", 4, 66,
     "matmul moving free size 1024 exceeds 512 (one PSUM bank of fp32)", 2},
    {"r7_matmul_k.trn", 3, 66,
     "matmul stationary and moving partitions differ: K=128 vs 64 (the contraction dimension)", 1},
    {"r7_matmul_m.trn", 4, 41, "matmul stationary free size M=256 exceeds 128 PE columns", 2},
    {"r7_transpose.trn", 3, 15,
     "transpose dst has 32 elements per partition, expected 64 (the src partitions)", 1},
    {"r7_elementwise.trn", 3, 74, "tensor_tensor b has 256 elements per partition, dst has 512", 1},
    {"r7_tensor_scalar.trn", 3, 108,
     "tensor_scalar op1= given without s1=: the second operator needs its operand", 2},
    {"r7_tensor_reduce.trn", 4, 20,
     "tensor_reduce dst has 4 elements per partition, expected 8 (src 512 reduced over the "
     "innermost 1 axis/axes of 64 elements)",
     2},
    {"r7_transpose32.trn", 3, 41,
     "transpose32 src is 48 partitions x 64 elements: both must be multiples of 32", 1},
    {"r7_partition_reduce.trn", 3, 24, "partition_reduce dst has 2 partitions, expected 1", 1},
    {"r7_bn_partitions.trn", 3, 38, "bn_stats src has 64 partitions, dst has 128", 1},
    {"r7_dma_shapes.trn", 5, 39,
     "copy hbm side's outermost dimension is 64, the sbuf side has 128 partitions (they map one "
     "to one)",
     2},
};

TEST_CASE("every malformed trace in bad_static/ gets its exact first diagnostic") {
  for (const BadCase& c : kBadCases) {
    CAPTURE(c.file);
    const std::string path = std::string(TRNSIM_TEST_DATA_DIR) + "/trace/bad_static/" + c.file;
    const std::string text = read_file(path);
    Checked out = check_text(text, c.file);
    INFO(out.diags.to_string());
    REQUIRE(out.diags.has_errors());
    const Diagnostic& first = out.diags.items().front();
    CHECK(first.file == c.file);
    CHECK(first.line == c.line);
    CHECK(first.column == c.column);
    CHECK(first.message == c.message);
    CHECK(first.source_line == line_of(text, c.line));
    CHECK(out.diags.error_count() == c.errors);
  }
}

TEST_CASE("the further diagnostics of multi-error files") {
  // Several files are checked beyond their first diagnostic, to pin the order and that
  // later errors are as exact as the first.
  struct Later {
    const char* file;
    std::size_t index;
    std::uint32_t line;
    std::uint32_t column;
    const char* message;
  };
  const Later later[] = {
      {"r1_chip_missing.trn", 1, 5, 6, "chip 2 does not exist: the system has 2 chip(s)"},
      {"r1_chip_missing.trn", 2, 8, 36, "hbm of chip 4 does not exist: the system has 2 chip(s)"},
      {"r1_negative_sem.trn", 1, 5, 15, "post value -3 is negative (semaphores hold values >= 0)"},
      {"r1_negative_sem.trn", 2, 6, 17,
       "sem.set value -2 is negative (semaphores hold values >= 0)"},
      {"r2_remote_core.trn", 1, 5, 14,
       "dma (DMA) cannot access psum: copy dst must be in sbuf or hbm"},
      {"r2_remote_core.trn", 2, 6, 14, "chip 2 does not exist: the system has 2 chip(s)"},
      {"r2_remote_core.trn", 3, 7, 14, "core 2 does not exist: a chip has 2 core(s)"},
      {"r2_remote_core.trn", 4, 8, 14,
       "sbuf access out of bounds: bytes 229376..229439 of each partition, SBUF has 229376 "
       "bytes per partition"},
      {"r2_remote_core.trn", 5, 11, 18,
       "tensor_copy dst names the psum of chip 0 core 1: only the SBUF of another core can be "
       "named (chipN.coreM.sbuf[..]), by a DMA copy or copy_add"},
      {"r3_matmul_int.trn", 1, 4, 66, "matmul stationary and moving dtypes differ: int8 vs bf16"},
      {"r4_hbm_oob.trn", 1, 5, 14,
       "hbm access out of bounds: bytes -40..19, HBM has 1048576 bytes"},
      {"r6_partition_start.trn", 1, 4, 18,
       "partition start 8 not allowed for 8 partitions (up to 32 partitions must start at 0, 32, "
       "64 or 96)"},
      {"r6_partition_start.trn", 2, 5, 18,
       "partition start 1 not allowed for 127 partitions (more than 64 partitions must start at "
       "0)"},
      {"r6_pattern_size.trn", 1, 3, 13,
       "free size 70000 elements per partition exceeds 65536 for an sbuf operand"},
      {"r7_matmul_moving.trn", 1, 4, 12,
       "matmul dst has 512 elements per partition, expected N=1024 (the moving free size)"},
      {"r7_matmul_m.trn", 1, 4, 12,
       "matmul dst has 128 partitions, expected M=256 (the stationary free size)"},
      {"r7_tensor_scalar.trn", 1, 3, 79,
       "tensor_scalar s0 must have 1 element per partition, got 4"},
      {"r7_tensor_reduce.trn", 1, 5, 85,
       "tensor_reduce axes=3 must be between 1 and 2 (the src pattern's dimensions)"},
      {"r7_dma_shapes.trn", 1, 6, 37, "copy element counts differ: dst has 100, src has 65536"},
  };
  for (const Later& l : later) {
    CAPTURE(l.file);
    CAPTURE(l.index);
    const std::string path = std::string(TRNSIM_TEST_DATA_DIR) + "/trace/bad_static/" + l.file;
    Checked out = check_text(read_file(path), l.file);
    INFO(out.diags.to_string());
    REQUIRE(out.diags.items().size() > l.index);
    const Diagnostic& d = out.diags.items()[l.index];
    CHECK(d.line == l.line);
    CHECK(d.column == l.column);
    CHECK(d.message == l.message);
  }
}

TEST_CASE("the example of ISA.md passes") {
  // tests/trace/good/gemm_tile.trn is "A complete example: one 128x128x512 tile", verbatim.
  const std::string text =
      read_file(std::string(TRNSIM_TEST_DATA_DIR) + "/trace/good/gemm_tile.trn");
  Checked out = check_text(text, "gemm_tile.trn");
  CHECK(out.program.instructions.size() == 5);
  CHECK_MESSAGE(!out.diags.has_errors(), out.diags.to_string());
}

TEST_CASE("the generated trn2 workloads pass against the trn2 defaults") {
  // Whole GEMMs from `trnsim gen gemm` (workloads/README.md): realistic traffic for every
  // rule at once, on the unmodified trn2 config (8 cores, 96 GiB HBM).
  for (const char* name :
       {"gemm-1024x1024x1024-bf16-trn2.trn", "gemm-2048x2048x2048-bf16-trn2-2cores.trn"}) {
    CAPTURE(name);
    const std::string path = std::string(TRNSIM_SOURCE_DIR) + "/workloads/" + name;
    const std::string text = read_file(path);
    Program program = parse_trace(text, name);
    DiagnosticList diags;
    CHECK_MESSAGE(check_program(program, config::SystemConfig{}, text, diags), diags.to_string());
  }
}

TEST_CASE("legal edge cases pass") {
  // Each line sits exactly on a limit, or uses a form the rules allow.
  const std::string text = R"(.trace 1
.tensor A hbm fp32 [64, 2]
.tensor B chip1.hbm bf16 [16, 16] at=0x1000
.sem s
chip 1 core 1
.sem r
chip 0 core 0
# PSUM negative strides: from bank 7's first byte (14336) 512 fp32 backwards reach byte
# 12292, inside the partition; from byte 16380 they cover exactly bank 7 (14336..16383).
dve: tensor_copy sbuf[0:128]@0.fp32[512], psum[0:128]@bank7.fp32[512:-1]
act: activation sbuf[0:128]@0.fp32[512], psum[0:128]@16380.fp32[512:-1] func=identity
# SBUF negative strides: 4 rows of 8 read backwards from the last fp32 of the partition.
dve: tensor_copy sbuf[0:128]@0.fp32[32], sbuf[0:128]@229372.fp32[4:-8, 8:-1]
# The last byte of SBUF and the last bank of PSUM.
dve: memset sbuf[96:128]@229375.uint8[1] value=1
pe: matmul psum[64:128]@bank7.fp32[512], sbuf[0:32]@0.fp8e4[64], sbuf[0:32]@64.fp8e4[512] acc=accumulate
# Alignment: 33..64 partitions at 64, up to 32 at 96.
pool: iota sbuf[64:128]@0.int16[64] base=0 pstep=1 fstep=64
pool: tensor_tensor sbuf[96:100]@0.fp32[8], sbuf[96:100]@0x40.fp32[8], sbuf[32:36]@0.fp32[2:4, 4:1] op=max
# DMA is exempt from alignment and stride limits, and may read another chip's tensor.
dma.q3: copy sbuf[16:80]@0.uint8[2:40000], hbm:A
dma.q0: copy sbuf[0:16]@0.bf16[16], hbm:B
# [P,1] operands, tensor_scalar with both operators, a reduce over two axes.
act: activation sbuf[0:128]@0.bf16[64], sbuf[0:128]@0x100.bf16[64] func=exp scale=sbuf[0:128]@0x800.fp32[1] bias=-1.5 accum=sbuf[0:128]@0x804.fp32[1]
dve: tensor_scalar sbuf[0:128]@0.fp32[64], psum[0:128]@0.fp32[64] op0=mul s0=2 op1=add s1=psum[0:128]@bank1.fp32[1]
dve: tensor_reduce sbuf[0:128]@0.fp32[2], sbuf[0:128]@0x100.fp32[2:64, 4:16, 16:1] op=add axes=2
pe: transpose psum[0:128]@bank2.fp32[64], sbuf[0:64]@0.bf16[128]
dve: transpose32 sbuf[0:64]@0.bf16[96], sbuf[0:64]@0x400.bf16[96]
pool: partition_reduce sbuf[0:1]@0.fp32[64], sbuf[0:128]@0x100.fp32[64] op=add
dve: bn_aggr sbuf[0:128]@0.fp32[2], sbuf[0:128]@0x100.fp32[6]
# Semaphores: a remote post, a local wait, sem.set to 0.
sync: nop wait(s >= 0) post(chip1.core1.r += 1)
sync: sem.set s, 0
dma.q1: copy hbm@0xFFFF0.fp32[4], hbm@0xFFF00.fp32[2:2, 2:-1]
)";
  Checked out = check_text(text);
  CHECK_MESSAGE(!out.diags.has_errors(), out.diags.to_string());
}

TEST_CASE("a DMA slice at one index of outer dimensions maps partitions onto the next one") {
  // One batch of a 3-D tensor, and one (n, c-range) of a 4-D one: leading dimensions of
  // size 1 select an index and map nowhere.
  const std::string legal = R"(.trace 1
.tensor T hbm bf16 [4, 64, 128]
.tensor X hbm bf16 [2, 3, 64, 128]
dma.q0: copy sbuf[0:64]@0.bf16[128], hbm:T[2:3, 0:64, 0:128]
dma.q1: copy hbm:T[3:4, 0:64, 0:128], sbuf[0:64]@0.bf16[128]
dma.q2: copy sbuf[0:64]@0x100.bf16[128], hbm:X[1:2, 2:3, 0:64, 0:128]
)";
  Checked ok = check_text(legal);
  CHECK_MESSAGE(!ok.diags.has_errors(), ok.diags.to_string());
  // Two batches do not fold into the partitions.
  const std::string two = R"(.trace 1
.tensor T hbm bf16 [4, 64, 128]
dma.q0: copy sbuf[0:64]@0.bf16[256], hbm:T[0:2, 0:32, 0:128]
)";
  Checked bad = check_text(two);
  REQUIRE(bad.diags.has_errors());
  CHECK(bad.diags.items().front().message ==
        "copy hbm side's outermost dimension is 2, the sbuf side has 64 partitions (they map "
        "one to one)");
}

TEST_CASE("the checker stops at the diagnostic list's cap and works without source text") {
  const std::string text = R"(.trace 1
dve: tensor_copy sbuf[16:80]@0.fp32[64], sbuf[8:72]@0.fp32[64]
dve: tensor_copy sbuf[16:80]@0.fp32[64], sbuf[8:72]@0.fp32[64]
)";
  Checked capped = check_text(text, "capped.trn", 3);
  CHECK(capped.diags.items().size() == 3);
  CHECK(capped.diags.full());

  DiagnosticList no_source;
  CHECK_FALSE(check_program(capped.program, test_config(), {}, no_source));
  REQUIRE(no_source.items().size() == 4);
  CHECK(no_source.items()[1].line == 2);
  CHECK(no_source.items()[1].column == 42);  // from the operand, not the source text
  CHECK(no_source.items()[1].source_line.empty());
}

TEST_CASE("absurd sizes, strides and addresses are reported, never overflowed") {
  // Run under -DTRNSIM_SANITIZE=ON: any 64-bit overflow in the range arithmetic aborts.
  const std::string text = R"(.trace 1
.tensor H hbm fp32 [1024, 1024, 1024, 256]
.tensor K hbm fp32 [16] at=0xFFFFFFFFFFFFFFF0
dma.q0: copy sbuf[0:1]@0xFFFFFFFFFFFFFFFF.fp32[4294967295:9223372036854775807, 4294967295:-9223372036854775807], hbm@0xFFFFFFFFFFFFFFFF.fp32[4294967295:-9223372036854775807]
dma.q1: copy sbuf[0:1]@0.fp32[1], hbm:H[9223372036854775807:9223372036854775808, 0:1, 0:1, 0:1]
dve: tensor_reduce sbuf[0:128]@0.fp32[1], sbuf[0:128]@0.fp32[4294967295, 4294967295, 4294967295, 4294967295] op=add axes=4
)";
  Checked out = check_text(text);
  INFO(out.diags.to_string());
  // H, 1 TiB (the largest tensor the parser takes), does not fit; K ends past 2^64; line 4:
  // the SBUF and HBM ranges and the outermost-dimension rule; line 5: the slice start;
  // line 6: the SBUF range, four pattern sizes and the free size.
  CHECK(out.diags.error_count() == 12);
}

TEST_CASE("assign_tensor_addresses packs in declaration order and honours at=") {
  const std::string text = R"(.trace 1
.tensor A hbm fp32 [100]
.tensor F hbm fp32 [256] at=0x400
.tensor B hbm fp32 [64]
.tensor C hbm bf16 [512]
.tensor R chip1.hbm int8 [10]
.tensor D hbm uint8 [1]
.tensor G hbm fp32 [16] at=0x3
)";
  Program program = parse_trace(text, "layout.trn");
  DiagnosticList diags;
  config::HbmParams hbm = test_config().hbm;
  std::vector<std::uint64_t> addresses = assign_tensor_addresses(program, hbm, &diags, text);
  CHECK_MESSAGE(!diags.has_errors(), diags.to_string());
  // Interleave 256; at= tensors G (bytes 3..66) and F (1024..2047) stay put. A (400 bytes)
  // at 0 would overlap G, so it moves to align_up(67) = 256: 256..655. B (256 bytes) at
  // align_up(656) = 768 ends at 1024, F's first byte: it fits, 768..1023. C (1024 bytes) at
  // 1024 overlaps F, so 2048..3071. D (1 byte) at 3072. R is alone on chip 1: at 0.
  CHECK(addresses == std::vector<std::uint64_t>{256, 0x400, 768, 2048, 0, 3072, 3});
  // Deterministic: the same program gives the same layout.
  CHECK(assign_tensor_addresses(program, hbm, nullptr) == addresses);
}

TEST_CASE("tensor_bytes saturates instead of wrapping") {
  TensorDecl t;
  t.dtype = isa::DType::kFp32;
  t.shape = {4294967295u, 4294967295u, 4294967295u};
  CHECK(tensor_bytes(t) == std::numeric_limits<std::uint64_t>::max());
  t.shape = {128, 512};
  CHECK(tensor_bytes(t) == 128 * 512 * 4);
}

}  // namespace
}  // namespace trnsim::trace
