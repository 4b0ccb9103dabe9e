#include "stats/time_bins.h"

#include <algorithm>
#include <cmath>

namespace trnsim::stats {

TimeBins::TimeBins(std::size_t series, double initial_bin_seconds)
    : m_bin_seconds(initial_bin_seconds), m_sums(series, std::vector<double>(kMaxBins, 0.0)) {}

void TimeBins::merge_pairs() {
  for (std::vector<double>& s : m_sums) {
    for (std::size_t i = 0; i < kMaxBins / 2; ++i)
      s[i] = s[2 * i] + s[2 * i + 1];
    std::fill(s.begin() + kMaxBins / 2, s.end(), 0.0);
  }
  m_bin_seconds *= 2;
}

void TimeBins::cover(double t) {
  while (t > m_bin_seconds * kMaxBins)
    merge_pairs();
}

std::size_t TimeBins::bin_of(double t) const {
  // A time on the upper edge of the range belongs to the last bin.
  const double index = std::floor(std::max(t, 0.0) / m_bin_seconds);
  return std::min(static_cast<std::size_t>(index), kMaxBins - 1);
}

std::size_t TimeBins::bins_up_to(double end) const {
  const double n = std::ceil(std::max(end, 0.0) / m_bin_seconds);
  return std::clamp<std::size_t>(static_cast<std::size_t>(n), 1, kMaxBins);
}

void TimeBins::add(std::size_t series, double start, double end, double amount) {
  start = std::max(start, 0.0);
  end = std::max(end, start);
  cover(end);
  std::vector<double>& s = m_sums[series];
  const std::size_t first = bin_of(start);
  if (end <= start) {
    s[first] += amount;
    return;
  }
  const std::size_t last = bin_of(end);
  const double density = amount / (end - start);
  for (std::size_t b = first; b <= last; ++b) {
    const double lo = std::max(start, static_cast<double>(b) * m_bin_seconds);
    const double hi = std::min(end, static_cast<double>(b + 1) * m_bin_seconds);
    if (hi > lo) s[b] += density * (hi - lo);
  }
}

}  // namespace trnsim::stats
