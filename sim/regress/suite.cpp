#include "regress/suite.h"

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "common/diagnostic.h"
#include "common/yaml_reader.h"

namespace trnsim::regress {

namespace fs = std::filesystem;

bool Case::has_tag(const std::string& tag) const {
  return std::find(tags.begin(), tags.end(), tag) != tags.end();
}

namespace {

// A case runs for at most this long unless the suite says otherwise: generous for the
// larger traces of a Debug build, short enough that a hang does not stall CI.
constexpr double kDefaultTimeoutSeconds = 600;

class Parser : private YamlReader {
 public:
  Parser(std::string text, std::string file, fs::path dir)
      : YamlReader(std::move(text), std::move(file)), m_dir(std::move(dir)) {}

  Suite parse() {
    const YAML::Node root = load();
    if (!root.IsMap())
      fail(root.Mark(),
           "expected a map with 'cases' (and optionally 'golden_dir', 'tags', 'defaults')");
    Suite suite;
    suite.golden_dir = m_dir / "golden";
    suite.tags = {"quick", "full"};
    check_keys(root, {"golden_dir", "tags", "defaults", "cases"});
    if (root["golden_dir"]) suite.golden_dir = m_dir / scalar(root["golden_dir"], "a directory");
    if (const YAML::Node tags = root["tags"]) {
      for (const auto& t : sequence(tags, "a list of tag names")) {
        std::string tag = scalar(t, "a tag name");
        if (std::find(suite.tags.begin(), suite.tags.end(), tag) == suite.tags.end())
          suite.tags.push_back(tag);
      }
    }
    Case defaults;
    defaults.timeout_seconds = kDefaultTimeoutSeconds;
    if (const YAML::Node d = root["defaults"]) {
      expect_map(d, "a map of 'timeout' and 'tolerance'");
      check_keys(d, {"timeout", "tolerance"});
      if (d["timeout"]) defaults.timeout_seconds = positive(d["timeout"], "a timeout in seconds");
      if (d["tolerance"]) defaults.tolerance = tolerance(d["tolerance"], defaults.tolerance);
    }
    const YAML::Node cases = root["cases"];
    if (!cases) fail(root.Mark(), "missing 'cases': expected a list of cases");
    std::set<std::string> names;
    for (const auto& node : sequence(cases, "a list of cases")) {
      Case c = parse_case(node, defaults, suite.tags);
      if (!names.insert(c.name).second)
        fail(node["name"].Mark(), fmt::format("duplicate case name '{}'", c.name));
      suite.cases.push_back(std::move(c));
    }
    return suite;
  }

 private:
  // A relative tolerance, or `exact` (0).
  double fraction(const YAML::Node& node) const {
    if (node.IsScalar() && node.Scalar() == "exact") return 0;
    const double v = number(node, "'exact' or a relative tolerance such as 0.01");
    if (v < 0 || v >= 1)
      fail(node.Mark(), fmt::format("expected a relative tolerance in [0, 1), got {}", v));
    return v;
  }

  Tolerance tolerance(const YAML::Node& node, Tolerance t) const {
    expect_map(node, "a map of metric to tolerance (cycles, busy, bytes, mfu)");
    check_keys(node, {"cycles", "busy", "bytes", "mfu"});
    if (node["cycles"]) t.cycles = fraction(node["cycles"]);
    if (node["busy"]) t.busy = fraction(node["busy"]);
    if (node["bytes"]) t.bytes = fraction(node["bytes"]);
    if (node["mfu"]) t.mfu = fraction(node["mfu"]);
    return t;
  }

  Case parse_case(const YAML::Node& node, const Case& defaults,
                  const std::vector<std::string>& known_tags) const {
    expect_map(node, "a case: a map with 'name', 'config' and 'trace' or 'gen'");
    check_keys(node, {"name", "config", "set", "trace", "gen", "functional", "reference", "tags",
                      "tolerance", "max_bound_factor", "timeout"});
    Case c = defaults;
    c.line = static_cast<std::uint32_t>(node.Mark().line + 1);
    if (!node["name"]) fail(node.Mark(), "a case needs a 'name'");
    c.name = scalar(node["name"], "a case name");
    // Names become golden file names and JUnit test names.
    static const std::regex kName("[A-Za-z0-9][A-Za-z0-9._-]*");
    if (!std::regex_match(c.name, kName))
      fail(node["name"].Mark(),
           fmt::format("case name '{}' must be letters, digits, '.', '_' or '-'", c.name));
    if (!node["config"]) fail(node.Mark(), fmt::format("case '{}' needs a 'config'", c.name));
    c.config = config_reference(node["config"], m_dir);
    if (const YAML::Node set = node["set"]) {
      expect_map(set, "a map of config key to value, as --set KEY=VALUE");
      for (const auto& entry : set)
        c.overrides.push_back(entry.first.Scalar() + "=" + scalar(entry.second, "a value"));
    }
    const bool has_trace = static_cast<bool>(node["trace"]);
    const bool has_gen = static_cast<bool>(node["gen"]);
    if (has_trace == has_gen)
      fail(node.Mark(), fmt::format("case '{}' needs exactly one of 'trace' and 'gen'", c.name));
    if (has_trace) {
      const fs::path path = m_dir / scalar(node["trace"], "a trace file");
      if (!fs::is_regular_file(path))
        fail(node["trace"].Mark(), fmt::format("trace '{}' not found", path.string()));
      c.trace = path.string();
    } else {
      for (const auto& arg :
           sequence(node["gen"], "the arguments of 'trnsim gen', e.g. [gemm, --m, 256]"))
        c.gen.push_back(scalar(arg, "an argument"));
      if (c.gen.empty()) fail(node["gen"].Mark(), "expected a generator name, e.g. [gemm, ...]");
    }
    if (node["functional"]) c.functional = boolean(node["functional"]);
    if (const YAML::Node ref = node["reference"]) {
      if (!c.functional) fail(ref.Mark(), "'reference' needs 'functional: true'");
      expect_map(ref, "a map with 'rtol' and 'atol'");
      check_keys(ref, {"rtol", "atol"});
      if (ref["rtol"]) c.reference.rtol = number(ref["rtol"], "a relative tolerance");
      if (ref["atol"]) c.reference.atol = number(ref["atol"], "an absolute tolerance");
    }
    if (c.functional) {
      const bool has_token = std::any_of(c.gen.begin(), c.gen.end(), [](const std::string& a) {
        return a.find(kReferenceToken) != std::string::npos;
      });
      if (!has_token)
        fail(node["functional"].Mark(),
             fmt::format("a functional case needs a generator with '--reference' naming '{}' "
                         "(the case's reference directory)",
                         kReferenceToken));
    }
    if (const YAML::Node tags = node["tags"]) {
      for (const auto& t : sequence(tags, "a list of tags")) {
        const std::string tag = scalar(t, "a tag");
        if (std::find(known_tags.begin(), known_tags.end(), tag) == known_tags.end())
          fail(t.Mark(), fmt::format("unknown tag '{}' (tags: {}; declare more under 'tags')", tag,
                                     fmt::join(known_tags, ", ")));
        if (!c.has_tag(tag)) c.tags.push_back(tag);
      }
    }
    // `full` is the whole suite: every quick case is in it.
    if (!c.has_tag("full")) c.tags.push_back("full");
    if (node["tolerance"]) c.tolerance = tolerance(node["tolerance"], c.tolerance);
    if (const YAML::Node f = node["max_bound_factor"]) {
      c.max_bound_factor = number(f, "a factor of at least 1");
      if (*c.max_bound_factor < 1)
        fail(f.Mark(), fmt::format("expected a factor of at least 1, got {}", *c.max_bound_factor));
    }
    if (node["timeout"]) c.timeout_seconds = positive(node["timeout"], "a timeout in seconds");
    return c;
  }

  fs::path m_dir;
};

}  // namespace

Suite parse_suite(const std::string& text, const std::string& file_name, const fs::path& dir) {
  Suite suite = Parser(text, file_name, dir).parse();
  suite.file = file_name;
  return suite;
}

Suite load_suite(const fs::path& file) {
  std::ifstream in(file);
  if (!in || fs::is_directory(file))
    throw InputError(file.string(), 0, 0, "cannot read the suite file");
  std::stringstream text;
  text << in.rdbuf();
  const fs::path dir = fs::absolute(file).parent_path();
  return parse_suite(text.str(), file.string(), dir);
}

}  // namespace trnsim::regress
