// Small traces and helpers shared by the CLI tests. The traces are written by hand so
// each test's expected figures can be derived in a comment.
#pragma once

#include <string>
#include <vector>

#include "run_trnsim.h"

namespace trnsim::test {

// The one-tile example of the trace spec: 3 DMA copies, 1 matmul, 1 activation.
//   HBM bytes: W 128*128*2 + X 128*512*2 + Y 128*512*2 = 32768 + 131072 + 131072 = 294912
//   DMA bytes (no dtype conversion): 128*128*2 + 128*512*2 + 128*512*2 = 294912
//   matmul FLOPs: 2 * K(128) * M(128) * N(512) = 16777216
inline const std::string kTileTracePath = TRNSIM_TEST_DATA_DIR "/trace/good/gemm_tile.trn";

// Parses, but line 3 writes SBUF at 256 KiB: beyond every preset's partition size.
inline const std::string kOutOfBoundsTrace = R"(.trace 1
.tensor X hbm bf16 [128, 512] init=random(seed=2)
dma.q0: copy sbuf[0:128]@0x40000.bf16[512], hbm:X[0:128, 0:512]
)";

// Line 3 has a misspelt dtype (bf17) at column 37.
inline const std::string kMalformedTrace = R"(.trace 1
.tensor X hbm bf16 [128, 512] init=random(seed=2)
dma.q0: copy sbuf[0:128]@0x0000.bf17[512], hbm:X[0:128, 0:512]
)";

// Three lines with unknown opcodes: three parse errors.
inline const std::string kThreeErrorsTrace = R"(.trace 1
pe: matmol
act: activaton
dve: tensor_tensr
)";

// Everything a failing check should show: the command line, exit status and both streams.
std::string describe(const RunResult& r);

bool contains(const std::string& text, const std::string& part);

// The whitespace-separated words of the first line of `text` that starts with `prefix`
// (after leading spaces); empty when there is none.
std::vector<std::string> words_of_line(const std::string& text, const std::string& prefix);

// True when `text` has a diagnostic `FILE:LINE:COL: error:` for `file`.
bool has_error_at_line_and_column(const std::string& text, const std::string& file);

// Run trnsim with `args` and check the outcome, showing the whole run on any failure;
// return the result for further checks.
// expect_ok: exit status 0, and stdout contains each of `out_parts`.
RunResult expect_ok(const std::vector<std::string>& args,
                    const std::vector<std::string>& out_parts = {});
// expect_exit: exit status `exit_code`, and stderr contains each of `err_parts`.
RunResult expect_exit(const std::vector<std::string>& args, int exit_code,
                      const std::vector<std::string>& err_parts = {});

// A path in the source tree (workloads/, configs/).
std::string source_path(const std::string& relative);

}  // namespace trnsim::test
