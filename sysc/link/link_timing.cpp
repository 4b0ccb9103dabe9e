#include "sysc/link/link_timing.h"

#include <cmath>
#include <stdexcept>

namespace trnsim::sysc {

namespace {

// Whole cycles covering `cycles`: 2.0000000001 (a product such as 500 ns x 2.5 GHz in
// binary floating point) is 2, 2.1 is 3.
std::uint64_t whole_cycles(double cycles) {
  const double nearest = std::round(cycles);
  if (std::abs(cycles - nearest) < 1e-9 * std::max(1.0, nearest))
    return static_cast<std::uint64_t>(nearest);
  return static_cast<std::uint64_t>(std::ceil(cycles));
}

}  // namespace

LinkCycles link_cycles(const config::LinkParams& p) {
  LinkCycles c;
  const double bytes_per_cycle = p.bandwidth_gb_s / p.clock_ghz;
  c.flit = std::max<std::uint64_t>(1, whole_cycles(p.flit_bytes / bytes_per_cycle));
  c.wire = whole_cycles(p.latency_ns * p.clock_ghz);
  c.credit_return = whole_cycles(p.credit_return_ns * p.clock_ghz);
  c.credits = p.buffer_credits;
  return c;
}

std::optional<std::uint64_t> CreditFlow::send_cycle(std::uint64_t offer) const {
  std::uint64_t start = offer;
  if (m_last_start) start = std::max(start, *m_last_start + m_c.flit);
  if (m_sent >= m_c.credits) {
    // Credits are spent in the order they come back: flit i spends flit i - B's.
    if (m_credit_back.empty()) return std::nullopt;
    start = std::max(start, m_credit_back.front());
  }
  return start;
}

CreditFlow::Sent CreditFlow::send(std::uint64_t offer) {
  const std::optional<std::uint64_t> start = send_cycle(offer);
  if (!start) throw std::logic_error("CreditFlow::send without a credit");
  if (m_sent >= m_c.credits) m_credit_back.pop_front();
  ++m_sent;
  m_last_start = *start;
  const std::uint64_t arrival = *start + m_c.flit + m_c.wire;
  m_arrivals.push_back(arrival);
  return {*start, arrival};
}

std::uint64_t CreditFlow::departure_cycle(std::uint64_t earliest) const {
  if (m_arrivals.empty()) throw std::logic_error("CreditFlow::departure_cycle: nothing in flight");
  std::uint64_t d = std::max(earliest, m_arrivals.front());
  if (m_last_departure) d = std::max(d, *m_last_departure + 1);
  return d;
}

std::uint64_t CreditFlow::take(std::uint64_t cycle) {
  if (m_arrivals.empty() || departure_cycle(cycle) != cycle)
    throw std::logic_error("CreditFlow::take: no flit can leave the buffer in this cycle");
  m_arrivals.pop_front();
  m_last_departure = cycle;
  const std::uint64_t back = cycle + m_c.credit_return + 1;
  m_credit_back.push_back(back);
  return back;
}

std::size_t CreditFlow::buffered(std::uint64_t cycle) const {
  return static_cast<std::size_t>(
      std::count_if(m_arrivals.begin(), m_arrivals.end(), [&](auto a) { return a <= cycle; }));
}

}  // namespace trnsim::sysc
