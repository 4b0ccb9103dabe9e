#include "run_trnsim.h"

#include <fcntl.h>
#include <pty.h>
#include <spawn.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace trnsim::test {

namespace fs = std::filesystem;

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "trnsim-cli-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
  }
  m_path = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(m_path, ec);
}

std::string TempDir::write(const std::string& name, const std::string& text) const {
  const std::string path = file(name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

namespace {

// environ with `extra` added, a variable in `extra` replacing one of the same name.
std::vector<std::string> environment_with(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const std::string& x : extra)
      replaced |= x.substr(0, x.find('=')) == name;
    if (!replaced) env.push_back(entry);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::vector<char*> pointers_to(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (auto& s : strings)
    pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

// Everything readable from `fd` until the other side is closed: on a pseudo-terminal's
// master, read() fails with EIO once no process holds the slave open.
std::string read_until_closed(int fd) {
  std::string text;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      text.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      return text;
    }
  }
}

// Runs the binary with stdout (and, without `terminal_fd`, stderr) redirected to files in
// `capture`, stderr on `terminal_fd` otherwise; returns the child's pid.
pid_t spawn(const std::vector<std::string>& args, const std::vector<std::string>& env,
            const TempDir& capture, int terminal_fd, int master_fd) {
  std::vector<std::string> argv_strings{TRNSIM_BINARY};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv = pointers_to(argv_strings);
  std::vector<std::string> env_strings = environment_with(env);
  std::vector<char*> envp = pointers_to(env_strings);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, capture.file("stdout").c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (terminal_fd < 0) {
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, capture.file("stderr").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
  } else {
    posix_spawn_file_actions_adddup2(&actions, terminal_fd, STDERR_FILENO);
    posix_spawn_file_actions_addclose(&actions, terminal_fd);
    posix_spawn_file_actions_addclose(&actions, master_fd);
  }
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error(std::string("posix_spawn: ") + std::strerror(rc));
  return pid;
}

void wait_for(pid_t pid, RunResult& result) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
}

}  // namespace

RunResult run_trnsim(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  // Output goes to files rather than pipes: no risk of a full pipe blocking the child.
  TempDir capture;
  const pid_t pid = spawn(args, env, capture, -1, -1);
  RunResult result;
  result.args = args;
  wait_for(pid, result);
  result.out = read_text(capture.file("stdout"));
  result.err = read_text(capture.file("stderr"));
  return result;
}

RunResult run_trnsim_on_terminal(const std::vector<std::string>& args,
                                 const std::vector<std::string>& env) {
  int master = -1, slave = -1;
  if (::openpty(&master, &slave, nullptr, nullptr, nullptr) != 0) {
    throw std::runtime_error(std::string("openpty: ") + std::strerror(errno));
  }
  // Raw: no "\n" -> "\r\n" translation, so the test sees exactly what trnsim wrote.
  termios mode{};
  ::tcgetattr(slave, &mode);
  ::cfmakeraw(&mode);
  ::tcsetattr(slave, TCSANOW, &mode);

  TempDir capture;
  pid_t pid = -1;
  try {
    pid = spawn(args, env, capture, slave, master);
  } catch (...) {
    ::close(master);
    ::close(slave);
    throw;
  }
  ::close(slave);  // the child's copy is now the only one: its exit ends the reading
  RunResult result;
  result.args = args;
  result.err = read_until_closed(master);
  ::close(master);
  wait_for(pid, result);
  result.out = read_text(capture.file("stdout"));
  return result;
}

}  // namespace trnsim::test
