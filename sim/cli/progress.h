// The progress line `run` and `check` draw on stderr while a simulation runs
// (docs/cli.md, "Progress"):
//
//   simulated 1.234 ms | 1200/5678 instructions (21.1%) | 45.6k instr/s | ETA 3m05s
//
// On a terminal the line is redrawn in place with '\r' a few times a second and erased
// when the simulation ends, before anything else is printed; elsewhere (--progress into a
// file or pipe) it is a plain line about once a second, and a last one at the end. It
// never reaches stdout or any output file, so those stay deterministic.
//
// The instruction count is the only measure of work done: the ETA assumes the remaining
// instructions complete at the average rate so far, which a run whose phases differ in
// speed (a long DMA prologue, then compute) will not quite follow.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include <CLI/CLI.hpp>

#include "events/observer.h"

namespace trnsim::cli {

enum class ProgressMode {
  kAuto,    // only on a terminal, and only once the run has lasted a while
  kAlways,  // --progress: from the start, on a terminal or not
  kNever    // --quiet
};

// Adds --progress and --quiet (mutually exclusive) to `cmd`.
void add_progress_options(CLI::App& cmd, ProgressMode& mode);

struct ProgressSettings {
  bool terminal = false;      // redraw one line in place; else print whole lines
  double delay_seconds = 0;   // wall time before the first line
  double redraw_seconds = 0;  // wall time between two lines
  // Terminal: its width. A line cut to fit never wraps, so '\r' always returns to its start.
  std::size_t columns = 0;  // 0: unknown, nothing cut
};

// Where progress goes for `mode` in this process: nothing (false) under --quiet, or in
// the default mode when stderr is not a terminal. The default mode's delay is 2 s, or
// the seconds in the environment variable TRNSIM_PROGRESS_DELAY (for tests and for
// impatient users); throws InputError when that is not a number >= 0.
bool progress_settings(ProgressMode mode, ProgressSettings& settings);

class Progress : public events::Observer {
 public:
  // Monotonic wall time in seconds; tests substitute their own.
  using Clock = std::function<double()>;
  static double steady_seconds();

  Progress(std::size_t total_instructions, const ProgressSettings& settings, std::ostream& out,
           Clock clock = steady_seconds);
  ~Progress() override;
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void on_issue(const events::InstructionEvent& e) override;
  void on_complete(const events::InstructionEvent& e) override;
  void on_transfer(const events::TransferEvent&) override { tick(); }
  void on_post(const events::PostEvent&) override { tick(); }
  void on_link(const events::LinkEvent&) override { tick(); }
  void on_finish(double end_time) override;

  // Erases the line on a terminal, or prints the last line elsewhere if any was printed.
  // Idempotent; the destructor calls it for a run cut short by an exception.
  void finish();

  // The line for these figures: `wall_seconds` since the start; `final` replaces the ETA
  // by the wall time the run took.
  static std::string format_line(double simulated_seconds, std::size_t done, std::size_t total,
                                 double wall_seconds, bool final);

  // Reading the clock costs far more than an event's bookkeeping, so it is read only once
  // every this many events.
  static constexpr unsigned kEventsPerClockCheck = 256;

 private:
  void tick() {
    if (++m_events_since_check >= kEventsPerClockCheck) check_clock();
  }
  void check_clock();
  void draw(double now, bool final);

  std::size_t m_total;
  ProgressSettings m_settings;
  std::ostream& m_out;
  Clock m_clock;
  double m_start;
  double m_last_draw = 0;
  bool m_drawn = false;  // a line has been printed (and, on a terminal, is still shown)
  bool m_finished = false;
  std::size_t m_width = 0;  // of the line on screen, to blank it
  // Starts full, so the first event looks at the clock: --progress shows a line at once.
  unsigned m_events_since_check = kEventsPerClockCheck;
  std::size_t m_done = 0;
  double m_simulated = 0;
};

// The display `mode` asks for in this process (progress_settings), on std::cerr, for a
// program of `total_instructions`; null when there is none.
std::unique_ptr<Progress> make_progress(ProgressMode mode, std::size_t total_instructions);

}  // namespace trnsim::cli
