#include "sysc/link/credit_link.h"

#include <cmath>
#include <stdexcept>
#include <utility>

namespace trnsim::sysc {

CreditLink::CreditLink(sc_core::sc_module_name name, const config::LinkParams& params)
    : sc_core::sc_module(name), m_clock(params.clock_ghz), m_flow(link_cycles(params)) {}

std::uint64_t CreditLink::current_cycle() const {
  // Times the model waits for are whole cycles, each rounded to the kernel's femtosecond
  // (half a femtosecond is 1e-6 of a 2 GHz cycle, so the margin is wider); anything else (a
  // caller on another clock) acts at the next edge.
  const double c = m_clock.to_cycles(sc_core::sc_time_stamp());
  const double nearest = std::round(c);
  if (std::abs(c - nearest) < 1e-3) return static_cast<std::uint64_t>(nearest);
  return static_cast<std::uint64_t>(std::ceil(c));
}

void CreditLink::wait_until(std::uint64_t cycle) {
  const sc_core::sc_time t = m_clock.cycles(static_cast<double>(cycle));
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  if (t > now) wait(t - now);
}

CreditLink::SendRecord CreditLink::send(Flit flit) {
  SendRecord r;
  r.offered = current_cycle();
  // Back-pressure: no credit is known until the consumer takes the flit whose credit
  // this one needs.
  while (!m_flow.send_cycle(r.offered))
    wait(m_taken);
  wait_until(*m_flow.send_cycle(r.offered));
  const CreditFlow::Sent s = m_flow.send(r.offered);
  r.start = s.start;
  r.arrival = s.arrival;
  m_stall_cycles += r.start - r.offered;
  m_in_flight.push_back(std::move(flit));
  // A delta notification: an immediate one would be lost by a consumer that has not
  // reached its wait yet.
  m_sent.notify(sc_core::SC_ZERO_TIME);
  return r;
}

std::uint64_t CreditLink::wait_for_flit() {
  while (m_flow.in_flight() == 0)
    wait(m_sent);
  return m_flow.departure_cycle(current_cycle());
}

CreditLink::TakeRecord CreditLink::take() {
  const std::uint64_t now = current_cycle();
  if (m_flow.in_flight() == 0 || m_flow.departure_cycle(now) != now)
    throw std::logic_error(std::string(name()) + ": take() with no flit in the receive buffer");
  TakeRecord r;
  r.arrival = m_flow.oldest_arrival();
  r.departure = now;
  r.credit_back = m_flow.take(now);
  r.flit = std::move(m_in_flight.front());
  m_in_flight.pop_front();
  m_taken.notify(sc_core::SC_ZERO_TIME);
  return r;
}

CreditLink::TakeRecord CreditLink::receive() {
  wait_until(wait_for_flit());
  return take();
}

}  // namespace trnsim::sysc
