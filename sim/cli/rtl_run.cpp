#include "cli/rtl_run.h"

#include <chrono>
#include <iostream>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "trace/hbm_layout.h"
#ifdef TRNSIM_HAVE_RTL
#include "hybrid/rtl_pe_array.h"
#endif

namespace trnsim::cli {

namespace {

[[maybe_unused]] std::string count_of(std::uint64_t n, const char* noun) {
  return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
}

[[maybe_unused]] double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

void add_rtl_options(CLI::App& cmd, RtlOptions& opts) {
  CLI::Option* rtl =
      cmd.add_option("--rtl", opts.block,
                     "Replace this block of the model by its verilated RTL (docs/rtl.md); the "
                     "report then compares with the SystemC model alone")
          ->type_name("BLOCK")
          ->check(CLI::IsMember({"pe_array"}));
  cmd.add_option("--vcd", opts.vcd, "With --rtl, write the RTL's waveforms to this VCD file")
      ->type_name("FILE")
      ->needs(rtl);
}

#ifdef TRNSIM_HAVE_RTL

struct RtlRun::State {
  const CheckedTrace& checked;
  std::string vcd;
  sysc::SimulationResult reference;
  double reference_wall = 0;
  std::unique_ptr<rtl::RtlPeArray> array;
  std::chrono::steady_clock::time_point hybrid_start;
  double hybrid_wall = 0;
  double hybrid_seconds = 0;
};

RtlRun::RtlRun(const CheckedTrace& checked, const RtlOptions& opts, const CheckOptions& check)
    : m(std::make_unique<State>(State{checked, opts.vcd, {}, 0, nullptr, {}, 0, 0})) {
  try {
    m->array = rtl::RtlPeArray::create(checked.cfg.tensor, opts.vcd);
  } catch (const std::invalid_argument& e) {
    // A command-line problem: the message names the config's sizes or the VCD file.
    throw InputError("", 0, 0, fmt::format("--rtl {}: {}", opts.block, e.what()));
  }
  const auto addresses = trace::assign_tensor_addresses(checked.program, checked.cfg.hbm, nullptr);
  const auto start = std::chrono::steady_clock::now();
  m->reference = sysc::simulate(checked.program, checked.cfg, addresses, {}, check.max_time);
  m->reference_wall = seconds_since(start);
}

RtlRun::~RtlRun() = default;

sysc::ModelHooks RtlRun::hooks() {
  return {m->array.get()};
}

void RtlRun::hybrid_started() {
  m->hybrid_start = std::chrono::steady_clock::now();
}

void RtlRun::hybrid_finished(const sysc::SimulationResult& result) {
  m->hybrid_wall = seconds_since(m->hybrid_start);
  m->hybrid_seconds = result.seconds;
}

bool RtlRun::data_ok() const {
  return m->array->stats().data_errors == 0;
}

void RtlRun::report(std::ostream& out) const {
  const rtl::PeArrayRunStats& s = m->array->stats();
  const trace::Program& program = m->checked.program;
  const double clock_ghz = m->checked.cfg.core.clock_ghz;
  const auto cycles = [&](double seconds) {
    return static_cast<std::uint64_t>(std::llround(seconds * clock_ghz * 1e9));
  };
  const auto where = [&](const rtl::PeArrayDifference& d) {
    return fmt::format("{}:{}", program.file, program.instructions[d.instruction].line);
  };

  out << fmt::format("\nrtl     {}\n", s.model);
  out << fmt::format("  ran         {} and {}, {} RTL cycles in {:.3f} s ({:.2f} M cycles/s)\n",
                     count_of(s.matmuls, "matmul"), count_of(s.transposes, "transpose"),
                     s.rtl_cycles, s.rtl_seconds,
                     s.rtl_seconds > 0 ? s.rtl_cycles / s.rtl_seconds / 1e6 : 0.0);
  if (s.data_errors == 0) {
    out << fmt::format(
        "  results     every row equals the product of its operands ({} on the "
        "bf16 datapath, {} on the int8 one)\n",
        s.bf16, s.int8);
  } else {
    out << fmt::format("  results     {} wrong; first at {}: {}\n", s.data_errors,
                       where(*s.first_data_error), s.first_data_error->what);
  }
  if (s.timing_differences == 0) {
    out << "  timing      the array's fill/drain equals the formula's in every one\n";
  } else {
    out << fmt::format("  timing      fill/drain differs from the formula in {}; first at {}: {}\n",
                       s.timing_differences, where(*s.first_timing_difference),
                       s.first_timing_difference->what);
  }
  if (m->checked.cfg.tensor.background_weight_load)
    out << "  weights     loaded in the background (shadow buffer): the formula's load time\n";
  if (s.other_rate > 0) {
    out << fmt::format(
        "  rates       {} at a rate other than one vector per cycle: streaming time from "
        "the formula\n",
        count_of(s.other_rate, "matmul"));
  }
  const std::uint64_t hybrid = cycles(m->hybrid_seconds);
  const std::uint64_t alone = cycles(m->reference.seconds);
  if (hybrid == alone) {
    out << fmt::format("  total       {} cycles, the same as the SystemC model alone\n", hybrid);
  } else {
    out << fmt::format("  total       {} cycles; SystemC model alone {} ({:+} cycles)\n", hybrid,
                       alone, static_cast<std::int64_t>(hybrid) - static_cast<std::int64_t>(alone));
  }
  out << fmt::format("  wall time   {:.3f} s; SystemC model alone {:.3f} s: {:.1f}x slower\n",
                     m->hybrid_wall, m->reference_wall,
                     m->reference_wall > 0 ? m->hybrid_wall / m->reference_wall : 0.0);
  if (!m->vcd.empty()) out << fmt::format("  waveforms   {}\n", m->vcd);
}

nlohmann::ordered_json RtlRun::to_json() const {
  const rtl::PeArrayRunStats& s = m->array->stats();
  const double clock_ghz = m->checked.cfg.core.clock_ghz;
  nlohmann::ordered_json j;
  j["block"] = "pe_array";
  j["model"] = s.model;
  j["matmuls"] = s.matmuls;
  j["transposes"] = s.transposes;
  j["bf16"] = s.bf16;
  j["int8"] = s.int8;
  j["rtl_cycles"] = s.rtl_cycles;
  j["data_errors"] = s.data_errors;
  j["timing_differences"] = s.timing_differences;
  j["cycles"] = std::llround(m->hybrid_seconds * clock_ghz * 1e9);
  j["systemc_cycles"] = std::llround(m->reference.seconds * clock_ghz * 1e9);
  j["wall_seconds"] = m->hybrid_wall;
  j["systemc_wall_seconds"] = m->reference_wall;
  return j;
}

#else  // no RTL in this build

struct RtlRun::State {};

RtlRun::RtlRun(const CheckedTrace&, const RtlOptions& opts, const CheckOptions&) {
  throw InputError("", 0, 0,
                   fmt::format("--rtl {}: this trnsim was built without the RTL models "
                               "(configure with -DTRNSIM_BUILD_RTL=ON; needs Verilator)",
                               opts.block));
}
RtlRun::~RtlRun() = default;
sysc::ModelHooks RtlRun::hooks() {
  return {};
}
void RtlRun::hybrid_started() {}
void RtlRun::hybrid_finished(const sysc::SimulationResult&) {}
void RtlRun::report(std::ostream&) const {}
nlohmann::ordered_json RtlRun::to_json() const {
  return {};
}
bool RtlRun::data_ok() const {
  return true;
}

#endif

}  // namespace trnsim::cli
