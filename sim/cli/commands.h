// The `trnsim` commands; each adds its subcommand (options, help, example) to the
// application. One source file per command.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/cli_common.h"

namespace trnsim::cli {

void add_check_command(CLI::App& app, CliContext& ctx);    // cmd_check.cpp
void add_run_command(CLI::App& app, CliContext& ctx);      // cmd_run.cpp
void add_fmt_command(CLI::App& app, CliContext& ctx);      // cmd_fmt.cpp
void add_config_command(CLI::App& app, CliContext& ctx);   // cmd_config.cpp
void add_gen_command(CLI::App& app, CliContext& ctx);      // cmd_gen.cpp
void add_compare_command(CLI::App& app, CliContext& ctx);  // cmd_compare.cpp
void add_report_command(CLI::App& app, CliContext& ctx);   // cmd_report.cpp
void add_regress_command(CLI::App& app, CliContext& ctx);  // cmd_regress.cpp
void add_sweep_command(CLI::App& app, CliContext& ctx);    // cmd_sweep.cpp

}  // namespace trnsim::cli
