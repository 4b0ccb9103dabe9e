#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "config/config_loader.h"
#include "fuzz_targets.h"

using trnsim::fuzz::PropertyViolation;

namespace {

// The input is loaded as `fuzz.yaml` in a directory of its own that holds no file, so a
// `base:` names nothing that exists (or the input itself: a cycle).
// The directory is removed at exit.
class EmptyDir {
 public:
  EmptyDir() : m_dir((std::filesystem::temp_directory_path() / "trnsim-fuzz-XXXXXX").string()) {
    if (mkdtemp(m_dir.data()) == nullptr) throw std::runtime_error("cannot create " + m_dir);
  }
  ~EmptyDir() {
    std::error_code ec;
    std::filesystem::remove_all(m_dir, ec);
  }
  EmptyDir(const EmptyDir&) = delete;
  EmptyDir& operator=(const EmptyDir&) = delete;
  const std::string& path() const { return m_dir; }

 private:
  std::string m_dir;
};

const std::string& config_path() {
  static const EmptyDir dir;
  static const std::string path = dir.path() + "/fuzz.yaml";
  return path;
}

// True when the file's `base:` has a '/': an absolute path or a/../.. could leave the empty
// directory and read the machine's files (fuzzing would then depend on them). Read as the
// loader reads it, so quoting and escapes ("\x2f") cannot hide the slash.
bool base_leaves_directory(const std::string& text) {
  try {
    const YAML::Node root = YAML::Load(text);
    if (!root.IsMap()) return false;
    for (const auto& entry : root) {
      if (entry.first.IsScalar() && entry.first.Scalar() == "base" && entry.second.IsScalar())
        return entry.second.Scalar().find('/') != std::string::npos;
    }
  } catch (const YAML::Exception&) {
    // The loader reports it; no base is read.
  }
  return false;
}

}  // namespace

int fuzz_config(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (base_leaves_directory(text)) return 0;
  const std::string& file = config_path();
  try {
    trnsim::config::load_config_text(text, file);
  } catch (const trnsim::InputError& e) {
    if (!e.diagnostics().has_errors()) throw PropertyViolation("InputError without a diagnostic");
    // Line 0 is allowed for problems of the whole file (it is empty, or not a map).
    trnsim::fuzz::check_positions(e.diagnostics(), text, file, true);
  }
  return 0;
}
