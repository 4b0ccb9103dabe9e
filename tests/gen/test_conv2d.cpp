// `gen conv2d`: the implicit-im2col convolution is legal for its chip, race- and deadlock-
// free under adversarial interleavings (tests/gen/trace_interpreter.h), computes the
// convolution over zero padding exactly (integer stand-in arithmetic), and the test can fail:
// removing a guarding wait is caught.
#include <doctest/doctest.h>

#include <algorithm>
#include <functional>

#include <fmt/format.h>

#include "common/diagnostic.h"
#include "gemm_test_util.h"
#include "gen/conv2d.h"
#include "generator_checks.h"
#include "trace/checker.h"
#include "trace/parser.h"
#include "trace/printer.h"
#include "trace_interpreter.h"

using namespace trnsim;
using namespace trnsim::test;

namespace {

struct ConvCase {
  std::string config;  // "trn2" or "tiny"
  std::uint64_t n, c, f, h, w, r, s, stride, pad;
  std::uint32_t cores = 1;

  config::SystemConfig make_config() const {
    return config == "tiny" ? tiny_config() : trn2_config();
  }
  gen::Conv2dOptions options() const {
    gen::Conv2dOptions o;
    o.batch = n;
    o.in_channels = c;
    o.out_channels = f;
    o.height = h;
    o.width = w;
    o.kernel_h = r;
    o.kernel_w = s;
    o.stride = stride;
    o.padding = pad;
    o.cores = cores;
    return o;
  }
  std::string name() const {
    return fmt::format("conv N={} C={} F={} {}x{} k{}x{} s{} p{} on {} x {}", n, c, f, h, w, r, s,
                       stride, pad, cores, config);
  }
};

const ConvCase kCases[] = {
    // 2 channel chunks and 2 F tiles of 16 on the tiny chip; 3x3, padding 1.
    {"tiny", 2, 20, 20, 6, 6, 3, 3, 1, 1},
    // Stride 2, a non-square kernel, odd sizes, more padding than needed on one side.
    {"tiny", 1, 5, 7, 7, 9, 3, 2, 2, 1},
    // 1x1 conv without padding, two cores.
    {"tiny", 2, 16, 8, 5, 5, 1, 1, 1, 0, 2},
    // Rows wider than a PSUM bank: the width is split into column ranges.
    {"trn2", 1, 3, 4, 3, 700, 3, 3, 1, 1},
    // Partial channel chunk and F tile on trn2, padding 2 so some tile rows are all padding.
    {"trn2", 1, 130, 140, 9, 9, 3, 3, 1, 2},
};

// Y over zero padding modulo 2^32, from the interpreter's initial values of X and Wt.
std::vector<std::uint32_t> reference_y(const gen::Conv2dOptions& o) {
  const std::uint64_t oh = (o.height + 2 * o.padding - o.kernel_h) / o.stride + 1;
  const std::uint64_t ow = (o.width + 2 * o.padding - o.kernel_w) / o.stride + 1;
  std::vector<std::uint32_t> y(o.batch * o.out_channels * oh * ow, 0);
  auto x = [&](std::uint64_t n, std::uint64_t c, std::uint64_t h, std::uint64_t w) {
    return initial_value(o.seed, ((n * o.in_channels + c) * o.height + h) * o.width + w);
  };
  auto wt = [&](std::uint64_t r, std::uint64_t s, std::uint64_t c, std::uint64_t f) {
    return initial_value(o.seed + 1,
                         ((r * o.kernel_w + s) * o.in_channels + c) * o.out_channels + f);
  };
  for (std::uint64_t n = 0; n < o.batch; ++n)
    for (std::uint64_t f = 0; f < o.out_channels; ++f)
      for (std::uint64_t i = 0; i < oh; ++i)
        for (std::uint64_t j = 0; j < ow; ++j) {
          std::uint32_t sum = 0;
          for (std::uint64_t r = 0; r < o.kernel_h; ++r)
            for (std::uint64_t s = 0; s < o.kernel_w; ++s) {
              const std::uint64_t hp = i * o.stride + r, wp = j * o.stride + s;
              if (hp < o.padding || wp < o.padding) continue;
              const std::uint64_t hi = hp - o.padding, wi = wp - o.padding;
              if (hi >= o.height || wi >= o.width) continue;
              for (std::uint64_t c = 0; c < o.in_channels; ++c)
                sum += x(n, c, hi, wi) * wt(r, s, c, f);
            }
          y[((n * o.out_channels + f) * oh + i) * ow + j] = sum;
        }
  return y;
}

std::string first_failure(const trace::Program& p, const config::SystemConfig& cfg,
                          const std::vector<std::uint32_t>& expected) {
  return first_interleaving_failure(p, cfg, "Y", expected, "differs from the convolution", true);
}

std::string error_of(const gen::Conv2dOptions& o, const config::SystemConfig& cfg) {
  return input_error_message([&] { gen::conv2d(o, cfg); }, "gen conv2d");
}

}  // namespace

TEST_CASE("conv2d: traces are canonical, legal and deterministic") {
  for (const ConvCase& c : kCases) {
    INFO(c.name());
    const config::SystemConfig cfg = c.make_config();
    const trace::Program program = gen::conv2d(c.options(), cfg);
    const std::string text = trace::print_program(program);
    const trace::Program parsed = trace::parse_trace(text, "generated.trn");
    std::string why;
    CHECK_MESSAGE(trace::equivalent(program, parsed, &why), why);
    CHECK(trace::print_program(parsed) == text);
    DiagnosticList diags;
    CHECK_MESSAGE(trace::check_program(parsed, cfg, text, diags), diags.to_string());
    CHECK(text == trace::print_program(gen::conv2d(c.options(), cfg)));
    CHECK(parsed.cores.size() == c.cores);
  }
}

TEST_CASE("conv2d: no race, no deadlock, Y written once and equal to the convolution") {
  for (const ConvCase& c : kCases) {
    INFO(c.name());
    const config::SystemConfig cfg = c.make_config();
    const trace::Program p =
        trace::parse_trace(trace::print_program(gen::conv2d(c.options(), cfg)), "generated.trn");
    const std::string failure = first_failure(p, cfg, reference_y(c.options()));
    CHECK_MESSAGE(failure.empty(), failure);
  }
}

TEST_CASE("conv2d: the plan tiles channels, output channels and pixels from the config") {
  const gen::Conv2dPlan p = gen::plan_conv2d(kCases[4].options(), trn2_config());
  CHECK(p.chunk_c == 128);
  CHECK(p.chunks == 2);
  CHECK(p.tile_f == 128);
  CHECK(p.f_tiles == 2);
  CHECK(p.out_h == 11);
  CHECK(p.out_w == 11);
  CHECK(p.block_h * p.block_w <= 512);
  CHECK(p.in_slots >= 2);
  const gen::Conv2dPlan wide = gen::plan_conv2d(kCases[3].options(), trn2_config());
  CHECK(wide.blocks_w == 2);
  CHECK(wide.block_w == 350);
  CHECK(wide.block_h == 1);
}

TEST_CASE("conv2d: removing a guarding wait is caught") {
  // More blocks (one per image) than input slots and, with 2 F tiles each, than PSUM banks;
  // every block has padding, so its memsets reuse a slot too.
  const ConvCase c{"tiny", 5, 20, 20, 6, 6, 3, 3, 1, 1};
  const config::SystemConfig cfg = c.make_config();
  const std::string text = trace::print_program(gen::conv2d(c.options(), cfg));
  const std::vector<std::uint32_t> expected = reference_y(c.options());
  REQUIRE(first_failure(trace::parse_trace(text, "generated.trn"), cfg, expected).empty());
  struct Mutant {
    std::string what;
    std::function<bool(const std::string&)> pick;
  };
  const Mutant mutants[] = {
      {"an input load", [](const std::string& line) { return has(line, "hbm:X"); }},
      {"a memset", [](const std::string& line) { return has(line, "memset"); }},
      {"a matmul", [](const std::string& line) { return has(line, "matmul"); }},
      {"an evacuation", [](const std::string& line) { return has(line, "tensor_copy"); }},
      {"a store", [](const std::string& line) { return has(line, "copy hbm:Y"); }},
  };
  for (const Mutant& m : mutants) {
    INFO("removed the wait of ", m.what);
    const std::string mutated_text = without_wait(text, m.pick);
    REQUIRE(mutated_text != text);
    const std::string failure =
        first_failure(trace::parse_trace(mutated_text, "mutated.trn"), cfg, expected);
    MESSAGE(m.what, " -> ", failure);
    CHECK(!failure.empty());
  }
}

TEST_CASE("conv2d: invalid options are InputErrors that say what is wrong") {
  const config::SystemConfig cfg = trn2_config();
  gen::Conv2dOptions o = kCases[4].options();
  o.kernel_h = 14;
  CHECK(has(error_of(o, cfg), "larger than the padded 13x13 input"));
  o = kCases[4].options();
  o.in_channels = 0;
  CHECK(has(error_of(o, cfg), "at least 1"));
  o = kCases[4].options();
  o.dtype = isa::DType::kFp8e4;
  CHECK(has(error_of(o, cfg), "bf16 or fp32"));
  o = kCases[4].options();
  o.cores = 2;
  CHECK(has(error_of(o, cfg), "only 1 output blocks"));
  o.cores = 9;
  CHECK(has(error_of(o, cfg), "cores must be between 1 and 8"));
  o = kCases[4].options();
  o.in_channels = 4096;
  o.out_channels = 4096;
  CHECK(has(error_of(o, cfg), "do not fit"));
}
