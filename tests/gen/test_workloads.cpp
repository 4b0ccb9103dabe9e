// The generated traces kept in workloads/ are exactly what the generator makes today from
// the preset config files, and workloads/README.md and scripts/regen-workloads.sh list the
// command that makes each one. To update them after a deliberate change of the generator:
// scripts/regen-workloads.sh (see workloads/README.md).
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "common/source_file.h"
#include "config/config_loader.h"
#include "gemm_test_util.h"
#include "gen/gemm.h"
#include "trace/printer.h"

using namespace trnsim;

namespace {

struct Workload {
  std::string file;     // in workloads/
  test::GemmCase gemm;  // gemm.config names the preset configs/<config>.yaml

  // The command line, as written in the README and the script (run from the repository root).
  std::string command() const {
    std::string cmd =
        fmt::format("gen gemm --m {} --n {} --k {} --dtype bf16", gemm.m, gemm.n, gemm.k);
    if (gemm.cores != 1) cmd += fmt::format(" --cores {}", gemm.cores);
    return cmd + fmt::format(" --config configs/{}.yaml -o workloads/{}", gemm.config, file);
  }
};

const Workload kWorkloads[] = {
    {"gemm-1024x1024x1024-bf16-trn2.trn", {"trn2", 1024, 1024, 1024}},
    {"gemm-256x512x384-bf16-tiny.trn", {"tiny", 256, 512, 384}},
    {"gemm-2048x2048x2048-bf16-trn2-2cores.trn", {"trn2", 2048, 2048, 2048, 2}},
};

std::string source_path(const std::string& relative) {
  return std::string(TRNSIM_SOURCE_DIR) + "/" + relative;
}

}  // namespace

TEST_CASE("workloads: each golden trace is what the generator makes from its preset") {
  for (const Workload& w : kWorkloads) {
    INFO(w.file, " (update with scripts/regen-workloads.sh if the change is intended)");
    const config::SystemConfig cfg =
        config::load_config(source_path("configs/" + w.gemm.config + ".yaml"));
    const std::string text = trace::print_program(gen::gemm(w.gemm.options(), cfg));
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
