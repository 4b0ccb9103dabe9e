// Running one child process with a time limit, its output captured in files: how the
// regression runner isolates each case, so a crash or a hang costs that case alone.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace trnsim::regress {

struct ProcessResult {
  int exit_code = -1;      // when it exited normally; -1 otherwise
  int signal = 0;          // the signal that ended it (a crash), if any
  bool timed_out = false;  // killed at the deadline
  std::string error;       // the process could not be started
};

// Runs `program` with `args` (no shell), stdin from /dev/null, stdout and stderr into the
// given files, and kills it at `deadline`. It starts in `cwd` when given, so that relative
// paths in its messages do not depend on where the caller's files are. Safe to call from
// several threads at once.
ProcessResult run_process(const std::filesystem::path& program,
                          const std::vector<std::string>& args,
                          const std::filesystem::path& stdout_file,
                          const std::filesystem::path& stderr_file,
                          std::chrono::steady_clock::time_point deadline,
                          const std::filesystem::path& cwd = {});

// "exit status 1", "killed by signal 11 (Segmentation fault)", "timed out".
std::string describe(const ProcessResult& r);

// A child's output file as text (empty when it cannot be read).
std::string read_text(const std::filesystem::path& path);

// The last `lines` lines of `text`: what a failure quotes of a child's stderr.
std::string tail_lines(const std::string& text, std::size_t lines);

// Writes `text` next to `path` and renames it into place (creating its directory), so a
// reader never sees half a file. Throws InputError naming the file when it cannot write.
void write_atomically(const std::filesystem::path& path, const std::string& text);

}  // namespace trnsim::regress
