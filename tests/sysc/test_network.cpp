// The chip-to-chip network (sysc/link/network.h) on its own: packets between chips of a
// ring, with a memory that takes every write at once, so that times follow the cycle rules
// exactly. Latency and bandwidth of one transfer, two flows sharing a link, throughput
// against credits, back-pressure on the sending engine, and semaphore updates.
#include <doctest/doctest.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <tlm_utils/simple_target_socket.h>
#include <systemc>

#include "sysc/common/kernel.h"
#include "sysc/link/network.h"
#include "sysc/memory/address_map.h"

using namespace trnsim;
using sysc::Network;

namespace {

// A ring of `chips` on a 1 GHz link clock: 8-byte flits at 8 GB/s (F = 1 cycle), a 20-cycle
// wire, credits back 10 cycles after a flit leaves, a 5-cycle router, 64-byte packets.
config::SystemConfig ring(std::uint32_t chips) {
  config::SystemConfig cfg;
  cfg.system.chips = chips;
  cfg.topology.kind = config::TopologyKind::kRing;
  cfg.link.count = 2;
  cfg.link.clock_ghz = 1.0;
  cfg.link.flit_bytes = 8;
  cfg.link.bandwidth_gb_s = 8.0;
  cfg.link.latency_ns = 20.0;
  cfg.link.credit_return_ns = 10.0;
  cfg.link.router_delay_ns = 5.0;
  cfg.link.packet_bytes = 64;
  cfg.link.buffer_credits = 1024;
  cfg.link.injection_window_bytes = 1u << 30;
  return cfg;
}

constexpr std::uint64_t F = 1, W = 20, C = 10, R = 5;

// A memory that takes any write at once.
struct InstantMemory : sc_core::sc_module {
  tlm_utils::simple_target_socket<InstantMemory> socket;
  explicit InstantMemory(sc_core::sc_module_name name) : sc_module(name), socket("socket") {
    socket.register_b_transport(this, &InstantMemory::b_transport);
  }
  void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time&) {
    p.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

// The network with one instant memory per chip, and a client that notes every time.
struct Bench : sc_core::sc_module, sysc::NetworkClient {
  struct Times {
    double injected = -1;  // ns
    double landed = -1;
  };

  Bench(sc_core::sc_module_name name, const config::SystemConfig& cfg)
      : sc_module(name), network("network", cfg, all_chips(cfg.system.chips)) {
    for (std::uint32_t c = 0; c < cfg.system.chips; ++c) {
      memories.push_back(std::make_unique<InstantMemory>(sc_core::sc_gen_unique_name("memory")));
      network.memory.bind(memories.back()->socket);
    }
  }
  static std::vector<std::uint32_t> all_chips(std::uint32_t n) {
    std::vector<std::uint32_t> v;
    for (std::uint32_t c = 0; c < n; ++c)
      v.push_back(c);
    return v;
  }

  // A write of `bytes` from chip `src` (as engine `source`) to chip `dst`, streamed by the
  // engine at `ns_per_byte` from now.
  std::size_t write(std::uint32_t src, std::uint32_t dst, std::uint64_t bytes,
                    double ns_per_byte = 0, std::uint32_t source = 0) {
    sysc::RemoteWrite w;
    w.src_chip = src;
    w.dst_chip = dst;
    w.source = source;
    w.dst = sysc::DmaRows{sysc::hbm_address(dst, 0), 0, 1, bytes};
    w.bytes = bytes;
    w.first_byte = sc_core::sc_time_stamp();
    w.ns_per_byte = ns_per_byte;
    w.client = this;
    w.tag = times.size();
    times.emplace_back();
    network.write(w);
    return times.size() - 1;
  }

  void transfer_injected(std::uint64_t tag) override {
    times[tag].injected = sc_core::sc_time_stamp().to_seconds() * 1e9;
  }
  void transfer_landed(std::uint64_t tag, const sc_core::sc_time& landed) override {
    times[tag].landed = landed.to_seconds() * 1e9;
    if (on_landed) on_landed(tag);
  }

  std::function<void(std::size_t)> on_landed;

  Network network;
  std::vector<std::unique_ptr<InstantMemory>> memories;
  std::vector<Times> times;
};

// Runs `start` at time 0 inside the simulation, then the simulation to its end.
template <typename Start>
void run(Bench& bench, Start start) {
  struct Starter : sc_core::sc_module {
    SC_HAS_PROCESS(Starter);
    Starter(sc_core::sc_module_name n, Bench& b, Start s) : sc_module(n), bench(b), fn(s) {
      SC_METHOD(go);
    }
    void go() { fn(bench); }
    Bench& bench;
    Start fn;
  } starter("starter", bench, start);
  sc_core::sc_start();
  CHECK(bench.network.packets_in_flight() == 0);
}

}  // namespace

TEST_CASE("one packet lands R + hops x (F + W + R) cycles after it is sent") {
  for (std::uint32_t dst : {1u, 2u, 3u}) {
    CAPTURE(dst);
    sysc::reset_kernel();
    Bench bench("bench", ring(6));
    run(bench, [dst](Bench& b) { b.write(0, dst, 8); });
    REQUIRE(bench.network.flit_cycles(0) == F);
    CHECK(bench.network.wire_cycles() == W);
    CHECK(bench.times[0].injected == 0.0);
    CHECK(bench.times[0].landed == doctest::Approx(R + dst * (F + W + R)));
  }
}

TEST_CASE("a long transfer streams at the link's bandwidth") {
  sysc::reset_kernel();
  Bench bench("bench", ring(4));
  const std::uint64_t bytes = 1 << 20;
  run(bench, [&](Bench& b) { b.write(0, 1, bytes); });
  // 16384 packets of 8 flits back to back on the 8 B/cycle link; the last one's tail lands
  // W + R after it has been sent.
  const std::uint64_t packets = bytes / 64;
  CHECK(bench.times[0].landed == doctest::Approx(R + packets * 8 * F + W + R));
  CHECK(bench.network.traffic()[0].bytes == bytes);
  CHECK(bench.network.traffic()[0].busy_cycles == packets * 8);
}

TEST_CASE("two flows sharing a link get half of it each") {
  // On a ring of 4, chip 0 -> 2 goes through chip 1 (+ on the tie) and meets 1 -> 2 on the
  // link 1 -> 2: round-robin between the input port and the local interface.
  sysc::reset_kernel();
  Bench bench("bench", ring(4));
  const std::uint64_t bytes = 256 << 10;
  run(bench, [&](Bench& b) {
    b.write(0, 2, bytes);
    b.write(1, 2, bytes);
  });
  const double alone = static_cast<double>(bytes) / 8.0;  // ns at the full 8 B/ns
  const double a = bench.times[0].landed;
  const double b = bench.times[1].landed;
  // Each at half the bandwidth: both take twice as long as alone, within the latencies.
  CHECK(a == doctest::Approx(2 * alone).epsilon(0.01));
  CHECK(b == doctest::Approx(2 * alone).epsilon(0.01));
  // The same holds for two engines of one chip (two sources of its link interface).
  sysc::reset_kernel();
  Bench same("same", ring(4));
  run(same, [&](Bench& s) {
    s.write(1, 2, bytes, 0, 0);
    s.write(1, 2, bytes, 0, 1);
  });
  CHECK(same.times[0].landed == doctest::Approx(2 * alone).epsilon(0.01));
  CHECK(same.times[1].landed == doctest::Approx(2 * alone).epsilon(0.01));
}

TEST_CASE("throughput against credits follows min(1, credits / round trip)") {
  // One-flit packets, one hop: a packet sent at s lands (R after its tail) at s + F + W + R,
  // the memory takes it at once and its credit can be spent C + 1 cycles later: a round
  // trip of F + W + R + C + 1 cycles.
  const double round_trip = static_cast<double>(F + W + R + C + 1);
  for (std::uint32_t credits : {1u, 2u, 4u, 8u, 16u, 32u, 36u, 37u, 64u}) {
    CAPTURE(credits);
    sysc::reset_kernel();
    config::SystemConfig cfg = ring(2);
    cfg.link.packet_bytes = 8;
    cfg.link.buffer_credits = credits;
    Bench bench("bench", cfg);
    const std::uint64_t flits = 4096;
    run(bench, [&](Bench& b) { b.write(0, 1, flits * 8); });
    const double expected = std::min(1.0, credits / round_trip);  // flits per cycle
    // From the first packet's start (R) to the last one's landing, less its own latency.
    const double took = bench.times[0].landed - R - (F + W + R);
    CHECK(static_cast<double>(flits - 1) / (took - F) == doctest::Approx(expected).epsilon(0.03));
  }
}

TEST_CASE("a congested network holds the sending engine, a free one does not") {
  // The engine streams at 4 B/ns, half the link: nothing holds it. Two engines at 8 B/ns
  // into one link: each gets half and, with a one-packet window, is held to it.
  sysc::reset_kernel();
  config::SystemConfig cfg = ring(4);
  cfg.link.injection_window_bytes = 64;
  Bench bench("bench", cfg);
  const std::uint64_t bytes = 64 << 10;
  run(bench, [&](Bench& b) {
    b.write(0, 1, bytes, 0.25, 0);
    b.write(2, 3, bytes, 0.125, 0);
    b.write(2, 3, bytes, 0.125, 1);
  });
  CHECK(bench.times[0].injected == doctest::Approx(bytes * 0.25).epsilon(0.001));
  // Alone, the fast engines would be done streaming after bytes / 8 ns; shared, after
  // about twice that.
  CHECK(bench.times[1].injected == doctest::Approx(2.0 * bytes / 8).epsilon(0.01));
  CHECK(bench.times[2].injected == doctest::Approx(2.0 * bytes / 8).epsilon(0.01));
}

TEST_CASE("a semaphore update is a one-flit packet, sent after the data it follows has landed") {
  sysc::reset_kernel();
  Bench bench("bench", ring(6));
  double delivered = -1;
  // As a DMA's @complete post: sent once the copy's last byte has landed.
  bench.on_landed = [&](std::size_t) {
    bench.network.post(0, 2, [&] { delivered = sc_core::sc_time_stamp().to_seconds() * 1e9; });
  };
  run(bench, [&](Bench& b) { b.write(0, 2, 640); });  // 10 packets of 8 flits
  // Packet i starts at R + 8i on the first link and, cut through, F + W + R later on the
  // second; the last one lands W + R after its 8 flits there.
  const double landed = R + 72 * F + (F + W + R) + 8 * F + W + R;
  CHECK(bench.times[0].landed == doctest::Approx(landed));
  CHECK(delivered == doctest::Approx(landed + R + 2 * (F + W + R)));
}
