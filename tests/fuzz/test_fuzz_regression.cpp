// Runs every regression input of tests/fuzz/<target>/ through that fuzz target's body
// (fuzz/fuzz_targets.h): no crash, no exception other than the front end's InputError, and
// the target's properties hold.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_targets.h"

namespace {

namespace fs = std::filesystem;
using Body = int (*)(const std::uint8_t*, std::size_t);

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void run_inputs(const std::string& target, Body body) {
  const fs::path dir = fs::path(TRNSIM_TEST_DATA_DIR) / "fuzz" / target;
  std::vector<fs::path> inputs;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_regular_file()) inputs.push_back(entry.path());
  std::sort(inputs.begin(), inputs.end());
  REQUIRE_FALSE(inputs.empty());
  for (const fs::path& path : inputs) {
    INFO(path.string());
    const std::string bytes = read_bytes(path);
    CHECK_NOTHROW(body(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  }
}

}  // namespace

TEST_CASE("fuzz regression inputs: trace") {
  run_inputs("trace", fuzz_trace);
}
TEST_CASE("fuzz regression inputs: config") {
  run_inputs("config", fuzz_config);
}
TEST_CASE("fuzz regression inputs: npy") {
  run_inputs("npy", fuzz_npy);
}
TEST_CASE("fuzz regression inputs: sim") {
  run_inputs("sim", fuzz_sim);
}
