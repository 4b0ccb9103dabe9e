// Finding config files: `--config` takes a path or the name of a preset (`trn2` means
// configs/trn2.yaml), looked up in a fixed list of directories.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace trnsim::cli {

struct Preset {
  std::string name;  // file name without `.yaml`
  std::filesystem::path path;
};

// Where presets are looked up, in order: `<exe_dir>/../configs`, then the source tree's
// configs/ (TRNSIM_CONFIG_DIR, set by CMake). Directories that do not exist are left out;
// the same directory reached twice is listed once.
std::vector<std::filesystem::path> preset_dirs(const std::filesystem::path& exe_dir);

// The file `--config VALUE` means: VALUE itself when it exists, else `<dir>/VALUE` or
// `<dir>/VALUE.yaml` in the first preset directory that has it. Throws InputError naming
// the value, the directories searched and the closest preset name when none matches.
std::filesystem::path resolve_config(const std::string& value,
                                     const std::filesystem::path& exe_dir);

// Every `*.yaml` in the preset directories, by name; a name found in two directories is
// taken from the first.
std::vector<Preset> list_presets(const std::filesystem::path& exe_dir);

}  // namespace trnsim::cli
