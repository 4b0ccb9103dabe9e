// `gen bmm`: the batched GEMM is legal for its chip, race- and deadlock-free under adversarial
// interleavings (tests/gen/trace_interpreter.h), computes every batch's product, schedules
// batch=1 exactly like `gen gemm`, splits batches over cores, and the test can fail:
// removing a guarding wait is caught.
#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <regex>

#include <fmt/format.h>

#include "common/diagnostic.h"
#include "gemm_test_util.h"
#include "gen/gemm.h"
#include "generator_checks.h"
#include "trace/checker.h"
#include "trace/parser.h"
#include "trace/printer.h"
#include "trace_interpreter.h"

using namespace trnsim;
using namespace trnsim::test;

namespace {

struct BmmCase {
  std::string config;  // "trn2" or "tiny"
  std::uint32_t batch;
  std::uint64_t m, n, k;
  std::uint32_t cores = 1;

  config::SystemConfig make_config() const {
    return config == "tiny" ? tiny_config() : trn2_config();
  }
  gen::GemmOptions options() const {
    gen::GemmOptions o;
    o.batch = batch;
    o.m = m;
    o.n = n;
    o.k = k;
    o.cores = cores;
    return o;
  }
  std::string name() const {
    return fmt::format("bmm {} x {}x{}x{} on {} x {}", batch, m, n, k, cores, config);
  }
};

const BmmCase kCases[] = {
    {"tiny", 4, 40, 20, 50},       // partial tiles, several K tiles, 4 batches through 4 banks
    {"tiny", 3, 16, 16, 16, 2},    // one tile per batch: cores split the batches 2 + 1
    {"tiny", 2, 33, 100, 20, 2},   // two batches, one per core
    {"trn2", 3, 100, 300, 140},    // batches of one partial tile each
    {"trn2", 8, 128, 128, 64, 4},  // many small attention-like products over 4 cores
    {"trn2", 2, 130, 520, 130},    // 2 x 2 tiles, partial, and 2 K tiles per batch
};

// The first error of any interleaving, a C different from the reference, or an element of C
// not written exactly once; empty when every run is right.
std::string first_failure(const trace::Program& p, const config::SystemConfig& cfg,
                          const gen::GemmOptions& o) {
  return first_interleaving_failure(p, cfg, "C", reference_c(o), "differs from the reference",
                                    true);
}

std::string error_of(const gen::GemmOptions& o, const config::SystemConfig& cfg) {
  return input_error_message([&] { gen::gemm(o, cfg); }, "gen bmm");
}

}  // namespace

TEST_CASE("bmm: traces are canonical, legal and deterministic, with 3-D tensors") {
  for (const BmmCase& c : kCases) {
    INFO(c.name());
    const config::SystemConfig cfg = c.make_config();
    const Generated g = generate(c.options(), cfg);
    std::string why;
    CHECK_MESSAGE(trace::equivalent(g.program, g.parsed, &why), why);
    CHECK(trace::print_program(g.parsed) == g.text);
    DiagnosticList diags;
    CHECK_MESSAGE(trace::check_program(g.parsed, cfg, g.text, diags), diags.to_string());
    CHECK(g.text == trace::print_program(gen::gemm(c.options(), cfg)));
    CHECK(g.program.file == "gen bmm");
    const auto& t = g.parsed.tensors;
    REQUIRE(t.size() == 3);
    CHECK(t[0].shape == std::vector<std::uint64_t>{c.batch, c.k, c.m});
    CHECK(t[1].shape == std::vector<std::uint64_t>{c.batch, c.k, c.n});
    CHECK(t[2].shape == std::vector<std::uint64_t>{c.batch, c.m, c.n});
    CHECK(t[2].output);
  }
}

TEST_CASE("bmm: no race, no deadlock, every batch's C written once and right") {
  for (const BmmCase& c : kCases) {
    INFO(c.name());
    const config::SystemConfig cfg = c.make_config();
    const Generated g = generate(c.options(), cfg);
    const std::string failure = first_failure(g.parsed, cfg, c.options());
    CHECK_MESSAGE(failure.empty(), failure);
  }
}

TEST_CASE("bmm: batch=1 is the schedule of gen gemm, instruction for instruction") {
  for (const BmmCase& c : kCases) {
    INFO(c.name());
    const config::SystemConfig cfg = c.make_config();
    gen::GemmOptions bmm = c.options();
    bmm.batch = 1;
    bmm.cores = 1;  // one batch of one tile cannot be split over several cores
    gen::GemmOptions gemm = bmm;
    gemm.batch = 0;
    // The only differences: the leading batch dimension of the tensors and their slices.
    std::string text = trace::print_program(gen::gemm(bmm, cfg));
    text = std::regex_replace(text, std::regex(R"(\[1, )"), "[");
    text = std::regex_replace(text, std::regex(R"(\[0:1, )"), "[");
    CHECK(text == trace::print_program(gen::gemm(gemm, cfg)));
  }
}

TEST_CASE("bmm: the rings keep rotating across batches instead of draining") {
  // One 128x512x128 tile per batch on trn2: each batch loads one AT and one B tile. With
  // two slots per ring, batch b + 1's loads wait only for batch b - 1's matmul to have read
  // the slot, never for batch b's evacuation or store.
  const config::SystemConfig cfg = trn2_config();
  gen::GemmOptions o;
  o.batch = 8;
  o.m = 128;
  o.n = 512;
  o.k = 128;
  const gen::GemmPlan plan = gen::plan_gemm(o, cfg);
  REQUIRE(plan.cores.size() == 1);
  CHECK(plan.cores[0].at.slots >= 2);
  CHECK(plan.cores[0].b.slots >= 2);
  const std::string text = trace::print_program(gen::gemm(o, cfg));
  std::size_t loads = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t end = text.find('\n', pos);
    const std::string line = text.substr(pos, end - pos);
    if (line.rfind("dma.", 0) == 0 && has(line, "copy sbuf")) {
      ++loads;
      INFO(line);
      CHECK(!has(line, "wait(ps"));
      CHECK(!has(line, "wait(c"));
    }
    pos = end + 1;
  }
  CHECK(loads == 2 * o.batch);
}

TEST_CASE("bmm: cores split the batches when the tiles of one batch are fewer than cores") {
  const config::SystemConfig cfg = trn2_config();
  gen::GemmOptions o;
  o.batch = 32;
  o.m = 128;
  o.n = 128;
  o.k = 64;
  o.cores = 4;
  const gen::GemmPlan plan = gen::plan_gemm(o, cfg);
  REQUIRE(plan.cores.size() == 4);
  for (std::uint32_t c = 0; c < 4; ++c) {
    CHECK(plan.cores[c].batches.begin == 8 * c);
    CHECK(plan.cores[c].batches.end == 8 * (c + 1));
  }
  CHECK(has(gen::describe(plan), "batches [24, 32)"));
  // With many tiles per batch and few batches, the cores split the tiles as gemm does.
  o.batch = 2;
  o.m = 1024;
  o.n = 1024;
  o.k = 128;
  o.cores = 8;
  const gen::GemmPlan tiles = gen::plan_gemm(o, cfg);
  REQUIRE(tiles.cores.size() == 8);
  for (const gen::CorePlan& core : tiles.cores)
    CHECK(core.batches.size() == 1);
}

TEST_CASE("bmm: removing a guarding wait is caught") {
  // 4 batches of 40x20x50 on the tiny chip: 4 K tiles each, so every ring slot and PSUM
  // bank is reused several times, across batch boundaries.
  const BmmCase c = kCases[0];
  const config::SystemConfig cfg = c.make_config();
  const Generated g = generate(c.options(), cfg);
  REQUIRE(first_failure(g.parsed, cfg, c.options()).empty());
  struct Mutant {
    std::string what;
    std::function<bool(const std::string&)> pick;
  };
  const Mutant mutants[] = {
      {"a load into a slot still being read",
       [](const std::string& line) {
         return line.rfind("dma.", 0) == 0 && has(line, "copy sbuf");
       }},
      {"the first matmul of an output tile",
       [](const std::string& line) { return has(line, "matmul") && has(line, "acc=start"); }},
      {"an evacuation", [](const std::string& line) { return has(line, "activation"); }},
      {"a store", [](const std::string& line) { return has(line, "copy hbm:C"); }},
  };
  for (const Mutant& m : mutants) {
    INFO("removed the wait of ", m.what);
    const std::string text = without_wait(g.text, m.pick);
    REQUIRE(text != g.text);
    const trace::Program mutated = trace::parse_trace(text, "mutated.trn");
    const std::string failure = first_failure(mutated, cfg, c.options());
    MESSAGE(m.what, " -> ", failure);
    CHECK(!failure.empty());
  }
}

TEST_CASE("bmm: invalid options are InputErrors of gen bmm that say what is wrong") {
  const config::SystemConfig cfg = trn2_config();
  gen::GemmOptions o;
  o.batch = 2;
  o.m = 128;
  o.n = 128;
  o.k = 64;
  o.cores = 3;
  CHECK(has(error_of(o, cfg), "cannot split 2 batches of the 1x1 grid"));
  o.cores = 9;
  CHECK(has(error_of(o, cfg), "cores must be between 1 and 8"));
  o.cores = 1;
  o.m = 0;
  CHECK(has(error_of(o, cfg), "at least 1"));
  // 200 x (AT and B of 4096 x 16384 bf16 + C of 16384 x 16384 bf16) = 161 GB > 96 GiB.
  o.m = 1 << 14;
  o.n = 1 << 14;
  o.k = 1 << 12;
  o.batch = 200;
  CHECK(has(error_of(o, cfg), "bytes of HBM"));
}
