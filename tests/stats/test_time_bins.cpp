#include <doctest/doctest.h>

#include "stats/time_bins.h"

using trnsim::stats::TimeBins;

// Bins of 1 second keep the arithmetic exact; the collector starts at 1 ns.
TEST_CASE("time bins: an interval spreads over the bins it covers, by overlap") {
  TimeBins bins(1, 1.0);
  // [10, 12.5] busy: bins 10 and 11 fully, bin 12 half.
  bins.add(0, 10.0, 12.5, 2.5);
  CHECK(bins.bin_seconds() == 1.0);
  const auto& s = bins.sums(0);
  CHECK(s[9] == 0.0);
  CHECK(s[10] == 1.0);
  CHECK(s[11] == 1.0);
  CHECK(s[12] == 0.5);
  CHECK(s[13] == 0.0);
  CHECK(bins.bins_up_to(12.5) == 13);
}

TEST_CASE("time bins: an amount, not a duration, spreads by the same overlap") {
  TimeBins bins(1, 1.0);
  bins.add(0, 2.0, 6.0, 400.0);  // 100 per second of the interval
  CHECK(bins.sums(0)[1] == 0.0);
  for (std::size_t b = 2; b < 6; ++b)
    CHECK(bins.sums(0)[b] == 100.0);
  CHECK(bins.sums(0)[6] == 0.0);
}

TEST_CASE("time bins: an event beyond the range merges pairs and doubles the width") {
  TimeBins bins(2, 1.0);
  bins.add(0, 10.0, 12.5, 2.5);
  bins.add(1, 3.0, 3.0, 7.0);  // an empty interval: all of it in the bin of its start
  CHECK(bins.sums(1)[3] == 7.0);
  // 256 bins of 1 s cover 256 s; 600 s needs 4 s bins (1024 s), two merges.
  bins.add(0, 599.0, 600.0, 1.0);
  CHECK(bins.bin_seconds() == 4.0);
  const auto& busy = bins.sums(0);
  CHECK(busy[2] == 2.0);    // old bins 8..11 -> [8, 12): 1 + 1
  CHECK(busy[3] == 0.5);    // old bins 12..15 -> [12, 16)
  CHECK(busy[149] == 1.0);  // [596, 600)
  CHECK(busy[150] == 0.0);
  CHECK(bins.sums(1)[0] == 7.0);  // old bin 3 -> [0, 4), the other series merged too
  CHECK(bins.bins_up_to(600.0) == 150);
  CHECK(bins.bins_up_to(601.0) == 151);
  // As shares of the 4 s bins: 50 % and 12.5 %.
  CHECK(busy[2] / bins.bin_seconds() == 0.5);
  CHECK(busy[3] / bins.bin_seconds() == 0.125);
}

TEST_CASE("time bins: the range never exceeds the bin limit and totals are kept") {
  TimeBins bins(1, 1.0);
  bins.add(0, 0.0, 1000.0, 1000.0);
  bins.add(0, 5000.0, 5000.5, 0.5);
  CHECK(bins.bin_seconds() == 32.0);  // 256 * 32 = 8192 >= 5000.5; 16 s bins reach 4096
  double total = 0;
  for (double v : bins.sums(0))
    total += v;
  CHECK(total == doctest::Approx(1000.5));
  CHECK(bins.sums(0).size() == TimeBins::kMaxBins);
  CHECK(bins.bins_up_to(5000.5) == 157);  // ceil(5000.5 / 32)
  // An interval ending on the upper edge of the range belongs to the last bin.
  bins.add(0, 8160.0, 8192.0, 32.0);
  CHECK(bins.bin_seconds() == 32.0);
  CHECK(bins.sums(0)[255] == 32.0);
}

TEST_CASE("time bins: cover widens without adding anything") {
  TimeBins bins(1, 1.0);
  bins.cover(256.0);
  CHECK(bins.bin_seconds() == 1.0);
  bins.cover(256.5);
  CHECK(bins.bin_seconds() == 2.0);
  CHECK(bins.bins_up_to(0.0) == 1);
}
