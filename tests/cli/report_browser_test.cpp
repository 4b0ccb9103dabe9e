// `trnsim report --html` rendered by a real browser: headless Chromium takes a screenshot
// of the page and dumps the DOM it built, so that a page that does not parse, or charts a
// browser drops, fail here. Chromium is found on PATH (Debian package `chromium`); without
// it each test exits 77, which CTest reports as skipped (tests/cli/CMakeLists.txt).
//
// Every Chromium run is bounded: it runs in its own process group, which is killed when
// the run exceeds kBrowserTimeout, and the test fails.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <thread>

#include "cli_fixtures.h"

extern char** environ;

using namespace trnsim::test;
namespace fs = std::filesystem;

namespace {

// A cold start on a loaded machine takes a few seconds; a hang takes forever.
constexpr std::chrono::seconds kBrowserTimeout{90};
constexpr std::chrono::milliseconds kPollInterval{50};
constexpr int kSkipExitCode = 77;  // SKIP_RETURN_CODE in tests/cli/CMakeLists.txt
const std::string kStatsV2 = TRNSIM_TEST_DATA_DIR "/report/data/stats_v2.json";

// The chromium executable on PATH, or "" when there is none.
std::string find_chromium() {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return "";
  std::string dirs = path;
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    const fs::path candidate = fs::path(dirs.substr(start, end - start)) / "chromium";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    start = end + 1;
  }
  return "";
}

// Skips the test (exit 77: CTest's SKIP_RETURN_CODE) when there is no browser to run.
std::string chromium_or_skip() {
  const std::string chromium = find_chromium();
  if (chromium.empty()) {
    std::cout << "SKIPPED: no 'chromium' on PATH (Debian package 'chromium'; "
                 "scripts/quickstart.sh test installs it)\n";
    std::exit(kSkipExitCode);
  }
  return chromium;
}

struct BrowserRun {
  int exit_code = -1;
  bool timed_out = false;
  std::string out;
  std::string err;
};

// Runs headless Chromium on `url` with `mode` (--screenshot=... or --dump-dom) and a fresh
// profile directory, killing its whole process group after kBrowserTimeout.
BrowserRun run_chromium(const std::string& chromium, const std::string& mode,
                        const std::string& url) {
  TempDir work;
  const std::string profile = work.file("profile");
  std::vector<std::string> args = {chromium,
                                   "--headless",
                                   "--no-sandbox",
                                   "--disable-gpu",
                                   "--disable-quic",
                                   "--no-first-run",
                                   "--disable-background-networking",
                                   "--disable-component-update",
                                   "--disable-sync",
                                   "--user-data-dir=" + profile,
                                   "--window-size=1280,2400",
                                   mode,
                                   url};
  std::vector<char*> argv;
  for (std::string& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);

  const std::string out_path = work.file("stdout");
  const std::string err_path = work.file("stderr");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);  // its own group: the browser's helpers die with it
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  REQUIRE_MESSAGE(rc == 0, "posix_spawn ", chromium, ": ", std::strerror(rc));

  BrowserRun run;
  const auto deadline = std::chrono::steady_clock::now() + kBrowserTimeout;
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) FAIL("waitpid: ", std::strerror(errno));
    if (std::chrono::steady_clock::now() > deadline) {
      run.timed_out = true;
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  ::kill(-pid, SIGKILL);  // helpers the browser left behind, if any
  if (!run.timed_out && WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  run.out = read_text(out_path);
  run.err = read_text(err_path);
  return run;
}

std::string file_url(const std::string& path) {
  return "file://" + fs::absolute(path).string();
}

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1))
    ++n;
  return n;
}

// The serialized <svg> element with `id` in a DOM dump ("" when there is none).
std::string svg_with_id(const std::string& dom, const std::string& id) {
  const std::size_t start = dom.find("<svg id=\"" + id + "\"");
  if (start == std::string::npos) return "";
  return dom.substr(start, dom.find("</svg>", start) - start);
}

std::uint32_t big_endian32(const std::string& bytes, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i)
    v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
  return v;
}

std::string describe(const BrowserRun& r) {
  return "chromium exit " + std::to_string(r.exit_code) + (r.timed_out ? " (timed out)" : "") +
         "\nstderr:\n" + r.err;
}

std::string write_page(const TempDir& dir, const std::string& stats, const std::string& name) {
  const std::string html = dir.file(name);
  expect_ok({"report", stats, "--html", html});
  return html;
}

}  // namespace

TEST_CASE("report in a browser: the screenshot of the version-2 page is a real image") {
  const std::string chromium = chromium_or_skip();
  TempDir dir;
  const std::string html = write_page(dir, kStatsV2, "report.html");
  const std::string png = dir.file("report.png");
  const BrowserRun r = run_chromium(chromium, "--screenshot=" + png, file_url(html));
  INFO(describe(r));
  REQUIRE(!r.timed_out);
  REQUIRE(r.exit_code == 0);
  REQUIRE(fs::exists(png));
  const std::string image = read_text(png);
  // PNG signature, then the IHDR chunk with width and height (big-endian) at bytes 16..23.
  REQUIRE(image.size() > 24);
  CHECK(image.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
  CHECK(image.substr(12, 4) == "IHDR");
  CHECK(big_endian32(image, 16) == 1280);
  CHECK(big_endian32(image, 20) == 2400);
  // An empty white 1280 x 2400 page compresses to a few KiB; charts and text do not.
  constexpr std::size_t kNonTrivialBytes = 40 * 1024;
  CHECK(image.size() > kNonTrivialBytes);
}

TEST_CASE("report in a browser: the rendered DOM has the four charts with their series") {
  const std::string chromium = chromium_or_skip();
  TempDir dir;
  const std::string html = write_page(dir, kStatsV2, "report.html");
  const BrowserRun r = run_chromium(chromium, "--dump-dom", file_url(html));
  INFO(describe(r));
  REQUIRE(!r.timed_out);
  REQUIRE(r.exit_code == 0);
  const std::string& dom = r.out;
  REQUIRE(count(dom, "<main>") == 1);

  // The counts of tests/report/test_html_report.cpp, as the browser parsed them.
  const std::string utilisation = svg_with_id(dom, "chart-utilisation");
  CHECK(count(utilisation, "<title id=\"chart-utilisation-title\">") == 1);
  CHECK(count(utilisation, " lane</title>") == 4);
  CHECK(count(utilisation, "busy from") >= 4);
  const std::string stalls = svg_with_id(dom, "chart-stalls");
  CHECK(count(stalls, "<title id=\"chart-stalls-title\">") == 1);
  CHECK(count(stalls, "<rect") == 15);
  const std::string roofline = svg_with_id(dom, "chart-roofline");
  CHECK(count(roofline, "<title id=\"chart-roofline-title\">") == 1);
  CHECK(count(roofline, "<polyline") == 2);
  CHECK(count(roofline, "<circle") == 1);
  const std::string bandwidth = svg_with_id(dom, "chart-bandwidth");
  CHECK(count(bandwidth, "<title id=\"chart-bandwidth-title\">") == 1);
  CHECK(count(bandwidth, "<polyline") == 2);
  CHECK(count(dom, "<table class=\"waits\">") == 1);
}

TEST_CASE("report in a browser: a file from 'trnsim run' shows all four charts") {
  const std::string chromium = chromium_or_skip();
  TempDir dir;
  const std::string stats = dir.file("stats.json");
  expect_ok({"run", "--stats-json", stats, kTileTracePath});
  const std::string html = write_page(dir, stats, "run.html");
  const BrowserRun r = run_chromium(chromium, "--dump-dom", file_url(html));
  INFO(describe(r));
  REQUIRE(!r.timed_out);
  REQUIRE(r.exit_code == 0);
  CHECK(count(r.out, "This stats file has schema version 1") == 0);
  // The tile runs pe, act and DMA: a lane each, with busy bins.
  const std::string utilisation = svg_with_id(r.out, "chart-utilisation");
  CHECK(count(utilisation, " lane</title>") == 3);
  CHECK(count(utilisation, "busy from") >= 3);
  const std::string stalls = svg_with_id(r.out, "chart-stalls");
  CHECK(count(stalls, "semaphore_wait") > 0);
  CHECK(count(svg_with_id(r.out, "chart-roofline"), "<circle") == 1);
  CHECK(count(svg_with_id(r.out, "chart-bandwidth"), "<polyline") == 2);
  CHECK(count(r.out, "<table class=\"waits\">") == 1);
}
