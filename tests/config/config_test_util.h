// Helpers shared by the config tests: where the data lives, and catching the diagnostics
// of a load that must fail.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "common/diagnostic.h"
#include "config/config_loader.h"

namespace trnsim::config::test {

inline const std::string kPresetDir = TRNSIM_SOURCE_DIR "/configs";
inline const std::string kDataDir = TRNSIM_TEST_DATA_DIR "/config";

inline std::string preset(const std::string& name) {
  return kPresetDir + "/" + name;
}

// Every preset file, sorted, so that a new preset is tested without touching the tests.
inline std::vector<std::string> preset_files() {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(kPresetDir)) {
    if (entry.path().extension() == ".yaml") out.push_back(entry.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The diagnostics of `load`, which must throw InputError.
template <class Load>
DiagnosticList errors_of(Load&& load) {
  try {
    load();
  } catch (const InputError& e) {
    return e.diagnostics();
  }
  FAIL("expected an InputError");
  return DiagnosticList{};
}

}  // namespace trnsim::config::test
