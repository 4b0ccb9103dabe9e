// The hand-written stats fixture (data/stats_v2.json) and variants of it for the report
// tests: the same figures as schema version 1, or with one key changed; and a counter of
// substrings for checking the SVG and HTML written.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

namespace trnsim::test {

inline const std::string kStatsV2Path = TRNSIM_TEST_DATA_DIR "/report/data/stats_v2.json";

inline std::string stats_v2_text() {
  std::ifstream in(kStatsV2Path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline nlohmann::ordered_json stats_v2() {
  return nlohmann::ordered_json::parse(stats_v2_text());
}

// The fixture as a version-1 writer would have written it: no timeseries, top_waits or
// roofline.
inline nlohmann::ordered_json stats_v1() {
  nlohmann::ordered_json j = stats_v2();
  j["schema_version"] = 1;
  j.erase("timeseries");
  j.erase("top_waits");
  j.erase("roofline");
  return j;
}

// How many times `part` occurs in `text` (overlapping occurrences count).
inline std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1))
    ++n;
  return n;
}

}  // namespace trnsim::test
