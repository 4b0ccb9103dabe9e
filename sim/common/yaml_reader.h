// Reading a hand-written YAML file (a regression suite, a sweep spec) with errors that point
// into it: every helper checks one node's shape and, when it is wrong, throws an InputError
// naming file:line:col, what was expected, and the source line.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace trnsim {

class YamlReader {
 public:
  YamlReader(std::string text, std::string file)
      : m_text(std::move(text)), m_file(std::move(file)) {}

  // The document's root; a syntax error is an InputError at its position.
  YAML::Node load() const;

  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& message) const;

  void expect_map(const YAML::Node& node, const std::string& what) const;
  std::vector<YAML::Node> sequence(const YAML::Node& node, const std::string& what) const;
  std::string scalar(const YAML::Node& node, const std::string& what) const;
  // A finite real number.
  double number(const YAML::Node& node, const std::string& what) const;
  double positive(const YAML::Node& node, const std::string& what) const;
  bool boolean(const YAML::Node& node) const;
  // A config: a preset name (kept as it is), or a path (it has a '/' or ends in .yaml)
  // relative to `dir`, made absolute; a path to no file is an error at the node.
  std::string config_reference(const YAML::Node& node, const std::filesystem::path& dir) const;
  // Every key of `map` is one of `known`; an unknown key names the closest known one.
  void check_keys(const YAML::Node& map, const std::vector<std::string>& known) const;

  const std::string& file() const { return m_file; }
  const std::string& text() const { return m_text; }

 private:
  std::string m_text;
  std::string m_file;
};

// The 1-based line of a node, 0 when it has none.
std::uint32_t line_of(const YAML::Node& node);

// What to say about an exception of YAML::Load: "YAML syntax error: ..." or, for yaml-cpp's
// guard against deep nesting (which it words as "bad file"), that the nesting is too deep.
std::string yaml_load_error(const YAML::Exception& e);

}  // namespace trnsim
