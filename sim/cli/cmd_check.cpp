// `trnsim check`: parse a trace, check it against a chip configuration, print a summary.
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/summary.h"

namespace trnsim::cli {

void add_check_command(CLI::App& app, CliContext& ctx) {
  auto opts = std::make_shared<CheckOptions>();
  CLI::App* cmd = add_command(
      app, "check", "Parse a trace and check it against a chip config without simulating it",
      "Prints every error to stderr, or on success a summary to stdout.\n"
      "Exit status: 0 ok, 1 the program breaks a rule of the chip (e.g. out of bounds),\n"
      "2 the trace or config cannot be read or parsed.\n\n"
      "Example:\n"
      "  trnsim check --config trn2 workloads/gemm-1024x1024x1024-bf16-trn2.trn");
  add_check_options(*cmd, *opts);
  on_selected(*cmd, ctx, [opts, &ctx] {
    CheckedTrace checked;
    const ExitCode status = load_and_check(ctx, *opts, checked);
    if (status == ExitCode::kOk) {
      print_summary(summarize(checked.program, checked.cfg, opts->trace), std::cout);
    }
    return status;
  });
}

}  // namespace trnsim::cli
