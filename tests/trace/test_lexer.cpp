// The trace lexer (sim/trace/lexer.h): token kinds, texts and columns of single lines.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "trace/lexer.h"
#include "trace_test_util.h"

namespace trnsim::trace {
namespace {

struct Expected {
  TokenKind kind;
  std::string_view text;
  std::uint32_t column;
};

std::vector<Token> lex(std::string_view line) {
  std::vector<Token> tokens;
  lex_line(line, tokens);
  return tokens;
}

std::vector<Token> lex_grouped(std::string_view line) {
  std::vector<Token> tokens(max_tokens(line));
  tokens.resize(lex_line_grouped(line, tokens.data()));
  return tokens;
}

// Compares every token but the final kEnd, then checks there is exactly one kEnd.
void check_lexed(const std::vector<Token>& tokens, std::string_view line,
                 const std::vector<Expected>& expected) {
  INFO("line: " << std::string(line));
  REQUIRE(tokens.size() == expected.size() + 1);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("token " << i << " '" << std::string(tokens[i].text) << "'");
    CHECK(tokens[i].kind == expected[i].kind);
    CHECK(tokens[i].text == expected[i].text);
    CHECK(tokens[i].column == expected[i].column);
  }
  CHECK(tokens.back().kind == TokenKind::kEnd);
}

void check_tokens(std::string_view line, const std::vector<Expected>& expected) {
  check_lexed(lex(line), line, expected);
}

void check_grouped(std::string_view line, const std::vector<Expected>& expected) {
  check_lexed(lex_grouped(line), line, expected);
}

constexpr auto N = TokenKind::kName;
constexpr auto Num = TokenKind::kNumber;
constexpr auto P = TokenKind::kPunct;
constexpr auto S = TokenKind::kString;
constexpr auto E = TokenKind::kError;
constexpr auto O = TokenKind::kOperandText;

TEST_CASE("lexer: names may hold dots but never end in one") {
  check_tokens("dma.q0: sem.set chip1.core0.s_rx",
               {{N, "dma.q0", 1}, {P, ":", 7}, {N, "sem.set", 9}, {N, "chip1.core0.s_rx", 17}});
  // The dot of `x.` is punctuation; `_` starts a name.
  check_tokens("x. _a1", {{N, "x", 1}, {P, ".", 2}, {N, "_a1", 4}});
  check_tokens("bank3.fp32[4]", {{N, "bank3.fp32", 1}, {P, "[", 11}, {Num, "4", 12}, {P, "]", 13}});
}

TEST_CASE("lexer: integers keep separators and suffixes in one token") {
  check_tokens("64_000 0x1_0000 192Ki 4M 0XFF 1Gi", {{Num, "64_000", 1},
                                                     {Num, "0x1_0000", 8},
                                                     {Num, "192Ki", 17},
                                                     {Num, "4M", 23},
                                                     {Num, "0XFF", 26},
                                                     {Num, "1Gi", 31}});
  // Malformed numbers are still one token; the parser says what is wrong with them.
  check_tokens("4Kb 1__0 12abc", {{Num, "4Kb", 1}, {Num, "1__0", 5}, {Num, "12abc", 10}});
}

TEST_CASE("lexer: a dot before a dtype is not a fraction") {
  check_tokens("@0x100.bf16", {{P, "@", 1}, {Num, "0x100", 2}, {P, ".", 7}, {N, "bf16", 8}});
  check_tokens("@256.fp8e4", {{P, "@", 1}, {Num, "256", 2}, {P, ".", 5}, {N, "fp8e4", 6}});
  // In hex, a digit after the dot still does not make a fraction.
  check_tokens("0x1.5", {{Num, "0x1", 1}, {P, ".", 4}, {Num, "5", 5}});
}

TEST_CASE("lexer: reals with fractions and exponents") {
  check_tokens("1.5 2.5e-3 1E+4 3e5 0.25e-1", {{Num, "1.5", 1},
                                               {Num, "2.5e-3", 5},
                                               {Num, "1E+4", 12},
                                               {Num, "3e5", 17},
                                               {Num, "0.25e-1", 21}});
  // An exponent sign needs a digit after it; in hex, 'e' is a digit and '-' ends the number.
  check_tokens("1e-x", {{Num, "1e", 1}, {P, "-", 3}, {N, "x", 4}});
  check_tokens("0x1e-3", {{Num, "0x1e", 1}, {P, "-", 5}, {Num, "3", 6}});
  // A fraction needs a digit after its dot.
  check_tokens("1.e5", {{Num, "1", 1}, {P, ".", 2}, {N, "e5", 3}});
}

TEST_CASE("lexer: a sign starts a number only where a value can start") {
  check_tokens("[512:-1]",
               {{P, "[", 1}, {Num, "512", 2}, {P, ":", 5}, {Num, "-1", 6}, {P, "]", 8}});
  check_tokens("value=-2.5", {{N, "value", 1}, {P, "=", 6}, {Num, "-2.5", 7}});
  check_tokens("s >= -1, +3",
               {{N, "s", 1}, {P, ">=", 3}, {Num, "-1", 6}, {P, ",", 8}, {Num, "+3", 10}});
  // After a name or a number, '-' is punctuation.
  check_tokens("x-1", {{N, "x", 1}, {P, "-", 2}, {Num, "1", 3}});
  check_tokens("5-3", {{Num, "5", 1}, {P, "-", 2}, {Num, "3", 3}});
  // `-inf` is '-' and a name: a sign joins a number only before a digit.
  check_tokens("=-inf", {{P, "=", 1}, {P, "-", 2}, {N, "inf", 3}});
}

TEST_CASE("lexer: two-character operators") {
  check_tokens("s>=1 s+=1 s-=1 s=1", {{N, "s", 1},
                                      {P, ">=", 2},
                                      {Num, "1", 4},
                                      {N, "s", 6},
                                      {P, "+=", 7},
                                      {Num, "1", 9},
                                      {N, "s", 11},
                                      {P, "-=", 12},
                                      {Num, "1", 14},
                                      {N, "s", 16},
                                      {P, "=", 17},
                                      {Num, "1", 18}});
  // A lone '>' starts no token.
  check_tokens("s > 1", {{N, "s", 1}, {E, ">", 3}, {Num, "1", 5}});
}

TEST_CASE("lexer: strings") {
  // The text excludes the quotes; the column is the opening quote's; '#' inside is text.
  check_tokens(R"(file("a b#c.npy"))",
               {{N, "file", 1}, {P, "(", 5}, {S, "a b#c.npy", 6}, {P, ")", 17}});
  check_tokens(R"("")", {{S, "", 1}});
}

TEST_CASE("lexer: an unterminated string runs to the end of the line") {
  const auto tokens = lex("init=file(\"a.npy)");
  REQUIRE(tokens.size() == 6);
  CHECK(tokens[4].kind == TokenKind::kError);
  CHECK(tokens[4].text == "\"a.npy)");
  CHECK(tokens[4].column == 11);
  CHECK(tokens[4].is_unterminated_string());
  CHECK_FALSE(lex("$")[0].is_unterminated_string());
  CHECK(tokens[5].kind == TokenKind::kEnd);
  CHECK(tokens[5].column == 18);
}

TEST_CASE("lexer: comments end the line") {
  check_tokens("pe: nop # wait(s >= 1)", {{N, "pe", 1}, {P, ":", 3}, {N, "nop", 5}});
  check_tokens("#.trace 1", {});
  check_tokens("a#b", {{N, "a", 1}});
}

TEST_CASE("lexer: the end token sits just past the last token") {
  CHECK(lex("").back().column == 1);
  CHECK(lex("   ").back().column == 1);
  CHECK(lex("   # note").back().column == 1);
  CHECK(lex("ab  ").back().column == 3);
  CHECK(lex("ab, # note").back().column == 4);
  CHECK(lex(R"(x "s"  )").back().column == 6);  // past the closing quote
}

TEST_CASE("lexer: columns count bytes, a tab is one") {
  check_tokens("\tpe:\t nop", {{N, "pe", 2}, {P, ":", 4}, {N, "nop", 7}});
  // A carriage return (CRLF text) is blank.
  check_tokens("pe: nop\r", {{N, "pe", 1}, {P, ":", 3}, {N, "nop", 5}});
}

TEST_CASE("lexer: stray characters") {
  check_tokens("a $ b", {{N, "a", 1}, {E, "$", 3}, {N, "b", 5}});
  // A non-ASCII character is one token, so messages quote it whole.
  check_tokens("a \xc2\xb5 b", {{N, "a", 1}, {E, "\xc2\xb5", 3}, {N, "b", 6}});
  check_tokens("\xe2\x80\x9c", {{E, "\xe2\x80\x9c", 1}});
  // A NUL byte inside a line is an error too, not the end of the line.
  check_tokens(std::string_view("a\0b", 3),
               {{N, "a", 1}, {E, std::string_view("\0", 1), 2}, {N, "b", 3}});
  // A truncated UTF-8 sequence at the end stays inside the line.
  check_tokens("a \xe2\x80", {{N, "a", 1}, {E, "\xe2\x80", 3}});
}

TEST_CASE("lexer: punctuation") {
  check_tokens("sbuf[0:128]@0x0.bf16[128:1, 4]", {{N, "sbuf", 1},
                                                  {P, "[", 5},
                                                  {Num, "0", 6},
                                                  {P, ":", 7},
                                                  {Num, "128", 8},
                                                  {P, "]", 11},
                                                  {P, "@", 12},
                                                  {Num, "0x0", 13},
                                                  {P, ".", 16},
                                                  {N, "bf16", 17},
                                                  {P, "[", 21},
                                                  {Num, "128", 22},
                                                  {P, ":", 25},
                                                  {Num, "1", 26},
                                                  {P, ",", 27},
                                                  {Num, "4", 29},
                                                  {P, "]", 30}});
}

TEST_CASE("lexer: lexing in place gives the same tokens as lexing a copy") {
  // The parser lexes lines inside the whole text, where each is followed by its '\n'.
  const std::string text = "pe: matmul psum[0:128]@bank0.fp32[512], x acc=start # c\r\nnext";
  const std::string_view line = std::string_view(text).substr(0, text.find('\n'));
  std::vector<Token> in_place(max_tokens(line));
  std::vector<Token> copied(max_tokens(line));
  const std::size_t n = lex_line(line, in_place.data(), true);
  const std::size_t m = lex_line(line, copied.data(), false);
  REQUIRE(n == m);
  for (std::size_t i = 0; i < n; ++i) {
    CHECK(in_place[i].kind == copied[i].kind);
    CHECK(in_place[i].text.data() == copied[i].text.data());  // both point into `text`
    CHECK(in_place[i].text.size() == copied[i].text.size());
    CHECK(in_place[i].column == copied[i].column);
  }
  // The last line of a text has no newline after it, and is lexed from a copy.
  const std::string_view last = std::string_view(text).substr(text.find('\n') + 1);
  std::vector<Token> tail(max_tokens(last));
  REQUIRE(lex_line(last, tail.data(), false) == 2);
  CHECK(tail[0].text == "next");
  CHECK(tail[0].text.data() == text.data() + text.size() - 4);
}

TEST_CASE("lexer: the vector form replaces what was there") {
  std::vector<Token> tokens;
  lex_line("a b c", tokens);
  REQUIRE(tokens.size() == 4);
  lex_line("d", tokens);
  REQUIRE(tokens.size() == 2);
  CHECK(tokens[0].text == "d");
  CHECK(tokens[1].kind == TokenKind::kEnd);
}

TEST_CASE("lexer: is() compares punctuation exactly") {
  const auto tokens = lex(">= = - -=");
  CHECK(tokens[0].is(">="));
  CHECK_FALSE(tokens[0].is(">"));
  CHECK(tokens[1].is("="));
  CHECK_FALSE(tokens[1].is(">="));
  CHECK(tokens[2].is("-"));
  CHECK(tokens[3].is("-="));
  CHECK_FALSE(lex("x")[0].is("x"));  // a name is not punctuation
}

TEST_CASE("lexer: grouped operands are one token") {
  check_grouped("dma.q0: copy sbuf[0:128]@0x0.bf16[128], hbm:W[0:128, 0:128] post(s += 1)",
                {{N, "dma.q0", 1},
                 {P, ":", 7},
                 {N, "copy", 9},
                 {O, "sbuf[0:128]@0x0.bf16[128]", 14},
                 {P, ",", 39},
                 {O, "hbm:W[0:128, 0:128]", 41},
                 {N, "post", 61},
                 {P, "(", 65},
                 {N, "s", 66},
                 {P, "+=", 68},
                 {Num, "1", 71},
                 {P, ")", 72}});
  check_grouped("x psum[0:128]@bank3.fp32[512:-1],hbm:A,chip1.hbm@0x10.fp32[4] hbm@0.int8[2]",
                {{N, "x", 1},
                 {O, "psum[0:128]@bank3.fp32[512:-1]", 3},
                 {P, ",", 33},
                 {O, "hbm:A", 34},
                 {P, ",", 39},
                 {O, "chip1.hbm@0x10.fp32[4]", 40},
                 {O, "hbm@0.int8[2]", 63}});
  check_grouped("a=hbm:T # comment", {{N, "a", 1}, {P, "=", 2}, {O, "hbm:T", 3}});
  check_grouped("copy chip1.core0.sbuf[0:128]@0.fp32[4], core2.psum[0:1]@bank1.fp32[2]",
                {{N, "copy", 1},
                 {O, "chip1.core0.sbuf[0:128]@0.fp32[4]", 6},
                 {P, ",", 39},
                 {O, "core2.psum[0:1]@bank1.fp32[2]", 41}});
}

TEST_CASE("lexer: anything unusual is lexed token by token") {
  // A blank after the head or between the groups, an unclosed or nested bracket, a comma
  // between groups, a quote or comment inside, a stray character: plain tokens.
  for (std::string_view line :
       {"sbuf [0:128]@0.fp32[4]", "sbuf[0:128] @0.fp32[4]", "sbuf[0:128]@0.fp32[4",
        "sbuf[0:[1]]@0.fp32[4]", "sbuf[0:128],@0.fp32[4]", "hbm@0.fp32[4 # x]", "hbm@0.fp32[\"4\"]",
        "hbm@0.fp32[4$]", "sbuf", "psum:x", "hbm:", "hbm:[0:1]", "hbm", "chip1.hbm:A",
        "chipx.hbmy@0.fp32[1]"}) {
    INFO(std::string(line));
    for (const Token& t : lex_grouped(line))
      CHECK(t.kind != TokenKind::kOperandText);
  }
  // Blanks inside the brackets are part of the operand.
  check_grouped("hbm:A[0:128 ,\t0:512 ]", {{O, "hbm:A[0:128 ,\t0:512 ]", 1}});
}

// The property the parser relies on: lexing a grouped operand's text on its own gives the
// tokens plain lexing gives for that stretch of the line.
void check_grouping_is_transparent(std::string_view line) {
  std::vector<Token> plain;
  lex_line(line, plain);
  std::vector<Token> expanded;
  for (const Token& g : lex_grouped(line)) {
    if (g.kind != TokenKind::kOperandText) {
      expanded.push_back(g);
      continue;
    }
    std::vector<Token> inner;
    lex_line(g.text, inner);
    inner.pop_back();  // its kEnd
    for (Token t : inner) {
      t.column += g.column - 1;  // the texts already point into the line
      expanded.push_back(t);
    }
  }
  INFO("line: " << std::string(line));
  REQUIRE(expanded.size() == plain.size());
  for (std::size_t i = 0; i < plain.size(); ++i) {
    CHECK(expanded[i].kind == plain[i].kind);
    CHECK(expanded[i].text.data() == plain[i].text.data());
    CHECK(expanded[i].text.size() == plain[i].text.size());
    CHECK(expanded[i].column == plain[i].column);
  }
}

TEST_CASE("lexer: grouping changes no token of any test trace") {
  int lines = 0;
  for (const char* dir : {"trace/good", "trace/bad_syntax"}) {
    for (const auto& path : test::files_in(test::test_data(dir), ".trn")) {
      const std::string text = test::read_text(path);
      std::size_t pos = 0;
      while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        check_grouping_is_transparent(std::string_view(text).substr(pos, end - pos));
        pos = end + 1;
        ++lines;
      }
    }
  }
  CHECK(lines > 200);
}

}  // namespace
}  // namespace trnsim::trace
