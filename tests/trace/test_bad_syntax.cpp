// Malformed traces (tests/trace/bad_syntax/*.trn): for each file, the first diagnostic's
// line, column and full message, and how many errors the file has. Files with several
// errors list the others too, proving that every error is reported, not only the first.
//
// Each file's first line is a comment saying what is wrong with it. To add a case, add
// the file and a row here; the test fails on a file without a row and a row without a file.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "trace/parser.h"
#include "trace_test_util.h"

namespace trnsim::trace {
namespace {

struct Located {
  std::uint32_t line;
  std::uint32_t column;
  std::string_view message;
};

struct BadTrace {
  std::string_view file;  // in tests/trace/bad_syntax/, without ".trn"
  std::uint32_t line;
  std::uint32_t column;
  std::string_view message;
  std::size_t errors;             // in all
  std::vector<Located> others{};  // the errors after the first, in reporting order
};

// clang-format off
const std::vector<BadTrace> kBadTraces = {
    {"alias_duplicate", 4, 8,
     "alias 'x' is already declared on line 3", 1},
    {"alias_missing_equals", 3, 10,
     "expected '=' after the alias name, got 'sbuf'", 1},
    {"alias_reserved", 3, 8,
     "'sbuf' is reserved and cannot name an alias", 1},
    {"alias_trailing", 3, 36,
     "expected end of statement, got 'extra'", 1},
    {"attribute_on_copy", 4, 45,
     "'copy' takes no attributes, got 'acc='", 1},
    {"attribute_without_value", 3, 71,
     "expected a value after 'op=', got end of line", 1},
    {"bad_dma_queue", 3, 1,
     "expected a DMA queue 'dma.qN' with N from 0 to 255, got 'dma.x1'", 1},
    {"bad_init", 3, 29,
     "unknown initialiser 'ones'; did you mean 'none'?", 1},
    {"bad_number_suffix", 3, 32,
     "unknown size suffix 'Kb' in number '4Kb' (expected K, Ki, M, Mi, G or Gi)", 1},
    {"bad_post_op", 4, 18,
     "expected '+=', '-=' or '=' in a post, got unexpected character '*'", 1},
    {"bad_random_dist", 3, 49,
     "unknown distribution 'gauss' (expected one of: normal, uniform)", 1},
    {"bad_wait_relation", 4, 18,
     "expected '>=' in a wait condition, got unexpected character '>'", 1},
    {"bad_when", 4, 24,
     "expected '@complete' or '@read', got '@done'", 1},
    {"bad_word_value", 3, 75,
     "invalid value 'gelo' for 'func='; did you mean 'gelu'?", 1},
    {"dma_queue_out_of_range", 3, 1,
     "expected a DMA queue 'dma.qN' with N from 0 to 255, got 'dma.q256'", 1},
    {"duplicate_attribute", 3, 80,
     "attribute 'func=' given twice", 1},
    {"duplicate_header", 4, 1,
     "duplicate '.trace' header (the first is on line 2)", 1},
    {"duplicate_semaphore", 4, 6,
     "semaphore 'b' is already declared for this core on line 3", 1},
    {"duplicate_tensor", 4, 9,
     "tensor 'A' is already declared on line 3", 1},
    {"duplicate_tensor_option", 3, 31,
     "tensor option 'output' given twice", 1},
    {"empty_file", 1, 1,
     "missing '.trace 1' header: the file has no statements", 1},
    {"empty_partition_range", 3, 21,
     "empty partition range 64:64 (the end is exclusive)", 1},
    {"empty_sem", 3, 5,
     "expected at least one semaphore name after '.sem', got end of line", 1},
    {"empty_slice", 4, 56,
     "empty slice 512:512 (the end is exclusive)", 1},
    {"empty_wait", 4, 16,
     "expected at least one semaphore in 'wait()', got ')'", 1},
    {"engine_with_suffix", 3, 1,
     "unknown engine 'pe.q0'; only DMA queues take a suffix ('dma.qN')", 1},
    {"engine_without_colon", 3, 4,
     "expected ':' after the engine 'pe', got 'matmul'", 1},
    {"hbm_tensor_on_chip", 4, 48,
     "expected '@' after 'chip1.hbm', got ':' (a tensor is named 'hbm:NAME' whichever chip holds it)", 1},
    {"header_not_first", 2, 1,
     "expected '.trace 1' as the first statement, got '.sem'", 2,
      {{3, 1, "'.trace' must be the first statement of the file"}}},
    {"header_without_version", 2, 7,
     "expected the format version after '.trace', got end of line", 1},
    {"init_file_unquoted", 3, 34,
     "expected a quoted file name, got 'a.npy'", 1},
    {"misplaced_underscore", 3, 25,
     "misplaced '_' in number '0x1__00'", 1},
    {"missing_dtype_dot", 3, 30,
     "expected '.' between the offset and the dtype, got '['", 1},
    {"missing_header", 2, 1,
     "expected '.trace 1' as the first statement, got '.tensor'", 1},
    {"missing_opcode", 3, 5,
     "expected an opcode, got end of line", 1},
    {"missing_required_attribute", 3, 6,
     "'tensor_tensor' requires the attribute 'op='", 1},
    {"multiple_errors", 5, 1,
     "unknown engine 'pee'; did you mean 'pe'?", 3,
      {{6, 43, "unknown tensor 'B'; did you mean 'A'?"},
       {8, 75, "invalid value 'gelo' for 'func='; did you mean 'gelu'?"}}},
    {"multiple_errors_declarations", 3, 26,
     "expected a dimension size of at least 1, got 0", 3,
      {{5, 8, "semaphore 's' is named twice in one '.sem'"},
       {6, 16, "unknown semaphore 't' (declare it with '.sem' in this core's section before use)"}}},
    {"multiple_errors_header_and_body", 2, 1,
     "expected '.trace 1' as the first statement, got '.sem'", 3,
      {{3, 24, "expected '@complete' or '@read', got '@later'"},
       {4, 21, "expected a semaphore value, got 'x'"}}},
    {"multiple_errors_remote", 6, 16,
     "unknown semaphore 't'; did you mean 's'?", 2,
      {{5, 16, "unknown semaphore 'missing' of chip 1 core 0"}}},
    {"no_operands", 3, 5,
     "'matmul' takes 3 operand(s) (dst, stationary, moving), got 0", 1},
    {"non_ascii_character", 4, 24,
     "expected 'key=value', 'wait(...)' or 'post(...)' after the operands, got unexpected character 'µ'", 1},
    {"number_for_operand", 4, 14,
     "expected an operand (sbuf[..], psum[..], hbm:TENSOR, hbm@ADDR) or an alias, got '5'", 1},
    {"operand_for_number", 3, 41,
     "expected a number for 'value=', got 'sbuf'", 1},
    {"operand_missing_comma", 4, 38,
     "expected ',' before the 'src' operand of 'copy', got 'hbm'", 1},
    {"partition_range_no_colon", 3, 19,
     "expected ':' in the partition range P0:P1, got ']'", 1},
    {"pattern_not_closed", 3, 35,
     "expected ']' to close the access pattern, got end of line", 1},
    {"psum_bad_bank", 3, 25,
     "expected a bank number after 'bank', got 'bankx.fp32'", 1},
    {"random_seed_twice", 3, 44,
     "random() option 'seed=' given twice", 1},
    {"real_for_integer", 3, 80,
     "expected an integer for 'axes=', got '1.5'", 1},
    {"remote_core_not_on_chip", 3, 14,
     "expected 'sbuf' or 'psum' after the core in 'chip1.core0.hbm' (another core's SBUF is chipN.coreM.sbuf[..] or coreM.sbuf[..])", 1},
    {"remote_sbuf_no_partitions", 3, 30,
     "expected '[' after 'chip1.core0.sbuf' to open the partition range, got '@'", 1},
    {"remote_semaphore_no_core", 3, 16,
     "unknown semaphore 's' of chip 3 core 1 (the trace has no section 'chip 3 core 1')", 1},
    {"section_bad_chip", 3, 6,
     "expected a chip number, got 'x'", 1},
    {"section_chip_out_of_range", 3, 6,
     "expected a chip number of at most 65535, got 70000", 1},
    {"section_missing_core", 3, 8,
     "expected 'core' after the chip number, got 'cor'", 1},
    {"section_trailing", 3, 15,
     "expected end of statement, got 'extra'", 1},
    {"sem_with_operand", 3, 12,
     "expected a semaphore name, got '['", 2,
      {{4, 16, "unknown semaphore 'a' (declare it with '.sem' in this core's section before use)"}}},
    {"sem_set_number", 4, 15,
     "expected a semaphore for operand 'semaphore', got '3'", 1},
    {"semaphore_bad_qualifier", 3, 16,
     "expected a semaphore name or 'chipN.coreM.NAME', got 'chip1.s'", 1},
    {"semaphore_forward_local", 3, 16,
     "unknown semaphore 's' (declare it with '.sem' in this core's section before use)", 1},
    {"semaphore_name_with_dot", 3, 6,
     "expected a semaphore name without '.', got 'a.b'", 1},
    {"semaphore_other_section", 5, 16,
     "unknown semaphore 's' (declare it with '.sem' in this core's section before use)", 1},
    {"semaphore_value_range", 4, 21,
     "expected a semaphore value in the 32-bit signed range, got 5000000000", 1},
    {"slice_rank_mismatch", 4, 44,
     "expected 2 slice dimension(s) for tensor 'A', got 1", 1},
    {"stray_character", 4, 24,
     "expected 'key=value', 'wait(...)' or 'post(...)' after the operands, got unexpected character '$'", 1},
    {"stray_statement", 3, 1,
     "expected an instruction 'ENGINE: OPCODE ...', a section 'chip C core K' or a directive, got 'hello'", 1},
    {"tensor_bad_location", 3, 11,
     "expected a location 'hbm' or 'chipN.hbm', got 'dram'", 1},
    {"tensor_size_wraps", 3, 39,
     "tensor 'W' would hold more than 1099511627776 bytes (1 TiB), the limit for one tensor", 1},
    {"tensor_too_large", 3, 37,
     "tensor 'Big' would hold more than 1099511627776 bytes (1 TiB), the limit for one tensor", 1},
    {"tensor_too_many_dims", 3, 33,
     "expected at most 4 tensor dimensions, got more", 1},
    {"tensor_unknown_dtype", 3, 15,
     "unknown dtype 'fp23'; did you mean 'fp32'?", 1},
    {"tensor_zero_dim", 3, 24,
     "expected a dimension size of at least 1, got 0", 1},
    {"too_few_operands", 4, 37,
     "'copy' takes 2 operand(s) (dst, src), got 1", 1},
    {"too_many_operands", 3, 36,
     "too many operands for 'memset': it takes 1 operand(s) (dst)", 1},
    {"too_many_pattern_dims", 3, 52,
     "expected at most 4 access-pattern dimensions, got more", 1},
    {"unknown_alias", 4, 22,
     "expected an operand (sbuf[..], psum[..], hbm:TENSOR, hbm@ADDR) or an alias, got unknown name 'xs'; did you mean 'xt'?", 1},
    {"unknown_attribute", 3, 70,
     "unknown attribute 'fnc' for 'activation'; did you mean 'func'?", 1},
    {"unknown_directive", 3, 1,
     "unknown directive '.tensr'; did you mean '.tensor'?", 1},
    {"unknown_dtype", 3, 27,
     "unknown dtype 'bf61'; did you mean 'bf16'?", 1},
    {"unknown_engine", 3, 1,
     "unknown engine 'pee'; did you mean 'pe'?", 1},
    {"unknown_opcode", 4, 5,
     "unknown opcode 'matmull'; did you mean 'matmul'?", 1},
    {"unknown_remote_semaphore", 5, 16,
     "unknown semaphore 's_rx' of chip 1 core 0; did you mean 's_tx'?", 1},
    {"unknown_semaphore", 4, 16,
     "unknown semaphore 's_inn'; did you mean 's_in'?", 1},
    {"unknown_semaphore_undeclared", 3, 16,
     "unknown semaphore 'done' (declare it with '.sem' in this core's section before use)", 1},
    {"unknown_tensor", 4, 43,
     "unknown tensor 'B'; did you mean 'A'?", 1},
    {"unknown_tensor_option", 3, 24,
     "unknown tensor option 'outptu'; did you mean 'output'?", 1},
    {"unknown_tensor_typo", 4, 43,
     "unknown tensor 'weight'; did you mean 'weights'?", 1},
    {"unterminated_string", 3, 34,
     "expected a quoted file name, got an unterminated string (no closing '\"')", 1},
    {"wait_twice", 4, 24,
     "'wait(...)' given twice; list every condition in one", 1},
    {"word_value_wrong_group", 3, 98,
     "invalid value 'add' for 'acc=' (expected one of: start, accumulate)", 1},
    {"wrong_engine", 3, 6,
     "opcode 'matmul' does not run on engine 'act' (it runs on: pe)", 1},
    {"wrong_version", 2, 8,
     "unsupported trace format version 2; this trnsim reads version 1", 1},
    {"zero_size", 3, 32,
     "expected a dimension size of at least 1, got 0", 1},
};
// clang-format on

TEST_CASE("bad syntax: every malformed trace reports the expected errors") {
  const auto dir = test::test_data("trace/bad_syntax");
  std::set<std::string> on_disk;
  for (const auto& path : test::files_in(dir, ".trn"))
    on_disk.insert(path.stem().string());
  std::set<std::string> in_table;
  for (const auto& bad : kBadTraces)
    in_table.insert(std::string(bad.file));
  CHECK(on_disk == in_table);
  CHECK(kBadTraces.size() >= 40);

  for (const auto& bad : kBadTraces) {
    const std::string name = std::string(bad.file) + ".trn";
    const std::string text = test::read_text(dir / name);
    INFO(name);
    CHECK_MESSAGE(text.starts_with("# "), "the first line says what is wrong");

    Program program;
    DiagnosticList diags;
    CHECK_FALSE(parse_trace(text, name, program, diags));
    INFO(diags.to_string());
    CHECK(diags.error_count() == bad.errors);
    REQUIRE(diags.items().size() == 1 + bad.others.size());
    const Diagnostic& first = diags.items().front();
    CHECK(first.severity == Severity::kError);
    CHECK(first.file == name);
    CHECK(first.line == bad.line);
    CHECK(first.column == bad.column);
    CHECK(first.message == bad.message);
    CHECK(first.source_line == line_of(text, bad.line));
    for (std::size_t i = 0; i < bad.others.size(); ++i) {
      const Diagnostic& d = diags.items()[i + 1];
      CHECK(d.line == bad.others[i].line);
      CHECK(d.column == bad.others[i].column);
      CHECK(d.message == bad.others[i].message);
      CHECK(d.source_line == line_of(text, d.line));
    }
  }
}

TEST_CASE("bad syntax: a diagnostic prints as file:line:col, the line and a caret") {
  const DiagnosticList diags =
      test::parse_bad(".trace 1\n\tdve:\tmemset sbuf[0:128]@0.bf61[4]\n", "k.trn");
  CHECK(diags.to_string() ==
        "k.trn:2:28: error: unknown dtype 'bf61'; did you mean 'bf16'?\n"
        "  \tdve:\tmemset sbuf[0:128]@0.bf61[4]\n"
        "  \t    \t                     ^\n");
}

TEST_CASE("bad syntax: the source line under a message has no carriage return") {
  const DiagnosticList diags = test::parse_bad(".trace 1\r\npee: nop\r\n");
  REQUIRE(diags.items().size() == 1);
  CHECK(diags.items()[0].source_line == "pee: nop");
}

TEST_CASE("bad syntax: errors past the cap are counted, not shown") {
  // 60 bad lines: the first 50 are kept, in order, and the rest are counted.
  std::string text = ".trace 1\n";
  for (int i = 0; i < 60; ++i)
    text += "pee: nop\n";
  Program program;
  DiagnosticList diags;  // the default cap, 50
  CHECK_FALSE(parse_trace(text, "many.trn", program, diags));
  CHECK(diags.error_count() == 60);
  REQUIRE(diags.items().size() == 50);
  CHECK(diags.items().front().line == 2);
  CHECK(diags.items().back().line == 51);
  const std::string printed = diags.to_string();
  CHECK(
      printed.ends_with("many.trn:51:1: error: unknown engine 'pee'; did you mean 'pe'?\n"
                        "  pee: nop\n"
                        "  ^\n"
                        "10 more error(s) not shown (limit 50)\n"));
}

TEST_CASE("bad syntax: errors found at the end of the file count against the cap too") {
  // Unknown semaphores of other cores are only known at the end of the file.
  std::string text = ".trace 1\nchip 0 core 0\n";
  for (int i = 0; i < 55; ++i)
    text += "sync: nop post(chip1.core0.missing += 1)\n";
  text += "chip 1 core 0\n.sem present\n";
  Program program;
  DiagnosticList diags(10);
  CHECK_FALSE(parse_trace(text, "remote.trn", program, diags));
  CHECK(diags.error_count() == 55);
  REQUIRE(diags.items().size() == 10);
  CHECK(diags.items()[0].message == "unknown semaphore 'missing' of chip 1 core 0");
  CHECK(diags.items()[0].line == 3);
  CHECK(diags.items()[0].column == 16);
  CHECK(diags.to_string().ends_with("45 more error(s) not shown (limit 10)\n"));
}

TEST_CASE("bad syntax: a broken line does not hide later declarations or instructions") {
  // The tensor on line 2 is bad, so line 3 declares A; line 4 is bad; line 5 parses.
  Program program;
  DiagnosticList diags;
  CHECK_FALSE(
      parse_trace(".trace 1\n.tensor A hbm bf16 [0]\n.tensor A hbm bf16 [4]\n"
                  "dve: memset sbuf[0:1]@0.bf16[4] value=x\ndma.q0: copy hbm:A, hbm:A\n",
                  "t.trn", program, diags));
  CHECK(diags.error_count() == 2);
  REQUIRE(program.tensors.size() == 1);
  CHECK(program.tensors[0].line == 3);
  REQUIRE(program.instructions.size() == 1);
  CHECK(program.instructions[0].line == 5);
}

TEST_CASE("bad syntax: a line abandoned after a remote semaphore leaves no fix-up behind") {
  // The remote name on line 3 is never declared, but its line fails for another reason
  // first (the bad value), so the only errors are that one and line 4's.
  const DiagnosticList diags = test::parse_bad(
      ".trace 1\n.sem s\nsync: nop post(chip1.core0.x += 1, s += q)\nsync: nop post(t += 1)\n");
  REQUIRE(diags.error_count() == 2);
  CHECK(diags.items()[0].message == "expected a semaphore value, got 'q'");
  CHECK(diags.items()[1].message == "unknown semaphore 't'; did you mean 's'?");
}

}  // namespace
}  // namespace trnsim::trace
