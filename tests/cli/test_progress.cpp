// The progress line, driven by a clock the test sets: when it draws, what it says, and
// that it leaves nothing behind on a terminal.
#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>
#include <string>

#include "cli/progress.h"

using trnsim::cli::Progress;
using trnsim::cli::ProgressSettings;
using trnsim::events::InstructionEvent;

namespace {

constexpr unsigned kBatch = Progress::kEventsPerClockCheck;

// Completes `n` instructions, the last at `simulated` seconds.
void complete(Progress& p, unsigned n, double simulated) {
  InstructionEvent e;
  e.complete = simulated;
  for (unsigned i = 0; i < n; ++i)
    p.on_complete(e);
}

}  // namespace

TEST_CASE("progress: the line's fields") {
  // 1200 of 5678 done in 2 s: 600 instr/s; the other 4478 take 7.46 s.
  CHECK(Progress::format_line(1.234e-3, 1200, 5678, 2.0, false) ==
        "simulated 1.234 ms | 1200/5678 instructions (21.1%) | 600 instr/s | ETA 7s");
  // 100000 of 1000000 in 2 s: 50.0k/s; 900000 left take 18 s.
  CHECK(Progress::format_line(12.5e-6, 100000, 1000000, 2.0, false) ==
        "simulated 12.500 us | 100000/1000000 instructions (10.0%) | 50.0k instr/s | ETA 18s");
  // 3.6M/s; 10 s left is exactly 10 s of wall time at that rate: 36M left of 72M.
  CHECK(Progress::format_line(2.5, 36000000, 72000000, 10.0, false) ==
        "simulated 2.500 s | 36000000/72000000 instructions (50.0%) | 3.60M instr/s | ETA 10s");
  // 1 of 400 in 1 s: 399 s left = 6m39s; 1 of 4000: 3999 s = 1h06m.
  CHECK(Progress::format_line(0, 1, 400, 1.0, false).ends_with("ETA 6m39s"));
  CHECK(Progress::format_line(0, 1, 4000, 1.0, false).ends_with("ETA 1h06m"));
  CHECK(Progress::format_line(850e-9, 0, 5, 0.0, false) ==
        "simulated 850 ns | 0/5 instructions (0.0%) | 0 instr/s | ETA --");
  CHECK(Progress::format_line(1e-3, 5, 5, 65.0, true).ends_with("| took 1m05s"));
}

TEST_CASE("progress: not a terminal, from the start: whole lines about once a second") {
  std::ostringstream out;
  double now = 100;
  ProgressSettings settings;
  settings.terminal = false;
  settings.delay_seconds = 0;
  settings.redraw_seconds = 1;
  {
    Progress p(1000, settings, out, [&now] { return now; });
    complete(p, 1, 1e-6);  // the first event looks at the clock: a line at once
    CHECK(out.str() == "simulated 1.000 us | 1/1000 instructions (0.1%) | 0 instr/s | ETA --\n");

    now = 100.5;  // too soon for another line
    complete(p, kBatch, 2e-6);
    CHECK(out.str().find("257/1000") == std::string::npos);

    now = 101.5;  // the next batch looks at the clock again, 1.5 s after the first line
    complete(p, kBatch, 3e-6);
    CHECK(out.str().ends_with("| 513/1000 instructions (51.3%) | 342 instr/s | ETA 1s\n"));

    p.on_finish(4e-6);
    CHECK(out.str().ends_with(
        "simulated 4.000 us | 513/1000 instructions (51.3%) | 342 instr/s | took 2s\n"));
  }
  // The destructor adds nothing after finish.
  const std::string text = out.str();
  CHECK(text.find('\r') == std::string::npos);
  CHECK(std::count(text.begin(), text.end(), '\n') == 3);
}

TEST_CASE("progress: on a terminal, after the delay, redrawn in place and erased") {
  std::ostringstream out;
  double now = 0;
  ProgressSettings settings;
  settings.terminal = true;
  settings.delay_seconds = 2;
  settings.redraw_seconds = 0.25;
  Progress p(10000, settings, out, [&now] { return now; });

  now = 1.9;
  complete(p, 1, 1e-6);      // the first event looks at the clock
  CHECK(out.str().empty());  // the run is not 2 s old yet

  now = 2.5;  // the next look is one batch later
  complete(p, kBatch, 2e-6);
  // 257 in 2.5 s: 102.8/s; 9743 left take 95 s.
  const std::string first =
      "simulated 2.000 us | 257/10000 instructions (2.6%) | 103 instr/s | ETA 1m35s";
  CHECK(out.str() == "\r" + first);

  now = 2.6;  // within a quarter second: no redraw
  complete(p, kBatch, 3e-6);
  CHECK(out.str() == "\r" + first);

  now = 3.0;
  complete(p, kBatch, 4e-6);
  // 769 in 3 s: 256/s; 9231 left take 36 s. Two columns shorter: padded with spaces.
  CHECK(out.str() == "\r" + first +
                         "\rsimulated 4.000 us | 769/10000 instructions (7.7%) | 256 instr/s | "
                         "ETA 36s  ");

  p.finish();
  // Blanked with spaces as wide as the longest line drawn, the cursor back at the start.
  CHECK(out.str().ends_with("\r" + std::string(first.size(), ' ') + "\r"));
  const std::size_t size = out.str().size();
  p.finish();
  complete(p, kBatch, 5e-6);
  CHECK(out.str().size() == size);  // nothing after the end
}

TEST_CASE("progress: a run that ends before the delay prints nothing") {
  std::ostringstream out;
  double now = 0;
  ProgressSettings settings;
  settings.terminal = true;
  settings.delay_seconds = 2;
  settings.redraw_seconds = 0.25;
  {
    Progress p(10, settings, out, [&now] { return now; });
    complete(p, 10, 1e-6);
    now = 1;
    p.on_finish(1e-6);
  }
  CHECK(out.str().empty());
}

TEST_CASE("progress: a line wider than the terminal is cut to fit") {
  std::ostringstream out;
  ProgressSettings settings;
  settings.terminal = true;
  settings.redraw_seconds = 0.25;
  settings.columns = 21;
  Progress p(10, settings, out, [] { return 0.0; });
  complete(p, 1, 1e-6);
  CHECK(out.str() == "\rsimulated 1.000 us |");  // 20 characters
  p.finish();
  CHECK(out.str().ends_with("\r" + std::string(20, ' ') + "\r"));
}
