#include "trace/lexer.h"

namespace trnsim::trace {

namespace {

constexpr bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
constexpr bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }

}  // namespace

void lex_line(std::string_view line, std::vector<Token>& out) {
  out.clear();
  const std::size_t n = line.size();
  std::size_t i = 0;
  auto push = [&](TokenKind kind, std::size_t begin, std::size_t end) {
    out.push_back(Token{kind, line.substr(begin, end - begin), static_cast<std::uint32_t>(begin + 1)});
  };
  while (i < n) {
    const char c = line[i];
    if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
      continue;
    }
    if (c == '#') break;
    const std::size_t begin = i;
    if (is_alpha(c)) {
      while (i < n && (is_alnum(line[i]) || line[i] == '.')) ++i;
      // A name never ends in '.', so `x.` leaves the dot as punctuation.
      while (i > begin + 1 && line[i - 1] == '.') --i;
      push(TokenKind::kName, begin, i);
      continue;
    }
    if (is_digit(c) || ((c == '-' || c == '+') && i + 1 < n && is_digit(line[i + 1]) &&
                        (out.empty() || !(out.back().kind == TokenKind::kNumber ||
                                          out.back().kind == TokenKind::kName)))) {
      if (c == '-' || c == '+') ++i;
      bool hex = i + 1 < n && line[i] == '0' && (line[i + 1] == 'x' || line[i + 1] == 'X');
      while (i < n && is_alnum(line[i])) {
        // An exponent sign: 1e-3, 2.5E+4 (never in hex, where 'e' is a digit).
        char prev = line[i];
        ++i;
        if (!hex && (prev == 'e' || prev == 'E') && i < n && (line[i] == '-' || line[i] == '+') &&
            i + 1 < n && is_digit(line[i + 1])) {
          ++i;
        }
      }
      // A fraction: a '.' followed by a digit (so `0x100.bf16` keeps its dot).
      if (!hex && i + 1 < n && line[i] == '.' && is_digit(line[i + 1])) {
        ++i;
        while (i < n && is_alnum(line[i])) {
          char prev = line[i];
          ++i;
          if ((prev == 'e' || prev == 'E') && i < n && (line[i] == '-' || line[i] == '+') &&
              i + 1 < n && is_digit(line[i + 1])) {
            ++i;
          }
        }
      }
      push(TokenKind::kNumber, begin, i);
      continue;
    }
    if (c == '"') {
      ++i;
      while (i < n && line[i] != '"') ++i;
      if (i >= n) {
        push(TokenKind::kError, begin, n);
        break;
      }
      out.push_back(Token{TokenKind::kString, line.substr(begin + 1, i - begin - 1),
                          static_cast<std::uint32_t>(begin + 1)});
      ++i;
      continue;
    }
    if ((c == '>' || c == '+' || c == '-') && i + 1 < n && line[i + 1] == '=') {
      push(TokenKind::kPunct, begin, i + 2);
      i += 2;
      continue;
    }
    switch (c) {
      case ':':
      case ',':
      case '[':
      case ']':
      case '(':
      case ')':
      case '@':
      case '=':
      case '.':
      case '+':
      case '-':
        push(TokenKind::kPunct, begin, i + 1);
        ++i;
        continue;
      default:
        push(TokenKind::kError, begin, i + 1);
        ++i;
        continue;
    }
  }
  out.push_back(Token{TokenKind::kEnd, std::string_view(), static_cast<std::uint32_t>(i + 1)});
}

}  // namespace trnsim::trace
