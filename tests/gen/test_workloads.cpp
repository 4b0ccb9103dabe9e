// The generated traces kept in workloads/ are exactly what the generator makes today from
// the preset config files (gen gemm, gen tp-gemm), and workloads/README.md and
// scripts/regen-workloads.sh list the command that makes each one. To update them after a
// deliberate change of the generator: scripts/regen-workloads.sh (see workloads/README.md).
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <functional>

#include <fmt/format.h>

#include "common/source_file.h"
#include "config/config_loader.h"
#include "gemm_test_util.h"
#include "gen/gemm.h"
#include "gen/tp_gemm.h"
#include "trace/printer.h"

using namespace trnsim;

namespace {

struct Workload {
  std::string file;    // in workloads/
  std::string config;  // the preset configs/<config>.yaml
  std::string args;    // `gen` and its options before --config, as on the command line
  std::function<trace::Program(const config::SystemConfig&)> generate;

  // The command line, as written in the README and the script (run from the repository root).
  std::string command() const {
    return fmt::format("gen {} --config configs/{}.yaml -o workloads/{}", args, config, file);
  }
};

Workload gemm_workload(std::string file, test::GemmCase gemm) {
  std::string args = fmt::format("gemm --m {} --n {} --k {} --dtype bf16", gemm.m, gemm.n, gemm.k);
  if (gemm.cores != 1) args += fmt::format(" --cores {}", gemm.cores);
  return {std::move(file), gemm.config, args,
          [gemm](const config::SystemConfig& cfg) { return gen::gemm(gemm.options(), cfg); }};
}

Workload tp_gemm_workload(std::string file, std::string config, gen::TpGemmOptions o) {
  const std::string args = fmt::format("tp-gemm --m {} --n {} --k {} --chips {} --chunks {}", o.m,
                                       o.n, o.k, o.chips, o.chunks);
  return {std::move(file), std::move(config), args,
          [o](const config::SystemConfig& cfg) { return gen::tp_gemm(o, cfg); }};
}

gen::TpGemmOptions tp_gemm_options(std::uint64_t m, std::uint64_t n, std::uint64_t k,
                                   std::uint32_t chips, std::uint32_t chunks) {
  gen::TpGemmOptions o;
  o.m = m;
  o.n = n;
  o.k = k;
  o.chips = chips;
  o.chunks = chunks;
  return o;
}

const Workload kWorkloads[] = {
    gemm_workload("gemm-1024x1024x1024-bf16-trn2.trn", {"trn2", 1024, 1024, 1024}),
    gemm_workload("gemm-256x512x384-bf16-tiny.trn", {"tiny", 256, 512, 384}),
    gemm_workload("gemm-2048x2048x2048-bf16-trn2-2cores.trn", {"trn2", 2048, 2048, 2048, 2}),
    tp_gemm_workload("tp-gemm-512x128x1024-bf16-4chips-trn2-16.trn", "trn2-16",
                     tp_gemm_options(512, 128, 1024, 4, 4)),
};

std::string source_path(const std::string& relative) {
  return std::string(TRNSIM_SOURCE_DIR) + "/" + relative;
}

}  // namespace

TEST_CASE("workloads: each golden trace is what the generator makes from its preset") {
  for (const Workload& w : kWorkloads) {
    INFO(w.file, " (update with scripts/regen-workloads.sh if the change is intended)");
    const config::SystemConfig cfg =
        config::load_config(source_path("configs/" + w.config + ".yaml"));
    const std::string text = trace::print_program(w.generate(cfg));
    const std::string golden = read_file(source_path("workloads/" + w.file));
    CHECK(text == golden);
  }
}

TEST_CASE("workloads: the README and the regeneration script give each file's command") {
  const std::string readme = read_file(source_path("workloads/README.md"));
  const std::string script = read_file(source_path("scripts/regen-workloads.sh"));
  for (const Workload& w : kWorkloads) {
    INFO(w.command());
    CHECK(readme.find("trnsim " + w.command()) != std::string::npos);
    CHECK(script.find(w.command()) != std::string::npos);
  }
  // Every trace in workloads/ is one of the above, so none goes stale unnoticed.
  for (const auto& entry : std::filesystem::directory_iterator(source_path("workloads"))) {
    if (entry.path().extension() != ".trn") continue;
    const std::string name = entry.path().filename().string();
    INFO(name);
    CHECK(std::any_of(std::begin(kWorkloads), std::end(kWorkloads),
                      [&](const Workload& w) { return w.file == name; }));
  }
}
