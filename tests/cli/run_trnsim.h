// Running the real `trnsim` binary from a test and capturing what it did: exit status,
// stdout and stderr. The CLI tests assert all three exactly as a script would see them.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace trnsim::test {

struct RunResult {
  std::vector<std::string> args;  // the command line after the program name
  int exit_code = -1;             // the process exit status; -1 when it did not exit normally
  int signal = 0;                 // the signal that ended it, if any (a crash)
  std::string out;
  std::string err;
};

// Runs TRNSIM_BINARY with `args` (no shell: arguments are passed as they are), in this
// process's environment plus `env` ("NAME=VALUE" each, replacing a variable of that name).
RunResult run_trnsim(const std::vector<std::string>& args,
                     const std::vector<std::string>& env = {});

// The same with stderr on a pseudo-terminal, as when a person runs it (stdout still goes to
// a file). The terminal is raw: `err` holds the bytes as written, '\r' and '\n' unchanged.
RunResult run_trnsim_on_terminal(const std::vector<std::string>& args,
                                 const std::vector<std::string>& env = {});

// A fresh directory, removed with its contents at scope exit.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return m_path; }
  // Writes `text` to `name` inside the directory and returns the full path.
  std::string write(const std::string& name, const std::string& text) const;
  std::string file(const std::string& name) const { return (m_path / name).string(); }

 private:
  std::filesystem::path m_path;
};

std::string read_text(const std::string& path);

}  // namespace trnsim::test
