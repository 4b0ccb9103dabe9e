// The tokens of one trace line. The lexer works a line at a time: statements never span
// lines, and errors are reported per line, so a broken line does not derail the rest.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace trnsim::trace {

enum class TokenKind : std::uint8_t {
  kName,     // [A-Za-z_][A-Za-z0-9_.]*
  kNumber,   // digits, hex, '_' separators, size suffixes, fractions and exponents
  kString,   // "..." without escapes; text excludes the quotes
  kPunct,    // one of : , [ ] ( ) @ = . + - and the two-character >= += -=
  kError,    // a character that starts no token, or an unterminated string
  kEnd,      // end of line (or start of a comment)
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string_view text;
  std::uint32_t column = 0;  // 1-based

  bool is(std::string_view punct) const { return kind == TokenKind::kPunct && text == punct; }
  bool is_name(std::string_view name) const { return kind == TokenKind::kName && text == name; }
};

// Splits `line` into tokens, appending them to `out` (cleared first) and ending with one
// kEnd token whose column is just past the last token.
void lex_line(std::string_view line, std::vector<Token>& out);

}  // namespace trnsim::trace
