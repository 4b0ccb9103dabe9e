// The trace parser: a recursive-descent reader over the tokens of one line at a time.
//
// Errors: a LineError abandons the rest of its line and becomes one diagnostic; parsing
// goes on with the next line, so every bad line of a file is reported. A statement takes
// effect only once it is read completely, so a bad line declares nothing.
//
// Speed (a trace can hold millions of instructions): lines are lexed in place into a
// reused token buffer; keywords are compared as packed words; numbers, semaphores and
// operands have fast paths. The largest saving is that an operand is read once per
// distinct text: lines are lexed with whole operands as single tokens
// (lex_line_grouped), an operand text seen before maps straight to its pool index, and a
// new one is lexed and parsed on its own. A line that fails on that path is lexed and
// parsed again token by token, so that errors are found and worded exactly as without it.
#include "trace/parser.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "common/number.h"
#include "common/source_file.h"
#include "trace/lexer.h"

namespace trnsim::trace {

namespace {

using isa::ArgKind;
using isa::Attr;

// Largest chip, core, partition and bank numbers the syntax accepts; whether they exist
// is for the checker, which knows the configuration.
constexpr std::uint32_t kMaxIndex = 0xffff;
constexpr std::uint32_t kMaxDmaQueue = 255;
constexpr std::size_t kMaxSyncOps = 255;  // Instruction::num_syncs is 8 bits
// The longest line read: generated lines are a few hundred bytes. Lexing needs memory in
// proportion to a line's length, so a file without newlines must not be lexed whole.
constexpr std::size_t kMaxLineBytes = 64 * 1024;

// Thrown inside the parser to abandon the current line; never escapes it. Only the error
// path throws, so the cost of an exception is never paid on a good line.
struct LineError {
  std::uint32_t column;
  std::string message;
};

std::string join(const std::vector<std::string_view>& items, std::string_view sep = ", ") {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    out += items[i];
  }
  return out;
}

// "; did you mean 'x'?" for a plausible typo, else the full list of what is allowed.
std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string best = closest_match(word, candidates);
  if (!best.empty()) return fmt::format("; did you mean '{}'?", best);
  return fmt::format(" (expected one of: {})", join(candidates));
}

std::vector<std::string_view> names_of(std::span<const isa::Word> words) {
  std::vector<std::string_view> out;
  for (auto w : words)
    out.push_back(isa::word_name(w));
  return out;
}

std::vector<std::string_view> all_dtype_names() {
  std::vector<std::string_view> out;
  for (std::size_t i = 0; i < isa::kNumDTypes; ++i) {
    out.push_back(isa::dtype_name(static_cast<isa::DType>(i)));
  }
  return out;
}

std::vector<std::string_view> all_opcode_names() {
  std::vector<std::string_view> out;
  for (std::size_t i = 0; i < isa::kNumOpcodes; ++i) {
    out.push_back(isa::opcode_info(static_cast<isa::Opcode>(i)).name);
  }
  return out;
}

// For the few helpers on the hot path that GCC would not inline at -O2 on its own.
#define TRNSIM_INLINE [[gnu::always_inline]] inline

// Keyword lookup by comparing names packed into 64-bit words instead of strings: engines,
// opcodes, dtypes and attribute names are looked up for every instruction, and the ISA's
// own by-name functions (string compares over a list) showed as a tenth of the parse time.
struct PackedName {
  std::uint64_t lo = 0, hi = 0, size = 0;
  friend bool operator==(const PackedName&, const PackedName&) = default;
};

constexpr std::size_t kMaxPackedName = 16;

inline std::uint64_t load64(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline std::uint64_t load32(const char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Packs a name of up to 16 bytes with a few fixed-size loads, which may overlap but never
// leave the name (a variable-length copy would be a library call). Two names of one
// length pack alike only if they are equal, since the loads cover every byte. Returns
// false for a longer name, which no keyword table holds.
inline bool pack_name(std::string_view s, PackedName& out) {
  const std::size_t n = s.size();
  const char* p = s.data();
  if (n > kMaxPackedName) return false;
  out.size = n;
  if (n >= 8) {
    out.lo = load64(p);
    out.hi = load64(p + n - 8);
  } else if (n >= 4) {
    out.lo = load32(p) | (load32(p + n - 4) << 32);
    out.hi = 0;
  } else {
    out.lo = n == 0 ? 0
                    : static_cast<unsigned char>(p[0]) |
                          (std::uint64_t{static_cast<unsigned char>(p[n / 2])} << 8) |
                          (std::uint64_t{static_cast<unsigned char>(p[n - 1])} << 16);
    out.hi = 0;
  }
  return true;
}

// A small keyword table built from the ISA's name functions, so the ISA stays the one
// place that spells every keyword.
template <typename T>
class KeywordTable {
 public:
  template <typename NameOf>
  KeywordTable(std::size_t count, NameOf name_of) {
    for (std::size_t i = 0; i < count; ++i) {
      PackedName p;
      if (pack_name(name_of(static_cast<T>(i)), p)) m_entries.push_back({p, static_cast<T>(i)});
    }
  }
  std::optional<T> find(std::string_view name) const {
    PackedName p;
    if (!pack_name(name, p)) return std::nullopt;
    for (const auto& e : m_entries) {
      if (e.name == p) return e.value;
    }
    return std::nullopt;
  }

 private:
  struct Entry {
    PackedName name;
    T value;
  };
  std::vector<Entry> m_entries;
};

const KeywordTable<isa::Engine>& engine_table() {
  static const KeywordTable<isa::Engine> table(isa::kNumEngines, isa::engine_name);
  return table;
}
const KeywordTable<isa::Opcode>& opcode_table() {
  static const KeywordTable<isa::Opcode> table(
      isa::kNumOpcodes, [](isa::Opcode op) { return isa::opcode_info(op).name; });
  return table;
}
const KeywordTable<isa::DType>& dtype_table() {
  static const KeywordTable<isa::DType> table(isa::kNumDTypes, isa::dtype_name);
  return table;
}
const KeywordTable<isa::Attr>& attr_table() {
  static const KeywordTable<isa::Attr> table(static_cast<std::size_t>(isa::Attr::kCount),
                                             isa::attr_name);
  return table;
}
const KeywordTable<isa::Word>& word_table() {
  static const KeywordTable<isa::Word> table(static_cast<std::size_t>(isa::Word::kCount),
                                             isa::word_name);
  return table;
}

// Plain decimal digits (no sign, '_' or suffix), as used by `chipN`, `coreM`, `bankB` and
// `dma.qN`, where a size suffix or hex would only hide a typo.
bool parse_index(std::string_view digits, std::uint32_t max, std::uint32_t& out) {
  if (digits.empty() || digits.size() > 9) return false;
  std::uint32_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (v > max) return false;
  out = v;
  return true;
}

// "chip3.hbm" -> 3 with suffix ".hbm"; "chip3" -> 3 with an empty suffix.
std::optional<std::uint32_t> parse_chip_prefix(std::string_view text, std::string_view suffix) {
  if (text.size() <= 4 + suffix.size() || !text.starts_with("chip") || !text.ends_with(suffix)) {
    return std::nullopt;
  }
  std::uint32_t chip = 0;
  if (!parse_index(text.substr(4, text.size() - 4 - suffix.size()), kMaxIndex, chip)) {
    return std::nullopt;
  }
  return chip;
}

// The common case of a literal, plain decimal or hex digits, read without the '_' and
// suffix handling of parse_unsigned; anything else (and every error) goes through it.
TRNSIM_INLINE bool quick_unsigned(std::string_view s, std::uint64_t& value) {
  std::uint64_t v = 0;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    if (s.size() > 17) return false;  // up to 15 hex digits cannot overflow
    for (std::size_t i = 2; i < s.size(); ++i) {
      const char c = s[i];
      unsigned d;
      if (c >= '0' && c <= '9') {
        d = static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        d = static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        d = static_cast<unsigned>(c - 'A' + 10);
      } else {
        return false;
      }
      v = v * 16 + d;
    }
  } else {
    if (s.empty() || s.size() > 18) return false;  // up to 18 digits cannot overflow
    for (char c : s) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
  }
  value = v;
  return true;
}

// quick_unsigned with an optional sign.
TRNSIM_INLINE bool quick_signed(std::string_view s, std::int64_t& value) {
  const bool negative = !s.empty() && s[0] == '-';
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  std::uint64_t magnitude = 0;
  // 15 hex or 18 decimal digits stay below 2^63, so the negation cannot overflow.
  if (!quick_unsigned(s, magnitude)) return false;
  value = negative ? -static_cast<std::int64_t>(magnitude) : static_cast<std::int64_t>(magnitude);
  return true;
}

// The integer parsers by the type they fill, for expect_integer<T>.
TRNSIM_INLINE bool quick_integer(std::string_view s, std::uint64_t& v) {
  return quick_unsigned(s, v);
}
TRNSIM_INLINE bool quick_integer(std::string_view s, std::int64_t& v) {
  return quick_signed(s, v);
}
inline bool parse_integer(std::string_view s, std::uint64_t& v, std::string* why) {
  return parse_unsigned(s, v, why);
}
inline bool parse_integer(std::string_view s, std::int64_t& v, std::string* why) {
  return parse_signed(s, v, why);
}

// A plain decimal real with a fraction or an exponent (`0.5`, `-1e-3`); other forms go
// through parse_real. Digits alone are an integer, however long, and never read here.
bool quick_real(std::string_view s, double& value) {
  if (s.empty() || s.find_first_not_of("0123456789.eE+-") != std::string_view::npos ||
      s.find_first_of(".eE") == std::string_view::npos) {
    return false;
  }
  const bool negative = s[0] == '-';
  if (s[0] == '-' || s[0] == '+') s.remove_prefix(1);
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return false;
  value = negative ? -v : v;
  return true;
}

// Words the error for a number token `text` that did not read as `what`; `why` is what
// the number parser said.
std::string bad_number(std::string_view text, const std::string& why, std::string_view what) {
  std::string_view body = text;
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) body.remove_prefix(1);
  const bool hex = body.size() > 1 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X');
  const auto suffix_at = body.find_first_not_of("0123456789_");
  if (!hex && suffix_at != 0 && suffix_at != std::string_view::npos &&
      std::all_of(body.begin() + static_cast<std::ptrdiff_t>(suffix_at), body.end(),
                  [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); })) {
    return fmt::format("unknown size suffix '{}' in number '{}' (expected K, Ki, M, Mi, G or Gi)",
                       body.substr(suffix_at), text);
  }
  // Misplaced '_' and overflow are best said by the number parser itself.
  if (!why.starts_with("invalid number")) return why;
  return fmt::format("expected {}, got '{}'", what, text);
}

// A semaphore named by its core, `chipN.coreM.NAME`.
struct QualifiedName {
  CoreId core;
  std::string_view name;
};

std::optional<QualifiedName> split_qualified(std::string_view text) {
  const auto first = text.find('.');
  const auto second = text.find('.', first + 1);
  if (second == std::string_view::npos || second + 1 >= text.size()) return std::nullopt;
  auto chip = parse_chip_prefix(text.substr(0, first), "");
  std::string_view core_part = text.substr(first + 1, second - first - 1);
  std::uint32_t core = 0;
  if (!chip || !core_part.starts_with("core") ||
      !parse_index(core_part.substr(4), kMaxIndex, core)) {
    return std::nullopt;
  }
  return QualifiedName{CoreId{*chip, core}, text.substr(second + 1)};
}

// The head of an on-chip operand: `sbuf`, `psum`, or one of them with the owning core,
// `chipN.coreM.sbuf` or `coreM.sbuf` (the issuing chip). `memory` is empty when the text
// has an owner prefix but names no on-chip memory after it.
struct OnChipHead {
  std::uint32_t chip = kNone;
  std::uint32_t core = kNone;
  std::string_view memory;
};

std::optional<OnChipHead> split_on_chip_head(std::string_view text) {
  OnChipHead h;
  if (text.starts_with("chip")) {
    const auto dot = text.find('.');
    auto chip = parse_chip_prefix(text.substr(0, dot), "");
    if (dot == std::string_view::npos || !chip) return std::nullopt;
    h.chip = *chip;
    text.remove_prefix(dot + 1);
    if (!text.starts_with("core")) return std::nullopt;
  }
  if (text.starts_with("core")) {
    const auto dot = text.find('.');
    std::uint32_t core = 0;
    if (dot == std::string_view::npos || !parse_index(text.substr(4, dot - 4), kMaxIndex, core)) {
      return std::nullopt;
    }
    h.core = core;
    text.remove_prefix(dot + 1);
    if (text == "sbuf" || text == "psum") h.memory = text;
    return h;
  }
  if (text != "sbuf" && text != "psum") return std::nullopt;
  h.memory = text;
  return h;
}

// A semaphore of another core named before that core declares it, resolved once the whole
// file is read. `name` points into the trace text, which outlives the parser.
struct PendingSemaphore {
  CoreId core;
  std::string_view name;
  std::uint32_t line;
  std::uint32_t column;
  bool in_sync;       // true: Program::syncs[index]; false: Program::args[index]
  std::size_t index;  // into the current line's buffers until the line is added
};

// Equality of two byte ranges of length n, eight bytes at a time and inline: operand texts
// are a few dozen bytes, where a call to memcmp costs more than the comparison.
inline bool same_bytes(const char* a, const char* b, std::size_t n) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    if (load64(a + i) != load64(b + i)) return false;
  }
  for (; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// A hash of a short text, eight bytes at a time.
std::uint64_t hash_text(std::string_view s) {
  std::uint64_t h = 0x9e3779b97f4a7c15ull ^ s.size();
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    h = (h ^ load64(s.data() + i)) * 0xff51afd7ed558ccdull;
    h ^= h >> 32;
  }
  // The last bytes through one load that overlaps what was hashed (the length is mixed
  // in above, so this stays a function of the text).
  std::uint64_t tail = 0;
  if (s.size() >= 8) {
    tail = load64(s.data() + s.size() - 8);
  } else if (s.size() >= 4) {
    tail = load32(s.data()) | (load32(s.data() + s.size() - 4) << 32);
  } else {
    for (; i < s.size(); ++i)
      tail = (tail << 8) | static_cast<unsigned char>(s[i]);
  }
  h = (h ^ tail) * 0xc4ceb9fe1a85ec53ull;
  return h ^ (h >> 29);
}

// Operand source texts already parsed, and the pool index each one interned to. Open
// addressing, at most half full; the texts point into the trace, which outlives the parse.
class OperandTextCache {
 public:
  const std::uint32_t* find(std::string_view text, std::uint64_t hash) const {
    if (m_slots.empty()) return nullptr;
    const std::size_t mask = m_slots.size() - 1;
    for (std::size_t i = hash & mask; m_slots[i].text != nullptr; i = (i + 1) & mask) {
      const Slot& s = m_slots[i];
      if (s.hash == hash && s.size == text.size() && same_bytes(s.text, text.data(), s.size)) {
        return &s.operand;
      }
    }
    return nullptr;
  }

  void insert(std::string_view text, std::uint64_t hash, std::uint32_t operand) {
    if (2 * (m_used + 1) > m_slots.size()) grow();
    place(Slot{hash, text.data(), static_cast<std::uint32_t>(text.size()), operand});
    ++m_used;
  }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    const char* text = nullptr;  // nullptr: empty
    std::uint32_t size = 0;
    std::uint32_t operand = 0;
  };

  void place(const Slot& slot) {
    const std::size_t mask = m_slots.size() - 1;
    std::size_t i = slot.hash & mask;
    while (m_slots[i].text != nullptr)
      i = (i + 1) & mask;
    m_slots[i] = slot;
  }

  void grow() {
    std::vector<Slot> old = std::move(m_slots);
    m_slots.assign(std::max<std::size_t>(256, 2 * old.size()), Slot{});
    for (const Slot& s : old) {
      if (s.text != nullptr) place(s);
    }
  }

  std::vector<Slot> m_slots;
  std::size_t m_used = 0;
};

class Parser {
 public:
  Parser(std::string_view text, const std::string& file, Program& program, DiagnosticList& diags,
         const ParseLimits& limits)
      : m_text(text), m_file(file), m_program(program), m_diags(diags), m_limits(limits) {}

  void run() {
    m_program.file = m_file;
    std::size_t pos = 0;
    while (pos < m_text.size()) {
      std::size_t end = m_text.find('\n', pos);
      if (end == std::string_view::npos) end = m_text.size();
      const std::string_view raw = m_text.substr(pos, end - pos);
      m_line = raw;
      if (!m_line.empty() && m_line.back() == '\r') m_line.remove_suffix(1);  // CRLF text
      ++m_line_no;
      pos = end + 1;
      // The raw line (a '\r' is blank to the lexer) is followed by its '\n' in the text.
      const bool newline_follows = end < m_text.size();
      if (raw.size() > kMaxLineBytes) {
        m_line = m_line.substr(0, kMaxLineBytes);  // the caret goes where the limit is passed
        error(kMaxLineBytes + 1,
              fmt::format("line is {} bytes long, the limit is {}", raw.size(), kMaxLineBytes));
        ++m_statements;
        continue;
      }
      if (lex(m_tokens, raw, newline_follows, true) == 0) continue;
      if (m_statements == 0) check_header();
      try {
        statement();
      } catch (const LineError& e) {
        // A line lexed with whole operands is read again token by token, so that every
        // error is found and worded exactly as on the plain path (the statement has had no
        // effect yet: declarations and instructions are only added once complete).
        if (!m_grouped) {
          error(e.column, e.message);
        } else {
          lex(m_tokens, raw, newline_follows, false);
          try {
            statement();
          } catch (const LineError& plain) {
            error(plain.column, plain.message);
          }
        }
      }
      ++m_statements;
      if (m_abandon) break;
    }
    if (m_statements == 0) {
      m_line = line_of(m_text, 1);
      m_line_no = 1;
      error(1, "missing '.trace 1' header: the file has no statements");
    }
    resolve_pending();
  }

 private:
  // ---- token helpers -------------------------------------------------------------------
  // Looks at most kLookahead - 1 tokens past the current one.
  const Token& peek(std::size_t ahead = 0) const { return m_at[ahead]; }
  // Consumes the current token; at the end of the line, stays there.
  const Token& next() {
    const Token& t = *m_at;
    if (t.kind != TokenKind::kEnd) ++m_at;
    return t;
  }
  [[noreturn, gnu::cold, gnu::noinline]] static void fail(const Token& at, std::string message) {
    throw LineError{at.column, std::move(message)};
  }
  static std::string describe(const Token& t) {
    switch (t.kind) {
      case TokenKind::kEnd:
        return "end of line";
      case TokenKind::kString:
        return fmt::format("\"{}\"", t.text);
      case TokenKind::kOperandText:
        return fmt::format("'{}'", head_name(t));
      case TokenKind::kError:
        if (t.is_unterminated_string()) return "an unterminated string (no closing '\"')";
        return fmt::format("unexpected character '{}'", t.text);
      default:
        return fmt::format("'{}'", t.text);
    }
  }
  // The expect_* helpers are the parser's inner loop: the check is inline, and the message
  // is built out of line, only when it fails.
  //
  // `context` completes "expected 'P' ...": a literal, so nothing is built unless it fails.
  TRNSIM_INLINE void expect(char punct, std::string_view context) {
    const Token& t = *m_at;
    if (t.kind != TokenKind::kPunct || t.text.size() != 1 || t.text[0] != punct) [[unlikely]] {
      fail(t, fmt::format("expected '{}' {}, got {}", punct, context, describe(t)));
    }
    ++m_at;
  }
  const Token& expect_name(std::string_view what) {
    const Token& t = *m_at;
    if (t.kind != TokenKind::kName) [[unlikely]] {
      fail(t, fmt::format("expected {}, got {}", what, describe(t)));
    }
    ++m_at;
    return t;
  }
  TRNSIM_INLINE std::uint64_t expect_unsigned(std::string_view what) {
    return expect_integer<std::uint64_t>(what);
  }
  TRNSIM_INLINE std::int64_t expect_signed(std::string_view what) {
    return expect_integer<std::int64_t>(what);
  }
  template <typename T>
  TRNSIM_INLINE T expect_integer(std::string_view what) {
    const Token& t = *m_at;
    T v = 0;
    if (t.kind != TokenKind::kNumber || !quick_integer(t.text, v)) [[unlikely]] {
      v = slow_integer<T>(t, what);
    }
    ++m_at;
    return v;
  }
  template <typename T>
  [[gnu::noinline]] static T slow_integer(const Token& t, std::string_view what) {
    if (t.kind != TokenKind::kNumber) {
      fail(t, fmt::format("expected {}, got {}", what, describe(t)));
    }
    T v = 0;
    std::string why;
    if (!parse_integer(t.text, v, &why)) fail(t, bad_number(t.text, why, what));
    return v;
  }
  TRNSIM_INLINE std::uint32_t expect_u32(std::string_view what, std::uint32_t max) {
    const Token& t = *m_at;
    const std::uint64_t v = expect_unsigned(what);
    if (v > max) [[unlikely]] {
      fail(t, fmt::format("expected {} of at most {}, got {}", what, max, v));
    }
    return static_cast<std::uint32_t>(v);
  }
  void expect_end() {
    const Token& t = peek();
    if (t.kind != TokenKind::kEnd) {
      fail(t, fmt::format("expected end of statement, got {}", describe(t)));
    }
  }
  void error(std::uint32_t column, std::string message) {
    // Past the cap the list only counts, so do not copy the line for nothing.
    if (m_diags.full()) return m_diags.add(Diagnostic{});
    m_diags.error(m_file, m_line_no, column, std::move(message), std::string(m_line));
  }

  std::uint32_t current_core() {
    if (m_core == kNone) m_core = m_program.core_index(CoreId{0, 0}, 0);
    return m_core;
  }
  std::uint32_t current_chip() const {
    return m_core == kNone ? 0 : m_program.cores[m_core].id.chip;
  }

  // Lexes `line` into `tokens` (grouping whole operands when `grouped`), followed by
  // kLookahead copies of the kEnd token so that peek() needs no bounds check, and points
  // m_at at the first token. Returns the number of tokens before kEnd.
  std::size_t lex(std::vector<Token>& tokens, std::string_view line, bool newline_follows,
                  bool grouped) {
    if (tokens.size() < max_tokens(line) + kLookahead) {
      tokens.resize(max_tokens(line) + kLookahead);
    }
    const std::size_t count = grouped ? lex_line_grouped(line, tokens.data(), newline_follows)
                                      : lex_line(line, tokens.data(), newline_follows);
    std::fill_n(tokens.begin() + static_cast<std::ptrdiff_t>(count), kLookahead, tokens[count - 1]);
    if (&tokens == &m_tokens) {
      m_grouped = false;
      for (std::size_t i = 0; grouped && i + 1 < count; ++i) {
        m_grouped |= tokens[i].kind == TokenKind::kOperandText;
      }
    }
    m_at = tokens.data();
    return count - 1;
  }

  // ---- statements ----------------------------------------------------------------------
  // The first statement must be the header. Said once; the rest of the file is still read
  // as version 1 so that its own errors are found too.
  void check_header() {
    const Token& first = peek();
    const bool directive = first.is(".") && (peek(1).kind == TokenKind::kName ||
                                             peek(1).kind == TokenKind::kOperandText);
    if (directive && peek(1).text == "trace") return;
    error(first.column,
          fmt::format("expected '.trace 1' as the first statement, got {}",
                      directive ? fmt::format("'.{}'", head_name(peek(1))) : describe(first)));
  }

  // A token's text, or for a whole operand its first token's (what plain lexing gives).
  static std::string_view head_name(const Token& t) {
    return t.kind == TokenKind::kOperandText ? t.text.substr(0, t.text.find_first_of("[@:"))
                                             : t.text;
  }

  void statement() {
    const Token& first = peek();
    if (first.is(".")) return directive_statement();
    if (first.kind == TokenKind::kName) {
      if (peek(1).is(":")) return instruction();
      if (first.text == "chip") return section();
      if (is_engine_name(first.text)) {
        fail(peek(1), fmt::format("expected ':' after the engine '{}', got {}", first.text,
                                  describe(peek(1))));
      }
      fail(first, fmt::format("expected an instruction 'ENGINE: OPCODE ...', a section 'chip C "
                              "core K' or a directive, got '{}'",
                              first.text));
    }
    fail(first, fmt::format("expected a statement, got {}", describe(first)));
  }

  static bool is_engine_name(std::string_view text) {
    return engine_table().find(text.substr(0, text.find('.'))).has_value();
  }

  void directive_statement() {
    const Token& dot = next();
    const Token& name = expect_name("a directive name after '.' (trace, tensor, sem, alias)");
    if (name.text == "trace") return header(dot);
    if (name.text == "tensor") return tensor_decl();
    if (name.text == "sem") return sem_decl();
    if (name.text == "alias") return alias_decl();
    fail(dot, fmt::format("unknown directive '.{}'{}", name.text,
                          did_you_mean(fmt::format(".{}", name.text),
                                       {".trace", ".tensor", ".sem", ".alias"})));
  }

  void header(const Token& dot) {
    if (m_header_line != 0) {
      fail(dot, fmt::format("duplicate '.trace' header (the first is on line {})", m_header_line));
    }
    if (m_statements != 0) fail(dot, "'.trace' must be the first statement of the file");
    const Token& v = peek();
    const std::uint64_t version = expect_unsigned("the format version after '.trace'");
    if (version != kFormatVersion) {
      fail(v, fmt::format("unsupported trace format version {}; this trnsim reads version {}",
                          version, kFormatVersion));
    }
    expect_end();
    // Recorded only now: a statement that fails has no effect (run() may read it again).
    m_header_line = m_line_no;
    m_program.version = static_cast<std::uint32_t>(version);
  }

  void section() {
    next();  // chip
    const std::uint32_t chip = expect_u32("a chip number", kMaxIndex);
    const Token& keyword = peek();
    if (!keyword.is_name("core")) {
      fail(keyword,
           fmt::format("expected 'core' after the chip number, got {}", describe(keyword)));
    }
    next();
    const std::uint32_t core = expect_u32("a core number", kMaxIndex);
    expect_end();
    m_core = m_program.core_index(CoreId{chip, core}, m_line_no);
  }

  void tensor_decl() {
    const Token& name = expect_name("a tensor name after '.tensor'");
    if (auto prev = m_program.find_tensor(name.text); prev != kNone) {
      fail(name, fmt::format("tensor '{}' is already declared on line {}", name.text,
                             m_program.tensors[prev].line));
    }
    TensorDecl t;
    t.name = std::string(name.text);
    t.line = m_line_no;
    const Token& loc = expect_name("a location ('hbm' or 'chipN.hbm')");
    if (loc.text == "hbm") {
      t.chip = current_chip();
    } else if (auto chip = parse_chip_prefix(loc.text, ".hbm")) {
      t.chip = *chip;
    } else {
      fail(loc, fmt::format("expected a location 'hbm' or 'chipN.hbm', got '{}'", loc.text));
    }
    t.dtype = parse_dtype(expect_name("a dtype"));
    expect('[', "to open the tensor shape");
    do {
      const Token& d = peek();
      if (t.shape.size() == isa::kMaxTensorDims) {
        fail(d,
             fmt::format("expected at most {} tensor dimensions, got more", isa::kMaxTensorDims));
      }
      // Checked before each dimension multiplies in, by division, so the byte count never
      // overflows (the bytes so far are at least 1 and at most the limit).
      const std::uint64_t bytes_so_far = t.bytes();
      const std::uint32_t size = dimension_size();
      if (size > kMaxTensorBytes / bytes_so_far) {
        fail(d, fmt::format("tensor '{}' would hold more than {} bytes (1 TiB), the limit for "
                            "one tensor",
                            t.name, kMaxTensorBytes));
      }
      t.shape.push_back(size);
    } while (peek().is(",") && (next(), true));
    expect(']', "to close the tensor shape");
    bool seen_at = false, seen_init = false;
    while (peek().kind != TokenKind::kEnd) {
      const Token& key = expect_name("a tensor option (at=, init=, output)");
      if (key.text == "output") {
        if (t.output) fail(key, "tensor option 'output' given twice");
        t.output = true;
      } else if (key.text == "at") {
        if (seen_at) fail(key, "tensor option 'at=' given twice");
        expect('=', "after 'at'");
        t.address = expect_unsigned("an HBM byte address");
        seen_at = t.has_address = true;
      } else if (key.text == "init") {
        if (seen_init) fail(key, "tensor option 'init=' given twice");
        expect('=', "after 'init'");
        parse_init(t);
        seen_init = true;
      } else {
        fail(key, fmt::format("unknown tensor option '{}'{}", key.text,
                              did_you_mean(key.text, {"at", "init", "output"})));
      }
    }
    m_program.add_tensor(std::move(t));
  }

  void parse_init(TensorDecl& t) {
    const Token& kind = expect_name("an initialiser (zeros, none, random(...), file(\"...\"))");
    if (kind.text == "zeros") {
      t.init = InitKind::kZeros;
    } else if (kind.text == "none") {
      t.init = InitKind::kNone;
    } else if (kind.text == "random") {
      t.init = InitKind::kRandom;
      expect('(', "after 'random'");
      bool seen_seed = false, seen_dist = false;
      while (!peek().is(")")) {
        const Token& key = expect_name("'seed=' or 'dist=' in 'random(...)'");
        if (key.text == "seed") {
          if (seen_seed) fail(key, "random() option 'seed=' given twice");
          expect('=', "after 'seed'");
          t.seed = expect_unsigned("a seed");
          seen_seed = true;
        } else if (key.text == "dist") {
          if (seen_dist) fail(key, "random() option 'dist=' given twice");
          expect('=', "after 'dist'");
          const Token& d = expect_name("a distribution (normal, uniform)");
          if (d.text == "normal") {
            t.dist = Distribution::kNormal;
          } else if (d.text == "uniform") {
            t.dist = Distribution::kUniform;
          } else {
            fail(d, fmt::format("unknown distribution '{}'{}", d.text,
                                did_you_mean(d.text, {"normal", "uniform"})));
          }
          seen_dist = true;
        } else {
          fail(key, fmt::format("unknown random() option '{}'{}", key.text,
                                did_you_mean(key.text, {"seed", "dist"})));
        }
        if (!peek().is(",")) break;
        next();
      }
      expect(')', "to close 'random('");
    } else if (kind.text == "file") {
      t.init = InitKind::kFile;
      expect('(', "after 'file'");
      const Token& path = peek();
      if (path.kind != TokenKind::kString) {
        fail(path, fmt::format("expected a quoted file name, got {}", describe(path)));
      }
      if (path.text.empty()) fail(path, "expected a file name, got an empty string");
      t.file = std::string(path.text);
      next();
      expect(')', "to close 'file('");
    } else {
      fail(kind, fmt::format("unknown initialiser '{}'{}", kind.text,
                             did_you_mean(kind.text, {"zeros", "none", "random", "file"})));
    }
  }

  // All or nothing, like every statement: the names are declared once the line is read.
  void sem_decl() {
    const std::uint32_t core = current_core();
    if (peek().kind == TokenKind::kEnd) {
      fail(peek(), "expected at least one semaphore name after '.sem', got end of line");
    }
    const Token* const first = m_at;
    while (peek().kind != TokenKind::kEnd) {
      const Token& name = expect_name("a semaphore name");
      if (name.text.find('.') != std::string_view::npos) {
        fail(name, fmt::format("expected a semaphore name without '.', got '{}'", name.text));
      }
      if (auto prev = m_program.find_semaphore(core, name.text); prev != kNone) {
        fail(name, fmt::format("semaphore '{}' is already declared for this core on line {}",
                               name.text, m_program.semaphores[prev].line));
      }
      for (const Token* t = first; t != &name; ++t) {
        if (t->text == name.text) {
          fail(name, fmt::format("semaphore '{}' is named twice in one '.sem'", name.text));
        }
      }
    }
    for (const Token* t = first; t != m_at; ++t) {
      m_program.add_semaphore(SemaphoreDecl{std::string(t->text), core, m_line_no, t->column});
    }
  }

  void alias_decl() {
    const Token& name = expect_name("an alias name after '.alias'");
    if (is_reserved(name.text)) {
      fail(name, fmt::format("'{}' is reserved and cannot name an alias", name.text));
    }
    if (name.text.find('.') != std::string_view::npos) {
      fail(name, fmt::format("expected an alias name without '.', got '{}'", name.text));
    }
    if (auto it = m_alias_index.find(name.text); it != m_alias_index.end()) {
      fail(name, fmt::format("alias '{}' is already declared on line {}", name.text,
                             m_program.aliases[it->second].line));
    }
    expect('=', "after the alias name");
    std::uint32_t ignored = kNone;  // an alias of an alias names the same operand
    const std::uint32_t operand = parse_operand(ignored);
    expect_end();
    m_program.aliases.push_back(AliasDecl{std::string(name.text), operand, m_line_no});
    m_alias_index.emplace(m_program.aliases.back().name,
                          static_cast<std::uint32_t>(m_program.aliases.size() - 1));
  }

  // Names an alias cannot take because an operand or value of that name would shadow it.
  static bool is_reserved(std::string_view s) {
    return s == "sbuf" || s == "psum" || s == "hbm" || s == "wait" || s == "post" || s == "inf" ||
           s == "nan";
  }

  isa::DType parse_dtype(const Token& t) {
    if (auto d = dtype_table().find(t.text)) return *d;
    fail(t, fmt::format("unknown dtype '{}'{}", t.text, did_you_mean(t.text, all_dtype_names())));
  }

  // A size in a tensor shape or an access pattern: 1 .. 2^32-1.
  std::uint32_t dimension_size() {
    const Token& t = peek();
    const std::uint64_t size = expect_unsigned("a dimension size");
    if (size == 0) fail(t, "expected a dimension size of at least 1, got 0");
    if (size > 0xffffffffu) {
      fail(t, fmt::format("expected a dimension size of at most 4294967295, got {}", size));
    }
    return static_cast<std::uint32_t>(size);
  }

  // ---- operands ------------------------------------------------------------------------
  // Parses an operand (or an alias naming one) and returns its index in the pool; sets
  // `alias` to the alias index when it was written as an alias.
  std::uint32_t parse_operand(std::uint32_t& alias) {
    alias = kNone;
    if (m_at->kind != TokenKind::kOperandText) return parse_operand_text(alias);
    // An operand whose exact text was read before is the same operand again (tensor names
    // cannot be redeclared and raw `hbm@` is relative to the instruction's chip), so it is
    // looked up instead of lexed and parsed: traces name the same tiles over and over.
    const Token& whole = *m_at;
    const std::uint64_t hash = hash_text(whole.text);
    if (const std::uint32_t* known = m_operand_cache.find(whole.text, hash)) {
      ++m_at;
      return *known;
    }
    // A new text: lex it alone (with the columns it has in the line) and parse it.
    lex(m_operand_tokens, whole.text, false, false);
    for (Token& t : m_operand_tokens)
      t.column += whole.column - 1;
    const std::uint32_t operand = parse_operand_text(alias);
    if (m_at->kind != TokenKind::kEnd) {
      // More text than one operand; run() reads the line again token by token and says
      // what is wrong there.
      fail(whole, "unexpected text after an operand");
    }
    m_at = &whole + 1;
    m_operand_cache.insert(whole.text, hash, operand);
    return operand;
  }

  std::uint32_t parse_operand_text(std::uint32_t& alias) {
    const Token& head = peek();
    if (head.kind != TokenKind::kName) {
      fail(head, fmt::format("expected an operand (sbuf[..], psum[..], hbm:TENSOR, hbm@ADDR) or "
                             "an alias, got {}",
                             describe(head)));
    }
    Operand op;
    // Alias names hold no '.', so a name with an owner prefix is never an alias.
    const std::optional<OnChipHead> on_chip = split_on_chip_head(head.text);
    if (on_chip && on_chip->memory.empty()) {
      fail(head, fmt::format("expected 'sbuf' or 'psum' after the core in '{}' (another core's "
                             "SBUF is chipN.coreM.sbuf[..] or coreM.sbuf[..])",
                             head.text));
    }
    if (on_chip) {
      next();
      op.chip = on_chip->chip;
      op.core = on_chip->core;
      const bool psum = on_chip->memory == "psum";
      if (!peek().is("[")) {
        fail(peek(), fmt::format("expected '[' after '{}' to open the partition range, got {}",
                                 head.text, describe(peek())));
      }
      next();
      op.part_begin = expect_u32("the first partition", kMaxIndex);
      expect(':', "in the partition range P0:P1");
      const Token& end_tok = peek();
      op.part_end = expect_u32("the end partition", kMaxIndex + 1);
      if (op.part_end <= op.part_begin) {
        fail(end_tok, fmt::format("empty partition range {}:{} (the end is exclusive)",
                                  op.part_begin, op.part_end));
      }
      expect(']', "to close the partition range");
      expect('@', "after the partition range");
      const Token& where = peek();
      if (psum && where.kind == TokenKind::kName && where.text.starts_with("bank")) {
        psum_bank(op);
      } else {
        op.form = psum ? OperandForm::kPsumOffset : OperandForm::kSbuf;
        op.offset = expect_unsigned(psum ? "a byte offset or 'bankN' after '@'"
                                         : "a byte offset after '@'");
        expect('.', "between the offset and the dtype");
        op.dtype = parse_dtype(expect_name("a dtype"));
      }
      parse_pattern(op);
    } else if (head.text == "hbm" && peek(1).is(":")) {
      next();
      next();
      tensor_operand(op);
    } else if (head.text == "hbm" || parse_chip_prefix(head.text, ".hbm")) {
      next();
      op.form = OperandForm::kHbmAddress;
      if (head.text != "hbm") op.chip = *parse_chip_prefix(head.text, ".hbm");
      if (peek().is(":")) {
        fail(peek(), fmt::format("expected '@' after '{}', got ':' (a tensor is named 'hbm:NAME' "
                                 "whichever chip holds it)",
                                 head.text));
      }
      expect('@', "after 'hbm' (hbm@ADDR.DTYPE[..] or hbm:TENSOR[..])");
      op.offset = expect_unsigned("an HBM byte address");
      expect('.', "between the address and the dtype");
      op.dtype = parse_dtype(expect_name("a dtype"));
      parse_pattern(op);
    } else {
      auto it = m_alias_index.find(head.text);
      if (it == m_alias_index.end()) {
        fail(head, fmt::format("expected an operand (sbuf[..], psum[..], hbm:TENSOR, hbm@ADDR) or "
                               "an alias, got unknown name '{}'{}",
                               head.text, alias_hint(head.text)));
      }
      next();
      alias = it->second;
      return m_program.aliases[it->second].operand;
    }
    return m_program.intern(op);
  }

  // `bank3.fp32` lexes as one name (names may hold dots); this splits it.
  void psum_bank(Operand& op) {
    const Token& where = next();
    const auto dot = where.text.find('.');
    const std::string_view number =
        where.text.substr(4, dot == std::string_view::npos ? std::string_view::npos : dot - 4);
    std::uint32_t bank = 0;
    if (!parse_index(number, kMaxIndex, bank)) {
      fail(where, fmt::format("expected a bank number after 'bank', got '{}'", where.text));
    }
    op.form = OperandForm::kPsumBank;
    op.offset = bank;
    if (dot == std::string_view::npos) {
      expect('.', "between the bank and the dtype");
      op.dtype = parse_dtype(expect_name("a dtype"));
    } else {
      const Token dtype{TokenKind::kName, where.text.substr(dot + 1),
                        static_cast<std::uint32_t>(where.column + dot + 1)};
      op.dtype = parse_dtype(dtype);
    }
  }

  // `hbm:NAME` (the whole tensor) or `hbm:NAME[s0:e0, ...]`, after the ':'.
  void tensor_operand(Operand& op) {
    const Token& name = expect_name("a tensor name after 'hbm:'");
    const std::uint32_t index = m_program.find_tensor(name.text);
    if (index == kNone) {
      fail(name, fmt::format("unknown tensor '{}'{}", name.text, tensor_hint(name.text)));
    }
    const TensorDecl& t = m_program.tensors[index];
    op.form = OperandForm::kTensorSlice;
    op.tensor = index;
    op.dtype = t.dtype;
    if (!peek().is("[")) {
      op.ndims = static_cast<std::uint8_t>(t.shape.size());
      for (std::size_t d = 0; d < t.shape.size(); ++d) {
        op.dims[d] = Dim{static_cast<std::uint32_t>(t.shape[d]), 0};
      }
      return;
    }
    const Token& open = next();
    do {
      const Token& s = peek();
      if (op.ndims == isa::kMaxTensorDims) {
        fail(s, fmt::format("expected {} slice dimension(s) for tensor '{}', got more",
                            t.shape.size(), t.name));
      }
      const std::uint64_t begin = expect_unsigned("a slice start");
      expect(':', "in the slice START:END");
      const Token& e = peek();
      const std::uint64_t end = expect_unsigned("a slice end");
      if (end <= begin) {
        fail(e, fmt::format("empty slice {}:{} (the end is exclusive)", begin, end));
      }
      if (end - begin > 0xffffffffu ||
          begin > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        fail(s,
             fmt::format("expected a slice of at most 4294967295 elements, got {}:{}", begin, end));
      }
      op.dims[op.ndims++] =
          Dim{static_cast<std::uint32_t>(end - begin), static_cast<std::int64_t>(begin)};
    } while (peek().is(",") && (next(), true));
    expect(']', "to close the slice");
    if (op.ndims != t.shape.size()) {
      fail(open, fmt::format("expected {} slice dimension(s) for tensor '{}', got {}",
                             t.shape.size(), t.name, op.ndims));
    }
  }

  std::string tensor_hint(std::string_view name) const {
    std::vector<std::string_view> names;
    for (const auto& t : m_program.tensors)
      names.push_back(t.name);
    std::string best = closest_match(name, names);
    return best.empty() ? std::string(" (declare it with '.tensor' before use)")
                        : fmt::format("; did you mean '{}'?", best);
  }
  std::string alias_hint(std::string_view name) const {
    std::vector<std::string_view> names;
    for (const auto& a : m_program.aliases)
      names.push_back(a.name);
    std::string best = closest_match(name, names);
    return best.empty() ? std::string() : fmt::format("; did you mean '{}'?", best);
  }

  void parse_pattern(Operand& op) {
    expect('[', "to open the access pattern [SIZE:STRIDE, ...]");
    do {
      if (op.ndims == isa::kMaxPatternDims) {
        fail(peek(), fmt::format("expected at most {} access-pattern dimensions, got more",
                                 isa::kMaxPatternDims));
      }
      const std::uint32_t size = dimension_size();
      std::int64_t stride = 1;
      if (peek().is(":")) {
        next();
        stride = expect_signed("a stride in elements");
      }
      op.dims[op.ndims++] = Dim{size, stride};
    } while (peek().is(",") && (next(), true));
    expect(']', "to close the access pattern");
  }

  // ---- semaphores ----------------------------------------------------------------------
  // Resolves a semaphore reference. A name of this core must be declared already; a name
  // of another core not declared yet is recorded for resolve_pending() and kNone returned.
  std::uint32_t semaphore_ref(const Token& t, bool in_sync, std::size_t index) {
    const std::uint32_t core = current_core();
    if (t.text.find('.') == std::string_view::npos) {
      const std::uint32_t s = find_semaphore(core, t.text);
      if (s == kNone) {
        fail(t, fmt::format("unknown semaphore '{}'{}", t.text, semaphore_hint(core, t.text)));
      }
      return s;
    }
    auto q = split_qualified(t.text);
    if (!q) {
      fail(t, fmt::format("expected a semaphore name or 'chipN.coreM.NAME', got '{}'", t.text));
    }
    const std::uint32_t target = find_core(q->core);
    if (target != kNone) {
      const std::uint32_t s = find_semaphore(target, q->name);
      if (s != kNone) return s;
      if (target == core) {
        fail(t, fmt::format("unknown semaphore '{}'{}", t.text, semaphore_hint(core, q->name)));
      }
    }
    m_pending.push_back(PendingSemaphore{q->core, q->name, m_line_no, t.column, in_sync, index});
    return kNone;
  }

  // Program::find_semaphore through a small cache: a trace references a handful of
  // semaphores millions of times, and hashing each name for the map showed in the
  // profile. Entries never go stale, since semaphores are never removed.
  std::uint32_t find_semaphore(std::uint32_t core, std::string_view name) {
    PackedName key;
    if (!pack_name(name, key)) return m_program.find_semaphore(core, name);
    const std::uint64_t h = (key.lo * 0x9e3779b97f4a7c15ull) ^ (key.hi * 0xc2b2ae3d27d4eb4full) ^
                            (std::uint64_t{core} * 0x165667b19e3779f9ull);
    SemaphoreCacheEntry& e = m_semaphore_cache[(h >> 40) % kSemaphoreCacheSize];
    if (e.index != kNone && e.core == core && e.name == key) return e.index;
    const std::uint32_t s = m_program.find_semaphore(core, name);
    if (s != kNone) e = SemaphoreCacheEntry{core, key, s};
    return s;
  }

  std::uint32_t find_core(CoreId id) const {
    for (std::uint32_t i = 0; i < m_program.cores.size(); ++i) {
      if (m_program.cores[i].id == id) return i;
    }
    return kNone;
  }

  std::string semaphore_hint(std::uint32_t core, std::string_view name) const {
    std::vector<std::string_view> names;
    for (const auto& s : m_program.semaphores) {
      if (s.core_index == core) names.push_back(s.name);
    }
    std::string best = closest_match(name, names);
    return best.empty() ? std::string(" (declare it with '.sem' in this core's section before use)")
                        : fmt::format("; did you mean '{}'?", best);
  }

  void resolve_pending() {
    for (const auto& p : m_pending) {
      const std::uint32_t core = find_core(p.core);
      const std::uint32_t s = core == kNone ? kNone : m_program.find_semaphore(core, p.name);
      if (s != kNone) {
        (p.in_sync ? m_program.syncs[p.index].semaphore : m_program.args[p.index].semaphore) = s;
        continue;
      }
      std::string hint;
      if (core == kNone) {
        hint =
            fmt::format(" (the trace has no section 'chip {} core {}')", p.core.chip, p.core.core);
      } else if (std::string best = closest_match(p.name, semaphore_names(core)); !best.empty()) {
        hint = fmt::format("; did you mean '{}'?", best);
      }
      m_line = line_of(m_text, p.line);
      m_line_no = p.line;
      error(p.column, fmt::format("unknown semaphore '{}' of chip {} core {}{}", p.name,
                                  p.core.chip, p.core.core, hint));
    }
  }

  std::vector<std::string_view> semaphore_names(std::uint32_t core) const {
    std::vector<std::string_view> names;
    for (const auto& s : m_program.semaphores) {
      if (s.core_index == core) names.push_back(s.name);
    }
    return names;
  }

  // ---- instructions --------------------------------------------------------------------
  void instruction() {
    const Token& eng = next();
    next();  // ':'
    Instruction ins;
    ins.line = m_line_no;
    ins.core_index = current_core();
    const auto dot = eng.text.find('.');
    const std::string_view base = eng.text.substr(0, dot);
    auto engine = engine_table().find(base);
    if (!engine) {
      fail(eng,
           fmt::format("unknown engine '{}'{}", eng.text,
                       did_you_mean(eng.text, {"pe", "act", "dve", "pool", "sync", "dma.q0"})));
    }
    ins.engine = *engine;
    if (ins.engine == isa::Engine::kDma) {
      std::uint32_t queue = 0;
      if (dot == std::string_view::npos || eng.text[dot + 1] != 'q' ||
          !parse_index(eng.text.substr(dot + 2), kMaxDmaQueue, queue)) {
        fail(eng, fmt::format("expected a DMA queue 'dma.qN' with N from 0 to {}, got '{}'",
                              kMaxDmaQueue, eng.text));
      }
      ins.queue = static_cast<std::uint8_t>(queue);
    } else if (dot != std::string_view::npos) {
      fail(eng,
           fmt::format("unknown engine '{}'; only DMA queues take a suffix ('dma.qN')", eng.text));
    }
    const Token& opc = expect_name("an opcode");
    auto opcode = opcode_table().find(opc.text);
    if (!opcode) {
      fail(opc, fmt::format("unknown opcode '{}'{}", opc.text,
                            did_you_mean(opc.text, all_opcode_names())));
    }
    const isa::OpcodeInfo& info = isa::opcode_info(*opcode);
    if (!isa::runs_on(info, ins.engine)) {
      std::vector<std::string_view> on;
      for (std::size_t e = 0; e < isa::kNumEngines; ++e) {
        const auto engine_e = static_cast<isa::Engine>(e);
        if (isa::runs_on(info, engine_e)) {
          on.push_back(engine_e == isa::Engine::kDma ? "dma.qN" : isa::engine_name(engine_e));
        }
      }
      fail(opc, fmt::format("opcode '{}' does not run on engine '{}' (it runs on: {})", info.name,
                            base, join(on)));
    }
    ins.opcode = *opcode;
    if (m_program.instructions.size() == m_limits.max_instructions) {
      m_abandon = true;  // one error, not one per remaining line
      fail(eng, fmt::format("more than {} instructions, the limit for one trace; the rest of "
                            "the file is not read",
                            m_limits.max_instructions));
    }

    m_args.clear();
    m_syncs.clear();
    const std::size_t pending_mark = m_pending.size();
    try {
      parse_positional(info, opc);
      parse_tail(info, opc);
    } catch (...) {
      m_pending.resize(pending_mark);  // fix-ups of an abandoned line point nowhere
      throw;
    }
    // Fix-ups recorded on this line index the line's buffers; rebase them onto the program.
    for (std::size_t i = pending_mark; i < m_pending.size(); ++i) {
      m_pending[i].index += m_pending[i].in_sync ? m_program.syncs.size() : m_program.args.size();
    }
    m_program.add_instruction(ins, m_args.data(), m_args.size(), m_syncs.data(), m_syncs.size());
  }

  static std::uint16_t col16(std::uint32_t c) {
    return static_cast<std::uint16_t>(std::min<std::uint32_t>(c, 0xffff));
  }

  // True where the positional operands have ended: at `key=`, `wait(`, `post(` or the end.
  bool at_tail_start() const {
    const Token& t = peek();
    if (t.kind == TokenKind::kEnd) return true;
    if (t.kind != TokenKind::kName) return false;
    if (peek(1).is("=")) return true;
    return (t.text == "wait" || t.text == "post") && peek(1).is("(");
  }

  void parse_positional(const isa::OpcodeInfo& info, const Token& opc) {
    std::size_t count = 0;
    if (!at_tail_start()) {
      while (true) {
        if (count >= info.positional.size()) {
          fail(peek(), fmt::format("too many operands for '{}': it takes {}", info.name,
                                   positional_summary(info)));
        }
        m_args.push_back(
            parse_value(info.positional[count].kinds, {}, info.positional[count].role, false));
        ++count;
        if (!peek().is(",")) break;
        next();
      }
    }
    if (count < info.positional.size()) {
      if (count > 0 && !at_tail_start()) {
        fail(peek(), fmt::format("expected ',' before the '{}' operand of '{}', got {}",
                                 info.positional[count].role, info.name, describe(peek())));
      }
      fail(count == 0 ? opc : peek(),
           fmt::format("'{}' takes {}, got {}", info.name, positional_summary(info), count));
    }
  }

  static std::string positional_summary(const isa::OpcodeInfo& info) {
    if (info.positional.empty()) return "no operands";
    std::vector<std::string_view> roles;
    for (const auto& p : info.positional)
      roles.push_back(p.role);
    return fmt::format("{} operand(s) ({})", info.positional.size(), join(roles));
  }

  // Parses a value of one of `kinds` for the operand (by role) or attribute (by key) called
  // `name`; `words` lists the allowed words when kWord is one of the kinds.
  Arg parse_value(isa::ArgKindSet kinds, std::span<const isa::Word> words, std::string_view name,
                  bool is_attr) {
    // Only for messages: "'func='" or "operand 'dst'".
    auto what = [&] {
      return is_attr ? fmt::format("'{}='", name) : fmt::format("operand '{}'", name);
    };
    const Token& t = peek();
    Arg arg;
    arg.column = col16(t.column);
    if (t.kind == TokenKind::kName && kinds.has(ArgKind::kWord)) {
      auto w = word_table().find(t.text);
      if (!w || std::find(words.begin(), words.end(), *w) == words.end()) {
        fail(t, fmt::format("invalid value '{}' for {}{}", t.text, what(),
                            did_you_mean(t.text, names_of(words))));
      }
      next();
      arg.kind = ArgKind::kWord;
      arg.word = *w;
      return arg;
    }
    if (t.kind == TokenKind::kName && kinds.has(ArgKind::kSemaphore)) {
      next();
      arg.kind = ArgKind::kSemaphore;
      arg.semaphore = semaphore_ref(t, false, m_args.size());
      return arg;
    }
    const bool numeric = t.kind == TokenKind::kNumber || (t.is("-") && peek(1).is_name("inf")) ||
                         t.is_name("inf") || t.is_name("nan");
    if (numeric && (kinds.has(ArgKind::kInt) || kinds.has(ArgKind::kReal))) {
      return number_value(kinds, what, arg);
    }
    if (kinds.has(ArgKind::kOperand)) {
      arg.kind = ArgKind::kOperand;
      arg.operand = parse_operand(arg.alias);
      return arg;
    }
    fail(t, fmt::format("expected {} for {}, got {}", kinds_summary(kinds), what(), describe(t)));
  }

  template <typename What>
  Arg number_value(isa::ArgKindSet kinds, const What& what, Arg arg) {
    const Token& t = next();
    if (t.is("-")) {  // `-inf`: the lexer reads a sign as part of a number only before digits
      if (!kinds.has(ArgKind::kReal)) {
        fail(t, fmt::format("expected an integer for {}, got '-inf'", what()));
      }
      next();
      arg.kind = ArgKind::kReal;
      arg.real = -std::numeric_limits<double>::infinity();
      return arg;
    }
    // Plain forms first: the general parsers build an error text even when not asked for one.
    const bool want_int = kinds.has(ArgKind::kInt);
    const bool want_real = kinds.has(ArgKind::kReal);
    const auto as = [&arg](ArgKind kind) {
      arg.kind = kind;
      return arg;
    };
    if (want_int && quick_signed(t.text, arg.integer)) return as(ArgKind::kInt);
    if (want_real && quick_real(t.text, arg.real)) return as(ArgKind::kReal);
    if (want_int && parse_signed(t.text, arg.integer)) return as(ArgKind::kInt);
    if (want_real && parse_real(t.text, arg.real)) return as(ArgKind::kReal);
    // Only now, on the error path, ask the number parsers what is wrong.
    std::string why;
    std::int64_t ignored_int = 0;
    double ignored_real = 0;
    if (want_int) parse_signed(t.text, ignored_int, &why);
    if (why.empty()) parse_real(t.text, ignored_real, &why);
    const std::string expected =
        fmt::format("{} for {}", want_real ? "a number" : "an integer", what());
    fail(t, bad_number(t.text, why, expected));
  }

  static std::string kinds_summary(isa::ArgKindSet kinds) {
    std::vector<std::string_view> parts;
    if (kinds.has(ArgKind::kOperand)) parts.push_back("an operand");
    if (kinds.has(ArgKind::kInt) && !kinds.has(ArgKind::kReal)) parts.push_back("an integer");
    if (kinds.has(ArgKind::kReal)) parts.push_back("a number");
    if (kinds.has(ArgKind::kWord)) parts.push_back("a keyword");
    if (kinds.has(ArgKind::kSemaphore)) parts.push_back("a semaphore");
    return join(parts, " or ");
  }

  void parse_tail(const isa::OpcodeInfo& info, const Token& opc) {
    bool seen_wait = false, seen_post = false;
    std::uint32_t seen_attrs = 0;  // bit per AttrSpec index
    while (peek().kind != TokenKind::kEnd) {
      const Token& key = peek();
      if (key.kind != TokenKind::kName) {
        fail(key, fmt::format("expected 'key=value', 'wait(...)' or 'post(...)' after the "
                              "operands, got {}",
                              describe(key)));
      }
      if ((key.text == "wait" || key.text == "post") && peek(1).is("(")) {
        const bool is_wait = key.text == "wait";
        bool& seen = is_wait ? seen_wait : seen_post;
        if (seen) {
          fail(key, fmt::format("'{}(...)' given twice; list every condition in one", key.text));
        }
        seen = true;
        next();
        next();
        parse_sync_list(is_wait);
        continue;
      }
      if (!peek(1).is("=")) {
        fail(key, fmt::format("expected 'key=value', 'wait(...)' or 'post(...)' after the "
                              "operands, got '{}'",
                              key.text));
      }
      std::size_t spec_index = info.attrs.size();
      if (const auto attr = attr_table().find(key.text); attr && *attr != Attr::kNone) {
        for (std::size_t i = 0; i < info.attrs.size(); ++i) {
          if (info.attrs[i].key == *attr) spec_index = i;
        }
      }
      if (spec_index == info.attrs.size()) unknown_attribute(info, key);
      if (seen_attrs & (1u << spec_index)) {
        fail(key, fmt::format("attribute '{}=' given twice", key.text));
      }
      seen_attrs |= 1u << spec_index;
      const isa::AttrSpec& spec = info.attrs[spec_index];
      next();
      next();
      if (peek().kind == TokenKind::kEnd) {
        fail(peek(), fmt::format("expected a value after '{}=', got end of line", key.text));
      }
      Arg arg = parse_value(spec.kinds, spec.words, key.text, true);
      arg.key = spec.key;
      arg.column = col16(key.column);
      m_args.push_back(arg);
    }
    for (std::size_t i = 0; i < info.attrs.size(); ++i) {
      if (info.attrs[i].required && !(seen_attrs & (1u << i))) {
        fail(opc, fmt::format("'{}' requires the attribute '{}='", info.name,
                              isa::attr_name(info.attrs[i].key)));
      }
    }
  }

  [[noreturn]] static void unknown_attribute(const isa::OpcodeInfo& info, const Token& key) {
    std::vector<std::string_view> names;
    for (const auto& a : info.attrs)
      names.push_back(isa::attr_name(a.key));
    if (names.empty()) {
      fail(key, fmt::format("'{}' takes no attributes, got '{}='", info.name, key.text));
    }
    fail(key, fmt::format("unknown attribute '{}' for '{}'{}", key.text, info.name,
                          did_you_mean(key.text, names)));
  }

  void parse_sync_list(bool is_wait) {
    const std::string_view list = is_wait ? "wait" : "post";
    if (peek().is(")")) {
      fail(peek(), fmt::format("expected at least one semaphore in '{}()', got ')'", list));
    }
    while (true) {
      const Token& name = expect_name("a semaphore name");
      SyncOp op;
      op.column = col16(name.column);
      op.semaphore = semaphore_ref(name, true, m_syncs.size());
      const Token& rel = peek();
      if (is_wait) {
        if (!rel.is(">=")) {
          fail(rel, fmt::format("expected '>=' in a wait condition, got {}", describe(rel)));
        }
        op.kind = SyncKind::kWaitGe;
      } else if (rel.is("+=")) {
        op.kind = SyncKind::kPostAdd;
      } else if (rel.is("-=")) {
        op.kind = SyncKind::kPostSub;
      } else if (rel.is("=")) {
        op.kind = SyncKind::kPostSet;
      } else {
        fail(rel, fmt::format("expected '+=', '-=' or '=' in a post, got {}", describe(rel)));
      }
      next();
      const Token& value = peek();
      op.value = expect_signed("a semaphore value");
      if (op.value < std::numeric_limits<std::int32_t>::min() ||
          op.value > std::numeric_limits<std::int32_t>::max()) {
        fail(value, fmt::format("expected a semaphore value in the 32-bit signed range, got {}",
                                op.value));
      }
      if (!is_wait && peek().is("@")) {
        next();
        const Token& when = expect_name("'complete' or 'read' after '@'");
        if (when.text == "complete") {
          op.when = PostWhen::kComplete;
        } else if (when.text == "read") {
          op.when = PostWhen::kRead;
        } else {
          fail(when, fmt::format("expected '@complete' or '@read', got '@{}'", when.text));
        }
      }
      if (m_syncs.size() == kMaxSyncOps) {
        fail(name, fmt::format("expected at most {} semaphore operations on one instruction",
                               kMaxSyncOps));
      }
      m_syncs.push_back(op);
      if (peek().is(")")) break;
      expect(',', is_wait ? "or ')' in the wait list" : "or ')' in the post list");
    }
    next();  // ')'
  }

  std::string_view m_text;
  const std::string& m_file;
  Program& m_program;
  DiagnosticList& m_diags;
  const ParseLimits m_limits;
  bool m_abandon = false;  // a limit was passed: read no further

  // The current line's tokens, then kLookahead copies of its kEnd token; sized for the
  // longest line so far, so lexing never allocates after the first lines.
  static constexpr std::size_t kLookahead = 3;
  std::vector<Token> m_tokens;
  std::vector<Token> m_operand_tokens;  // an operand's own tokens, when its text is new
  bool m_grouped = false;               // the line has kOperandText tokens
  const Token* m_at = nullptr;          // the current token
  std::string_view m_line;
  std::uint32_t m_line_no = 0;
  std::uint64_t m_statements = 0;  // non-empty lines read so far
  std::uint32_t m_header_line = 0;
  std::uint32_t m_core = kNone;
  std::vector<Arg> m_args;  // the current instruction's, reused from line to line
  std::vector<SyncOp> m_syncs;
  std::vector<PendingSemaphore> m_pending;
  NameIndex m_alias_index;
  OperandTextCache m_operand_cache;
  struct SemaphoreCacheEntry {
    std::uint32_t core = kNone;
    PackedName name;
    std::uint32_t index = kNone;
  };
  static constexpr std::size_t kSemaphoreCacheSize = 64;
  std::array<SemaphoreCacheEntry, kSemaphoreCacheSize> m_semaphore_cache{};
};

}  // namespace

bool parse_trace(std::string_view text, const std::string& file, Program& program,
                 DiagnosticList& diags, const ParseLimits& limits) {
  const std::size_t before = diags.error_count();
  Parser(text, file, program, diags, limits).run();
  return diags.error_count() == before;
}

Program parse_trace(std::string_view text, const std::string& file) {
  Program program;
  DiagnosticList diags;
  if (!parse_trace(text, file, program, diags)) throw InputError(std::move(diags));
  return program;
}

Program load_trace(const std::string& path) {
  return parse_trace(read_file(path), path);
}

#undef TRNSIM_INLINE

}  // namespace trnsim::trace
