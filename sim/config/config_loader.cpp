#include "config/config_loader.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <map>
#include <numeric>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "common/diagnostic.h"
#include "common/number.h"
#include "common/source_file.h"
#include "common/yaml_reader.h"
#include "config/config_schema.h"
#include "config/derived.h"

namespace trnsim::config {

namespace {

namespace fs = std::filesystem;
using schema::Field;
using schema::Limits;
using schema::Section;
using schema::Slot;
using schema::Table;

// Config files are a few KiB; the limits stop a wrong path (a device, a trace) or a runaway
// chain of `base:` files with a clear error (docs/config.md, "Limits").
constexpr std::uint64_t kMaxConfigFileBytes = std::uint64_t{1} << 20;
constexpr std::size_t kMaxBaseDepth = 16;  // files in a chain, the including one counted

// Where a value came from; errors about it, found now or by a later consistency check,
// point here.
struct Location {
  std::string file;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  std::string source_line;
};

// The text a YAML document was parsed from: a config file, or the value of one `--set`.
struct Source {
  std::string file;  // as shown in messages
  std::string_view text;
  bool is_override = false;
  std::uint32_t column_offset = 0;  // --set: where the YAML value starts in `text`

  Location locate(const YAML::Mark& mark) const {
    if (is_override) {
      // An override is one line with no line number; the caret still finds the column.
      std::uint32_t column = mark.is_null() ? 0 : column_offset + mark.column + 1;
      return {file, 0, column, std::string(text)};
    }
    if (mark.is_null()) return {file, 0, 0, {}};
    // yaml-cpp can place a syntax error one character past the end of the input (after a
    // NUL byte, for one); the caret goes to the end of the last line instead.
    auto line = static_cast<std::uint32_t>(mark.line + 1);
    std::string_view content = line_of(text, line);
    if (content.empty()) {  // maybe past the end: count the lines only then
      line = std::min(line, static_cast<std::uint32_t>(std::ranges::count(text, '\n') + 1));
      content = line_of(text, line);
    }
    const auto column = std::min(static_cast<std::uint32_t>(mark.column + 1),
                                 static_cast<std::uint32_t>(content.size() + 1));
    return {file, line, column, std::string(content)};
  }
};

// The identity of a file for cycle detection; never throws (a path that cannot be
// resolved is compared as written).
fs::path identity_of(const fs::path& path) {
  std::error_code ec;
  fs::path out = fs::weakly_canonical(path, ec);
  return ec ? path.lexically_normal() : out;
}

// How a value appears in "expected X, got Y" messages.
std::string describe(const YAML::Node& node) {
  if (node.IsNull()) return "no value";
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a list";
  return fmt::format("'{}'", node.Scalar());
}

std::string join_path(std::string_view prefix, std::string_view key) {
  return prefix.empty() ? std::string(key) : fmt::format("{}.{}", prefix, key);
}

// "did you mean" when a key is a plausible typo, else the list of valid keys.
std::string unknown_key_message(std::string_view prefix, std::string_view key,
                                const std::vector<std::string_view>& candidates) {
  std::string what =
      prefix.empty() ? "unknown top-level key" : fmt::format("unknown key in '{}'", prefix);
  std::string best = closest_match(key, candidates);
  if (!best.empty())
    return fmt::format("{}: {}; did you mean '{}'?", join_path(prefix, key), what, best);
  return fmt::format("{}: {}; expected one of: {}", join_path(prefix, key), what,
                     fmt::join(candidates, ", "));
}

// Where a field was last set, and when: settings are numbered in the order they are
// applied (a base before the file naming it, files before overrides), so a higher `seq`
// is a more derived setting.
struct Origin {
  std::uint64_t seq = 0;
  Location where;
};

// One load: the config being built, every diagnostic found, and where each field was
// last set.
class Loader {
 public:
  SystemConfig load(const std::string& text, const std::string& file_name,
                    const std::vector<std::string>& overrides);
  // load() in two halves: the file (and its bases), then the overrides and the checks. A
  // copy of a Loader after start() finishes with other overrides without reading the file.
  void start(const std::string& text, const std::string& file_name);
  SystemConfig finish(const std::vector<std::string>& overrides);

 private:
  // Everything about the value being read that an error message needs.
  struct Context {
    std::string path;
    const Limits& limits;
    const Source& source;
    YAML::Mark fallback;  // the key's position, for values without one (`rows:`)
  };

  void load_file(const std::string& text, const std::string& display_name);
  void load_base(const YAML::Node& value, const Source& including, const YAML::Mark& key_mark);
  void apply_map(const Table& table, void* object, const YAML::Node& map, const std::string& prefix,
                 const Source& source);
  void apply_value(const Field& field, void* object, const YAML::Node& value,
                   const std::string& path, const Source& source, const YAML::Mark& key_mark);
  void apply_override(const std::string& text);

  // Readers of one value: return it when valid, else report and return nothing.
  bool expect_scalar(const YAML::Node& node, const Context& ctx, std::string_view what);
  bool expect_sequence(const YAML::Node& node, const Context& ctx, std::string_view what);
  std::optional<std::uint64_t> read_unsigned(const YAML::Node& node, const Context& ctx,
                                             std::uint64_t type_max);
  std::optional<double> read_real(const YAML::Node& node, const Context& ctx);
  std::optional<bool> read_bool(const YAML::Node& node, const Context& ctx);
  std::optional<std::string> read_string(const YAML::Node& node, const Context& ctx);
  std::optional<TopologyKind> read_topology_kind(const YAML::Node& node, const Context& ctx);
  std::optional<std::vector<std::uint32_t>> read_uint_list(const YAML::Node& node,
                                                           const Context& ctx);
  std::optional<std::vector<std::array<std::uint32_t, 2>>> read_pair_list(const YAML::Node& node,
                                                                          const Context& ctx);
  bool check_limits(double value, const Context& ctx, const YAML::Node& node);
  // Reads `node` into `slot`; false when the value is invalid.
  bool read_into(const Slot& slot, const YAML::Node& node, const Context& ctx);

  void check_consistency();
  void check_topology();
  // Reports `message` unless `ok`, at whichever of `paths` was set last; silent when one
  // of them already failed to parse, since its value is then not the user's.
  void require(bool ok, const std::vector<std::string>& paths, const std::string& message);

  Location where(const YAML::Node& node, const Context& ctx) const {
    bool has_mark = !node.IsNull() && !node.Mark().is_null();
    return ctx.source.locate(has_mark ? node.Mark() : ctx.fallback);
  }
  void error(const Location& at, std::string message) {
    m_diags.error(at.file, at.line, at.column, std::move(message), at.source_line);
  }
  void set_origin(const std::string& path, Location at) {
    m_origins[path] = Origin{++m_seq, std::move(at)};
  }

  SystemConfig m_cfg;
  DiagnosticList m_diags;
  std::map<std::string, Origin> m_origins;  // dotted path (list elements: path[i])
  std::set<std::string> m_failed;           // paths whose last value was invalid
  std::uint64_t m_seq = 0;
  // The files being loaded, outermost first, for `base:` cycle detection.
  std::vector<std::pair<fs::path, std::string>> m_chain;
  std::string m_root_file;
  // A file could not be read or parsed: the config is partial, relations are not checked.
  bool m_incomplete = false;
};

SystemConfig Loader::load(const std::string& text, const std::string& file_name,
                          const std::vector<std::string>& overrides) {
  start(text, file_name);
  return finish(overrides);
}

void Loader::start(const std::string& text, const std::string& file_name) {
  m_root_file = file_name;
  load_file(text, file_name);
}

SystemConfig Loader::finish(const std::vector<std::string>& overrides) {
  for (const auto& o : overrides)
    apply_override(o);
  if (!m_incomplete) check_consistency();
  if (m_diags.has_errors()) throw InputError(std::move(m_diags));
  return m_cfg;
}

void Loader::load_file(const std::string& text, const std::string& display_name) {
  Source source{display_name, text};
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    error(source.locate(e.mark), yaml_load_error(e));
    m_incomplete = true;
    return;
  }
  if (root.IsNull()) {
    error({display_name, 0, 0, {}},
          "config file is empty; expected a map of sections such as `tensor:`");
    m_incomplete = true;
    return;
  }
  if (!root.IsMap()) {
    error(source.locate(root.Mark()),
          fmt::format("expected a map of sections at the top level, got {}", describe(root)));
    m_incomplete = true;
    return;
  }
  m_chain.emplace_back(identity_of(display_name), display_name);
  // The base is applied first so that this file's settings override it.
  for (const auto& entry : root) {
    if (entry.first.IsScalar() && entry.first.Scalar() == "base") {
      load_base(entry.second, source, entry.first.Mark());
      break;
    }
  }
  apply_map(schema::system_table(), &m_cfg, root, "", source);
  m_chain.pop_back();
}

void Loader::load_base(const YAML::Node& value, const Source& including,
                       const YAML::Mark& key_mark) {
  Location at = including.locate(value.IsNull() ? key_mark : value.Mark());
  if (!value.IsScalar() || value.Scalar().empty()) {
    error(at, fmt::format("base: expected a file name, got {}", describe(value)));
    m_incomplete = true;
    return;
  }
  fs::path path = (fs::path(including.file).parent_path() / value.Scalar()).lexically_normal();
  fs::path canonical = identity_of(path);
  auto seen = std::find_if(m_chain.begin(), m_chain.end(),
                           [&](const auto& entry) { return entry.first == canonical; });
  if (seen != m_chain.end()) {
    std::vector<std::string> cycle;
    for (auto it = seen; it != m_chain.end(); ++it)
      cycle.push_back(it->second);
    cycle.push_back(path.string());
    error(at, fmt::format("base: cycle: {}", fmt::join(cycle, " -> ")));
    m_incomplete = true;
    return;
  }
  if (m_chain.size() >= kMaxBaseDepth) {
    error(at, fmt::format("base: chain of more than {} files ({} -> ... -> {}); the limit "
                          "keeps inheritance readable",
                          kMaxBaseDepth, m_chain.front().second, path.string()));
    m_incomplete = true;
    return;
  }
  std::string text;
  try {
    text = read_file(path.string(), kMaxConfigFileBytes);
  } catch (const InputError& e) {
    const auto& items = e.diagnostics().items();
    error(at, fmt::format("base: cannot load '{}': {}", path.string(),
                          items.empty() ? e.what() : items.front().message));
    m_incomplete = true;
    return;
  }
  load_file(text, path.string());
}

void Loader::apply_map(const Table& table, void* object, const YAML::Node& map,
                       const std::string& prefix, const Source& source) {
  const bool top_level = prefix.empty();
  std::map<std::string, Location> seen;
  for (const auto& entry : map) {
    const YAML::Node& key_node = entry.first;
    const YAML::Node& value = entry.second;
    Location key_at = source.locate(key_node.Mark());
    if (!key_node.IsScalar()) {
      error(key_at, fmt::format("{}: expected a key name, got {}", top_level ? "top level" : prefix,
                                describe(key_node)));
      continue;
    }
    const std::string& key = key_node.Scalar();
    std::string path = join_path(prefix, key);
    // yaml-cpp keeps both entries of a duplicated key; a silent "last one wins" would hide
    // which value is used, so it is an error.
    if (auto first = seen.find(key); first != seen.end()) {
      std::string where_first =
          first->second.line > 0 ? fmt::format(" (first set on line {})", first->second.line) : "";
      error(key_at, fmt::format("{}: duplicate key{}", path, where_first));
      m_failed.insert(path);
      continue;
    }
    seen.emplace(key, key_at);
    if (top_level && key == "base") continue;  // applied first, by load_file
    const Field* field = table.find(key);
    if (field == nullptr) {
      auto candidates = table.keys();
      // `base` is valid at the top level of a file; list it after name and description.
      if (top_level) candidates.insert(candidates.begin() + 2, "base");
      error(key_at, unknown_key_message(prefix, key, candidates));
      continue;
    }
    apply_value(*field, object, value, path, source, key_node.Mark());
  }
}

void Loader::apply_value(const Field& field, void* object, const YAML::Node& value,
                         const std::string& path, const Source& source,
                         const YAML::Mark& key_mark) {
  Slot slot = field.slot(object);
  Context ctx{path, field.limits, source, key_mark};
  if (const auto* section = std::get_if<Section>(&slot)) {
    if (value.IsNull()) return;  // `tensor:` with every line below commented out
    if (!value.IsMap()) {
      error(where(value, ctx),
            fmt::format("{}: expected a map of settings, got {}", path, describe(value)));
      m_failed.insert(path);
      return;
    }
    apply_map(*section->table, section->object, value, path, source);
    return;
  }
  if (read_into(slot, value, ctx)) {
    m_failed.erase(path);
    set_origin(path, where(value, ctx));
  } else {
    m_failed.insert(path);
  }
}

// Stores `value` into `*target` when present; says whether it was.
template <class T, class U>
bool store(T* target, std::optional<U> value) {
  if (!value) return false;
  *target = static_cast<T>(*value);
  return true;
}

bool Loader::read_into(const Slot& slot, const YAML::Node& node, const Context& ctx) {
  constexpr std::uint64_t kMax32 = std::numeric_limits<std::uint32_t>::max();
  constexpr std::uint64_t kMax64 = std::numeric_limits<std::uint64_t>::max();
  return std::visit(
      schema::Overloaded{
          [&](std::uint32_t* v) { return store(v, read_unsigned(node, ctx, kMax32)); },
          [&](std::uint64_t* v) { return store(v, read_unsigned(node, ctx, kMax64)); },
          [&](double* v) { return store(v, read_real(node, ctx)); },
          [&](bool* v) { return store(v, read_bool(node, ctx)); },
          [&](std::string* v) { return store(v, read_string(node, ctx)); },
          [&](TopologyKind* v) { return store(v, read_topology_kind(node, ctx)); },
          [&](std::vector<std::uint32_t>* v) { return store(v, read_uint_list(node, ctx)); },
          [&](std::vector<std::array<std::uint32_t, 2>>* v) {
            return store(v, read_pair_list(node, ctx));
          },
          [](const Section&) { return false; },  // handled by apply_value
      },
      slot);
}

bool Loader::expect_scalar(const YAML::Node& node, const Context& ctx, std::string_view what) {
  if (node.IsScalar()) return true;
  error(where(node, ctx), fmt::format("{}: expected {}, got {}", ctx.path, what, describe(node)));
  return false;
}

std::optional<std::uint64_t> Loader::read_unsigned(const YAML::Node& node, const Context& ctx,
                                                   std::uint64_t type_max) {
  if (!expect_scalar(node, ctx, "an unsigned integer")) return std::nullopt;
  const std::string& text = node.Scalar();
  std::uint64_t value = 0;
  std::string parse_error;
  if (!parse_unsigned(text, value, &parse_error)) {
    std::int64_t negative = 0;
    std::string message;
    if (parse_signed(text, negative) && negative < 0) {
      message = fmt::format("{}: expected an unsigned integer, got negative {}", ctx.path, text);
    } else if (parse_error.find("too large") != std::string::npos) {
      message = fmt::format("{}: {}", ctx.path, parse_error);
    } else if (!text.empty() && std::isdigit(static_cast<unsigned char>(text[0])) &&
               std::isalpha(static_cast<unsigned char>(text.back()))) {
      message = fmt::format(
          "{}: expected an unsigned integer, got '{}' (size suffixes are K, M, G, Ki, Mi, Gi)",
          ctx.path, text);
    } else {
      message = fmt::format("{}: expected an unsigned integer, got '{}'", ctx.path, text);
    }
    error(where(node, ctx), std::move(message));
    return std::nullopt;
  }
  if (value > type_max) {
    error(where(node, ctx),
          fmt::format("{}: {} is too large (at most {})", ctx.path, value, type_max));
    return std::nullopt;
  }
  if (!check_limits(static_cast<double>(value), ctx, node)) return std::nullopt;
  const Limits& limits = ctx.limits;
  if (limits.power_of_two && (value & (value - 1)) != 0) {
    error(where(node, ctx), fmt::format("{}: expected a power of two, got {}", ctx.path, value));
    return std::nullopt;
  }
  if (value % limits.multiple_of != 0) {
    error(where(node, ctx), fmt::format("{}: expected a multiple of {}, got {}", ctx.path,
                                        limits.multiple_of, value));
    return std::nullopt;
  }
  return value;
}

bool Loader::check_limits(double value, const Context& ctx, const YAML::Node& node) {
  const Limits& l = ctx.limits;
  bool above_min = l.min_exclusive ? value > l.min : value >= l.min;
  if (above_min && value <= l.max) return true;
  std::string range = l.range();
  error(where(node, ctx), fmt::format("{}: expected a value {}{}, got {}", ctx.path,
                                      std::isinf(l.max) ? "" : "in ", range, node.Scalar()));
  return false;
}

std::optional<double> Loader::read_real(const YAML::Node& node, const Context& ctx) {
  if (!expect_scalar(node, ctx, "a number")) return std::nullopt;
  double value = 0;
  if (!parse_real(node.Scalar(), value)) {
    error(where(node, ctx),
          fmt::format("{}: expected a number, got '{}'", ctx.path, node.Scalar()));
    return std::nullopt;
  }
  if (!std::isfinite(value)) {
    error(where(node, ctx),
          fmt::format("{}: expected a finite number, got '{}'", ctx.path, node.Scalar()));
    return std::nullopt;
  }
  if (!check_limits(value, ctx, node)) return std::nullopt;
  return value;
}

std::optional<bool> Loader::read_bool(const YAML::Node& node, const Context& ctx) {
  if (!expect_scalar(node, ctx, "true or false")) return std::nullopt;
  // The YAML 1.2 spellings only: `yes`/`on` are YAML 1.1 and surprise as often as they help.
  const std::string& text = node.Scalar();
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  error(where(node, ctx), fmt::format("{}: expected true or false, got '{}'", ctx.path, text));
  return std::nullopt;
}

std::optional<std::string> Loader::read_string(const YAML::Node& node, const Context& ctx) {
  if (node.IsNull()) return std::string();
  if (!expect_scalar(node, ctx, "a string")) return std::nullopt;
  return node.Scalar();
}

std::optional<TopologyKind> Loader::read_topology_kind(const YAML::Node& node, const Context& ctx) {
  const auto& names = schema::topology_kind_names();
  std::string expected = fmt::format("one of {}", fmt::join(names, ", "));
  if (!expect_scalar(node, ctx, expected)) return std::nullopt;
  const std::string& text = node.Scalar();
  auto it = std::find(names.begin(), names.end(), text);
  if (it != names.end()) return static_cast<TopologyKind>(it - names.begin());
  std::string best = closest_match(text, {names.begin(), names.end()});
  std::string hint = best.empty() ? "" : fmt::format("; did you mean '{}'?", best);
  error(where(node, ctx),
        fmt::format("{}: expected {}, got '{}'{}", ctx.path, expected, text, hint));
  return std::nullopt;
}

bool Loader::expect_sequence(const YAML::Node& node, const Context& ctx, std::string_view what) {
  if (node.IsSequence()) return true;
  error(where(node, ctx), fmt::format("{}: expected {}, got {}", ctx.path, what, describe(node)));
  return false;
}

std::optional<std::vector<std::uint32_t>> Loader::read_uint_list(const YAML::Node& node,
                                                                 const Context& ctx) {
  if (node.IsNull()) return std::vector<std::uint32_t>{};
  if (!expect_sequence(node, ctx, "a list of unsigned integers such as [4, 4]")) {
    return std::nullopt;
  }
  std::vector<std::uint32_t> out;
  bool ok = true;
  for (std::size_t i = 0; i < node.size(); ++i) {
    Context item{fmt::format("{}[{}]", ctx.path, i), ctx.limits, ctx.source, ctx.fallback};
    auto v = read_unsigned(node[i], item, std::numeric_limits<std::uint32_t>::max());
    if (!v) {
      ok = false;
      continue;
    }
    out.push_back(static_cast<std::uint32_t>(*v));
    set_origin(item.path, where(node[i], item));
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::vector<std::array<std::uint32_t, 2>>> Loader::read_pair_list(
    const YAML::Node& node, const Context& ctx) {
  using Pairs = std::vector<std::array<std::uint32_t, 2>>;
  if (node.IsNull()) return Pairs{};
  if (!expect_sequence(node, ctx, "a list of pairs such as [[0, 1], [1, 2]]")) {
    return std::nullopt;
  }
  Pairs out;
  bool ok = true;
  for (std::size_t i = 0; i < node.size(); ++i) {
    Context item{fmt::format("{}[{}]", ctx.path, i), ctx.limits, ctx.source, ctx.fallback};
    const YAML::Node& pair = node[i];
    if (pair.IsSequence() && pair.size() != 2) {
      error(where(pair, item),
            fmt::format("{}: expected a pair [a, b], got a list of {}", item.path, pair.size()));
      ok = false;
      continue;
    }
    auto values =
        expect_sequence(pair, item, "a pair [a, b]") ? read_uint_list(pair, item) : std::nullopt;
    if (!values) {
      ok = false;
      continue;
    }
    out.push_back({(*values)[0], (*values)[1]});
    set_origin(item.path, where(pair, item));
  }
  if (!ok) return std::nullopt;
  return out;
}

void Loader::apply_override(const std::string& text) {
  Source source{"--set", text, true};
  auto fail = [&](std::uint32_t column, std::string message) {
    error({source.file, 0, column, text}, std::move(message));
  };
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    fail(0, fmt::format("expected KEY=VALUE such as tensor.rows=64, got '{}'", text));
    return;
  }
  // Walk the dotted path down the tables; every segment but the last names a section.
  const Table* table = &schema::system_table();
  void* object = &m_cfg;
  std::string prefix;
  const Field* field = nullptr;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = text.find('.', start);
    std::size_t end = std::min(dot, eq);
    std::string key = text.substr(start, end - start);
    auto column = static_cast<std::uint32_t>(start + 1);
    if (prefix.empty() && key == "base") {
      fail(column, "base: cannot be set with --set; name the base in a config file instead");
      return;
    }
    field = table->find(key);
    if (field == nullptr) {
      fail(column, unknown_key_message(prefix, key, table->keys()));
      return;
    }
    if (end == eq) break;
    Slot slot = field->slot(object);
    const auto* section = std::get_if<Section>(&slot);
    if (section == nullptr) {
      fail(static_cast<std::uint32_t>(end + 1),
           fmt::format("{}: is a value, not a section, so it has no key '{}'",
                       join_path(prefix, key), text.substr(end + 1, eq - end - 1)));
      return;
    }
    table = section->table;
    object = section->object;
    prefix = join_path(prefix, key);
    start = end + 1;
  }
  std::string path = join_path(prefix, field->key);
  source.column_offset = static_cast<std::uint32_t>(eq + 1);
  YAML::Node value;
  try {
    value = YAML::Load(text.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    error(source.locate(e.mark), fmt::format("{}: YAML syntax error: {}", path, e.msg));
    return;
  }
  // An empty value has no position of its own: point just after the '='.
  apply_value(*field, object, value, path, source, YAML::Mark());
}

void Loader::require(bool ok, const std::vector<std::string>& paths, const std::string& message) {
  if (ok) return;
  const Origin* latest = nullptr;
  for (const auto& p : paths) {
    if (m_failed.contains(p)) return;
    auto it = m_origins.find(p);
    if (it != m_origins.end() && (latest == nullptr || it->second.seq > latest->seq)) {
      latest = &it->second;
    }
  }
  // All involved fields kept their defaults: the file as a whole is to blame.
  error(latest != nullptr ? latest->where : Location{m_root_file, 0, 0, {}}, message);
}

void Loader::check_consistency() {
  const SystemConfig& c = m_cfg;
  require(c.sbuf.partitions == c.tensor.rows, {"sbuf.partitions", "tensor.rows"},
          fmt::format("sbuf.partitions ({}) must equal tensor.rows ({}): each PE row reads one "
                      "SBUF partition",
                      c.sbuf.partitions, c.tensor.rows));
  require(c.psum.partitions == c.sbuf.partitions, {"psum.partitions", "sbuf.partitions"},
          fmt::format("psum.partitions ({}) must equal sbuf.partitions ({})", c.psum.partitions,
                      c.sbuf.partitions));
  require(c.tensor.cols <= c.psum.partitions, {"tensor.cols", "psum.partitions"},
          fmt::format("tensor.cols ({}) must not exceed psum.partitions ({}): a matmul writes "
                      "one PSUM partition per PE column",
                      c.tensor.cols, c.psum.partitions));
  for (const auto& [name, engine] : {std::pair{"vector", &c.vector}, std::pair{"scalar", &c.scalar},
                                     std::pair{"gpsimd", &c.gpsimd}}) {
    require(engine->lanes == c.sbuf.partitions, {fmt::format("{}.lanes", name), "sbuf.partitions"},
            fmt::format("{}.lanes ({}) must equal sbuf.partitions ({}): one lane per partition",
                        name, engine->lanes, c.sbuf.partitions));
  }
  const std::uint64_t moving_bytes = std::uint64_t{c.tensor.max_moving_free} * 4;
  require(moving_bytes <= c.psum.bank_bytes, {"tensor.max_moving_free", "psum.bank_bytes"},
          fmt::format("tensor.max_moving_free ({}) fp32 results take {} bytes, more than "
                      "psum.bank_bytes ({}): one matmul writes one PSUM bank",
                      c.tensor.max_moving_free, moving_bytes, c.psum.bank_bytes));

  const HbmParams& h = c.hbm;
  require(h.capacity_bytes % h.stacks == 0, {"hbm.capacity_bytes", "hbm.stacks"},
          fmt::format("hbm.capacity_bytes ({}) must divide evenly into hbm.stacks ({})",
                      h.capacity_bytes, h.stacks));
  const std::uint64_t channels = std::uint64_t{h.stacks} * h.channels_per_stack;
  require(
      h.capacity_bytes % h.stacks != 0 || h.capacity_bytes % (channels * h.interleave_bytes) == 0,
      {"hbm.capacity_bytes", "hbm.stacks", "hbm.channels_per_stack", "hbm.interleave_bytes"},
      fmt::format("hbm.capacity_bytes ({}) must divide evenly into {} channels "
                  "(hbm.stacks x hbm.channels_per_stack) of whole hbm.interleave_bytes "
                  "({}) blocks",
                  h.capacity_bytes, channels, h.interleave_bytes));

  require(
      c.system.chips == 1 || c.link.count > 0, {"link.count", "system.chips"},
      fmt::format("system.chips is {} but link.count is 0: chips talk over links", c.system.chips));
  // A packet is sent only when its whole size in credits is free at the far end: one that
  // does not fit in a receive buffer could never be sent.
  const LinkParams& l = c.link;
  const std::uint64_t packet_flits = (l.packet_bytes + l.flit_bytes - 1) / l.flit_bytes;
  require(packet_flits <= l.buffer_credits,
          {"link.buffer_credits", "link.packet_bytes", "link.flit_bytes"},
          fmt::format("a link.packet_bytes packet ({} bytes) is {} flits of link.flit_bytes ({}), "
                      "more than a receive buffer holds (link.buffer_credits: {}); a packet "
                      "could never be sent",
                      l.packet_bytes, packet_flits, l.flit_bytes, l.buffer_credits));
  check_topology();
}

void Loader::check_topology() {
  const TopologyParams& t = m_cfg.topology;
  const std::uint32_t chips = m_cfg.system.chips;
  const std::string kind(schema::to_string(t.kind));
  const std::string dims = fmt::format("[{}]", fmt::join(t.dims, ", "));

  require(t.kind != TopologyKind::kNone || chips == 1, {"topology.kind", "system.chips"},
          fmt::format("system.chips is {} but topology.kind is none; connect the chips with "
                      "ring, torus, switch or edges",
                      chips));
  const bool uses_dims = t.kind == TopologyKind::kRing || t.kind == TopologyKind::kTorus;
  require(uses_dims || t.dims.empty(), {"topology.dims", "topology.kind"},
          fmt::format("topology.dims is used by kind ring or torus only, not {}", kind));
  require(t.kind == TopologyKind::kEdges || t.edges.empty(), {"topology.edges", "topology.kind"},
          fmt::format("topology.edges is used by kind edges only, not {}", kind));

  if (t.kind == TopologyKind::kRing) {
    require(t.dims.size() <= 1, {"topology.dims"},
            fmt::format("a ring has topology.dims [n] (or none), got {}", dims));
  }
  if (t.kind == TopologyKind::kTorus) {
    require(t.dims.size() == 2 || t.dims.size() == 3, {"topology.dims", "topology.kind"},
            fmt::format("a torus needs topology.dims [x, y] or [x, y, z], got {}", dims));
  }
  if (uses_dims && !t.dims.empty()) {
    // In double: three 32-bit factors can overflow 64 bits, and any such product is wrong.
    double product = std::accumulate(t.dims.begin(), t.dims.end(), 1.0,
                                     [](double p, std::uint32_t d) { return p * d; });
    require(product == chips, {"topology.dims", "system.chips"},
            fmt::format("topology.dims {} makes {:.0f} chips but system.chips is {}", dims, product,
                        chips));
  }

  if (uses_dims && chips > 1) {
    const std::uint32_t ports = torus_ports_per_chip(m_cfg);
    const std::uint32_t links = m_cfg.link.count;
    require(ports > 0 && links % ports == 0 && links >= ports, {"link.count", "topology.dims"},
            fmt::format("link.count {} does not split evenly over the {} link ports of a chip "
                        "in a {} {} (a + and a - port per dimension of size 2 or more); use a "
                        "multiple of {}",
                        links, ports, kind, dims, ports));
  }

  if (t.kind != TopologyKind::kEdges) return;
  std::vector<std::uint32_t> degree(chips, 0);
  for (const auto& [a, b] : t.edges) {
    if (a < chips && b < chips && a != b) {
      ++degree[a];
      ++degree[b];
    }
  }
  for (std::uint32_t chip = 0; chip < chips; ++chip) {
    if (degree[chip] > m_cfg.link.count) {
      require(false, {"topology.edges", "link.count"},
              fmt::format("topology.edges give chip {} {} links but link.count is {}", chip,
                          degree[chip], m_cfg.link.count));
      break;
    }
  }
  bool edges_valid = true;
  for (std::size_t i = 0; i < t.edges.size(); ++i) {
    const auto [a, b] = t.edges[i];
    std::string path = fmt::format("topology.edges[{}]", i);
    bool in_range = a < chips && b < chips;
    require(in_range, {path, "system.chips"},
            fmt::format("{} [{}, {}] names chip {}, but system.chips is {} (chips are 0 to {})",
                        path, a, b, std::max(a, b), chips, chips - 1));
    require(a != b, {path}, fmt::format("{} joins chip {} to itself", path, a));
    edges_valid = edges_valid && in_range && a != b;
  }
  if (!edges_valid) return;
  // Every chip must be reachable from chip 0, or traffic to it could never be routed.
  std::vector<std::uint32_t> parent(chips);
  std::iota(parent.begin(), parent.end(), 0u);
  auto root = [&](std::uint32_t x) {
    while (parent[x] != x)
      x = parent[x] = parent[parent[x]];
    return x;
  };
  for (const auto& [a, b] : t.edges)
    parent[root(a)] = root(b);
  for (std::uint32_t chip = 1; chip < chips; ++chip) {
    if (root(chip) != root(0)) {
      require(false, {"topology.edges", "system.chips"},
              fmt::format("topology.edges leave chip {} unreachable from chip 0", chip));
      break;
    }
  }
}

}  // namespace

SystemConfig load_config(const std::string& path, const std::vector<std::string>& overrides) {
  return load_config_text(read_file(path, kMaxConfigFileBytes), path, overrides);
}

SystemConfig load_config_text(const std::string& text, const std::string& file_name,
                              const std::vector<std::string>& overrides) {
  return Loader().load(text, file_name, overrides);
}

struct PreparedConfig::Loaded {
  Loader loader;
};

PreparedConfig::PreparedConfig(const std::string& text, const std::string& file_name) {
  auto loaded = std::make_shared<Loaded>();
  loaded->loader.start(text, file_name);
  m_loaded = std::move(loaded);
}

SystemConfig PreparedConfig::with(const std::vector<std::string>& overrides) const {
  Loader copy = m_loaded->loader;
  return copy.finish(overrides);
}

}  // namespace trnsim::config
