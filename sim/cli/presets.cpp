#include "cli/presets.h"

#include <algorithm>
#include <string_view>

#include <fmt/format.h>

#include "common/diagnostic.h"

namespace trnsim::cli {

namespace fs = std::filesystem;

std::vector<fs::path> preset_dirs(const fs::path& exe_dir) {
  std::vector<fs::path> dirs;
  for (const fs::path& dir : {exe_dir / ".." / "configs", fs::path(TRNSIM_CONFIG_DIR)}) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    fs::path canonical = fs::weakly_canonical(dir, ec);
    if (ec) canonical = dir;
    if (std::find(dirs.begin(), dirs.end(), canonical) == dirs.end()) dirs.push_back(canonical);
  }
  return dirs;
}

std::vector<Preset> list_presets(const fs::path& exe_dir) {
  std::vector<Preset> presets;
  for (const auto& dir : preset_dirs(exe_dir)) {
    std::vector<Preset> found;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (!entry.is_regular_file() || entry.path().extension() != ".yaml") continue;
      std::string name = entry.path().stem().string();
      auto same_name = [&](const Preset& p) { return p.name == name; };
      if (std::none_of(presets.begin(), presets.end(), same_name)) {
        found.push_back(Preset{name, entry.path()});
      }
    }
    presets.insert(presets.end(), found.begin(), found.end());
  }
  std::sort(presets.begin(), presets.end(),
            [](const Preset& a, const Preset& b) { return a.name < b.name; });
  return presets;
}

fs::path resolve_config(const std::string& value, const fs::path& exe_dir) {
  std::error_code ec;
  if (value.empty()) throw InputError("--config", 0, 0, "expects a file or a preset name");
  if (fs::exists(value, ec)) return value;

  const auto dirs = preset_dirs(exe_dir);
  // A bare name may be given with or without its extension; a path with a directory part
  // means a file, so it is not searched for.
  if (fs::path(value).has_parent_path()) {
    throw InputError(value, 0, 0, "config file not found");
  }
  for (const auto& dir : dirs) {
    for (const fs::path& candidate : {dir / value, dir / (value + ".yaml")}) {
      if (fs::is_regular_file(candidate, ec)) return candidate;
    }
  }

  std::vector<std::string> names;
  for (const auto& p : list_presets(exe_dir))
    names.push_back(p.name);
  std::string message = fmt::format("no config file or preset named '{}'", value);
  std::vector<std::string_view> views(names.begin(), names.end());
  std::string guess = closest_match(value, views);
  if (!guess.empty()) message += fmt::format("; did you mean '{}'?", guess);
  if (names.empty()) {
    message +=
        "; no preset directory found (looked for configs/ next to the executable's "
        "directory and in " TRNSIM_CONFIG_DIR ")";
  } else {
    message += fmt::format(" (presets: {})", fmt::join(names, ", "));
  }
  throw InputError("--config", 0, 0, message);
}

}  // namespace trnsim::cli
