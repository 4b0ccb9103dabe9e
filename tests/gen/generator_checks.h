// What every generator's tests check the same way: the trace printed and parsed back, runs
// under adversarial interleavings of its streams (trace_interpreter.h) that must be free of
// races and deadlocks and reproduce an expected output, the generator's one error message for
// an option it refuses, and a copy of the text with one guarding wait removed (which those
// runs must then catch).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "config/config.h"
#include "trace/program.h"
#include "trace_interpreter.h"

namespace trnsim::test {

// A generated program, printed and parsed back (the parsed copy has line numbers, which make
// test messages point at the printed text).
struct Generated {
  trace::Program program;
  std::string text;
  trace::Program parsed;
};
Generated print_and_parse(trace::Program program);

// The interleavings a generated trace must survive: issue order both ways, completions as
// early as possible, and random and lazily random choices under two seeds each.
struct Interleaving {
  Policy policy;
  std::uint64_t seed;
};
const std::vector<Interleaving>& interleavings();

// The first failure of `program` under interleavings(): a run's race or deadlock, or its
// final `tensor` different from `expected` ("<tensor> <differs>"), or, with `written_once`,
// an element of it not written exactly once. Empty when every run is right.
std::string first_interleaving_failure(const trace::Program& program,
                                       const config::SystemConfig& cfg, const std::string& tensor,
                                       const std::vector<std::uint32_t>& expected,
                                       const std::string& differs = "differs from program order",
                                       bool written_once = false);

// The message of the one InputError `generate` throws, after checking that it names
// `file` at line 0; empty when it throws none.
std::string input_error_message(const std::function<void()>& generate, const std::string& file);

// `text` without the wait(...) clause of the LAST line with one that `pick` selects (the last,
// so that the buffer it guards has been reused by then); `text` unchanged when none is.
std::string without_wait(const std::string& text,
                         const std::function<bool(const std::string& line)>& pick);

bool has(const std::string& text, const std::string& part);
bool starts_with(const std::string& text, const std::string& prefix);

}  // namespace trnsim::test
