// `trnsim config show|list`: the resolved configuration as YAML, and the presets.
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/presets.h"
#include "config/config_loader.h"

namespace trnsim::cli {

namespace {

struct ShowOptions {
  ConfigOptions config;
  std::string output;
};

void add_show_command(CLI::App& parent, CliContext& ctx) {
  auto opts = std::make_shared<ShowOptions>();
  CLI::App* cmd = add_command(
      parent, "show", "Print the resolved config (base files and --set applied) as YAML",
      "Every field is printed with a comment saying what it means; the output loads back\n"
      "with --config.\n\n"
      "Example:\n"
      "  trnsim config show --config trn2 --set dma.queues=4 -o my-chip.yaml");
  add_config_options(*cmd, opts->config);
  add_output_option(*cmd, opts->output);
  on_selected(*cmd, ctx, [opts, &ctx] {
    write_output(opts->output, config::to_yaml(load_selected_config(ctx, opts->config)));
    return ExitCode::kOk;
  });
}

void add_list_command(CLI::App& parent, CliContext& ctx) {
  CLI::App* cmd = add_command(parent, "list", "List the preset configs that --config NAME accepts",
                              "One preset per line: its name, then its description.\n\n"
                              "Example:\n"
                              "  trnsim config list");
  on_selected(*cmd, ctx, [&ctx] {
    ExitCode status = ExitCode::kOk;
    for (const auto& preset : list_presets(ctx.exe_dir)) {
      try {
        const auto cfg = config::load_config(preset.path.string());
        std::cout << fmt::format("{:<10} {}\n", preset.name, cfg.description);
      } catch (const InputError& e) {
        std::cout << fmt::format("{:<10} (does not load: see stderr)\n", preset.name);
        e.diagnostics().print(std::cerr);
        status = ExitCode::kBadInput;
      }
    }
    return status;
  });
}

}  // namespace

void add_config_command(CLI::App& app, CliContext& ctx) {
  CLI::App* cmd = add_command_group(app, "config", "Show a resolved config or list the presets",
                                    "Examples:\n"
                                    "  trnsim config list\n"
                                    "  trnsim config show --config trn3");
  add_show_command(*cmd, ctx);
  add_list_command(*cmd, ctx);
}

}  // namespace trnsim::cli
