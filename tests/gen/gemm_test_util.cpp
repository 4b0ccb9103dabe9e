#include "gemm_test_util.h"

#include <algorithm>

#include <fmt/format.h>

#include "trace/parser.h"
#include "trace/printer.h"
#include "trace_interpreter.h"

namespace trnsim::test {

config::SystemConfig trn2_config() {
  return config::SystemConfig{};
}

config::SystemConfig tiny_config() {
  config::SystemConfig cfg;
  cfg.name = "tiny";
  cfg.chip.cores = 2;
  cfg.tensor.rows = 16;
  cfg.tensor.cols = 16;
  cfg.sbuf.partitions = 16;
  cfg.sbuf.bytes_per_partition = 16 * 1024;
  cfg.psum.partitions = 16;
  cfg.psum.banks = 4;
  cfg.psum.bank_bytes = 2 * 1024;
  cfg.dma.engines = 4;
  cfg.dma.queues = 4;
  cfg.vector.lanes = cfg.scalar.lanes = cfg.gpsimd.lanes = 16;
  cfg.hbm.capacity_bytes = 64ull << 20;
  return cfg;
}

config::SystemConfig GemmCase::make_config() const {
  return config == "tiny" ? tiny_config() : trn2_config();
}

gen::GemmOptions GemmCase::options() const {
  gen::GemmOptions o;
  o.m = m;
  o.n = n;
  o.k = k;
  o.cores = cores;
  return o;
}

std::string GemmCase::name() const {
  return fmt::format("{}x{}x{} on {} ({} core{})", m, n, k, config, cores, cores == 1 ? "" : "s");
}

Generated generate(const gen::GemmOptions& options, const config::SystemConfig& cfg) {
  return print_and_parse(gen::gemm(options, cfg));
}

std::vector<std::uint32_t> reference_c(const gen::GemmOptions& o) {
  // A batched GEMM's tensors hold its batches one after another, batch outermost.
  const std::uint64_t batches = std::max<std::uint64_t>(1, o.batch);
  std::vector<std::uint32_t> at(batches * o.k * o.m), b(batches * o.k * o.n),
      c(batches * o.m * o.n, 0);
  for (std::uint64_t i = 0; i < at.size(); ++i)
    at[i] = initial_value(o.seed, i);
  for (std::uint64_t i = 0; i < b.size(); ++i)
    b[i] = initial_value(o.seed + 1, i);
  for (std::uint64_t batch = 0; batch < batches; ++batch) {
    const std::uint32_t* at_b = at.data() + batch * o.k * o.m;
    const std::uint32_t* b_b = b.data() + batch * o.k * o.n;
    std::uint32_t* c_b = c.data() + batch * o.m * o.n;
    for (std::uint64_t k = 0; k < o.k; ++k) {
      for (std::uint64_t m = 0; m < o.m; ++m) {
        const std::uint32_t a = at_b[k * o.m + m];
        for (std::uint64_t n = 0; n < o.n; ++n)
          c_b[m * o.n + n] += a * b_b[k * o.n + n];
      }
    }
  }
  return c;
}

}  // namespace trnsim::test
