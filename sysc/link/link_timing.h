// Cycle rules of one direction of a credit flow-controlled link, as plain functions and a
// small state machine over link-clock cycles, so they can be tested exactly and shared by
// the SystemC model (credit_link.h) and the RTL cross-check (tests/cosim/test_link_port.cpp).
//
// Cycle conventions (cycle 0 is the first link-clock cycle; "in cycle c" means during it):
//  - The sender starts flit i in cycle s_i when it holds a credit and the serializer is free:
//      s_i = max(offer_i, s_{i-1} + F, credit_i)
//    with F = flit cycles (the flit's bytes at the link bandwidth), offer_i the cycle the
//    flit is offered, credit_i = 0 for the first B flits and the cycle flit i - B's credit
//    is back otherwise.
//  - Its last byte leaves in cycle s_i + F - 1 and needs W wire cycles: the flit is in the
//    receive buffer from cycle a_i = s_i + F + W.
//  - It leaves the buffer in cycle d_i >= max(a_i, d_{i-1} + 1), the first such cycle in
//    which the consumer takes it.
//  - Its credit is counted at the sender at the end of cycle d_i + C (C = credit return
//    cycles) and can be spent from cycle d_i + C + 1.
// A credit thus comes back R = F + W + C + 1 cycles after the flit that spent it started,
// if the consumer takes it at once: B credits sustain the full bandwidth (one flit per F
// cycles) when B * F >= R, and B flits per R cycles otherwise.
//
// Fidelity: flits only (no packet framing, CRC, replay or lane striping); one virtual
// channel; credits return one per flit, never batched; the link never drops a flit.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>

#include "config/config.h"

namespace trnsim::sysc {

struct LinkCycles {
  std::uint64_t flit = 1;           // F: cycles the sender serializes one flit
  std::uint64_t wire = 0;           // W
  std::uint64_t credit_return = 0;  // C
  std::uint32_t credits = 1;        // B: receive buffer slots, the sender's initial credits

  // Cycles from a flit's start to the first cycle its credit can be spent again, when the
  // consumer takes it as soon as it arrives.
  std::uint64_t round_trip() const { return flit + wire + credit_return + 1; }
  // Flits per cycle of a long stream whose consumer never stalls: the bandwidth, or B flits
  // per round trip when the credits do not cover it.
  double throughput() const {
    return std::min(1.0 / static_cast<double>(flit),
                    static_cast<double>(credits) / static_cast<double>(round_trip()));
  }

  bool operator==(const LinkCycles&) const = default;
};

// The config's times in whole link cycles, each rounded up (a time that is a whole number
// of cycles up to floating-point noise counts as that number).
LinkCycles link_cycles(const config::LinkParams& p);

// The state of one link direction in cycles: which credits the sender holds and when, which
// flits are on the wire or in the buffer. Calls come in time order: a flit is sent or taken
// no earlier than the previous one.
class CreditFlow {
 public:
  explicit CreditFlow(const LinkCycles& c) : m_c(c) {}

  const LinkCycles& cycles() const { return m_c; }

  // The cycle a flit offered in cycle `offer` would start, or nothing while its credit
  // depends on a flit the consumer has not taken yet.
  std::optional<std::uint64_t> send_cycle(std::uint64_t offer) const;

  struct Sent {
    std::uint64_t start = 0;    // s_i
    std::uint64_t arrival = 0;  // a_i: first cycle in the receive buffer
  };
  // Starts the next flit offered in `offer`; send_cycle(offer) must have a value.
  Sent send(std::uint64_t offer);

  // Flits sent and not yet taken (on the wire or in the buffer).
  std::size_t in_flight() const { return m_arrivals.size(); }
  // The arrival cycle a_i of the oldest flit in flight; in_flight() must be non-zero.
  std::uint64_t oldest_arrival() const { return m_arrivals.front(); }
  // The first cycle at or after `earliest` in which the oldest flit in flight could leave
  // the buffer; in_flight() must be non-zero.
  std::uint64_t departure_cycle(std::uint64_t earliest) const;
  // The consumer takes the oldest flit in cycle `cycle` (>= departure_cycle(cycle)).
  // Returns the first cycle its credit can be spent.
  std::uint64_t take(std::uint64_t cycle);

  // Receive buffer occupancy in cycle `cycle` (flits arrived, not yet taken).
  std::size_t buffered(std::uint64_t cycle) const;

 private:
  LinkCycles m_c;
  std::uint64_t m_sent = 0;
  std::optional<std::uint64_t> m_last_start;
  std::optional<std::uint64_t> m_last_departure;
  std::deque<std::uint64_t> m_arrivals;     // of the flits in flight, oldest first
  std::deque<std::uint64_t> m_credit_back;  // returned credits not yet spent, in order
};

}  // namespace trnsim::sysc
