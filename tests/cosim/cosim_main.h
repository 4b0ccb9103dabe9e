// The command line every co-simulation test takes, and its main():
//
//   NAME [--config FILE] [--seed N] [--transactions N]
//
// Exit status: what the test returns (0 the RTL and the models agree, 1 the first divergence
// was printed), or 2 for bad arguments or an error before the comparison could finish.
#pragma once

#include <cstdint>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace trnsim::cosim {

struct Options {
  std::string config;  // the chip config the RTL was built from and the models are timed by
  std::uint64_t seed = 1;
  std::uint64_t transactions = 1000;  // random ones, after the directed ones
};

// Plain argument parsing: CLI11 would double a test's compile time.
inline std::optional<Options> parse_options(int argc, char** argv, Options opt, bool needs_config) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) return std::nullopt;
    const char* value = argv[++i];
    try {
      if (arg == "--config" && needs_config) {
        opt.config = value;
      } else if (arg == "--seed") {
        opt.seed = std::stoull(value);
      } else if (arg == "--transactions") {
        opt.transactions = std::stoull(value);
      } else {
        return std::nullopt;
      }
    } catch (const std::logic_error&) {  // not a number
      return std::nullopt;
    }
  }
  if (needs_config && opt.config.empty()) return std::nullopt;
  return opt;
}

// Parses the command line into `defaults` and runs `test` on it.
template <typename Test>
int cosim_main(int argc, char** argv, const char* name, Options defaults, bool needs_config,
               Test test) {
  const std::optional<Options> opt = parse_options(argc, argv, std::move(defaults), needs_config);
  if (!opt) {
    fmt::print(stderr, "usage: {} {}[--seed N] [--transactions N]\n", name,
               needs_config ? "--config FILE " : "");
    return 2;
  }
  try {
    return test(*opt);
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: error: {}\n", name, e.what());
    return 2;
  }
}

}  // namespace trnsim::cosim
