// Reading whole input files (traces, configs, arrays) with errors that name the file.
#pragma once

#include <cstdint>
#include <string>

namespace trnsim {

// The largest input file read by default: far above any trace or array trnsim is meant for
// (a 2048^3 GEMM trace is 0.2 MB), and low enough that a wrong path (a device such as
// /dev/zero, a disk image) fails with a clear error instead of exhausting memory.
inline constexpr std::uint64_t kMaxInputFileBytes = std::uint64_t{1} << 30;

// Returns the contents of `path`; throws InputError naming the file and the OS reason when
// it cannot be read (missing, a directory, no permission), or when it holds more than
// `max_bytes` (read up to the limit only, so a never-ending file is caught too).
std::string read_file(const std::string& path, std::uint64_t max_bytes = kMaxInputFileBytes);

}  // namespace trnsim
