// Reading whole input files (traces, configs) with errors that name the file.
#pragma once

#include <string>

namespace trnsim {

// Returns the contents of `path`; throws InputError naming the file and the OS reason when
// it cannot be read (missing, a directory, no permission).
std::string read_file(const std::string& path);

}  // namespace trnsim
