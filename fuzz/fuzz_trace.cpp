#include <fmt/format.h>

#include "fuzz_targets.h"
#include "trace/checker.h"
#include "trace/parser.h"
#include "trace/printer.h"

using trnsim::InputError;
using trnsim::fuzz::PropertyViolation;

using trnsim::fuzz::tiny_config;

int fuzz_trace(const std::uint8_t* data, std::size_t size) {
  const std::string file = "fuzz.trn";
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  trnsim::trace::Program program;
  try {
    program = trnsim::trace::parse_trace(text, file);
  } catch (const InputError& e) {
    if (!e.diagnostics().has_errors()) throw PropertyViolation("InputError without a diagnostic");
    trnsim::fuzz::check_positions(e.diagnostics(), text, file, false);
    return 0;
  }

  trnsim::DiagnosticList diags;
  trnsim::trace::check_program(program, tiny_config(), text, diags);
  trnsim::fuzz::check_positions(diags, text, file, false);

  // Canonical form: what `trnsim fmt` prints parses again and prints the same.
  const std::string printed = trnsim::trace::print_program(program);
  trnsim::trace::Program again;
  try {
    again = trnsim::trace::parse_trace(printed, "printed.trn");
  } catch (const InputError& e) {
    throw PropertyViolation(fmt::format("printed program does not parse:\n{}\n{}",
                                        e.diagnostics().to_string(), printed));
  }
  const std::string reprinted = trnsim::trace::print_program(again);
  if (reprinted != printed) {
    throw PropertyViolation(fmt::format("printing is not idempotent:\n--- first\n{}--- second\n{}",
                                        printed, reprinted));
  }
  return 0;
}
