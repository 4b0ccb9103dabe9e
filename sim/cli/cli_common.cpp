#include "cli/cli_common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <iostream>

#include <fmt/format.h>

#include "cli/presets.h"
#include "common/source_file.h"
#include "config/config_loader.h"
#include "trace/checker.h"
#include "trace/parser.h"

namespace trnsim::cli {

namespace fs = std::filesystem;

CLI::App* add_command(CLI::App& parent, const std::string& name, const std::string& description,
                      const std::string& footer) {
  CLI::App* cmd = parent.add_subcommand(name, description);
  cmd->footer(footer);
  return cmd;
}

CLI::App* add_command_group(CLI::App& parent, const std::string& name,
                            const std::string& description, const std::string& footer) {
  CLI::App* cmd = add_command(parent, name, description, footer);
  cmd->require_subcommand(1);
  return cmd;
}

void on_selected(CLI::App& cmd, CliContext& ctx, CommandAction action) {
  cmd.callback([&ctx, action = std::move(action)] { ctx.action = action; });
}

CLI::Option* add_output_option(CLI::App& cmd, std::string& output) {
  return cmd.add_option("-o,--output", output, "Write to this file instead of stdout")
      ->type_name("FILE");
}

void add_config_options(CLI::App& cmd, ConfigOptions& opts) {
  cmd.add_option("-c,--config", opts.config,
                 "Config file, or preset name such as trn2 (`trnsim config list` shows them)")
      ->capture_default_str()
      ->type_name("FILE|PRESET");
  // One KEY=VALUE per --set: without allow_extra_args(false) CLI11 would swallow the
  // trace path that follows as a second value.
  cmd.add_option("--set", opts.overrides,
                 "Override one config field, e.g. --set dma.queues=4 (repeatable)")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
}

config::SystemConfig load_selected_config(const CliContext& ctx, const ConfigOptions& opts) {
  const fs::path path = resolve_config(opts.config, ctx.exe_dir);
  return config::load_config(path.string(), opts.overrides);
}

void add_check_options(CLI::App& cmd, CheckOptions& opts) {
  add_config_options(cmd, opts.config);
  cmd.add_option("--max-errors", opts.max_errors, "Stop reporting after this many errors")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd.add_option_function<std::string>(
         "--max-time",
         [&opts](const std::string& text) { opts.max_time = parse_duration(text, "--max-time"); },
         "Stop simulating at this simulated time, e.g. 10ms, 250us (a watchdog; the run "
         "then counts as unfinished)")
      ->type_name("TIME");
  cmd.add_option("trace", opts.trace, "Trace file (.trn)")->required()->type_name("TRACE");
}

double parse_duration(const std::string& text, const std::string& option, bool allow_zero) {
  static constexpr std::pair<std::string_view, double> kUnits[] = {
      {"ns", 1e-9}, {"us", 1e-6}, {"ms", 1e-3}, {"s", 1.0}};
  for (const auto& [unit, scale] : kUnits) {
    if (text.size() <= unit.size() || !text.ends_with(unit)) continue;
    const std::string number = text.substr(0, text.size() - unit.size());
    std::size_t used = 0;
    double value = 0;
    try {
      value = std::stod(number, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == number.size() && std::isfinite(value) && (value > 0 || (allow_zero && value == 0)))
      return value * scale;
    break;
  }
  throw CLI::ValidationError(option, fmt::format("expected a {} time with a unit (ns, us, ms or "
                                                 "s), e.g. 10ms; got '{}'",
                                                 allow_zero ? "non-negative" : "positive", text));
}

ExitCode load_and_check(const CliContext& ctx, const CheckOptions& opts, CheckedTrace& out,
                        PhaseLog& log) {
  log.start("config");
  out.cfg = load_selected_config(ctx, opts.config);

  log.start("parse");
  const std::string text = read_file(opts.trace);
  DiagnosticList parse_diags(opts.max_errors);
  const bool parsed = trace::parse_trace(text, opts.trace, out.program, parse_diags);
  parse_diags.print(std::cerr);
  if (!parsed || parse_diags.has_errors()) {
    const std::string summary = fmt::format("{}: {} error(s): the trace does not parse", opts.trace,
                                            parse_diags.error_count());
    std::cerr << summary << "\n";
    log.fail(parse_diags.items(), summary);
    return ExitCode::kBadInput;
  }

  log.start("static checks");
  DiagnosticList check_diags(opts.max_errors);
  const bool ok = trace::check_program(out.program, out.cfg, text, check_diags);
  check_diags.print(std::cerr);
  if (!ok || check_diags.has_errors()) {
    const std::string summary =
        fmt::format("{}: {} error(s): the program breaks the rules of config '{}'", opts.trace,
                    check_diags.error_count(), out.cfg.name);
    std::cerr << summary << "\n";
    log.fail(check_diags.items(), summary);
    return ExitCode::kProgramError;
  }
  log.pass();
  return ExitCode::kOk;
}

namespace {

WriteError write_error(const std::string& path, int err) {
  return {path, fmt::format("cannot write: {}", std::strerror(err))};
}

// Permissions for the new file: those of the file it replaces, else 0666 minus the umask.
mode_t output_mode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return st.st_mode & 07777;
  const mode_t mask = ::umask(0);
  ::umask(mask);
  return 0666 & ~mask;
}

}  // namespace

std::optional<WriteError> try_write_output(const std::string& path, std::string_view text) {
  if (path.empty() || path == "-") {
    std::cout.write(text.data(), static_cast<std::streamsize>(text.size()));
    std::cout.flush();
    if (!std::cout) return write_error("<stdout>", errno);
    return std::nullopt;
  }
  std::error_code ec;
  if (fs::is_directory(path, ec)) return WriteError{path, "is a directory, expected a file"};
  std::string temp = path + ".XXXXXX";
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) return write_error(path, errno);
  int err = 0;
  for (std::size_t done = 0; done < text.size() && err == 0;) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno != EINTR) err = errno;
    if (n > 0) done += static_cast<std::size_t>(n);
  }
  if (err == 0 && ::fchmod(fd, output_mode(path)) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && ::rename(temp.c_str(), path.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(temp.c_str());
    return write_error(path, err);
  }
  return std::nullopt;
}

void write_output(const std::string& path, std::string_view text) {
  if (std::optional<WriteError> error = try_write_output(path, text)) {
    throw InputError(error->file, 0, 0, error->message);
  }
}

}  // namespace trnsim::cli
