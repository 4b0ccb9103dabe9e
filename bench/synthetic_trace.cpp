#include "synthetic_trace.h"

#include <iterator>

#include <fmt/format.h>

namespace trnsim::bench {

namespace {

// A[M, K] x B[K, N] -> C[M, N], in 128 x 128 (A), 128 x 512 (B, C) tiles.
constexpr std::uint64_t kM = 4096;
constexpr std::uint64_t kN = 4096;
constexpr std::uint64_t kK = 4096;
constexpr const char* kFunctions[] = {"gelu", "relu", "silu", "identity", "tanh", "exp"};
constexpr const char* kVectorOps[] = {"add", "mul", "max", "sub"};

}  // namespace

std::string synthetic_trace(std::uint64_t instructions, std::uint32_t cores) {
  const std::uint64_t tiles = instructions / kInstructionsPerTile;
  std::string text;
  text.reserve(tiles * kInstructionsPerTile * 120 + 4096);
  auto out = std::back_inserter(text);

  fmt::format_to(out, ".trace 1\n");
  fmt::format_to(out, ".tensor A hbm bf16 [{}, {}] init=random(seed=1)\n", kM, kK);
  fmt::format_to(out, ".tensor B hbm bf16 [{}, {}] init=random(seed=2)\n", kK, kN);
  fmt::format_to(out, ".tensor C hbm bf16 [{}, {}] output\n", kM, kN);

  const std::uint64_t tiles_per_core = (tiles + cores - 1) / cores;
  for (std::uint32_t core = 0; core < cores; ++core) {
    fmt::format_to(out, "\nchip 0 core {}\n", core);
    fmt::format_to(out, ".sem s_ld s_mm s_act s_dve s_pool s_st\n");
    const std::uint64_t begin = core * tiles_per_core;
    const std::uint64_t end = std::min(tiles, begin + tiles_per_core);
    for (std::uint64_t t = begin; t < end; ++t) {
      const std::uint64_t i = t - begin + 1;  // semaphore targets of this tile
      const std::uint64_t kt = t % (kK / 128);
      const std::uint64_t mt = (t / (kK / 128)) % (kM / 128);
      const std::uint64_t nt = (t / (kK / 128) / (kM / 128)) % (kN / 512);
      // SBUF layout per partition: A tiles in [0, 8 KiB), B tiles in [8, 40 KiB),
      // results in [64, 128) KiB; rotating buffers so the pool is not one operand.
      const std::uint64_t a_off = (t % 32) * 256;
      const std::uint64_t b_off = 8192 + (t % 32) * 1024;
      const std::uint64_t o_off = 65536 + (t % 64) * 1024;
      const std::uint64_t bank = t % 8;
      const std::uint32_t q = static_cast<std::uint32_t>(t % 16);

      fmt::format_to(out,
                     "dma.q{}: copy sbuf[0:128]@{:#x}.bf16[128], hbm:A[{}:{}, {}:{}]  post(s_ld "
                     "+= 1)\n",
                     q, a_off, mt * 128, mt * 128 + 128, kt * 128, kt * 128 + 128);
      fmt::format_to(out,
                     "dma.q{}: copy sbuf[0:128]@{:#x}.bf16[512], hbm:B[{}:{}, {}:{}]  post(s_ld "
                     "+= 1)\n",
                     (q + 1) % 16, b_off, kt * 128, kt * 128 + 128, nt * 512, nt * 512 + 512);
      fmt::format_to(out,
                     "pe: matmul psum[0:128]@bank{}.fp32[512], sbuf[0:128]@{:#x}.bf16[128], "
                     "sbuf[0:128]@{:#x}.bf16[512] acc={} wait(s_ld >= {}) post(s_mm += 1)\n",
                     bank, a_off, b_off, kt == 0 ? "start" : "accumulate", 2 * i);
      fmt::format_to(out,
                     "act: activation sbuf[0:128]@{:#x}.bf16[512], psum[0:128]@bank{}.fp32[512] "
                     "func={} scale=0.5 wait(s_mm >= {}) post(s_act += 1)\n",
                     o_off, bank, kFunctions[t % std::size(kFunctions)], i);
      fmt::format_to(out,
                     "dve: tensor_tensor sbuf[0:128]@{:#x}.bf16[512], sbuf[0:128]@{:#x}.bf16[512], "
                     "sbuf[0:128]@{:#x}.bf16[512] op={} wait(s_act >= {}) post(s_dve += 1)\n",
                     o_off, o_off, b_off, kVectorOps[t % std::size(kVectorOps)], i);
      fmt::format_to(
          out,
          "pool: tensor_scalar sbuf[0:128]@{:#x}.bf16[256:2], sbuf[0:128]@{:#x}.bf16[256:2] "
          "op0=mul s0={} wait(s_dve >= {}) post(s_pool += 1)\n",
          o_off, o_off, 0.25 * static_cast<double>(t % 7 + 1), i);
      fmt::format_to(out, "sync: nop wait(s_pool >= {}, s_act >= {}) post(s_st += 1)\n", i, i);
      fmt::format_to(out,
                     "dma.q{}: copy hbm:C[{}:{}, {}:{}], sbuf[0:128]@{:#x}.bf16[512]  wait(s_st "
                     ">= {})\n",
                     (q + 2) % 16, mt * 128, mt * 128 + 128, nt * 512, nt * 512 + 512, o_off, i);
      fmt::format_to(out,
                     "dve: tensor_copy sbuf[{}:{}]@{:#x}.fp32[64], sbuf[{}:{}]@{:#x}.bf16[64]\n",
                     (t % 4) * 32, (t % 4) * 32 + 32, 131072 + (t % 16) * 256, (t % 4) * 32,
                     (t % 4) * 32 + 32, o_off);
    }
  }
  return text;
}

std::string dma_trace(std::uint64_t transfers) {
  constexpr std::uint64_t kRows = 8192;
  constexpr std::uint64_t kCols = 4096;
  constexpr std::uint64_t kBuffers = 8;  // load queue b, store queue b + 8, SBUF buffer b
  constexpr std::uint64_t kWidths[] = {256, 4096, 1024, 2048, 512, 4096, 128, 4096};
  constexpr std::uint64_t kBufferBytes = 8192;  // per partition: the widest tile, bf16
  const std::uint64_t pairs = transfers / 2;
  std::string text;
  text.reserve(pairs * 240 + 1024);
  auto out = std::back_inserter(text);

  fmt::format_to(out, ".trace 1\n");
  fmt::format_to(out, ".tensor X hbm bf16 [{}, {}] init=random(seed=3)\n", kRows, kCols);
  fmt::format_to(out, ".tensor Y hbm bf16 [{}, {}] output\n", kRows, kCols);
  fmt::format_to(out, "\nchip 0 core 0\n.sem");
  for (std::uint64_t b = 0; b < kBuffers; ++b)
    fmt::format_to(out, " loaded{} stored{}", b, b);
  fmt::format_to(out, "\n");
  for (std::uint64_t i = 0; i < pairs; ++i) {
    const std::uint64_t b = i % kBuffers;
    const std::uint64_t round = i / kBuffers;  // earlier uses of buffer b
    const std::uint64_t width = kWidths[(i / 3) % std::size(kWidths)];
    const std::uint64_t blocks_per_row = kCols / width;
    const std::uint64_t block = (i * 7) % ((kRows / 128) * blocks_per_row);
    const std::uint64_t row = (block / blocks_per_row) * 128;
    const std::uint64_t col = (block % blocks_per_row) * width;
    const std::uint64_t offset = b * kBufferBytes;
    const std::string reuse =
        round == 0 ? std::string() : fmt::format(" wait(stored{} >= {})", b, round);
    fmt::format_to(out,
                   "dma.q{}: copy sbuf[0:128]@{:#x}.bf16[{}], hbm:X[{}:{}, {}:{}]{} "
                   "post(loaded{} += 1)\n",
                   b, offset, width, row, row + 128, col, col + width, reuse, b);
    fmt::format_to(out,
                   "dma.q{}: copy hbm:Y[{}:{}, {}:{}], sbuf[0:128]@{:#x}.bf16[{}] "
                   "wait(loaded{} >= {}) post(stored{} += 1 @read)\n",
                   b + kBuffers, row, row + 128, col, col + width, offset, width, b, round + 1, b);
  }
  return text;
}

}  // namespace trnsim::bench
