#include "trace/lexer.h"

#include <algorithm>
#include <array>
#include <string>

namespace trnsim::trace {

namespace {

// What a byte starts, and whether it continues a name or a number: looked up once per byte,
// since the lexer is the innermost loop of loading a multi-million-instruction trace.
enum class Start : std::uint8_t {
  kOther,    // starts no token
  kSpace,    // ' ', '\t', '\r'
  kName,     // A-Z a-z _
  kNumber,   // 0-9
  kPunct,    // : , [ ] ( ) @ = .
  kSign,     // + -: a number's sign, '+=', '-=' or itself
  kGreater,  // '>': only in '>='
  kQuote,
  kComment,
  kEndOfText,  // the NUL or '\n' after the line
};

enum Continue : std::uint8_t {
  kNameChar = 1 << 0,    // A-Z a-z _ 0-9 .
  kNumberChar = 1 << 1,  // A-Z a-z _ 0-9 (digits, hex digits, suffixes, exponents)
  kDigit = 1 << 2,       // 0-9
};

// What a byte means while scanning an operand's text for its end (lex_line_grouped).
enum class Bracket : std::uint8_t {
  kInside,     // part of the operand
  kOpen,       // [
  kClose,      // ]
  kSeparator,  // blank or ',': allowed inside brackets only
  kStop,       // quote, comment, end of line, stray character: not a plain operand
};

struct CharTables {
  std::array<Start, 256> start{};
  std::array<std::uint8_t, 256> cont{};
  std::array<Bracket, 256> bracket{};
};

constexpr CharTables make_tables() {
  CharTables t;
  t.start[0] = t.start['\n'] = Start::kEndOfText;
  t.start[' '] = t.start['\t'] = t.start['\r'] = Start::kSpace;
  for (int c = 0; c < 256; ++c) {
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (alpha) t.start[c] = Start::kName;
    if (digit) t.start[c] = Start::kNumber;
    if (alpha || digit) t.cont[c] = kNameChar | kNumberChar;
    if (digit) t.cont[c] |= kDigit;
  }
  t.cont['.'] = kNameChar;
  for (char c : std::string_view(":,[]()@=."))
    t.start[static_cast<unsigned char>(c)] = Start::kPunct;
  t.start['+'] = t.start['-'] = Start::kSign;
  t.start['>'] = Start::kGreater;
  t.start['"'] = Start::kQuote;
  t.start['#'] = Start::kComment;
  for (int c = 0; c < 256; ++c) {
    const Start k = t.start[c];
    t.bracket[c] = (k == Start::kName || k == Start::kNumber || k == Start::kPunct ||
                    k == Start::kSign || k == Start::kGreater)
                       ? Bracket::kInside
                       : Bracket::kStop;
  }
  t.bracket['['] = Bracket::kOpen;
  t.bracket[']'] = Bracket::kClose;
  t.bracket[','] = t.bracket[' '] = t.bracket['\t'] = t.bracket['\r'] = Bracket::kSeparator;
  return t;
}
constexpr CharTables kTables = make_tables();

inline bool has(char c, std::uint8_t what) {
  return kTables.cont[static_cast<unsigned char>(c)] & what;
}

// The length of the UTF-8 sequence starting with `lead`, so that a stray non-ASCII
// character is reported whole rather than as a broken byte.
std::size_t utf8_length(unsigned char lead) {
  if (lead >= 0xf0 && lead < 0xf8) return 4;
  if (lead >= 0xe0) return lead < 0xf0 ? 3 : 1;
  if (lead >= 0xc0) return 2;
  return 1;
}

// Consumes the rest of a number from `p`: letters, digits and '_', a sign directly after a
// decimal exponent letter (`1e-3`; in hex, 'e' is a digit), and a fraction, which needs a
// digit after the '.' so that `0x100.bf16` and `256.bf16` keep the dot before the dtype.
inline const char* scan_number(const char* p, bool hex) {
  while (has(*p, kNumberChar))
    ++p;
  if (hex) return p;
  if (*p == '.' && has(p[1], kDigit)) {
    ++p;
    while (has(*p, kNumberChar))
      ++p;
  }
  while ((*p == '-' || *p == '+') && (p[-1] == 'e' || p[-1] == 'E') && has(p[1], kDigit)) {
    ++p;
    while (has(*p, kNumberChar))
      ++p;
  }
  return p;
}

}  // namespace

namespace {

// Lexes the `n` bytes at `base`, which are followed by a byte that continues no token (NUL
// or '\n'), so that no inner loop needs a bounds check; token texts point at the same
// offsets in `data`.
// True for a byte that ends a token without starting an operand's continuation.
inline bool has_blank_or_end(char c) {
  const Start s = kTables.start[static_cast<unsigned char>(c)];
  return s == Start::kSpace || s == Start::kEndOfText || s == Start::kComment || c == ',';
}

// `chipN.coreM.sbuf`, `coreM.psum` and the like: an on-chip operand of a named core. Only a
// shape test; the parser reads the numbers.
bool on_chip_with_owner(std::string_view head) {
  return (head.starts_with("chip") || head.starts_with("core")) &&
         (head.ends_with(".sbuf") || head.ends_with(".psum"));
}

// The end of the operand whose head name ends at `p` (see lex_line_grouped), or nullptr
// when the text is not one of the grouped forms. Gives up at anything that could make the
// usual tokens differ from a plain operand: a blank outside the brackets, nested or
// unbalanced brackets, a comma between groups, a quote, a comment or a stray character.
const char* grouped_operand_end(std::string_view head, const char* p) {
  int groups = 1;
  if ((head == "sbuf" || head == "psum" || on_chip_with_owner(head)) && *p == '[') {
    groups = 2;
  } else if (head == "hbm" && *p == ':') {
    const char* name = p + 1;
    if (!(kTables.start[static_cast<unsigned char>(*name)] == Start::kName)) return nullptr;
    const char* q = name;
    while (has(*q, kNameChar))
      ++q;
    while (q[-1] == '.')
      --q;
    if (*q != '[') return has_blank_or_end(*q) ? q : nullptr;
    p = q;
  } else if (*p != '@' ||
             !(head == "hbm" || (head.starts_with("chip") && head.ends_with(".hbm")))) {
    return nullptr;
  }
  int depth = 0;
  for (;; ++p) {
    while (kTables.bracket[static_cast<unsigned char>(*p)] == Bracket::kInside)
      ++p;
    switch (kTables.bracket[static_cast<unsigned char>(*p)]) {
      case Bracket::kOpen:
        if (depth++ != 0) return nullptr;
        break;
      case Bracket::kClose:
        if (--depth < 0) return nullptr;
        if (depth == 0 && --groups == 0) return p + 1;
        break;
      case Bracket::kSeparator:  // a blank or a comma: fine inside brackets only
        if (depth == 0) return nullptr;
        break;
      case Bracket::kInside:
        break;
      case Bracket::kStop:
        return nullptr;
    }
  }
}

template <bool kInPlace, bool kGroup>  // kInPlace: base == data, spares an address computation
std::size_t lex(const char* const base, std::size_t n, const char* const data, Token* out) {
  const char* const end = base + n;
  Token* const first = out;
  auto push = [&](TokenKind kind, const char* begin, const char* stop) {
    const auto offset = static_cast<std::size_t>(begin - base);
    out->kind = kind;
    out->text =
        std::string_view(kInPlace ? begin : data + offset, static_cast<std::size_t>(stop - begin));
    out->column = static_cast<std::uint32_t>(offset + 1);
    ++out;
  };
  const char* p = base;
  for (;;) {
    while (*p == ' ')
      ++p;  // the usual separator, without a trip through the switch
    const char* const begin = p;
    switch (kTables.start[static_cast<unsigned char>(*p)]) {
      case Start::kSpace:
        ++p;
        continue;
      case Start::kName:
        while (has(*p, kNameChar))
          ++p;
        // A name never ends in '.', so `x.` leaves the dot as punctuation.
        while (p[-1] == '.')
          --p;
        if constexpr (kGroup) {
          const std::string_view head(begin, static_cast<std::size_t>(p - begin));
          if (const char* stop = grouped_operand_end(head, p)) {
            push(TokenKind::kOperandText, begin, stop);
            p = stop;
            continue;
          }
        }
        push(TokenKind::kName, begin, p);
        continue;
      case Start::kNumber:
        p = scan_number(p, p[0] == '0' && (p[1] == 'x' || p[1] == 'X'));
        push(TokenKind::kNumber, begin, p);
        continue;
      case Start::kPunct:
        push(TokenKind::kPunct, begin, ++p);
        continue;
      case Start::kSign:
        if (p[1] == '=') {
          p += 2;
        } else if (has(p[1], kDigit) && (out == first || (out[-1].kind != TokenKind::kNumber &&
                                                          out[-1].kind != TokenKind::kName))) {
          ++p;
          p = scan_number(p, p[0] == '0' && (p[1] == 'x' || p[1] == 'X'));
          push(TokenKind::kNumber, begin, p);
          continue;
        } else {
          ++p;
        }
        push(TokenKind::kPunct, begin, p);
        continue;
      case Start::kGreater:
        if (p[1] == '=') {
          p += 2;
          push(TokenKind::kPunct, begin, p);
          continue;
        }
        break;
      case Start::kQuote: {
        const char* close = p + 1;
        while (close < end && *close != '"')
          ++close;
        if (close == end) {
          push(TokenKind::kError, begin, end);
          p = end;
          continue;
        }
        push(TokenKind::kString, begin + 1, close);
        out[-1].column -= 1;  // at the opening quote
        p = close + 1;
        continue;
      }
      case Start::kComment:
        p = end;
        continue;
      case Start::kEndOfText:
        if (p >= end) break;
        [[fallthrough]];  // a NUL byte inside the line
      case Start::kOther:
        break;
    }
    if (p >= end) break;
    p = std::min(end, p + utf8_length(static_cast<unsigned char>(*p)));
    push(TokenKind::kError, begin, p);
  }
  // The end token sits just past the last token (a string's closing quote included).
  std::size_t last_end = 0;
  if (out != first) {
    const Token& last = out[-1];
    last_end = static_cast<std::size_t>(last.text.data() - data) + last.text.size() +
               (last.kind == TokenKind::kString ? 1 : 0);
  }
  push(TokenKind::kEnd, base + last_end, base + last_end);
  return static_cast<std::size_t>(out - first);
}

template <bool kGroup>
std::size_t lex_any(std::string_view line, Token* out, bool newline_follows) {
  const char* const data = line.data();
  if (newline_follows && data[line.size()] == '\n') {
    return lex<true, kGroup>(data, line.size(), data, out);
  }
  thread_local std::string copy;
  copy.assign(line);
  return lex<false, kGroup>(copy.c_str(), line.size(), data, out);
}

}  // namespace

std::size_t lex_line(std::string_view line, Token* out, bool newline_follows) {
  return lex_any<false>(line, out, newline_follows);
}

std::size_t lex_line_grouped(std::string_view line, Token* out, bool newline_follows) {
  return lex_any<true>(line, out, newline_follows);
}

void lex_line(std::string_view line, std::vector<Token>& out) {
  out.resize(max_tokens(line));
  out.resize(lex_line(line, out.data()));
}

}  // namespace trnsim::trace
