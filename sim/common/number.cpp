#include "common/number.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace trnsim {

namespace {

bool fail(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return false;
}

// Splits a trailing size suffix off `text`; returns the multiplier (1 when there is none).
std::uint64_t take_suffix(std::string_view& text, bool hex) {
  struct Suffix {
    std::string_view name;
    std::uint64_t scale;
  };
  // Hex digits include no K/M/G/i, but a hex literal cannot take a suffix anyway: `0x1K`
  // would read as a typo more often than as intent.
  static constexpr Suffix kSuffixes[] = {{"Ki", 1ull << 10}, {"Mi", 1ull << 20},
                                         {"Gi", 1ull << 30}, {"K", 1000ull},
                                         {"M", 1000000ull},  {"G", 1000000000ull}};
  if (hex) return 1;
  for (const auto& s : kSuffixes) {
    if (text.size() > s.name.size() && text.ends_with(s.name)) {
      text.remove_suffix(s.name.size());
      return s.scale;
    }
  }
  return 1;
}

}  // namespace

bool parse_unsigned(std::string_view text, std::uint64_t& value, std::string* error) {
  const std::string_view original = text;
  if (text.empty()) return fail(error, "expected a number");
  bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  if (hex) text.remove_prefix(2);
  std::uint64_t scale = take_suffix(text, hex);
  std::uint64_t v = 0;
  bool any_digit = false;
  bool last_was_sep = true;  // a leading '_' is as wrong as a doubled one
  const std::uint64_t base = hex ? 16 : 10;
  for (char c : text) {
    if (c == '_') {
      if (last_was_sep)
        return fail(error, "misplaced '_' in number '" + std::string(original) + "'");
      last_was_sep = true;
      continue;
    }
    unsigned digit;
    if (c >= '0' && c <= '9') {
      digit = static_cast<unsigned>(c - '0');
    } else if (hex && c >= 'a' && c <= 'f') {
      digit = static_cast<unsigned>(c - 'a' + 10);
    } else if (hex && c >= 'A' && c <= 'F') {
      digit = static_cast<unsigned>(c - 'A' + 10);
    } else {
      return fail(error, "invalid number '" + std::string(original) + "'");
    }
    if (v > (std::numeric_limits<std::uint64_t>::max() - digit) / base) {
      return fail(error, "number '" + std::string(original) + "' is too large");
    }
    v = v * base + digit;
    any_digit = true;
    last_was_sep = false;
  }
  if (!any_digit || last_was_sep) {
    return fail(error, "invalid number '" + std::string(original) + "'");
  }
  if (scale != 1 && v > std::numeric_limits<std::uint64_t>::max() / scale) {
    return fail(error, "number '" + std::string(original) + "' is too large");
  }
  value = v * scale;
  return true;
}

bool parse_signed(std::string_view text, std::int64_t& value, std::string* error) {
  bool negative = false;
  std::string_view digits = text;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  std::uint64_t magnitude = 0;
  if (!parse_unsigned(digits, magnitude, error)) return false;
  const std::uint64_t limit =
      negative ? std::uint64_t{1} << 63
               : static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (magnitude > limit) return fail(error, "number '" + std::string(text) + "' is out of range");
  value =
      negative ? static_cast<std::int64_t>(0 - magnitude) : static_cast<std::int64_t>(magnitude);
  return true;
}

bool parse_real(std::string_view text, double& value, std::string* error) {
  std::string_view body = text;
  bool negative = false;
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body == "inf") {
    value = negative ? -std::numeric_limits<double>::infinity()
                     : std::numeric_limits<double>::infinity();
    return true;
  }
  if (body == "nan") {
    value = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  std::int64_t as_int = 0;
  if (parse_signed(text, as_int, nullptr)) {
    value = static_cast<double>(as_int);
    return true;
  }
  double v = 0;
  auto [ptr, ec] = std::from_chars(body.data(), body.data() + body.size(), v);
  if (ec != std::errc() || ptr != body.data() + body.size() || body.empty()) {
    return fail(error, "invalid number '" + std::string(text) + "'");
  }
  value = negative ? -v : v;
  return true;
}

}  // namespace trnsim
