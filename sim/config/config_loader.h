// Loading a SystemConfig from YAML: the one place that turns config files and `--set`
// overrides into the plain structs of config.h, validated once. docs/config.md describes
// the file format; config_schema.h describes every field.
//
// Equality of configs is SystemConfig::operator== (config.h), which compares every field.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"

namespace trnsim::config {

// Loads a YAML config file, following `base:` (a path relative to the including file;
// chains are allowed, cycles are an error), then applies overrides of the form
// "tensor.rows=64" (a dotted YAML path, then a YAML value: a scalar, a flow list like
// "[4, 4]" or a flow map like "{bf16: 2}"), then checks that the fields agree with each
// other. Throws trnsim::InputError carrying every diagnostic found (up to the
// DiagnosticList cap), each with file, line, column, dotted YAML path and source line.
// Override diagnostics name the file `--set`, line 0, and the column within the override.
SystemConfig load_config(const std::string& path, const std::vector<std::string>& overrides = {});

// The same from text; `file_name` is used in messages and to resolve a relative `base:`.
SystemConfig load_config_text(const std::string& text, const std::string& file_name,
                              const std::vector<std::string>& overrides = {});

// A config file read once, then finished with many sets of overrides (a sweep's points):
// with(o) equals load_config_text(text, file_name, o), errors of the file included, without
// parsing the file again.
class PreparedConfig {
 public:
  PreparedConfig(const std::string& text, const std::string& file_name);
  SystemConfig with(const std::vector<std::string>& overrides) const;

 private:
  struct Loaded;
  std::shared_ptr<const Loaded> m_loaded;
};

// The resolved config as YAML: every field, one comment per field saying what it means,
// no `base:`. load_config_text reads it back to an equal config.
std::string to_yaml(const SystemConfig& cfg);

}  // namespace trnsim::config
