#include "regress/process.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "common/diagnostic.h"

extern char** environ;

namespace trnsim::regress {

namespace {

// Where the kernel cannot wake us when the child ends (no pidfd), how often a running child
// is checked for having finished or overrun its time: first often, since many children (a
// sweep's small runs) end within tens of milliseconds, then backing off to an interval
// short against a case's seconds and long enough to cost nothing.
constexpr std::chrono::microseconds kFirstPollInterval{500};
constexpr std::chrono::microseconds kMaxPollInterval{10'000};

// A descriptor that becomes readable when the child exits (Linux 5.3), closed at scope exit;
// -1 where the kernel lacks it.
class ChildExitFd {
 public:
  explicit ChildExitFd(pid_t pid) : m_fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))) {}
  ~ChildExitFd() {
    if (m_fd >= 0) ::close(m_fd);
  }
  ChildExitFd(const ChildExitFd&) = delete;
  ChildExitFd& operator=(const ChildExitFd&) = delete;

  // Waits until the child may have exited, or `timeout` passed, or a signal came.
  void wait(std::chrono::microseconds& backoff, std::chrono::steady_clock::duration timeout) const {
    if (m_fd < 0) {
      std::this_thread::sleep_for(
          std::min(backoff, std::chrono::duration_cast<std::chrono::microseconds>(timeout)));
      backoff = std::min(backoff * 2, kMaxPollInterval);
      return;
    }
    using std::chrono::milliseconds;
    // Rounded up, so a deadline a fraction of a millisecond away is not a busy loop.
    const auto ms = std::chrono::ceil<milliseconds>(
        std::min<std::chrono::steady_clock::duration>(timeout, std::chrono::seconds(1)));
    pollfd p{m_fd, POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(ms.count()));
  }

 private:
  int m_fd;
};

}  // namespace

ProcessResult run_process(const std::filesystem::path& program,
                          const std::vector<std::string>& args,
                          const std::filesystem::path& stdout_file,
                          const std::filesystem::path& stderr_file,
                          std::chrono::steady_clock::time_point deadline,
                          const std::filesystem::path& cwd) {
  ProcessResult result;
  std::vector<std::string> argv_strings;
  argv_strings.push_back(program.string());
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : argv_strings)
    argv.push_back(s.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, stdout_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    result.error = fmt::format("cannot start {}: {}", program.string(), std::strerror(rc));
    return result;
  }

  int status = 0;
  const ChildExitFd exit_fd(pid);
  std::chrono::microseconds backoff = kFirstPollInterval;
  for (;;) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) {
      result.error = fmt::format("waiting for the child failed: {}", std::strerror(errno));
      return result;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      result.timed_out = true;
      return result;
    }
    exit_fd.wait(backoff, deadline - now);
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

std::string describe(const ProcessResult& r) {
  if (!r.error.empty()) return r.error;
  if (r.timed_out) return "timed out";
  if (r.signal != 0) return fmt::format("killed by signal {} ({})", r.signal, strsignal(r.signal));
  return fmt::format("exit status {}", r.exit_code);
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string tail_lines(const std::string& text, std::size_t lines) {
  std::size_t pos = text.size();
  if (pos > 0 && text[pos - 1] == '\n') --pos;
  for (std::size_t n = 0; n < lines && pos > 0; ++n) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) return text;
  }
  return pos == 0 ? text : text.substr(pos + 1);
}

void write_atomically(const std::filesystem::path& path, const std::string& text) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp);
    out << text;
    if (!out) throw InputError(tmp.string(), 0, 0, "cannot write the file");
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace trnsim::regress
