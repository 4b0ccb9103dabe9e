#include "common/source_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "common/diagnostic.h"

namespace trnsim {

std::string read_file(const std::string& path, std::uint64_t max_bytes) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw InputError(path, 0, 0, "is a directory, expected a file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, 0, std::string("cannot open: ") + std::strerror(errno));
  const auto too_large = [&] {
    return InputError(path, 0, 0,
                      fmt::format("file is larger than the limit of {} bytes", max_bytes));
  };
  // A regular file's size is known up front; devices and pipes are read in chunks, up to
  // one byte past the limit.
  const auto size = std::filesystem::is_regular_file(path, ec)
                        ? std::filesystem::file_size(path, ec)
                        : std::uintmax_t{0};
  if (!ec && size > max_bytes) throw too_large();
  std::string out;
  out.reserve(static_cast<std::size_t>(ec ? 0 : size));
  constexpr std::size_t kChunk = 1 << 16;
  char buffer[kChunk];
  while (in) {
    in.read(buffer, kChunk);
    out.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (out.size() > max_bytes) throw too_large();
  }
  if (in.bad()) throw InputError(path, 0, 0, std::string("cannot read: ") + std::strerror(errno));
  return out;
}

}  // namespace trnsim
