// Quantities over simulated time, summed into bins whose width adapts to the run's length.
//
// The collector sees events as they come and does not know when the run will end, so the
// bins start narrow and, whenever an event reaches past the range they cover, adjacent pairs
// merge and the width doubles. Memory is fixed (kMaxBins per series) whatever the run's
// length; the price is resolution: once the bins have merged, a bin is between the run's
// length / kMaxBins and twice that wide, and the last one may reach past the end.
#pragma once

#include <cstddef>
#include <vector>

namespace trnsim::stats {

class TimeBins {
 public:
  static constexpr std::size_t kMaxBins = 256;
  // The first width: fine enough for the shortest runs, and a power of two times it stays
  // an exact binary multiple when it doubles.
  static constexpr double kInitialBinSeconds = 1e-9;

  explicit TimeBins(std::size_t series, double initial_bin_seconds = kInitialBinSeconds);

  // Adds `amount` to `series`, spread evenly over [start, end] (all of it into the bin that
  // holds `start` when the interval is empty). Widens the bins first if `end` lies beyond
  // them. Negative starts are clamped to 0.
  void add(std::size_t series, double start, double end, double amount);

  // Widens the bins until they cover [0, t].
  void cover(double t);

  double bin_seconds() const { return m_bin_seconds; }
  // Bins needed to reach `end` (at least 1), after cover(end).
  std::size_t bins_up_to(double end) const;
  // The sums of one series, kMaxBins of them (the ones past the end are 0).
  const std::vector<double>& sums(std::size_t series) const { return m_sums[series]; }

 private:
  void merge_pairs();
  std::size_t bin_of(double t) const;

  double m_bin_seconds;
  std::vector<std::vector<double>> m_sums;  // [series][bin]
};

}  // namespace trnsim::stats
