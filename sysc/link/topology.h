// The chip-to-chip network as a graph, and how a packet finds its way through it.
//
// Nodes are the chips (0 .. chips-1) and, for a switched system, the switch (node `chips`).
// A port is one direction of the links between two nodes: links joining the same pair in
// the same role form one port whose bandwidth and receive buffers add up (packets are
// striped across them, as lanes of one link are), so a packet never overtakes another on
// the way between two nodes.
//
// How config::LinkParams::count spreads over the ports of a chip:
//  - ring and torus: each dimension of size >= 2 gives a chip a + and a - port (on a size-2
//    dimension both lead to the same neighbour, as two cables do); count must split evenly
//    over them, e.g. 4 links on a 2D torus are one per neighbour;
//  - switch: all count links of a chip go to the switch, and as many come back;
//  - edges: each listed edge is one link in each direction; an edge listed twice is two
//    links (one port of twice the bandwidth); no chip may have more than count.
//
// Routing (deterministic, minimal, and deadlock-free with the virtual channels given):
//  - ring and torus: dimension order (x, then y, then z), each dimension the short way round,
//    the + way on a tie. Deadlock avoidance is the dateline scheme with two virtual
//    channels: a packet travels on VC 0 in each dimension until it takes that dimension's
//    wrap-around link (from coordinate n-1 to 0 going +, 0 to n-1 going -), and on VC 1 from
//    that link on. Within a dimension the VC-0 channels then form a chain (no wrap link) and
//    the VC-1 channels a chain (a minimal route wraps at most once), and dimension order
//    means no route turns back to an earlier dimension: the channel dependency graph has no
//    cycle, so no set of packets can wait on each other's buffers in a circle.
//  - switch: chip -> switch -> chip, VC 0; no cycle is possible.
//  - edges: up*/down* routing on a breadth-first spanning tree from chip 0: a link is "up"
//    when it leads to a node nearer chip 0 (by tree level, then by lower number), and a
//    route never takes an up link after a down link; among such routes the shortest, ties
//    to lower-numbered neighbours. Any connected graph works, with one VC; routes may be
//    longer than the shortest path.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"

namespace trnsim::sysc {

struct LinkPort {
  std::uint32_t from = 0;
  std::uint32_t to = 0;
  std::uint32_t links = 1;  // parallel links this port stripes over
  std::string name;         // "chip0->chip1 (x+)", for reports and errors
};

// One step of a route: the port taken and the virtual channel used on it.
struct Hop {
  std::uint32_t port = 0;
  std::uint8_t vc = 0;

  bool operator==(const Hop&) const = default;
};

class Topology {
 public:
  // The config must have passed the loader's checks (config_loader.h).
  explicit Topology(const config::SystemConfig& cfg);

  std::uint32_t chips() const { return m_chips; }
  std::uint32_t nodes() const { return m_nodes; }  // chips, plus the switch if any
  const std::vector<LinkPort>& ports() const { return m_ports; }
  // Virtual channels a port needs under the routing scheme: 2 on a ring or torus, else 1.
  std::uint8_t virtual_channels() const { return m_vcs; }
  // The hops from chip `src` to chip `dst` (empty when they are the same chip).
  const std::vector<Hop>& route(std::uint32_t src, std::uint32_t dst) const;

  // Coordinates of a chip on a ring or torus (x fastest, then y, then z).
  std::vector<std::uint32_t> coordinates(std::uint32_t chip) const;

 private:
  std::uint32_t add_port(std::uint32_t from, std::uint32_t to, std::uint32_t links,
                         std::string name);
  void build_torus(const config::SystemConfig& cfg);
  void build_switch(const config::SystemConfig& cfg);
  void build_edges(const config::SystemConfig& cfg);
  std::vector<Hop> torus_route(std::uint32_t src, std::uint32_t dst) const;
  std::vector<Hop> up_down_route(std::uint32_t src, std::uint32_t dst) const;

  config::TopologyKind m_kind;
  std::uint32_t m_chips = 1;
  std::uint32_t m_nodes = 1;
  std::uint8_t m_vcs = 1;
  std::vector<std::uint32_t> m_dims;
  std::vector<LinkPort> m_ports;
  // Torus: m_dir_port[chip * 2 * dims + 2 * d + (minus ? 1 : 0)]; switch: chip -> switch
  // at [chip], switch -> chip at [chips + chip]; edges: unused.
  std::vector<std::uint32_t> m_dir_port;
  // Edges: ports leaving each node, and each node's tree level from chip 0.
  std::vector<std::vector<std::uint32_t>> m_out;
  std::vector<std::uint32_t> m_level;
  std::vector<std::vector<Hop>> m_routes;  // [src * chips + dst]
};

}  // namespace trnsim::sysc
