// Reading input files (sim/common/source_file.h): the size limit, for regular files and for
// files whose size is not known in advance.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/diagnostic.h"
#include "common/source_file.h"

namespace trnsim {
namespace {

std::string error_of(const std::string& path, std::uint64_t max_bytes) {
  try {
    read_file(path, max_bytes);
  } catch (const InputError& e) {
    REQUIRE(e.diagnostics().items().size() == 1);
    CHECK(e.diagnostics().items()[0].file == path);
    return e.diagnostics().items()[0].message;
  }
  FAIL("read_file did not throw");
  return {};
}

TEST_CASE("read_file: a file up to the limit is read whole, a larger one is an error") {
  const auto path = (std::filesystem::temp_directory_path() / "trnsim-test-read-file").string();
  std::ofstream(path, std::ios::binary) << std::string(100, 'a');
  CHECK(read_file(path, 100) == std::string(100, 'a'));
  CHECK(error_of(path, 99) == "file is larger than the limit of 99 bytes");
  std::filesystem::remove(path);
}

TEST_CASE("read_file: a device that never ends stops at the limit") {
  CHECK(error_of("/dev/zero", 1000) == "file is larger than the limit of 1000 bytes");
}

}  // namespace
}  // namespace trnsim
