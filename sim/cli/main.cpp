// The `trnsim` command: builds the command line from the commands in commands.h, runs the
// selected one, and is the one place where errors become messages and exit codes
// (docs/cli.md, "Exit codes"). Nothing escapes main(): bad input of any kind exits 2,
// and so does an unexpected exception, which is reported as an internal error.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.h"

namespace {

using trnsim::ExitCode;
namespace cli = trnsim::cli;

int code(ExitCode c) {
  return static_cast<int>(c);
}

std::filesystem::path executable_dir(const char* argv0) {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) exe = std::filesystem::absolute(argv0, ec);
  return exe.parent_path();
}

// "trnsim config show": the command line up to the deepest selected command.
std::string command_path(const CLI::App* app) {
  std::string path = app->get_name();
  for (const CLI::App* sub = app; sub != nullptr;) {
    const auto selected = sub->get_subcommands();
    sub = selected.empty() ? nullptr : selected.front();
    if (sub != nullptr) path += " " + sub->get_name();
  }
  return path;
}

std::string usage_error(const std::string& command, const std::string& message) {
  return fmt::format("{}: error: {}\nRun '{} --help' for more information.\n", command, message,
                     command);
}

// CLI11 alone says "The following argument was not expected: chek" for a mistyped command;
// this names the command level, the valid choices and the closest one. Returns the message
// for a command word that names no command, or for a command line that stops before a leaf
// command; nothing when CLI11 should judge the arguments.
std::optional<std::string> command_word_error(CLI::App& app, int argc, char** argv) {
  CLI::App* level = &app;
  std::string path = app.get_name();
  for (int i = 1; i <= argc; ++i) {
    const auto subs = level->get_subcommands([](CLI::App*) { return true; });
    if (subs.empty()) return std::nullopt;  // a leaf command: the rest are its arguments
    // A command that takes arguments of its own as well as commands (`sweep SPEC`).
    if (!level->get_options([](const CLI::Option* o) { return o->get_positional(); }).empty())
      return std::nullopt;
    std::vector<std::string> names;
    for (const auto* sub : subs)
      names.push_back(sub->get_name());
    const std::string choices = fmt::format("{}", fmt::join(names, ", "));
    if (i == argc) return usage_error(path, fmt::format("expects a command: {}", choices));
    const std::string_view word = argv[i];
    if (word.starts_with('-')) return std::nullopt;  // --help, --version, or a usage error
    auto found = std::find(names.begin(), names.end(), word);
    if (found == names.end()) {
      std::string message = fmt::format("unknown command '{}'", word);
      const std::vector<std::string_view> views(names.begin(), names.end());
      const std::string guess = trnsim::closest_match(word, views);
      if (!guess.empty()) message += fmt::format("; did you mean '{}'?", guess);
      return usage_error(path, message + fmt::format(" (commands: {})", choices));
    }
    level = subs[static_cast<std::size_t>(found - names.begin())];
    path += " " + level->get_name();
  }
  return std::nullopt;
}

int run(int argc, char** argv) {
  cli::CliContext ctx;
  ctx.exe_dir = executable_dir(argv[0]);

  CLI::App app{
      "trnsim: a cycle-approximate simulator of Trainium-class AI accelerators.\n"
      "It reads a trace (.trn: tensors and per-engine instruction streams) and a chip\n"
      "config (YAML), checks the program and reports on it.",
      "trnsim"};
  app.set_version_flag("--version", "trnsim " TRNSIM_VERSION);
  app.require_subcommand(1);
  app.footer(
      "Examples:\n"
      "  trnsim check workloads/gemm-1024x1024x1024-bf16-trn2.trn\n"
      "  trnsim gen gemm --m 512 --n 512 --k 512 -o gemm.trn\n"
      "  trnsim config list\n"
      "  trnsim compare out.npy expected.npy --rtol 1e-3\n"
      "  trnsim report stats.json --html report.html\n\n"
      "Exit status: 0 ok; 1 the program is wrong (static check violation, deadlock);\n"
      "2 bad input (parse, config or usage error); 3 regression mismatch.\n"
      "Run 'trnsim COMMAND --help' for a command's options. Documentation: docs/cli.md");
  app.failure_message([](const CLI::App* top, const CLI::Error& e) {
    return usage_error(command_path(top), e.what());
  });
  cli::add_check_command(app, ctx);
  cli::add_run_command(app, ctx);
  cli::add_fmt_command(app, ctx);
  cli::add_config_command(app, ctx);
  cli::add_gen_command(app, ctx);
  cli::add_compare_command(app, ctx);
  cli::add_report_command(app, ctx);
  cli::add_regress_command(app, ctx);
  cli::add_sweep_command(app, ctx);

  if (auto error = command_word_error(app, argc, argv)) {
    std::cerr << *error;
    return code(ExitCode::kBadInput);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help and --version exit 0; every usage error exits 2, not CLI11's own codes.
    return app.exit(e) == 0 ? code(ExitCode::kOk) : code(ExitCode::kBadInput);
  }
  return code(ctx.action());
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const trnsim::InputError& e) {
    e.diagnostics().print(std::cerr);
    return code(ExitCode::kBadInput);
  } catch (const std::exception& e) {
    std::cerr << "trnsim: internal error: " << e.what()
              << "\n(this is a bug in trnsim; please report it with the command line)\n";
    return code(ExitCode::kBadInput);
  } catch (...) {
    std::cerr << "trnsim: internal error: unknown exception\n";
    return code(ExitCode::kBadInput);
  }
}
