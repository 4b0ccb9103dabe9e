// `trnsim run --rtl BLOCK [--vcd FILE]`: a full simulation with one block of the SystemC
// model replaced by its verilated RTL (docs/rtl.md, "Hybrid runs"). The same program is
// first simulated on the SystemC model alone, so the report can set the hybrid run's total
// time and wall time against it.
#pragma once

#include <memory>
#include <ostream>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/cli_common.h"
#include "sysc/system/simulation.h"

namespace trnsim::cli {

struct RtlOptions {
  std::string block;  // empty: no RTL
  std::string vcd;
};

// Adds --rtl and --vcd to `cmd`.
void add_rtl_options(CLI::App& cmd, RtlOptions& opts);

class RtlRun {
 public:
  // Runs the reference simulation and builds the RTL model. Throws InputError when this
  // build has no RTL, or none for the config's sizes.
  RtlRun(const CheckedTrace& checked, const RtlOptions& opts, const CheckOptions& check);
  ~RtlRun();

  // What the hybrid simulation plugs in.
  sysc::ModelHooks hooks();

  // Times the hybrid simulation: call around it.
  void hybrid_started();
  void hybrid_finished(const sysc::SimulationResult& result);

  // The report's RTL section (a wrong result names its instruction's trace line), its
  // JSON form, and whether the RTL computed every number right.
  void report(std::ostream& out) const;
  nlohmann::ordered_json to_json() const;
  bool data_ok() const;

 private:
  struct State;
  std::unique_ptr<State> m;
};

}  // namespace trnsim::cli
