// Cross-check of rtl/link_port.sv against the SystemC link model (sysc::CreditLink): the
// same flits, offered in the same cycles, taken by a consumer with the same ready pattern,
// through both. Compared per flit, with zero tolerance: the cycle it was offered, the cycle
// it started (so the sender's stall cycles), the cycle it arrived in the receive buffer and
// the cycle it left, and its data against the flit sent (no flit lost, reordered or
// changed); then the sender's total stall cycles.
//
//   test_cosim_link_port --config FILE [--seed N] [--transactions N]
//
// The link's timing is the config's `link` section through sysc::link_cycles, for both the
// model and the RTL's cfg_*_i ports. The directed scenarios vary B and the latencies around
// it; then random scenarios (B, F, W, C, offers and consumer stalls drawn from the seed) until
// N random flits have gone through. Prints the first divergence (scenario, flit, what,
// expected and got) and exits 1; exits 2 on bad arguments or a config the model cannot take.
// Verilator's headers first: seeing SystemC's, they would expect a SystemC-wrapped model.
#include "link_port_harness.h"
#include "rtl/link_port_model.h"

#include <algorithm>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <systemc>

#include "config/config_loader.h"
#include "cosim_main.h"
#include "sysc/common/kernel.h"
#include "sysc/link/credit_link.h"
#include "sysc/link/link_timing.h"

using namespace trnsim;
using cosim::LinkPortResult;
using cosim::LinkPortStimulus;

namespace {

struct Scenario {
  std::string name;
  config::LinkParams link;
  LinkPortStimulus stimulus;
};

// What the SystemC model did with each flit.
struct ModelFlit {
  std::uint64_t offered = 0;
  std::uint64_t started = 0;
  std::uint64_t arrival = 0;
  std::uint64_t departure = 0;
  std::uint64_t data = 0;
};

struct ModelRun {
  std::vector<ModelFlit> flits;
  std::uint64_t stall_cycles = 0;
};

std::vector<std::uint8_t> to_bytes(std::uint64_t v, std::uint32_t n) {
  std::vector<std::uint8_t> b(n);
  for (std::uint32_t i = 0; i < n; ++i)
    b[i] = static_cast<std::uint8_t>(v >> (8 * i));
  return b;
}

std::uint64_t from_bytes(const std::vector<std::uint8_t>& b) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < b.size(); ++i)
    v |= std::uint64_t{b[i]} << (8 * i);
  return v;
}

// The producer and the consumer of the stimulus around CreditLinks, with the harness's
// conventions: flit i is offered in the later of its offer cycle and the cycle after flit
// i - 1 started; the consumer takes a flit in the first cycle it can leave and ready[] is
// high. All scenarios run in one simulation, one after the other, each on its own link and
// counting cycles from its own start, the cycle after the previous scenario's last flit left
// (a SystemC 2.3 kernel cannot start over, and one leaked kernel per scenario would be
// thousands).
class Bench : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Bench);
  Bench(sc_core::sc_module_name name, const std::vector<Scenario>& scenarios,
        std::vector<ModelRun>& out)
      : sc_core::sc_module(name), m_scenarios(scenarios), m_out(out) {
    for (std::size_t k = 0; k < scenarios.size(); ++k) {
      const config::LinkParams& p = scenarios[k].link;
      if (p.clock_ghz != scenarios.front().link.clock_ghz)
        throw std::runtime_error("the scenarios of one run share the link clock");
      m_links.push_back(std::make_unique<sysc::CreditLink>(fmt::format("link{}", k).c_str(), p));
    }
    m_out.assign(scenarios.size(), {});
    for (std::size_t k = 0; k < scenarios.size(); ++k)
      m_out[k].flits.assign(scenarios[k].stimulus.data.size(), {});
    SC_THREAD(produce);
    SC_THREAD(consume);
  }

 private:
  void wait_cycle(const sysc::CreditLink& link, std::uint64_t cycle) {
    const sc_core::sc_time t = link.clock().cycles(static_cast<double>(cycle));
    if (t > sc_core::sc_time_stamp()) wait(t - sc_core::sc_time_stamp());
  }

  void produce() {
    for (std::size_t k = 0; k < m_scenarios.size(); ++k) {
      while (m_bases.size() <= k)
        wait(m_scenario_start);
      const std::uint64_t base = m_bases[k];
      sysc::CreditLink& link = *m_links[k];
      const LinkPortStimulus& s = m_scenarios[k].stimulus;
      ModelRun& out = m_out[k];
      for (std::size_t i = 0; i < s.data.size(); ++i) {
        std::uint64_t offer = s.offers[i];
        if (i > 0) offer = std::max(offer, out.flits[i - 1].started + 1);
        wait_cycle(link, base + offer);
        const auto r = link.send({to_bytes(s.data[i], m_scenarios[k].link.flit_bytes)});
        out.flits[i].offered = r.offered - base;
        out.flits[i].started = r.start - base;
      }
      out.stall_cycles = link.stall_cycles();
    }
  }

  void consume() {
    std::uint64_t base = 0;
    for (std::size_t k = 0; k < m_scenarios.size(); ++k) {
      m_bases.push_back(base);
      m_scenario_start.notify(sc_core::SC_ZERO_TIME);
      sysc::CreditLink& link = *m_links[k];
      const LinkPortStimulus& s = m_scenarios[k].stimulus;
      ModelRun& out = m_out[k];
      for (std::size_t i = 0; i < s.data.size(); ++i) {
        std::uint64_t c = link.wait_for_flit() - base;
        while (c < s.ready.size() && !s.ready[c])
          ++c;
        wait_cycle(link, base + c);
        const auto r = link.take();
        out.flits[i].arrival = r.arrival - base;
        out.flits[i].departure = r.departure - base;
        out.flits[i].data = from_bytes(r.flit.bytes);
        if (i + 1 == s.data.size()) base = r.departure + 1;
      }
    }
  }

  const std::vector<Scenario>& m_scenarios;
  std::vector<ModelRun>& m_out;
  std::vector<std::unique_ptr<sysc::CreditLink>> m_links;
  std::vector<std::uint64_t> m_bases;  // the cycle each scenario starts in
  sc_core::sc_event m_scenario_start;
};

std::vector<ModelRun> run_model(const std::vector<Scenario>& scenarios) {
  sysc::reset_kernel();
  std::vector<ModelRun> out;
  Bench bench("bench", scenarios, out);
  sc_core::sc_start();
  return out;
}

std::optional<std::string> first_divergence(const Scenario& sc, const ModelRun& want,
                                            const LinkPortResult& got) {
  const auto& s = sc.stimulus;
  const std::size_t n = s.data.size();
  for (std::size_t i = 0; i < n; ++i) {
    const ModelFlit& m = want.flits[i];
    if (m.data != s.data[i])
      return fmt::format("flit {}: the model delivered {:#x}, the flit sent was {:#x}", i, m.data,
                         s.data[i]);
    if (i >= got.presented.size() || i >= got.started.size())
      return fmt::format("flit {} never started in the RTL (model: cycle {})", i, m.started);
    if (got.presented[i] != m.offered)
      return fmt::format("flit {}: presented in cycle {}, the model offered it in cycle {}", i,
                         got.presented[i], m.offered);
    if (got.started[i] != m.started)
      return fmt::format(
          "flit {}: started in cycle {} ({} stall cycles), expected cycle {} ({} stall cycles)", i,
          got.started[i], got.started[i] - got.presented[i], m.started, m.started - m.offered);
    if (i >= got.arrivals.size())
      return fmt::format("flit {} never arrived in the RTL's buffer (model: cycle {})", i,
                         m.arrival);
    if (got.arrivals[i].cycle != m.arrival)
      return fmt::format("flit {}: arrived in the buffer in cycle {}, expected cycle {}", i,
                         got.arrivals[i].cycle, m.arrival);
    if (got.arrivals[i].data != s.data[i])
      return fmt::format("flit {}: arrived as {:#x}, sent as {:#x}", i, got.arrivals[i].data,
                         s.data[i]);
    if (i >= got.departures.size())
      return fmt::format("flit {} never left the RTL's buffer (model: cycle {})", i, m.departure);
    if (got.departures[i].cycle != m.departure)
      return fmt::format("flit {}: left the buffer in cycle {}, expected cycle {}", i,
                         got.departures[i].cycle, m.departure);
    if (got.departures[i].data != s.data[i])
      return fmt::format("flit {}: delivered {:#x}, sent {:#x}", i, got.departures[i].data,
                         s.data[i]);
  }
  if (got.started.size() != n || got.arrivals.size() != n || got.departures.size() != n)
    return fmt::format("{} flits sent, the RTL started {}, received {}, delivered {}", n,
                       got.started.size(), got.arrivals.size(), got.departures.size());
  if (got.stall_cycles != want.stall_cycles)
    return fmt::format("sender stalled {} cycles, expected {}", got.stall_cycles,
                       want.stall_cycles);
  return std::nullopt;
}

// The link of `base` with B, F, W and C replaced (F through the bandwidth, W and C through
// the nanoseconds), so every scenario is still a config the model reads as is.
config::LinkParams with_cycles(const config::LinkParams& base, std::uint32_t b, std::uint64_t f,
                               std::uint64_t w, std::uint64_t c) {
  config::LinkParams p = base;
  p.buffer_credits = b;
  p.bandwidth_gb_s = p.flit_bytes * p.clock_ghz / static_cast<double>(f);
  p.latency_ns = static_cast<double>(w) / p.clock_ghz;
  p.credit_return_ns = static_cast<double>(c) / p.clock_ghz;
  return p;
}

LinkPortStimulus stream(std::size_t n, std::uint64_t seed_value) {
  LinkPortStimulus s;
  for (std::size_t i = 0; i < n; ++i) {
    // Distinct, bit-rich payloads: a slipped or repeated flit shows.
    s.data.push_back((seed_value + i) * 0x9e3779b97f4a7c15ull ^ (i << 40));
    s.offers.push_back(0);
  }
  return s;
}

std::vector<Scenario> directed(const config::LinkParams& base) {
  const sysc::LinkCycles c = sysc::link_cycles(base);
  std::vector<Scenario> out;
  // The config as it is: credit-limited when B * F < the round trip.
  out.push_back({"config as is, 200 flits back to back", base, stream(200, 1)});
  // Enough credits to cover the round trip: one flit every F cycles.
  const auto full_b = static_cast<std::uint32_t>(
      std::min<std::uint64_t>(rtl::kLinkPortMaxCredits, (c.round_trip() + c.flit - 1) / c.flit));
  out.push_back({"credits cover the round trip",
                 with_cycles(base, full_b, c.flit, c.wire, c.credit_return), stream(200, 2)});
  // A credit-limited stream: B = 2 against a long round trip.
  out.push_back(
      {"credit-limited: B = 2, W = C = 20", with_cycles(base, 2, 1, 20, 20), stream(100, 3)});
  // The consumer stalls 150 cycles: the buffer fills, the credits run out, the sender stalls;
  // then it drains.
  {
    Scenario sc{"consumer stall fills the buffer", base, stream(60, 4)};
    sc.stimulus.ready.assign(150, false);
    out.push_back(sc);
  }
  // B = 1: one flit per round trip.
  out.push_back({"B = 1", with_cycles(base, 1, c.flit, c.wire, c.credit_return), stream(50, 5)});
  // Everything as short as it can be: F = 1, W = C = 0 (round trip 2 cycles).
  out.push_back({"zero latency, B = 1", with_cycles(base, 1, 1, 0, 0), stream(50, 6)});
  out.push_back({"zero latency, B = 2", with_cycles(base, 2, 1, 0, 0), stream(50, 7)});
  // Everything as long as the RTL was built for.
  out.push_back({"largest B, F, W, C",
                 with_cycles(base, rtl::kLinkPortMaxCredits, rtl::kLinkPortMaxFlitCycles,
                             rtl::kLinkPortMaxWireCycles, rtl::kLinkPortMaxCreditCycles),
                 stream(100, 8)});
  // A consumer ready every other cycle, offers every third cycle.
  {
    Scenario sc{"consumer every other cycle, offers every third", with_cycles(base, 3, 1, 2, 1),
                stream(80, 9)};
    for (std::size_t i = 0; i < sc.stimulus.offers.size(); ++i)
      sc.stimulus.offers[i] = 3 * i;
    for (std::size_t k = 0; k < 400; ++k)
      sc.stimulus.ready.push_back(k % 2 == 1);
    out.push_back(sc);
  }
  // A single flit.
  out.push_back({"one flit", base, stream(1, 10)});
  return out;
}

Scenario random_scenario(std::mt19937_64& rng, const config::LinkParams& base, std::size_t flits) {
  // Modulo draws, not std distributions, so a seed gives the same scenarios everywhere.
  const auto below = [&](std::uint64_t n) { return rng() % n; };
  const auto b = static_cast<std::uint32_t>(1 + below(rtl::kLinkPortMaxCredits));
  const std::uint64_t f = 1 + below(rtl::kLinkPortMaxFlitCycles);
  const std::uint64_t w = below(rtl::kLinkPortMaxWireCycles + 1);
  const std::uint64_t c = below(rtl::kLinkPortMaxCreditCycles + 1);
  Scenario sc{fmt::format("random: B={} F={} W={} C={}, {} flits", b, f, w, c, flits),
              with_cycles(base, b, f, w, c),
              {}};
  // Offers: back to back, or in bursts with random gaps.
  const bool bursts = below(2) == 0;
  std::uint64_t t = 0;
  for (std::size_t i = 0; i < flits; ++i) {
    if (bursts && below(8) == 0) t += below(4 * (f + w + c) + 1);
    sc.stimulus.offers.push_back(t);
    sc.stimulus.data.push_back(rng());
  }
  // The consumer: always ready, ready at random, or with long stalls between ready runs.
  const std::uint64_t horizon = t + flits * (f + 4) + 400;
  switch (below(3)) {
    case 0:
      break;
    case 1: {
      const std::uint64_t odds = 2 + below(6);  // not ready 1 in `odds` cycles
      for (std::uint64_t k = 0; k < horizon; ++k)
        sc.stimulus.ready.push_back(below(odds) != 0);
      break;
    }
    default:
      while (sc.stimulus.ready.size() < horizon) {
        sc.stimulus.ready.insert(sc.stimulus.ready.end(), below(40), true);
        sc.stimulus.ready.insert(sc.stimulus.ready.end(), 1 + below(200), false);
      }
      break;
  }
  return sc;
}

using cosim::Options;

cosim::LinkPortTiming port_timing(const config::LinkParams& p) {
  const sysc::LinkCycles c = sysc::link_cycles(p);
  if (c.credits > rtl::kLinkPortMaxCredits || c.flit > rtl::kLinkPortMaxFlitCycles ||
      c.wire > rtl::kLinkPortMaxWireCycles || c.credit_return > rtl::kLinkPortMaxCreditCycles)
    throw std::runtime_error(fmt::format(
        "link B={} F={} W={} C={} exceeds the verilated link_port's capacity (B <= {}, F <= {}, "
        "W <= {}, C <= {}; rtl/CMakeLists.txt)",
        c.credits, c.flit, c.wire, c.credit_return, rtl::kLinkPortMaxCredits,
        rtl::kLinkPortMaxFlitCycles, rtl::kLinkPortMaxWireCycles, rtl::kLinkPortMaxCreditCycles));
  return {c.credits, c.flit, c.wire, c.credit_return};
}

int run(const Options& opt) {
  const config::SystemConfig cfg = config::load_config(opt.config);
  if (cfg.link.flit_bytes * 8 != rtl::kLinkPortFlitWidth)
    throw std::runtime_error(
        fmt::format("{}: link.flit_bytes is {}, the verilated link_port carries {}-bit flits",
                    opt.config, cfg.link.flit_bytes, rtl::kLinkPortFlitWidth));

  std::vector<Scenario> scenarios = directed(cfg.link);
  const std::size_t n_directed = scenarios.size();
  std::mt19937_64 rng(opt.seed);
  for (std::uint64_t left = opt.transactions; left > 0;) {
    const std::size_t n = std::min<std::uint64_t>(left, 1 + rng() % 300);
    scenarios.push_back(random_scenario(rng, cfg.link, n));
    left -= n;
  }

  const std::vector<ModelRun> wants = run_model(scenarios);
  auto context = std::make_unique<VerilatedContext>();
  auto model = std::make_unique<Vlink_port>(context.get());
  cosim::LinkPortHarness<Vlink_port> harness(*model);
  std::uint64_t flits = 0;
  std::uint64_t cycles = 0;
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    const Scenario& sc = scenarios[i];
    const cosim::LinkPortTiming timing = port_timing(sc.link);
    const ModelRun& want = wants[i];
    const std::uint64_t limit = want.flits.empty() ? 1 : want.flits.back().departure + 1000;
    const LinkPortResult got = harness.run(timing, sc.stimulus, limit);
    if (auto diff = first_divergence(sc, want, got)) {
      fmt::print(stderr, "link_port (seed {}): scenario {} ({}): {}\n", opt.seed, i, sc.name,
                 *diff);
      model->final();
      return 1;
    }
    flits += sc.stimulus.data.size();
    cycles += got.cycles;
  }
  model->final();
  fmt::print(
      "link_port: {} directed and {} random scenarios (seed {}, {} random flits) match the "
      "model: {} flits, {} cycles\n",
      n_directed, scenarios.size() - n_directed, opt.seed, opt.transactions, flits, cycles);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  cosim::Options defaults;
  defaults.transactions = 1000;
  return cosim::cosim_main(argc, argv, "test_cosim_link_port", defaults, true,
                           [](const cosim::Options& opt) { return run(opt); });
}
