#include "trace/parser.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "common/number.h"
#include "common/source_file.h"
#include "trace/lexer.h"

namespace trnsim::trace {

namespace {

using isa::ArgKind;
using isa::Attr;

// Thrown inside the parser to abandon the current line; never escapes it.
struct LineError {
  std::uint32_t column;
  std::string message;
};

std::vector<std::string_view> names_of(std::span<const isa::Word> words) {
  std::vector<std::string_view> out;
  for (auto w : words) out.push_back(isa::word_name(w));
  return out;
}

std::string join(const std::vector<std::string_view>& items, std::string_view sep = ", ") {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    out += items[i];
  }
  return out;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string best = closest_match(word, candidates);
  if (!best.empty()) return fmt::format("; did you mean '{}'?", best);
  return fmt::format(" (expected one of: {})", join(candidates));
}

std::vector<std::string_view> all_dtype_names() {
  std::vector<std::string_view> out;
  for (std::size_t i = 0; i < isa::kNumDTypes; ++i) out.push_back(isa::dtype_name(static_cast<isa::DType>(i)));
  return out;
}

std::vector<std::string_view> all_engine_names() {
  return {"pe", "act", "dve", "pool", "sync", "dma.q0"};
}

std::vector<std::string_view> all_opcode_names() {
  std::vector<std::string_view> out;
  for (std::size_t i = 0; i < isa::kNumOpcodes; ++i) out.push_back(isa::opcode_info(static_cast<isa::Opcode>(i)).name);
  return out;
}

// A semaphore named by another core (`chip2.core0.s_rx`), resolved once the whole file is
// read, because that core's declarations may come later.
struct PendingSemaphore {
  CoreId core;
  std::string name;
  std::uint32_t line;
  std::uint32_t column;
  bool in_sync;          // true: Program::syncs[index]; false: Program::args[index]
  std::size_t index;
};

class Parser {
 public:
  Parser(std::string_view text, const std::string& file, Program& program, DiagnosticList& diags)
      : m_text(text), m_file(file), m_program(program), m_diags(diags) {}

  void run() {
    m_program.file = m_file;
    std::size_t pos = 0;
    std::uint32_t line_no = 0;
    while (pos < m_text.size() && !m_diags.full()) {
      std::size_t end = m_text.find('\n', pos);
      if (end == std::string_view::npos) end = m_text.size();
      m_line = m_text.substr(pos, end - pos);
      m_line_no = ++line_no;
      pos = end + 1;
      lex_line(m_line, m_tokens);
      m_at = 0;
      if (peek().kind == TokenKind::kEnd) continue;
      try {
        statement();
      } catch (const LineError& e) {
        error(e.column, e.message);
      }
    }
    if (!m_seen_header && !m_diags.full()) {
      m_diags.error(m_file, line_no == 0 ? 1 : 1, 1,
                    "missing '.trace 1' header: a trace starts with its format version");
    }
    resolve_pending();
  }

 private:
  // ---- token helpers -------------------------------------------------------------------
  const Token& peek(std::size_t ahead = 0) const {
    std::size_t i = std::min(m_at + ahead, m_tokens.size() - 1);
    return m_tokens[i];
  }
  const Token& next() {
    const Token& t = peek();
    if (m_at + 1 < m_tokens.size()) ++m_at;
    return t;
  }
  [[noreturn]] void fail(const Token& at, std::string message) const {
    throw LineError{at.column, std::move(message)};
  }
  static std::string describe(const Token& t) {
    switch (t.kind) {
      case TokenKind::kEnd:
        return "end of line";
      case TokenKind::kString:
        return fmt::format("\"{}\"", t.text);
      case TokenKind::kError:
        return fmt::format("unexpected character '{}'", t.text.substr(0, 1));
      default:
        return fmt::format("'{}'", t.text);
    }
  }
  void expect(std::string_view punct, std::string_view context) {
    const Token& t = peek();
    if (!t.is(punct)) fail(t, fmt::format("expected '{}' {}, got {}", punct, context, describe(t)));
    next();
  }
  const Token& expect_name(std::string_view what) {
    const Token& t = peek();
    if (t.kind != TokenKind::kName) fail(t, fmt::format("expected {}, got {}", what, describe(t)));
    return next();
  }
  std::uint64_t expect_unsigned(std::string_view what) {
    const Token& t = peek();
    if (t.kind != TokenKind::kNumber) fail(t, fmt::format("expected {}, got {}", what, describe(t)));
    std::uint64_t v = 0;
    std::string why;
    if (!parse_unsigned(t.text, v, &why)) fail(t, fmt::format("expected {}: {}", what, why));
    next();
    return v;
  }
  std::int64_t expect_signed(std::string_view what) {
    const Token& t = peek();
    if (t.kind != TokenKind::kNumber) fail(t, fmt::format("expected {}, got {}", what, describe(t)));
    std::int64_t v = 0;
    std::string why;
    if (!parse_signed(t.text, v, &why)) fail(t, fmt::format("expected {}: {}", what, why));
    next();
    return v;
  }
  std::uint32_t expect_u32(std::string_view what, std::uint64_t max = 0xffffffffu) {
    const Token& t = peek();
    std::uint64_t v = expect_unsigned(what);
    if (v > max) fail(t, fmt::format("{} {} is out of range (at most {})", what, v, max));
    return static_cast<std::uint32_t>(v);
  }
  void expect_end() {
    const Token& t = peek();
    if (t.kind != TokenKind::kEnd) fail(t, fmt::format("unexpected {} at end of statement", describe(t)));
  }
  void error(std::uint32_t column, std::string message) {
    m_diags.error(m_file, m_line_no, column, std::move(message), std::string(m_line));
  }

  std::uint32_t current_core() {
    if (m_core == kNone) m_core = m_program.core_index(CoreId{0, 0}, 0);
    return m_core;
  }

  // ---- statements ----------------------------------------------------------------------
  void statement() {
    const Token& first = peek();
    if (!m_seen_header) {
      if (!(first.is(".") && peek(1).is_name("trace"))) {
        m_seen_header = true;  // report once, then parse the rest as version 1
        fail(first, "expected '.trace 1' as the first statement");
      }
    }
    if (first.is(".")) {
      next();
      const Token& name = expect_name("a directive (.trace, .tensor, .sem, .alias)");
      if (name.text == "trace") return header(name);
      if (!m_seen_header) fail(name, "expected '.trace 1' as the first statement");
      if (name.text == "tensor") return tensor_decl();
      if (name.text == "sem") return sem_decl();
      if (name.text == "alias") return alias_decl();
      fail(name, fmt::format("unknown directive '.{}'{}", name.text,
                             did_you_mean(name.text, {"trace", "tensor", "sem", "alias"})));
    }
    if (first.kind == TokenKind::kName && first.text == "chip" && peek(1).kind == TokenKind::kNumber) {
      return section();
    }
    if (first.kind == TokenKind::kName && peek(1).is(":")) return instruction();
    if (first.kind == TokenKind::kName) {
      fail(first, fmt::format("expected an instruction 'ENGINE: OPCODE ...', a section 'chip C core "
                              "K' or a directive, got '{}'",
                              first.text));
    }
    fail(first, fmt::format("expected a statement, got {}", describe(first)));
  }

  void header(const Token& name) {
    if (m_seen_header && m_header_line != 0) {
      fail(name, fmt::format("duplicate '.trace' header (first on line {})", m_header_line));
    }
    m_seen_header = true;
    m_header_line = m_line_no;
    const Token& v = peek();
    std::uint64_t version = expect_unsigned("the format version after '.trace'");
    if (version != kFormatVersion) {
      fail(v, fmt::format("unsupported trace format version {}; this trnsim reads version {}",
                          version, kFormatVersion));
    }
    m_program.version = static_cast<std::uint32_t>(version);
    expect_end();
  }

  void section() {
    next();  // chip
    std::uint32_t chip = expect_u32("a chip number", 0xffff);
    const Token& core_kw = peek();
    if (!core_kw.is_name("core")) fail(core_kw, fmt::format("expected 'core' after the chip number, got {}", describe(core_kw)));
    next();
    std::uint32_t core = expect_u32("a core number", 0xffff);
    expect_end();
    m_core = m_program.core_index(CoreId{chip, core}, m_line_no);
  }

  void tensor_decl() {
    const Token& name = expect_name("a tensor name");
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
    expect("[", "to open the tensor shape");
    do {
      if (t.shape.size() == isa::kMaxTensorDims) {
        fail(peek(), fmt::format("a tensor has at most {} dimensions", isa::kMaxTensorDims));
      }
      const Token& d = peek();
      std::uint64_t extent = expect_unsigned("a dimension size");
      if (extent == 0 || extent > 0xffffffffu) fail(d, fmt::format("dimension size {} must be between 1 and 2^32-1", extent));
      t.shape.push_back(extent);
    } while (peek().is(",") && (next(), true));
    expect("]", "to close the tensor shape");
    bool seen_at = false, seen_init = false, seen_output = false;
    while (peek().kind != TokenKind::kEnd) {
      const Token& key = expect_name("a tensor option (at=, init=, output)");
      if (key.text == "output") {
        if (seen_output) fail(key, "'output' given twice");
        seen_output = t.output = true;
        continue;
      }
      if (key.text == "at") {
        if (seen_at) fail(key, "'at=' given twice");
        expect("=", "after 'at'");
        t.address = expect_unsigned("an HBM byte address");
        seen_at = t.has_address = true;
        continue;
      }
      if (key.text == "init") {
        if (seen_init) fail(key, "'init=' given twice");
        expect("=", "after 'init'");
        parse_init(t);
        seen_init = true;
        continue;
      }
      fail(key, fmt::format("unknown tensor option '{}'{}", key.text,
                            did_you_mean(key.text, {"at", "init", "output"})));
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
      expect("(", "after 'random'");
      while (!peek().is(")")) {
        const Token& key = expect_name("'seed=' or 'dist='");
        expect("=", fmt::format("after '{}'", key.text));
        if (key.text == "seed") {
          t.seed = expect_unsigned("a seed");
        } else if (key.text == "dist") {
          const Token& d = expect_name("a distribution (normal, uniform)");
          if (d.text == "normal") {
            t.dist = Distribution::kNormal;
          } else if (d.text == "uniform") {
            t.dist = Distribution::kUniform;
          } else {
            fail(d, fmt::format("unknown distribution '{}'{}", d.text, did_you_mean(d.text, {"normal", "uniform"})));
          }
        } else {
          fail(key, fmt::format("unknown random() option '{}'{}", key.text, did_you_mean(key.text, {"seed", "dist"})));
        }
        if (!peek().is(",")) break;
        next();
      }
      expect(")", "to close 'random('");
    } else if (kind.text == "file") {
      t.init = InitKind::kFile;
      expect("(", "after 'file'");
      const Token& path = peek();
      if (path.kind != TokenKind::kString) fail(path, fmt::format("expected a quoted file name, got {}", describe(path)));
      if (path.text.empty()) fail(path, "empty file name");
      t.file = std::string(path.text);
      next();
      expect(")", "to close 'file('");
    } else {
      fail(kind, fmt::format("unknown initialiser '{}'{}", kind.text,
                             did_you_mean(kind.text, {"zeros", "none", "random", "file"})));
    }
  }

  void sem_decl() {
    std::uint32_t core = current_core();
    if (peek().kind == TokenKind::kEnd) fail(peek(), "expected at least one semaphore name after '.sem'");
    while (peek().kind != TokenKind::kEnd) {
      const Token& name = expect_name("a semaphore name");
      if (name.text.find('.') != std::string_view::npos) {
        fail(name, fmt::format("semaphore name '{}' must not contain '.'", name.text));
      }
      if (auto prev = m_program.find_semaphore(core, name.text); prev != kNone) {
        fail(name, fmt::format("semaphore '{}' is already declared for this core on line {}",
                               name.text, m_program.semaphores[prev].line));
      }
      m_program.add_semaphore(SemaphoreDecl{std::string(name.text), core, m_line_no, name.column});
    }
  }

  void alias_decl() {
    const Token& name = expect_name("an alias name");
    if (is_reserved(name.text)) fail(name, fmt::format("'{}' is reserved and cannot name an alias", name.text));
    for (const auto& a : m_program.aliases) {
      if (a.name == name.text) fail(name, fmt::format("alias '{}' is already declared on line {}", name.text, a.line));
    }
    expect("=", "after the alias name");
    std::uint32_t alias_index = kNone;
    std::uint32_t operand = parse_operand(alias_index);
    expect_end();
    m_program.aliases.push_back(AliasDecl{std::string(name.text), operand, m_line_no});
    m_alias_index.emplace(m_program.aliases.back().name, static_cast<std::uint32_t>(m_program.aliases.size() - 1));
  }

  static bool is_reserved(std::string_view s) {
    return s == "sbuf" || s == "psum" || s == "hbm" || s == "wait" || s == "post";
  }

  std::uint32_t current_chip() {
    return m_core == kNone ? 0 : m_program.cores[m_core].id.chip;
  }

  // "chip3.hbm" -> 3 (with suffix ".hbm").
  static std::optional<std::uint32_t> parse_chip_prefix(std::string_view text, std::string_view suffix) {
    if (!text.starts_with("chip") || !text.ends_with(suffix)) return std::nullopt;
    std::string_view digits = text.substr(4, text.size() - 4 - suffix.size());
    std::uint32_t v = 0;
    if (digits.empty()) return std::nullopt;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec != std::errc() || p != digits.data() + digits.size()) return std::nullopt;
    return v;
  }

  isa::DType parse_dtype(const Token& t) {
    if (auto d = isa::dtype_from_name(t.text)) return *d;
    fail(t, fmt::format("unknown dtype '{}'{}", t.text, did_you_mean(t.text, all_dtype_names())));
  }

  // ---- operands ------------------------------------------------------------------------
  // Parses an operand (or an alias naming one) and returns its index in the pool; sets
  // `alias` to the alias index when it was written as an alias.
  std::uint32_t parse_operand(std::uint32_t& alias) {
    const Token& head = peek();
    alias = kNone;
    if (head.kind != TokenKind::kName) {
      fail(head, fmt::format("expected an operand (sbuf[..], psum[..], hbm:TENSOR[..], hbm@ADDR) or an alias, got {}", describe(head)));
    }
    Operand op;
    if (head.text == "sbuf" || head.text == "psum") {
      next();
      bool psum = head.text == "psum";
      expect("[", fmt::format("after '{}' to open the partition range", head.text));
      op.part_begin = expect_u32("the first partition", 0xffff);
      expect(":", "in the partition range P0:P1");
      const Token& end_tok = peek();
      op.part_end = expect_u32("the end partition", 0xffff);
      if (op.part_end <= op.part_begin) {
        fail(end_tok, fmt::format("empty partition range {}:{} (the end is exclusive)", op.part_begin, op.part_end));
      }
      expect("]", "to close the partition range");
      expect("@", "before the offset");
      const Token& where = peek();
      if (psum && where.kind == TokenKind::kName && where.text.starts_with("bank")) {
        // `bank3.fp32` lexes as one name; split off the dtype.
        next();
        auto dot = where.text.find('.');
        std::string_view num = where.text.substr(4, dot == std::string_view::npos ? std::string_view::npos : dot - 4);
        std::uint64_t bank = 0;
        if (num.empty() || !parse_unsigned(num, bank) || bank > 0xffff) {
          fail(where, fmt::format("expected a bank number after 'bank', got '{}'", where.text));
        }
        op.form = OperandForm::kPsumBank;
        op.offset = bank;
        if (dot == std::string_view::npos) {
          expect(".", "before the dtype");
          op.dtype = parse_dtype(expect_name("a dtype"));
        } else {
          Token dt{TokenKind::kName, where.text.substr(dot + 1), static_cast<std::uint32_t>(where.column + dot + 1)};
          op.dtype = parse_dtype(dt);
        }
      } else {
        op.form = psum ? OperandForm::kPsumOffset : OperandForm::kSbuf;
        op.offset = expect_unsigned(psum ? "a byte offset or 'bankN'" : "a byte offset in the partition");
        expect(".", "between the offset and the dtype");
        op.dtype = parse_dtype(expect_name("a dtype"));
      }
      parse_pattern(op);
    } else if (head.text == "hbm" && peek(1).is(":")) {
      next();
      next();
      const Token& tname = expect_name("a tensor name after 'hbm:'");
      std::uint32_t index = m_program.find_tensor(tname.text);
      if (index == kNone) fail(tname, fmt::format("unknown tensor '{}'{}", tname.text, tensor_hint(tname.text)));
      const TensorDecl& t = m_program.tensors[index];
      op.form = OperandForm::kTensorSlice;
      op.tensor = index;
      op.dtype = t.dtype;
      if (peek().is("[")) {
        parse_slice(op, t);
      } else {
        op.ndims = static_cast<std::uint8_t>(t.shape.size());
        for (std::size_t d = 0; d < t.shape.size(); ++d) op.dims[d] = Dim{static_cast<std::uint32_t>(t.shape[d]), 0};
      }
    } else if (head.text == "hbm" || parse_chip_prefix(head.text, ".hbm")) {
      next();
      op.form = OperandForm::kHbmAddress;
      if (head.text != "hbm") op.chip = *parse_chip_prefix(head.text, ".hbm");
      if (peek().is(":")) fail(peek(), "a tensor slice is written 'hbm:NAME[..]'; tensors are found by name on any chip");
      expect("@", "after 'hbm' (hbm@ADDR.DTYPE[..] or hbm:TENSOR[..])");
      op.offset = expect_unsigned("an HBM byte address");
      expect(".", "between the address and the dtype");
      op.dtype = parse_dtype(expect_name("a dtype"));
      parse_pattern(op);
    } else {
      auto it = m_alias_index.find(head.text);
      if (it == m_alias_index.end()) {
        fail(head, fmt::format("expected an operand (sbuf[..], psum[..], hbm:TENSOR[..], hbm@ADDR) or an alias, got unknown name '{}'{}",
                               head.text, alias_hint(head.text)));
      }
      next();
      alias = it->second;
      return m_program.aliases[it->second].operand;
    }
    return m_program.intern(op);
  }

  std::string tensor_hint(std::string_view name) const {
    std::vector<std::string_view> names;
    for (const auto& t : m_program.tensors) names.push_back(t.name);
    std::string best = closest_match(name, names);
    return best.empty() ? std::string(" (declare it with '.tensor' before use)") : fmt::format("; did you mean '{}'?", best);
  }
  std::string alias_hint(std::string_view name) const {
    std::vector<std::string_view> names;
    for (const auto& a : m_program.aliases) names.push_back(a.name);
    std::string best = closest_match(name, names);
    return best.empty() ? std::string() : fmt::format("; did you mean '{}'?", best);
  }

  void parse_pattern(Operand& op) {
    expect("[", "to open the access pattern [SIZE:STRIDE, ...]");
    do {
      if (op.ndims == isa::kMaxPatternDims) {
        fail(peek(), fmt::format("an access pattern has at most {} dimensions", isa::kMaxPatternDims));
      }
      const Token& s = peek();
      std::uint64_t size = expect_unsigned("a dimension size");
      if (size == 0 || size > 0xffffffffu) fail(s, fmt::format("dimension size {} must be between 1 and 2^32-1", size));
      std::int64_t stride = 1;
      if (peek().is(":")) {
        next();
        stride = expect_signed("a stride in elements");
      }
      op.dims[op.ndims++] = Dim{static_cast<std::uint32_t>(size), stride};
    } while (peek().is(",") && (next(), true));
    expect("]", "to close the access pattern");
  }

  void parse_slice(Operand& op, const TensorDecl& t) {
    const Token& open = peek();
    expect("[", "to open the slice");
    do {
      if (op.ndims == isa::kMaxTensorDims) fail(peek(), "too many slice dimensions");
      const Token& s = peek();
      std::uint64_t begin = expect_unsigned("a slice start");
      expect(":", "in the slice START:END");
      std::uint64_t end = expect_unsigned("a slice end");
      if (end <= begin) fail(s, fmt::format("empty slice {}:{} (the end is exclusive)", begin, end));
      if (end - begin > 0xffffffffu) fail(s, "slice too large");
      op.dims[op.ndims++] = Dim{static_cast<std::uint32_t>(end - begin), static_cast<std::int64_t>(begin)};
    } while (peek().is(",") && (next(), true));
    expect("]", "to close the slice");
    if (op.ndims != t.shape.size()) {
      fail(open, fmt::format("tensor '{}' has {} dimension(s), the slice has {}", t.name, t.shape.size(), op.ndims));
    }
  }

  // ---- semaphores ----------------------------------------------------------------------
  // Resolves a semaphore reference; for another core's semaphore records a pending fix-up
  // and returns kNone.
  std::uint32_t semaphore_ref(const Token& t, bool in_sync, std::size_t index) {
    if (t.text.find('.') == std::string_view::npos) {
      std::uint32_t s = m_program.find_semaphore(current_core(), t.text);
      if (s == kNone) fail(t, fmt::format("unknown semaphore '{}'{}", t.text, semaphore_hint(t.text)));
      return s;
    }
    // chipN.coreM.NAME
    auto first = t.text.find('.');
    auto second = t.text.find('.', first + 1);
    std::optional<std::uint32_t> chip = parse_chip_prefix(t.text.substr(0, first) , "");
    std::uint64_t core = 0;
    std::string_view core_part = second == std::string_view::npos ? std::string_view() : t.text.substr(first + 1, second - first - 1);
    if (!chip || !core_part.starts_with("core") || !parse_unsigned(core_part.substr(4), core) ||
        second + 1 >= t.text.size() || core > 0xffff) {
      fail(t, fmt::format("expected a semaphore name or 'chipN.coreM.NAME', got '{}'", t.text));
    }
    m_pending.push_back(PendingSemaphore{CoreId{*chip, static_cast<std::uint32_t>(core)},
                                         std::string(t.text.substr(second + 1)), m_line_no, t.column, in_sync, index});
    return kNone;
  }

  std::string semaphore_hint(std::string_view name) {
    std::vector<std::string_view> names;
    for (const auto& s : m_program.semaphores) {
      if (s.core_index == current_core()) names.push_back(s.name);
    }
    std::string best = closest_match(name, names);
    return best.empty() ? std::string(" (declare it with '.sem' in this core's section)") : fmt::format("; did you mean '{}'?", best);
  }

  void resolve_pending() {
    for (const auto& p : m_pending) {
      std::uint32_t core = kNone;
      for (std::uint32_t i = 0; i < m_program.cores.size(); ++i) {
        if (m_program.cores[i].id == p.core) core = i;
      }
      std::uint32_t s = core == kNone ? kNone : m_program.find_semaphore(core, p.name);
      if (s == kNone) {
        m_diags.error(m_file, p.line, p.column,
                      fmt::format("unknown semaphore '{}' of chip {} core {}", p.name, p.core.chip, p.core.core),
                      std::string(line_of(m_text, p.line)));
        continue;
      }
      if (p.in_sync) {
        m_program.syncs[p.index].semaphore = s;
      } else {
        m_program.args[p.index].semaphore = s;
      }
    }
  }

  // ---- instructions --------------------------------------------------------------------
  void instruction() {
    const Token& eng = next();
    next();  // ':'
    Instruction ins;
    ins.line = m_line_no;
    ins.core_index = current_core();
    auto dot = eng.text.find('.');
    std::string_view base = eng.text.substr(0, dot);
    auto engine = isa::engine_from_name(base);
    if (!engine) fail(eng, fmt::format("unknown engine '{}'{}", eng.text, did_you_mean(eng.text, all_engine_names())));
    ins.engine = *engine;
    if (ins.engine == isa::Engine::kDma) {
      std::uint64_t q = 0;
      if (dot == std::string_view::npos || !eng.text.substr(dot + 1).starts_with("q") ||
          !parse_unsigned(eng.text.substr(dot + 2), q)) {
        fail(eng, fmt::format("a DMA engine is named by its queue, 'dma.qN', got '{}'", eng.text));
      }
      if (q > 255) fail(eng, fmt::format("DMA queue {} is out of range (at most 255)", q));
      ins.queue = static_cast<std::uint8_t>(q);
    } else if (dot != std::string_view::npos) {
      fail(eng, fmt::format("unknown engine '{}'; only DMA queues take a suffix ('dma.qN')", eng.text));
    }
    const Token& opc = expect_name("an opcode");
    auto opcode = isa::opcode_from_name(opc.text);
    if (!opcode) fail(opc, fmt::format("unknown opcode '{}'{}", opc.text, did_you_mean(opc.text, all_opcode_names())));
    const isa::OpcodeInfo& info = isa::opcode_info(*opcode);
    if (!isa::runs_on(info, ins.engine)) {
      std::vector<std::string_view> on;
      for (std::size_t e = 0; e < isa::kNumEngines; ++e) {
        if (isa::runs_on(info, static_cast<isa::Engine>(e))) on.push_back(e == static_cast<std::size_t>(isa::Engine::kDma) ? "dma.qN" : isa::engine_name(static_cast<isa::Engine>(e)));
      }
      fail(opc, fmt::format("opcode '{}' does not run on engine '{}' (it runs on: {})", info.name, base, join(on)));
    }
    ins.opcode = *opcode;

    m_args.clear();
    m_syncs.clear();
    m_pending_mark = m_pending.size();
    try {
      parse_positional(info, opc);
      parse_tail(info, opc);
    } catch (...) {
      m_pending.resize(m_pending_mark);  // fix-ups of an abandoned line point nowhere
      throw;
    }
    // Fix-ups recorded during this line index into the local buffers; rebase them.
    for (std::size_t i = m_pending_mark; i < m_pending.size(); ++i) {
      m_pending[i].index += m_pending[i].in_sync ? m_program.syncs.size() : m_program.args.size();
    }
    m_program.add_instruction(ins, m_args.data(), m_args.size(), m_syncs.data(), m_syncs.size());
  }

  static std::uint16_t col16(std::uint32_t c) { return static_cast<std::uint16_t>(std::min<std::uint32_t>(c, 0xffff)); }

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
        const Token& t = peek();
        if (count >= info.positional.size()) {
          fail(t, fmt::format("too many operands for '{}': it takes {}", info.name, positional_summary(info)));
        }
        m_args.push_back(parse_value(info.positional[count].kinds, {}, t, info.positional[count].role));
        ++count;
        if (!peek().is(",")) break;
        next();
      }
    }
    if (count < info.positional.size()) {
      fail(count == 0 ? opc : peek(), fmt::format("'{}' takes {}, got {}", info.name, positional_summary(info), count));
    }
  }

  static std::string positional_summary(const isa::OpcodeInfo& info) {
    if (info.positional.empty()) return "no operands";
    std::vector<std::string_view> roles;
    for (const auto& p : info.positional) roles.push_back(p.role);
    return fmt::format("{} operand(s) ({})", info.positional.size(), join(roles));
  }

  // Parses a value of one of `kinds`; `words` lists the allowed words when kWord is one.
  Arg parse_value(isa::ArgKindSet kinds, std::span<const isa::Word> words, const Token& t, std::string_view what) {
    Arg arg;
    arg.column = col16(t.column);
    if (t.kind == TokenKind::kName && kinds.has(ArgKind::kWord)) {
      auto w = isa::word_from_name(t.text);
      if (!w || std::find(words.begin(), words.end(), *w) == words.end()) {
        fail(t, fmt::format("invalid value '{}' for {}{}", t.text, what, did_you_mean(t.text, names_of(words))));
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
    bool numeric = t.kind == TokenKind::kNumber || t.is("-") ||
                   (t.kind == TokenKind::kName && (t.text == "inf" || t.text == "nan"));
    if (numeric && (kinds.has(ArgKind::kInt) || kinds.has(ArgKind::kReal))) {
      std::string text;
      if (t.is("-")) {
        next();
        const Token& body = peek();
        if (!(body.kind == TokenKind::kName && body.text == "inf")) fail(body, fmt::format("expected a number for {}, got {}", what, describe(body)));
        text = "-inf";
      } else {
        text = std::string(t.text);
      }
      next();
      std::int64_t i = 0;
      if (kinds.has(ArgKind::kInt) && parse_signed(text, i)) {
        arg.kind = ArgKind::kInt;
        arg.integer = i;
        return arg;
      }
      double r = 0;
      std::string why;
      if (kinds.has(ArgKind::kReal) && parse_real(text, r, &why)) {
        arg.kind = ArgKind::kReal;
        arg.real = r;
        return arg;
      }
      fail(t, fmt::format("expected {} for {}, got '{}'", kinds.has(ArgKind::kReal) ? "a number" : "an integer", what, text));
    }
    if (kinds.has(ArgKind::kOperand)) {
      arg.kind = ArgKind::kOperand;
      arg.operand = parse_operand(arg.alias);
      return arg;
    }
    fail(t, fmt::format("expected {} for {}, got {}", kinds_summary(kinds), what, describe(t)));
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
        fail(key, fmt::format("expected 'key=value', 'wait(...)' or 'post(...)', got {}", describe(key)));
      }
      if ((key.text == "wait" || key.text == "post") && peek(1).is("(")) {
        bool is_wait = key.text == "wait";
        if (is_wait ? seen_wait : seen_post) fail(key, fmt::format("'{}(...)' given twice; list every condition in one", key.text));
        (is_wait ? seen_wait : seen_post) = true;
        next();
        next();
        parse_sync_list(is_wait);
        continue;
      }
      if (!peek(1).is("=")) {
        fail(key, fmt::format("expected 'key=value', 'wait(...)' or 'post(...)', got '{}'", key.text));
      }
      std::size_t spec_index = info.attrs.size();
      for (std::size_t i = 0; i < info.attrs.size(); ++i) {
        if (isa::attr_name(info.attrs[i].key) == key.text) spec_index = i;
      }
      if (spec_index == info.attrs.size()) {
        std::vector<std::string_view> names;
        for (const auto& a : info.attrs) names.push_back(isa::attr_name(a.key));
        if (names.empty()) fail(key, fmt::format("'{}' takes no attributes, got '{}='", info.name, key.text));
        fail(key, fmt::format("unknown attribute '{}' for '{}'{}", key.text, info.name, did_you_mean(key.text, names)));
      }
      if (seen_attrs & (1u << spec_index)) fail(key, fmt::format("attribute '{}' given twice", key.text));
      seen_attrs |= 1u << spec_index;
      const isa::AttrSpec& spec = info.attrs[spec_index];
      next();
      next();
      const Token& value = peek();
      if (value.kind == TokenKind::kEnd) fail(value, fmt::format("expected a value after '{}='", key.text));
      Arg arg = parse_value(spec.kinds, spec.words, value, fmt::format("'{}'", key.text));
      arg.key = spec.key;
      arg.column = col16(key.column);
      m_args.push_back(arg);
    }
    for (std::size_t i = 0; i < info.attrs.size(); ++i) {
      if (info.attrs[i].required && !(seen_attrs & (1u << i))) {
        fail(opc, fmt::format("'{}' requires the attribute '{}='", info.name, isa::attr_name(info.attrs[i].key)));
      }
    }
  }

  void parse_sync_list(bool is_wait) {
    if (peek().is(")")) fail(peek(), fmt::format("empty '{}()'", is_wait ? "wait" : "post"));
    while (true) {
      const Token& name = expect_name("a semaphore name");
      SyncOp op;
      op.column = col16(name.column);
      op.semaphore = semaphore_ref(name, true, m_syncs.size());
      const Token& rel = peek();
      if (is_wait) {
        if (!rel.is(">=")) fail(rel, fmt::format("expected '>=' in a wait condition, got {}", describe(rel)));
        next();
        op.kind = SyncKind::kWaitGe;
        op.value = expect_signed("a semaphore value");
      } else {
        if (rel.is("+=")) {
          op.kind = SyncKind::kPostAdd;
        } else if (rel.is("-=")) {
          op.kind = SyncKind::kPostSub;
        } else if (rel.is("=")) {
          op.kind = SyncKind::kPostSet;
        } else {
          fail(rel, fmt::format("expected '+=', '-=' or '=' in a post, got {}", describe(rel)));
        }
        next();
        op.value = expect_signed("a semaphore value");
        if (peek().is("@")) {
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
      }
      if (op.value < -(std::int64_t{1} << 31) || op.value >= (std::int64_t{1} << 31)) {
        fail(name, "semaphore value out of the 32-bit range");
      }
      m_syncs.push_back(op);
      if (m_syncs.size() > 255) fail(name, "too many semaphore operations on one instruction (at most 255)");
      if (peek().is(")")) break;
      expect(",", fmt::format("or ')' in the {} list", is_wait ? "wait" : "post"));
    }
    next();  // ')'
  }

  std::string_view m_text;
  const std::string& m_file;
  Program& m_program;
  DiagnosticList& m_diags;

  std::vector<Token> m_tokens;
  std::size_t m_at = 0;
  std::string_view m_line;
  std::uint32_t m_line_no = 0;
  bool m_seen_header = false;
  std::uint32_t m_header_line = 0;
  std::uint32_t m_core = kNone;
  std::vector<Arg> m_args;
  std::vector<SyncOp> m_syncs;
  std::vector<PendingSemaphore> m_pending;
  std::size_t m_pending_mark = 0;
  NameIndex m_alias_index;
};

}  // namespace

bool parse_trace(std::string_view text, const std::string& file, Program& program,
                 DiagnosticList& diags) {
  std::size_t before = diags.error_count();
  Parser(text, file, program, diags).run();
  return diags.error_count() == before;
}

Program parse_trace(std::string_view text, const std::string& file) {
  Program program;
  DiagnosticList diags;
  if (!parse_trace(text, file, program, diags)) throw InputError(std::move(diags));
  return program;
}

Program load_trace(const std::string& path) { return parse_trace(read_file(path), path); }

}  // namespace trnsim::trace
