// Number literals shared by the trace format and the config files, so that `192Ki`,
// `0x1_0000` and `64_000` mean the same thing everywhere.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace trnsim {

// Parses an unsigned integer: decimal or `0x` hexadecimal digits, `_` separators between
// digits, and an optional size suffix: K (10^3), Ki (2^10), M (10^6), Mi (2^20), G (10^9),
// Gi (2^30). On failure returns false and, if `error` is given, says what was expected.
bool parse_unsigned(std::string_view text, std::uint64_t& value, std::string* error = nullptr);

// Like parse_unsigned, with an optional leading '-' or '+'.
bool parse_signed(std::string_view text, std::int64_t& value, std::string* error = nullptr);

// Parses a real number (`1.5`, `-2e-3`, `inf`, `-inf`, `nan`) or any integer form above.
bool parse_real(std::string_view text, double& value, std::string* error = nullptr);

}  // namespace trnsim
