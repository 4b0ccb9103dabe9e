#include "cli/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iostream>

#include <fmt/format.h>

#include "common/diagnostic.h"

namespace trnsim::cli {

namespace {

constexpr const char* kDelayVariable = "TRNSIM_PROGRESS_DELAY";
constexpr double kDefaultDelaySeconds = 2;
// A terminal line is redrawn this often: smooth enough to look alive, rare enough not to
// flicker or cost anything.
constexpr double kTerminalRedrawSeconds = 0.25;
// A log file gets a line this often.
constexpr double kLineSeconds = 1;

double delay_from_environment() {
  const char* text = std::getenv(kDelayVariable);
  if (text == nullptr || *text == '\0') return kDefaultDelaySeconds;
  char* end = nullptr;
  const double value = std::strtod(text, &end);
  if (*end != '\0' || !std::isfinite(value) || value < 0) {
    throw InputError(
        kDelayVariable, 0, 0,
        fmt::format("expected a number of seconds >= 0 (e.g. 0 or 0.5), got '{}'", text));
  }
  return value;
}

// "850 ns", "12.345 us", "1.234 ms", "2.500 s".
std::string simulated_time(double s) {
  if (s < 1e-6) return fmt::format("{:.0f} ns", s * 1e9);
  if (s < 1e-3) return fmt::format("{:.3f} us", s * 1e6);
  if (s < 1) return fmt::format("{:.3f} ms", s * 1e3);
  return fmt::format("{:.3f} s", s);
}

// "950", "45.6k", "1.23M".
std::string rate(double per_second) {
  if (per_second < 1e3) return fmt::format("{:.0f}", per_second);
  if (per_second < 1e6) return fmt::format("{:.1f}k", per_second / 1e3);
  return fmt::format("{:.2f}M", per_second / 1e6);
}

// "7s", "3m05s", "2h07m".
std::string wall_time(double s) {
  const auto whole = static_cast<long long>(std::llround(s));
  if (whole < 60) return fmt::format("{}s", whole);
  if (whole < 3600) return fmt::format("{}m{:02}s", whole / 60, whole % 60);
  return fmt::format("{}h{:02}m", whole / 3600, whole / 60 % 60);
}

}  // namespace

void add_progress_options(CLI::App& cmd, ProgressMode& mode) {
  CLI::Option* progress = cmd.add_flag_callback(
      "--progress", [&mode] { mode = ProgressMode::kAlways; },
      "Show simulation progress on stderr from the start, also when stderr is not a "
      "terminal (then one line a second)");
  CLI::Option* quiet = cmd.add_flag_callback(
      "-q,--quiet", [&mode] { mode = ProgressMode::kNever; },
      "Never show simulation progress (by default it appears on a terminal after 2 s)");
  progress->excludes(quiet);
}

bool progress_settings(ProgressMode mode, ProgressSettings& settings) {
  if (mode == ProgressMode::kNever) return false;
  settings.terminal = ::isatty(STDERR_FILENO) == 1;
  if (mode == ProgressMode::kAuto && !settings.terminal) return false;
  settings.delay_seconds = mode == ProgressMode::kAuto ? delay_from_environment() : 0;
  settings.redraw_seconds = settings.terminal ? kTerminalRedrawSeconds : kLineSeconds;
  winsize size{};
  if (settings.terminal && ::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0) {
    settings.columns = size.ws_col;
  }
  return true;
}

double Progress::steady_seconds() {
  using namespace std::chrono;
  return duration_cast<duration<double>>(steady_clock::now().time_since_epoch()).count();
}

Progress::Progress(std::size_t total_instructions, const ProgressSettings& settings,
                   std::ostream& out, Clock clock)
    : m_total(total_instructions),
      m_settings(settings),
      m_out(out),
      m_clock(std::move(clock)),
      m_start(m_clock()) {}

Progress::~Progress() {
  try {
    finish();
  } catch (...) {
    // A destructor must not throw; a line left on the terminal is the worst outcome.
  }
}

void Progress::on_issue(const events::InstructionEvent& e) {
  m_simulated = std::max(m_simulated, e.issue);
  tick();
}

void Progress::on_complete(const events::InstructionEvent& e) {
  m_simulated = std::max(m_simulated, e.complete);
  ++m_done;
  tick();
}

void Progress::on_finish(double end_time) {
  m_simulated = std::max(m_simulated, end_time);
  finish();
}

void Progress::check_clock() {
  m_events_since_check = 0;
  if (m_finished) return;
  const double now = m_clock();
  if (now - m_start < m_settings.delay_seconds) return;
  if (m_drawn && now - m_last_draw < m_settings.redraw_seconds) return;
  draw(now, false);
}

void Progress::finish() {
  if (m_finished) return;
  m_finished = true;
  if (!m_drawn) return;
  if (m_settings.terminal) {
    m_out << '\r' << std::string(m_width, ' ') << '\r' << std::flush;
  } else {
    draw(m_clock(), true);
  }
}

void Progress::draw(double now, bool final) {
  std::string line = format_line(m_simulated, m_done, m_total, now - m_start, final);
  if (m_settings.terminal) {
    // One column short: some terminals wrap as soon as the last column is written.
    if (m_settings.columns > 1 && line.size() >= m_settings.columns) {
      line.resize(m_settings.columns - 1);
    }
    // Blank what a longer previous line would leave behind.
    const std::size_t pad = m_width > line.size() ? m_width - line.size() : 0;
    m_out << '\r' << line << std::string(pad, ' ') << std::flush;
    m_width = std::max(m_width, line.size());
  } else {
    m_out << line << '\n' << std::flush;
  }
  m_drawn = true;
  m_last_draw = now;
}

std::string Progress::format_line(double simulated_seconds, std::size_t done, std::size_t total,
                                  double wall_seconds, bool final) {
  const double share = total == 0 ? 100.0 : 100.0 * static_cast<double>(done) / total;
  const double per_second = wall_seconds > 0 ? static_cast<double>(done) / wall_seconds : 0;
  std::string when;
  if (final) {
    when = "took " + wall_time(wall_seconds);
  } else if (done >= total) {
    when = "ETA 0s";
  } else if (per_second > 0) {
    when = "ETA " + wall_time(static_cast<double>(total - done) / per_second);
  } else {
    when = "ETA --";
  }
  return fmt::format("simulated {} | {}/{} instructions ({:.1f}%) | {} instr/s | {}",
                     simulated_time(simulated_seconds), done, total, share, rate(per_second), when);
}

std::unique_ptr<Progress> make_progress(ProgressMode mode, std::size_t total_instructions) {
  ProgressSettings settings;
  if (!progress_settings(mode, settings)) return nullptr;
  return std::make_unique<Progress>(total_instructions, settings, std::cerr);
}

}  // namespace trnsim::cli
