// A case's child process: its exit status, a crash and a time-out are told apart, and its
// output lands in the files given.
#include <doctest/doctest.h>

#include <csignal>

#include "../cli/run_trnsim.h"
#include "regress/process.h"

using namespace trnsim::regress;
using Clock = std::chrono::steady_clock;

namespace {

// Far beyond what the quick commands below need, so no assertion depends on the machine's
// speed; only the time-out case is meant to reach it.
constexpr std::chrono::seconds kGenerous{60};

ProcessResult sh(const std::string& script, const trnsim::test::TempDir& dir,
                 Clock::time_point deadline = Clock::now() + kGenerous) {
  return run_process("/bin/sh", {"-c", script}, dir.file("out"), dir.file("err"), deadline);
}

}  // namespace

TEST_CASE("process: exit status and output files") {
  trnsim::test::TempDir dir;
  const ProcessResult r = sh("echo hello; echo oops >&2; exit 3", dir);
  CHECK(r.exit_code == 3);
  CHECK(r.signal == 0);
  CHECK(!r.timed_out);
  CHECK(trnsim::test::read_text(dir.file("out")) == "hello\n");
  CHECK(trnsim::test::read_text(dir.file("err")) == "oops\n");
  CHECK(describe(r) == "exit status 3");
}

TEST_CASE("process: a crash is a signal, an overrun a time-out") {
  trnsim::test::TempDir dir;
  const ProcessResult crash = sh("kill -SEGV $$", dir);
  CHECK(crash.exit_code == -1);
  CHECK(crash.signal == SIGSEGV);
  CHECK(describe(crash).find("signal 11") != std::string::npos);

  // The deadline has passed already: the child is killed however fast it starts.
  const ProcessResult late = sh("sleep 600", dir, Clock::now());
  CHECK(late.timed_out);
  CHECK(describe(late) == "timed out");

  const ProcessResult missing = run_process("/nonexistent/trnsim", {}, dir.file("out"),
                                            dir.file("err"), Clock::now() + kGenerous);
  CHECK(!missing.error.empty());
}
