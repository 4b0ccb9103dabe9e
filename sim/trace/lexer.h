// The tokens of one trace line. The lexer works a line at a time: statements never span
// lines, and errors are reported per line, so a broken line does not derail the rest.
//
// The lexer never allocates once `out` has grown to the longest line's token count, and
// never fails: a character that starts no token becomes a kError token that the parser
// reports where it expected something else.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace trnsim::trace {

enum class TokenKind : std::uint8_t {
  kName,         // [A-Za-z_][A-Za-z0-9_.]*, never ending in '.'
  kNumber,       // [+-]digits, hex, '_' separators, size suffixes, fractions and exponents
  kString,       // "..." without escapes; text excludes the quotes
  kPunct,        // one of : , [ ] ( ) @ = . + - and the two-character >= += -=
  kError,        // a character that starts no token (a whole UTF-8 sequence), or an
                 // unterminated string (text starts with '"' and runs to the end of the line)
  kEnd,          // end of line (or start of a comment)
  kOperandText,  // only from lex_line_grouped: a whole operand, see there
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string_view text;
  std::uint32_t column = 0;  // 1-based byte column

  // Punctuation tests run for nearly every token, so they compare bytes inline instead of
  // going through a string comparison.
  bool is(std::string_view punct) const {
    return kind == TokenKind::kPunct && text.size() == punct.size() && text[0] == punct[0] &&
           (punct.size() == 1 || text[1] == punct[1]);
  }
  bool is_name(std::string_view name) const { return kind == TokenKind::kName && text == name; }
  // True for a kError token that is an unterminated string rather than a stray character.
  bool is_unterminated_string() const {
    return kind == TokenKind::kError && !text.empty() && text[0] == '"';
  }
};

// Splits `line` into tokens, replacing the contents of `out`, and ending with one kEnd token
// whose column is just past the last token (1 on a line without tokens).
//
// A '+' or '-' directly followed by a digit starts a number unless the previous token is a
// name or a number, so `[512:-1]`, `value=-2` and `s >= -1` hold negative numbers while
// `x-1` does not.
void lex_line(std::string_view line, std::vector<Token>& out);

// The same, for callers that lex millions of lines: writes into `out`, which must have room
// for max_tokens(line) tokens, and returns how many it wrote (the kEnd token included).
// `newline_follows` promises that the byte after `line` is readable (the line is part of a
// larger text); when that byte is '\n' the line is lexed in place instead of copied.
std::size_t lex_line(std::string_view line, Token* out, bool newline_follows = false);
inline std::size_t max_tokens(std::string_view line) {
  return line.size() + 1;
}

// The parser's fast path: like the form above, except that an operand of the bracketed
// forms written without blanks outside its brackets -- `sbuf[..]@..[..]`, `psum[..]@..[..]`
// (also with an owner, `chipN.coreM.sbuf[..]@..[..]`),
// `hbm@..[..]`, `chipN.hbm@..[..]`, `hbm:NAME[..]` and `hbm:NAME` -- becomes one
// kOperandText token spanning its whole text. Traces repeat the same operands, so the
// parser can recognise a text it has read before without lexing it again. Anything that
// does not look like a well-bracketed operand is lexed as usual.
std::size_t lex_line_grouped(std::string_view line, Token* out, bool newline_follows = false);

}  // namespace trnsim::trace
