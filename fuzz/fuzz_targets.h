// The fuzz targets' bodies (docs/fuzzing.md). Each takes one input and checks properties
// beyond "no crash"; a failed property throws PropertyViolation. Input the front end
// rejects with an InputError is fine, any other exception escapes and is a finding.
//
// The same bodies run under libFuzzer (libfuzzer_main.cpp, clang, build-fuzz/) and in the
// normal test suite (tests/fuzz/, every regression input through its target).
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "common/diagnostic.h"
#include "config/config.h"

namespace trnsim::fuzz {

class PropertyViolation : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// Checks that every diagnostic about `file` points inside `text`: line 1..number of lines
// (the text after the last newline counts as a line, so the end of input has a place) and
// column 1..the line's length + 1. A diagnostic at line 0 must have column 0: it is about
// the whole file. With `allow_whole_file` false, line 0 is a violation too.
void check_positions(const DiagnosticList& diags, std::string_view text, const std::string& file,
                     bool allow_whole_file);

// configs/tiny.yaml, loaded once: the chip the trace and simulation targets check against.
const config::SystemConfig& tiny_config();

}  // namespace trnsim::fuzz

// Trace: parse_trace, then check_program on configs/tiny.yaml; accepted input prints and
// parses again to the same text.
int fuzz_trace(const std::uint8_t* data, std::size_t size);
// Config: load_config_text with validation; `base:` resolves in an empty directory.
int fuzz_config(const std::uint8_t* data, std::size_t size);
// .npy: parse_npy; accepted arrays re-encode with format_npy and parse back equal.
int fuzz_npy(const std::uint8_t* data, std::size_t size);
// Simulation: a trace that passes the static checks on configs/tiny.yaml runs on the timing
// model with the functional model and the dynamic checks, twice, under a time and an event
// budget; it ends, or stops at the budget, or deadlocks naming its blocked streams, every
// finding points into the trace, and both runs agree.
int fuzz_sim(const std::uint8_t* data, std::size_t size);
