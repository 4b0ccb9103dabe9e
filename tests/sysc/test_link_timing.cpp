// The credit-based link: its cycle rules (link_timing.h) and the SystemC model that
// sequences them (credit_link.h).
#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <vector>

#include <systemc>

#include "config/config_loader.h"
#include "sysc/common/kernel.h"
#include "sysc/link/credit_link.h"
#include "sysc/link/link_timing.h"

using namespace trnsim;
using sysc::CreditFlow;
using sysc::LinkCycles;

namespace {

// The link of tests/cosim/link.yaml written out: 8-byte flits at 4 B per cycle (F = 2),
// W = 5, C = 3: a credit comes back 2 + 5 + 3 + 1 = 11 cycles after its flit started.
config::LinkParams small_link(std::uint32_t credits) {
  config::LinkParams p;
  p.clock_ghz = 1.0;
  p.flit_bytes = 8;
  p.bandwidth_gb_s = 4.0;
  p.latency_ns = 5.0;
  p.credit_return_ns = 3.0;
  p.buffer_credits = credits;
  return p;
}

// n flits offered back to back in cycle 0, taken by a consumer that is always ready.
std::vector<std::uint64_t> stream_starts(const LinkCycles& c, std::size_t n) {
  CreditFlow flow(c);
  std::vector<std::uint64_t> starts;
  for (std::size_t i = 0; i < n; ++i) {
    // The consumer takes every flit the sender waits on as soon as it can leave.
    while (!flow.send_cycle(0))
      flow.take(flow.departure_cycle(0));
    starts.push_back(flow.send(0).start);
  }
  return starts;
}

}  // namespace

TEST_CASE("link times are whole link cycles of the config") {
  const LinkCycles small = sysc::link_cycles(small_link(4));
  CHECK(small == LinkCycles{2, 5, 3, 4});
  CHECK(small.round_trip() == 11);

  // trn2: 128-byte flits at 320 GB/s and 2.5 GHz are one per cycle (128 B per cycle);
  // 500 ns of wire and of credit return are 1250 cycles each.
  const auto trn2 = config::load_config(TRNSIM_SOURCE_DIR "/configs/trn2.yaml");
  const LinkCycles c2 = sysc::link_cycles(trn2.link);
  CHECK(c2 == LinkCycles{1, 1250, 1250, 4096});
  CHECK(c2.throughput() == doctest::Approx(1.0));  // 4096 credits cover 2502 cycles
  // trn1: 96 GB/s at 1.5 GHz is 64 B per cycle, a 128-byte flit takes 2.
  const auto trn1 = config::load_config(TRNSIM_SOURCE_DIR "/configs/trn1.yaml");
  CHECK(sysc::link_cycles(trn1.link) == LinkCycles{2, 750, 750, 1024});

  // A flit that needs 2.5 cycles occupies 3; at least 1 however fast the link.
  config::LinkParams p = small_link(4);
  p.bandwidth_gb_s = 3.2;
  CHECK(sysc::link_cycles(p).flit == 3);
  p.bandwidth_gb_s = 1000.0;
  CHECK(sysc::link_cycles(p).flit == 1);
}

TEST_CASE("with credits covering the round trip a stream runs at the bandwidth") {
  // B = 6: 6 flits x 2 cycles = 12 >= 11, so the credit of flit i is back (cycle 2i + 11)
  // before flit i + 6 may start for bandwidth reasons (cycle 2i + 12): s_i = 2i.
  const LinkCycles c = sysc::link_cycles(small_link(6));
  CHECK(c.throughput() == doctest::Approx(0.5));
  const auto starts = stream_starts(c, 200);
  for (std::size_t i = 0; i < starts.size(); ++i)
    REQUIRE(starts[i] == 2 * i);
}

TEST_CASE("with too few credits a stream sends B flits per round trip") {
  // B = 4: flits 0-3 start in cycles 0, 2, 4, 6. Flit 0 arrives in 0 + 2 + 5 = 7, leaves at
  // once, its credit is counted at the end of 7 + 3 and spendable in 11: flit 4 starts in
  // 11, flit 5 in 13 (flit 1's credit: 2 + 11), and so on: flit 4k + j starts in 11k + 2j.
  const LinkCycles c = sysc::link_cycles(small_link(4));
  CHECK(c.throughput() == doctest::Approx(4.0 / 11.0));
  const auto starts = stream_starts(c, 400);
  for (std::size_t i = 0; i < starts.size(); ++i)
    REQUIRE(starts[i] == 11 * (i / 4) + 2 * (i % 4));

  // B = 1: one flit per round trip.
  const auto one = stream_starts(sysc::link_cycles(small_link(1)), 20);
  for (std::size_t i = 0; i < one.size(); ++i)
    REQUIRE(one[i] == 11 * i);
}

TEST_CASE("a stalled consumer fills the buffer and stops the sender") {
  const LinkCycles c = sysc::link_cycles(small_link(4));
  CreditFlow flow(c);
  // Four flits start in 0, 2, 4, 6 and are in the buffer from 7, 9, 11, 13.
  for (std::uint64_t i = 0; i < 4; ++i)
    CHECK(flow.send(0).start == 2 * i);
  CHECK(flow.buffered(12) == 3);
  CHECK(flow.buffered(13) == 4);
  // The fifth has no credit while the consumer takes nothing, however long it waits.
  CHECK_FALSE(flow.send_cycle(1000).has_value());
  // The consumer takes one in cycle 100: its credit is spendable in 100 + 3 + 1.
  CHECK(flow.departure_cycle(100) == 100);
  CHECK(flow.take(100) == 104);
  CHECK(flow.send_cycle(0) == 104);
  // The next flits can leave one per cycle, not earlier than they arrived.
  CHECK(flow.departure_cycle(0) == 101);
  CHECK(flow.buffered(101) == 3);
}

namespace {

// A producer sending numbered flits with random gaps and a consumer stalling at random,
// around one CreditLink.
class LinkBench : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(LinkBench);
  LinkBench(sc_core::sc_module_name name, const config::LinkParams& p, std::size_t flits,
            std::uint64_t seed)
      : sc_core::sc_module(name), link("link", p), m_flits(flits), m_rng(seed) {
    SC_THREAD(produce);
    SC_THREAD(consume);
  }

  sysc::CreditLink link;
  std::vector<sysc::CreditLink::SendRecord> sent;
  std::vector<sysc::CreditLink::TakeRecord> taken;

 private:
  void produce() {
    for (std::size_t i = 0; i < m_flits; ++i) {
      if (m_rng() % 4 == 0) wait(link.clock().cycles(static_cast<double>(m_rng() % 30)));
      sent.push_back(
          link.send({{static_cast<std::uint8_t>(i), static_cast<std::uint8_t>(i >> 8)}}));
    }
  }
  void consume() {
    for (std::size_t i = 0; i < m_flits; ++i) {
      if (m_rng() % 8 == 0) wait(link.clock().cycles(static_cast<double>(m_rng() % 100)));
      taken.push_back(link.receive());
    }
  }

  std::size_t m_flits;
  std::mt19937_64 m_rng;
};

}  // namespace

TEST_CASE("CreditLink delivers every flit once, in order, within the credits") {
  for (std::uint32_t credits : {1u, 2u, 4u, 16u}) {
    CAPTURE(credits);
    sysc::reset_kernel();
    const config::LinkParams p = small_link(credits);
    LinkBench bench("bench", p, 500, credits);
    sc_core::sc_start();
    REQUIRE(bench.sent.size() == 500);
    REQUIRE(bench.taken.size() == 500);
    const LinkCycles c = bench.link.cycles();
    std::uint64_t stall = 0;
    for (std::size_t i = 0; i < 500; ++i) {
      const auto& s = bench.sent[i];
      const auto& t = bench.taken[i];
      // The payload is the sequence number: nothing lost, repeated or reordered.
      REQUIRE(t.flit.bytes.size() == 2);
      REQUIRE(t.flit.bytes[0] + 256u * t.flit.bytes[1] == i);
      // The rules of link_timing.h.
      REQUIRE(s.arrival == s.start + c.flit + c.wire);
      REQUIRE(t.arrival == s.arrival);
      REQUIRE(t.departure >= t.arrival);
      REQUIRE(t.credit_back == t.departure + c.credit_return + 1);
      if (i > 0) REQUIRE(s.start >= bench.sent[i - 1].start + c.flit);
      if (i > 0) REQUIRE(t.departure > bench.taken[i - 1].departure);
      // Flit i spends flit i - B's credit.
      if (i >= credits) REQUIRE(s.start >= bench.taken[i - credits].credit_back);
      // The buffer holds at most B: flit i arrives after flit i - B left.
      if (i >= credits) REQUIRE(s.arrival > bench.taken[i - credits].departure);
      stall += s.start - s.offered;
    }
    CHECK(bench.link.stall_cycles() == stall);
  }
}

namespace {

// n flits offered back to back, a consumer that takes each as soon as it can.
class StreamBench : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(StreamBench);
  StreamBench(sc_core::sc_module_name name, const config::LinkParams& p, std::size_t flits)
      : sc_core::sc_module(name), link("link", p), m_flits(flits) {
    SC_THREAD(produce);
    SC_THREAD(consume);
  }

  sysc::CreditLink link;
  std::vector<std::uint64_t> starts;

 private:
  void produce() {
    for (std::size_t i = 0; i < m_flits; ++i)
      starts.push_back(link.send({}).start);
  }
  void consume() {
    for (std::size_t i = 0; i < m_flits; ++i)
      link.receive();
  }

  std::size_t m_flits;
};

}  // namespace

TEST_CASE("CreditLink keeps whole cycles on a clock whose period is not whole femtoseconds") {
  // The small link on a 2.4 GHz clock (period 416666.67 fs), the same cycle counts: F = 2,
  // W = 5, C = 3, B = 4, so flit 4k + j still starts in cycle 11k + 2j, 20000 flits on.
  config::LinkParams p = small_link(4);
  p.clock_ghz = 2.4;
  p.bandwidth_gb_s = 4.0 * 2.4;
  p.latency_ns = 5.0 / 2.4;
  p.credit_return_ns = 3.0 / 2.4;
  REQUIRE(sysc::link_cycles(p) == LinkCycles{2, 5, 3, 4});
  sysc::reset_kernel();
  StreamBench bench("bench", p, 20000);
  sc_core::sc_start();
  REQUIRE(bench.starts.size() == 20000);
  for (std::size_t i = 0; i < bench.starts.size(); ++i)
    REQUIRE(bench.starts[i] == 11 * (i / 4) + 2 * (i % 4));
  // The producer offers each flit in the cycle its predecessor started, so it waits for the
  // serializer or a credit from one start to the next: in all, the last start, 11 * 4999 + 6.
  CHECK(bench.link.stall_cycles() == 54995);
}
