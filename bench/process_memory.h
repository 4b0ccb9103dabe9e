// Memory figures of the running process, from /proc/self/status (Linux).
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>

namespace trnsim::bench {

// The value of a "Vm...:" line of /proc/self/status in bytes (0 when absent).
inline std::uint64_t status_bytes(std::string_view key) {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with(key) && line.size() > key.size() && line[key.size()] == ':')
      return std::stoull(line.substr(key.size() + 1)) * 1024;
  }
  return 0;
}

// The resident set size now.
inline std::uint64_t resident_bytes() {
  return status_bytes("VmRSS");
}

// The largest resident set size the process has had (its high-water mark).
inline std::uint64_t peak_resident_bytes() {
  return status_bytes("VmHWM");
}

// Starts the high-water mark again from the current resident set (Linux >= 4.0).
inline void reset_peak_resident() {
  std::ofstream("/proc/self/clear_refs") << "5";
}

}  // namespace trnsim::bench
