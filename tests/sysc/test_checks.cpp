// The dynamic checks against whole generated workloads: a correct schedule must pass with
// no finding (no false positives), and breaking one of its waits must be caught.
#include <doctest/doctest.h>

#include <string>

#include <fmt/format.h>

#include "check/dynamic_errors.h"
#include "check/race_detector.h"
#include "config/config_loader.h"
#include "gen/gemm.h"
#include "sysc/system/simulation.h"
#include "trace/checker.h"
#include "trace/hbm_layout.h"

using namespace trnsim;

namespace {

struct Findings {
  std::size_t races = 0;
  std::size_t errors = 0;
  bool completed = false;
};

Findings run_checks(const trace::Program& program, const config::SystemConfig& cfg) {
  DiagnosticList diags;
  REQUIRE(trace::check_program(program, cfg, {}, diags));
  const auto addresses = trace::assign_tensor_addresses(program, cfg.hbm, nullptr);
  check::RaceDetector races(program, cfg, addresses);
  check::DynamicErrors errors(program, cfg, addresses);
  const sysc::SimulationResult result = sysc::simulate(program, cfg, addresses, {&races, &errors});
  DiagnosticList found;
  races.report(found, {});
  errors.report(found, {});
  INFO(found.to_string());
  return {races.races().size(), errors.count(), result.completed};
}

}  // namespace

TEST_CASE("generated GEMMs of every shape and core count pass the race and run-time checks") {
  const config::SystemConfig trn2 = config::load_config(TRNSIM_SOURCE_DIR "/configs/trn2.yaml");
  const config::SystemConfig tiny = config::load_config(TRNSIM_SOURCE_DIR "/configs/tiny.yaml");
  struct Case {
    std::uint64_t m, n, k;
    std::uint32_t cores;
    isa::DType dtype;
    gen::Evacuation evacuation;
    const config::SystemConfig* cfg;
  };
  const Case cases[] = {
      {1, 4096, 4096, 1, isa::DType::kBf16, gen::Evacuation::kAlternate, &trn2},
      {300, 700, 500, 1, isa::DType::kBf16, gen::Evacuation::kAlternate, &trn2},
      {512, 512, 512, 4, isa::DType::kBf16, gen::Evacuation::kScalar, &trn2},
      {1000, 1000, 1000, 3, isa::DType::kFp8e4, gen::Evacuation::kAlternate, &trn2},
      {2048, 256, 4096, 2, isa::DType::kBf16, gen::Evacuation::kVector, &trn2},
      {128, 128, 128, 1, isa::DType::kFp32, gen::Evacuation::kAlternate, &trn2},
      {256, 512, 384, 1, isa::DType::kBf16, gen::Evacuation::kAlternate, &tiny},
      {200, 130, 70, 2, isa::DType::kBf16, gen::Evacuation::kAlternate, &tiny},
  };
  for (const Case& c : cases) {
    CAPTURE(fmt::format("{}x{}x{} {} cores {}", c.m, c.n, c.k, c.cores, isa::dtype_name(c.dtype)));
    gen::GemmOptions o;
    o.m = c.m;
    o.n = c.n;
    o.k = c.k;
    o.cores = c.cores;
    o.dtype = c.dtype;
    o.evacuation = c.evacuation;
    const Findings f = run_checks(gen::gemm(o, *c.cfg), *c.cfg);
    CHECK(f.completed);
    CHECK(f.races == 0);
    CHECK(f.errors == 0);
  }
}

TEST_CASE("dropping any one wait of a generated GEMM is caught") {
  // Every wait(...) of the tiny GEMM, removed in turn: each mutant must race, read
  // unwritten memory or deadlock (a wait that only repeated another would pass, and the
  // generator emits none).
  const config::SystemConfig tiny = config::load_config(TRNSIM_SOURCE_DIR "/configs/tiny.yaml");
  gen::GemmOptions o;
  o.m = 256;
  o.n = 256;
  o.k = 256;
  const trace::Program original = gen::gemm(o, tiny);
  std::size_t mutants = 0;
  for (std::size_t s = 0; s < original.syncs.size(); ++s) {
    if (original.syncs[s].kind != trace::SyncKind::kWaitGe) continue;
    trace::Program mutant = original;
    mutant.syncs[s].value = 0;  // wait(x >= 0): always true, as if the wait were not there
    const Findings f = run_checks(mutant, tiny);
    CAPTURE(s);
    CHECK((f.races > 0 || f.errors > 0 || !f.completed));
    ++mutants;
  }
  CHECK(mutants > 20);
}
