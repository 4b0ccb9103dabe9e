#include "common/yaml_reader.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>

#include "common/diagnostic.h"

namespace trnsim {

std::string yaml_load_error(const YAML::Exception& e) {
  if (dynamic_cast<const YAML::DeepRecursion*>(&e) != nullptr) {
    return "YAML nested too deeply: yaml-cpp refuses collections nested more than a few "
           "hundred levels";
  }
  return fmt::format("YAML syntax error: {}", e.msg);
}

YAML::Node YamlReader::load() const {
  try {
    return YAML::Load(m_text);
  } catch (const YAML::ParserException& e) {
    fail(e.mark, yaml_load_error(e));
  }
}

void YamlReader::fail(const YAML::Mark& mark, const std::string& message) const {
  if (mark.is_null() || mark.line < 0) throw InputError(m_file, 0, 0, message);
  const auto line = static_cast<std::uint32_t>(mark.line + 1);
  throw InputError(m_file, line, static_cast<std::uint32_t>(mark.column + 1), message,
                   std::string(trnsim::line_of(m_text, line)));
}

void YamlReader::expect_map(const YAML::Node& node, const std::string& what) const {
  if (!node.IsMap()) fail(node.Mark(), fmt::format("expected {}", what));
}

std::vector<YAML::Node> YamlReader::sequence(const YAML::Node& node,
                                             const std::string& what) const {
  if (!node.IsSequence()) fail(node.Mark(), fmt::format("expected {}", what));
  return {node.begin(), node.end()};
}

std::string YamlReader::scalar(const YAML::Node& node, const std::string& what) const {
  if (!node.IsScalar()) fail(node.Mark(), fmt::format("expected {}", what));
  return node.Scalar();
}

double YamlReader::number(const YAML::Node& node, const std::string& what) const {
  const std::string text = scalar(node, what);
  try {
    std::size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size() && std::isfinite(v)) return v;
  } catch (const std::exception&) {
  }
  fail(node.Mark(), fmt::format("expected {}, got '{}'", what, text));
}

double YamlReader::positive(const YAML::Node& node, const std::string& what) const {
  const double v = number(node, what);
  if (v <= 0) fail(node.Mark(), fmt::format("expected {} greater than 0, got {}", what, v));
  return v;
}

bool YamlReader::boolean(const YAML::Node& node) const {
  const std::string text = scalar(node, "true or false");
  if (text == "true") return true;
  if (text == "false") return false;
  fail(node.Mark(), fmt::format("expected true or false, got '{}'", text));
}

std::string YamlReader::config_reference(const YAML::Node& node,
                                         const std::filesystem::path& dir) const {
  const std::string text = scalar(node, "a preset name or a config file");
  const bool is_path = text.find('/') != std::string::npos || text.ends_with(".yaml");
  if (!is_path) return text;
  const std::filesystem::path path = dir / text;
  if (!std::filesystem::is_regular_file(path))
    fail(node.Mark(), fmt::format("config file '{}' not found", path.string()));
  return std::filesystem::absolute(path).lexically_normal().string();
}

void YamlReader::check_keys(const YAML::Node& map, const std::vector<std::string>& known) const {
  for (const auto& entry : map) {
    const std::string key = entry.first.Scalar();
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string message = fmt::format("unknown key '{}'", key);
    const std::vector<std::string_view> views(known.begin(), known.end());
    const std::string guess = closest_match(key, views);
    if (!guess.empty()) message += fmt::format("; did you mean '{}'?", guess);
    fail(entry.first.Mark(), message + fmt::format(" (keys: {})", fmt::join(known, ", ")));
  }
}

std::uint32_t line_of(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return mark.is_null() || mark.line < 0 ? 0 : static_cast<std::uint32_t>(mark.line + 1);
}

}  // namespace trnsim
