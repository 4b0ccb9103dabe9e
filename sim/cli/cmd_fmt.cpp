// `trnsim fmt`: print a trace in canonical form (trace/printer.h).
#include <memory>

#include "cli/commands.h"
#include "trace/parser.h"
#include "trace/printer.h"

namespace trnsim::cli {

namespace {
struct FmtOptions {
  std::string trace;
  std::string output;
  bool in_place = false;
};
}  // namespace

void add_fmt_command(CLI::App& app, CliContext& ctx) {
  auto opts = std::make_shared<FmtOptions>();
  CLI::App* cmd =
      add_command(app, "fmt", "Print a trace in canonical form",
                  "Canonical form: declarations first, one space between tokens, engines aligned;\n"
                  "formatting twice gives the same text. Needs no config.\n\n"
                  "Example:\n"
                  "  trnsim fmt --in-place my-kernel.trn");
  CLI::Option* output = add_output_option(*cmd, opts->output);
  cmd->add_flag("-i,--in-place", opts->in_place, "Rewrite the trace file itself")->excludes(output);
  cmd->add_option("trace", opts->trace, "Trace file (.trn)")->required()->type_name("TRACE");
  on_selected(*cmd, ctx, [opts] {
    const trace::Program program = trace::load_trace(opts->trace);
    write_output(opts->in_place ? opts->trace : opts->output, trace::print_program(program));
    return ExitCode::kOk;
  });
}

}  // namespace trnsim::cli
