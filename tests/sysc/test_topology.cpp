// Topologies and routing of the chip-to-chip network (sysc/link/topology.h): every route is
// a path of the right length, and the virtual channels break every cycle of buffer
// dependencies, the condition for the network to be free of deadlock.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <set>
#include <vector>

#include "common/diagnostic.h"
#include "config/config_loader.h"
#include "sysc/link/topology.h"

using namespace trnsim;
using sysc::Hop;
using sysc::Topology;

namespace {

config::SystemConfig system_of(config::TopologyKind kind, std::vector<std::uint32_t> dims,
                               std::uint32_t chips, std::uint32_t links) {
  config::SystemConfig cfg;
  cfg.system.chips = chips;
  cfg.topology.kind = kind;
  cfg.topology.dims = std::move(dims);
  cfg.link.count = links;
  return cfg;
}

config::SystemConfig torus(std::vector<std::uint32_t> dims, std::uint32_t links = 0) {
  std::uint32_t chips = 1;
  std::uint32_t ports = 0;
  for (std::uint32_t d : dims) {
    chips *= d;
    ports += d >= 2 ? 2 : 0;
  }
  return system_of(config::TopologyKind::kTorus, std::move(dims), chips,
                   links == 0 ? ports : links);
}

// Checks that every route starts at its source, follows ports end to end and stops at its
// destination; returns the hop count of each route.
std::map<std::pair<std::uint32_t, std::uint32_t>, std::size_t> check_paths(const Topology& t) {
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::size_t> hops;
  for (std::uint32_t s = 0; s < t.chips(); ++s) {
    for (std::uint32_t d = 0; d < t.chips(); ++d) {
      const std::vector<Hop>& r = t.route(s, d);
      CAPTURE(s);
      CAPTURE(d);
      if (s == d) {
        CHECK(r.empty());
        continue;
      }
      REQUIRE_FALSE(r.empty());
      std::uint32_t at = s;
      for (const Hop& h : r) {
        REQUIRE(t.ports()[h.port].from == at);
        REQUIRE(h.vc < t.virtual_channels());
        at = t.ports()[h.port].to;
      }
      CHECK(at == d);
      hops[{s, d}] = r.size();
    }
  }
  return hops;
}

// Whether the channel dependency graph of all routes has a cycle: a channel is a (port, VC)
// pair (or only the port, when `ignore_vcs`), and a route holding one channel while it
// waits for the next makes an edge between them.
bool dependencies_cycle(const Topology& t, bool ignore_vcs) {
  const auto channel = [&](const Hop& h) { return ignore_vcs ? h.port : h.port * 2u + h.vc; };
  std::map<std::uint32_t, std::set<std::uint32_t>> edges;
  for (std::uint32_t s = 0; s < t.chips(); ++s) {
    for (std::uint32_t d = 0; d < t.chips(); ++d) {
      const std::vector<Hop>& r = t.route(s, d);
      for (std::size_t i = 1; i < r.size(); ++i)
        edges[channel(r[i - 1])].insert(channel(r[i]));
    }
  }
  // Depth-first search for a back edge.
  std::map<std::uint32_t, int> state;  // 1 on the stack, 2 done
  bool cycle = false;
  const auto visit = [&](auto&& self, std::uint32_t c) -> void {
    state[c] = 1;
    for (std::uint32_t n : edges[c]) {
      if (state[n] == 1) cycle = true;
      if (state[n] == 0) self(self, n);
    }
    state[c] = 2;
  };
  for (const auto& [c, next] : edges) {
    if (state[c] == 0) visit(visit, c);
  }
  return cycle;
}

std::uint32_t ring_distance(std::uint32_t a, std::uint32_t b, std::uint32_t n) {
  const std::uint32_t ahead = (b + n - a) % n;
  return std::min(ahead, n - ahead);
}

}  // namespace

TEST_CASE("a ring routes the short way round, the + way on a tie, and changes VC at the wrap") {
  const Topology t(system_of(config::TopologyKind::kRing, {}, 8, 4));
  CHECK(t.virtual_channels() == 2);
  REQUIRE(t.ports().size() == 16);
  CHECK(t.ports()[0].links == 2);  // 4 links over the + and - ports
  const auto hops = check_paths(t);
  for (const auto& [pair, n] : hops)
    CHECK(n == ring_distance(pair.first, pair.second, 8));
  // 6 -> 2 goes + through the wrap 7 -> 0: VC 0 up to it, VC 1 from it on.
  const std::vector<Hop>& r = t.route(6, 2);
  REQUIRE(r.size() == 4);
  CHECK(t.ports()[r[0].port].name == "chip6->chip7 (x+)");
  CHECK(std::vector<int>{r[0].vc, r[1].vc, r[2].vc, r[3].vc} == std::vector<int>{0, 1, 1, 1});
  // 0 -> 4 is a tie: the + way.
  CHECK(t.ports()[t.route(0, 4)[0].port].to == 1);
}

TEST_CASE("tori route in dimension order over minimal distances") {
  for (const auto& dims :
       std::vector<std::vector<std::uint32_t>>{{4, 4}, {4, 4, 4}, {2, 3}, {5, 3}, {3, 1, 2}}) {
    CAPTURE(dims.size());
    CAPTURE(dims[0]);
    const Topology t(torus(dims));
    const auto hops = check_paths(t);
    for (const auto& [pair, n] : hops) {
      const auto a = t.coordinates(pair.first);
      const auto b = t.coordinates(pair.second);
      std::size_t expected = 0;
      for (std::size_t d = 0; d < dims.size(); ++d)
        expected += ring_distance(a[d], b[d], dims[d]);
      CHECK(n == expected);
    }
  }
  // x first: (0,0) -> (2,1) on a 4x4 torus passes (1,0) and (2,0).
  const Topology t(torus({4, 4}));
  const std::vector<Hop>& r = t.route(0, 2 + 4);
  REQUIRE(r.size() == 3);
  CHECK(t.ports()[r[0].port].to == 1);
  CHECK(t.ports()[r[1].port].to == 2);
  CHECK(t.ports()[r[2].port].to == 6);
}

TEST_CASE("the dateline VCs leave no cycle of buffer dependencies on rings and tori") {
  for (const auto& dims :
       std::vector<std::vector<std::uint32_t>>{{8}, {4, 4}, {4, 4, 4}, {5, 3}, {2, 3}}) {
    CAPTURE(dims.size());
    CAPTURE(dims[0]);
    const Topology t = dims.size() == 1
                           ? Topology(system_of(config::TopologyKind::kRing, dims, dims[0], 2))
                           : Topology(torus(dims));
    CHECK_FALSE(dependencies_cycle(t, false));
    // Without them the wrap-around links close a cycle: the VCs are what prevents deadlock.
    if (dims[0] >= 4) CHECK(dependencies_cycle(t, true));
  }
}

TEST_CASE("a switch is two hops between any two chips, all links of a chip on one port") {
  const Topology t(system_of(config::TopologyKind::kSwitch, {}, 64, 8));
  CHECK(t.nodes() == 65);
  CHECK(t.virtual_channels() == 1);
  const auto hops = check_paths(t);
  for (const auto& [pair, n] : hops)
    CHECK(n == 2);
  CHECK(t.ports()[0].links == 8);
  CHECK_FALSE(dependencies_cycle(t, false));
}

TEST_CASE("an edge list routes up*/down*: every pair reached, no dependency cycle") {
  // A 3x3 mesh (no wrap links), a ring written as edges (a cycle the routing must break), and
  // a double link.
  config::SystemConfig mesh = system_of(config::TopologyKind::kEdges, {}, 9, 4);
  for (std::uint32_t y = 0; y < 3; ++y) {
    for (std::uint32_t x = 0; x < 3; ++x) {
      if (x < 2) mesh.topology.edges.push_back({y * 3 + x, y * 3 + x + 1});
      if (y < 2) mesh.topology.edges.push_back({y * 3 + x, y * 3 + x + 3});
    }
  }
  config::SystemConfig ring = system_of(config::TopologyKind::kEdges, {}, 6, 4);
  for (std::uint32_t i = 0; i < 6; ++i)
    ring.topology.edges.push_back({i, (i + 1) % 6});
  ring.topology.edges.push_back({0, 1});
  for (const config::SystemConfig* cfg : {&mesh, &ring}) {
    const Topology t(*cfg);
    const auto hops = check_paths(t);
    CHECK(hops.size() == std::size_t{t.chips()} * (t.chips() - 1));
    CHECK_FALSE(dependencies_cycle(t, false));
  }
  const Topology r(ring);
  CHECK(r.ports()[r.route(0, 1)[0].port].links == 2);
  // Mesh routes are minimal here: (0,0) -> (2,2) is 4 hops.
  CHECK(Topology(mesh).route(0, 8).size() == 4);
}

TEST_CASE(
    "link.count must split over a ring's or torus's ports and cover an edge list, a packet must "
    "fit a buffer") {
  // All messages of a config's errors, or nothing when it loads.
  const auto error_of = [](const std::string& text) {
    std::string out;
    try {
      config::load_config_text(text, TRNSIM_SOURCE_DIR "/configs/sys.yaml");
    } catch (const InputError& e) {
      for (const Diagnostic& d : e.diagnostics().items())
        out += d.message + "\n";
    }
    return out;
  };
  CHECK(error_of("base: trn2.yaml\nsystem: {chips: 64}\n"
                 "topology: {kind: torus, dims: [4, 4, 4]}\n")
            .find("link.count 4 does not split evenly over the 6 link ports of a chip") !=
        std::string::npos);
  CHECK(error_of("base: trn2.yaml\nsystem: {chips: 64}\n"
                 "topology: {kind: torus, dims: [4, 4, 4]}\nlink: {count: 6}\n")
            .empty());
  CHECK(error_of("base: trn2.yaml\nlink: {buffer_credits: 31, packet_bytes: 4Ki}\n")
            .find("a link.packet_bytes packet (4096 bytes) is 32 flits of link.flit_bytes (128), "
                  "more than a receive buffer holds (link.buffer_credits: 31)") !=
        std::string::npos);
  CHECK(error_of("base: trn2.yaml\nlink: {buffer_credits: 32, packet_bytes: 4Ki}\n").empty());
  CHECK(error_of("base: trn2.yaml\nsystem: {chips: 3}\nlink: {count: 1}\n"
                 "topology: {kind: edges, edges: [[0, 1], [0, 2]]}\n")
            .find("topology.edges give chip 0 2 links but link.count is 1") != std::string::npos);
}
