// What the `trnsim` commands share: how a command hands its work to main(), the config
// options, loading and checking a trace, and writing output files.
//
// Commands report bad input by throwing InputError and return their verdict as an
// ExitCode; main() (main.cpp) turns both into messages and the process exit status.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/phase_log.h"
#include "common/diagnostic.h"
#include "config/config.h"
#include "trace/program.h"

namespace trnsim::cli {

// A command's work, run after the whole command line has parsed.
using CommandAction = std::function<ExitCode()>;

struct CliContext {
  std::filesystem::path exe_dir;  // where presets are looked up (presets.h)
  CommandAction action;           // set by the selected command
};

// Adds command `name` to `parent` with its one-line description and its help footer
// (details, then an example: every command's --help ends with one).
CLI::App* add_command(CLI::App& parent, const std::string& name, const std::string& description,
                      const std::string& footer);
// The same for a command that only groups others (`config`, `gen`): one must follow it.
CLI::App* add_command_group(CLI::App& parent, const std::string& name,
                            const std::string& description, const std::string& footer);

// Makes `action` the work to do when `cmd` is the command selected on the command line.
void on_selected(CLI::App& cmd, CliContext& ctx, CommandAction action);

// `-o, --output FILE`: where a command writes its result (stdout when not given).
CLI::Option* add_output_option(CLI::App& cmd, std::string& output);

// `--config` and `--set`, shared by every command that needs a configuration.
struct ConfigOptions {
  std::string config = "trn2";
  std::vector<std::string> overrides;
};
void add_config_options(CLI::App& cmd, ConfigOptions& opts);
// Resolves and loads the selected config; throws InputError.
config::SystemConfig load_selected_config(const CliContext& ctx, const ConfigOptions& opts);

// The options of `check` and `run`.
struct CheckOptions {
  ConfigOptions config;
  std::size_t max_errors = 50;
  double max_time = 0;  // seconds of simulated time; 0: no limit
  std::string trace;
};
void add_check_options(CLI::App& cmd, CheckOptions& opts);
// "10ms", "2.5us", "100ns", "1s" -> seconds, for `option`; throws CLI::ValidationError
// naming `option` otherwise. A time of zero ("0us") is taken only with `allow_zero`.
double parse_duration(const std::string& text, const std::string& option, bool allow_zero = false);

struct CheckedTrace {
  config::SystemConfig cfg;
  trace::Program program;
};

// Loads the config, parses and statically checks the trace, printing every diagnostic to
// stderr and recording the phases "config", "parse" and "static checks" in `log`. Returns
// kOk, kBadInput (the trace does not parse) or kProgramError (it parses but breaks a rule
// of the configured chip). Throws InputError for an unusable config or an unreadable file.
ExitCode load_and_check(const CliContext& ctx, const CheckOptions& opts, CheckedTrace& out,
                        PhaseLog& log);

// Writes `text` to `path`, or to stdout when `path` is empty or "-". The file is written
// next to its final name and renamed into place, so a failed write never leaves half a
// file. Throws InputError naming the file when it cannot be written.
void write_output(const std::string& path, std::string_view text);
// The same without throwing: the error (file and what went wrong), or nothing when written.
// For writing a report while another error is on its way out: a second exception thrown
// inside a catch handler trips a false "stack-use-after-scope" in GCC 12's AddressSanitizer.
struct WriteError {
  std::string file;
  std::string message;
};
std::optional<WriteError> try_write_output(const std::string& path, std::string_view text);

}  // namespace trnsim::cli
