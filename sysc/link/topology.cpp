#include "sysc/link/topology.h"

#include <algorithm>
#include <deque>
#include <limits>
#include <map>

#include <fmt/format.h>

#include "config/derived.h"

namespace trnsim::sysc {

namespace {
constexpr std::uint32_t kNoPort = std::numeric_limits<std::uint32_t>::max();
const char* const kAxis[] = {"x", "y", "z"};
}  // namespace

Topology::Topology(const config::SystemConfig& cfg)
    : m_kind(cfg.topology.kind), m_chips(cfg.system.chips), m_nodes(cfg.system.chips) {
  switch (m_kind) {
    case config::TopologyKind::kRing:
    case config::TopologyKind::kTorus:
      build_torus(cfg);
      break;
    case config::TopologyKind::kSwitch:
      build_switch(cfg);
      break;
    case config::TopologyKind::kEdges:
      build_edges(cfg);
      break;
    case config::TopologyKind::kNone:
      break;
  }
  m_routes.resize(std::size_t{m_chips} * m_chips);
  for (std::uint32_t s = 0; s < m_chips; ++s) {
    for (std::uint32_t d = 0; d < m_chips; ++d) {
      if (s == d) continue;
      std::vector<Hop>& r = m_routes[std::size_t{s} * m_chips + d];
      if (m_kind == config::TopologyKind::kSwitch) {
        r = {{m_dir_port[s], 0}, {m_dir_port[m_chips + d], 0}};
      } else if (m_kind == config::TopologyKind::kEdges) {
        r = up_down_route(s, d);
      } else {
        r = torus_route(s, d);
      }
    }
  }
}

const std::vector<Hop>& Topology::route(std::uint32_t src, std::uint32_t dst) const {
  return m_routes[std::size_t{src} * m_chips + dst];
}

std::uint32_t Topology::add_port(std::uint32_t from, std::uint32_t to, std::uint32_t links,
                                 std::string name) {
  m_ports.push_back(LinkPort{from, to, links, std::move(name)});
  return static_cast<std::uint32_t>(m_ports.size() - 1);
}

std::vector<std::uint32_t> Topology::coordinates(std::uint32_t chip) const {
  std::vector<std::uint32_t> c;
  for (std::uint32_t d : m_dims) {
    c.push_back(chip % d);
    chip /= d;
  }
  return c;
}

void Topology::build_torus(const config::SystemConfig& cfg) {
  m_dims = cfg.topology.dims;
  if (m_dims.empty()) m_dims = {m_chips};  // a ring without dims spans every chip
  m_vcs = 2;
  const std::uint32_t ports = config::torus_ports_per_chip(cfg);
  const std::uint32_t links = ports == 0 ? 0 : cfg.link.count / ports;
  const std::size_t dims = m_dims.size();
  m_dir_port.assign(std::size_t{m_chips} * 2 * dims, kNoPort);
  for (std::uint32_t chip = 0; chip < m_chips; ++chip) {
    const std::vector<std::uint32_t> c = coordinates(chip);
    std::uint32_t stride = 1;
    for (std::size_t d = 0; d < dims; ++d) {
      const std::uint32_t n = m_dims[d];
      if (n >= 2) {
        const std::uint32_t plus = chip + ((c[d] + 1) % n - c[d]) * stride;
        const std::uint32_t minus = chip + ((c[d] + n - 1) % n - c[d]) * stride;
        m_dir_port[chip * 2 * dims + 2 * d] =
            add_port(chip, plus, links, fmt::format("chip{}->chip{} ({}+)", chip, plus, kAxis[d]));
        m_dir_port[chip * 2 * dims + 2 * d + 1] = add_port(
            chip, minus, links, fmt::format("chip{}->chip{} ({}-)", chip, minus, kAxis[d]));
      }
      stride *= n;
    }
  }
}

std::vector<Hop> Topology::torus_route(std::uint32_t src, std::uint32_t dst) const {
  std::vector<Hop> hops;
  const std::size_t dims = m_dims.size();
  const std::vector<std::uint32_t> from = coordinates(src);
  const std::vector<std::uint32_t> to = coordinates(dst);
  std::uint32_t at = src;
  std::uint32_t stride = 1;
  for (std::size_t d = 0; d < dims; ++d) {
    const std::uint32_t n = m_dims[d];
    const std::uint32_t ahead = (to[d] + n - from[d]) % n;  // hops going +
    const bool plus = ahead <= n - ahead;                   // the + way on a tie
    const std::uint32_t steps = plus ? ahead : n - ahead;
    std::uint32_t coord = from[d];
    std::uint8_t vc = 0;
    for (std::uint32_t i = 0; i < steps; ++i) {
      // The wrap-around link is this dimension's dateline: VC 1 from it on.
      if ((plus && coord == n - 1) || (!plus && coord == 0)) vc = 1;
      hops.push_back({m_dir_port[at * 2 * dims + 2 * d + (plus ? 0 : 1)], vc});
      const std::uint32_t next = plus ? (coord + 1) % n : (coord + n - 1) % n;
      at = at + next * stride - coord * stride;
      coord = next;
    }
    stride *= n;
  }
  return hops;
}

void Topology::build_switch(const config::SystemConfig& cfg) {
  m_nodes = m_chips + 1;
  const std::uint32_t sw = m_chips;
  m_dir_port.assign(2 * std::size_t{m_chips}, kNoPort);
  for (std::uint32_t chip = 0; chip < m_chips; ++chip)
    m_dir_port[chip] = add_port(chip, sw, cfg.link.count, fmt::format("chip{}->switch", chip));
  for (std::uint32_t chip = 0; chip < m_chips; ++chip)
    m_dir_port[m_chips + chip] =
        add_port(sw, chip, cfg.link.count, fmt::format("switch->chip{}", chip));
}

void Topology::build_edges(const config::SystemConfig& cfg) {
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint32_t> links;
  for (const auto& [a, b] : cfg.topology.edges) {
    ++links[{a, b}];
    ++links[{b, a}];
  }
  m_out.assign(m_chips, {});
  for (const auto& [pair, count] : links) {
    const auto [a, b] = pair;
    m_out[a].push_back(add_port(a, b, count, fmt::format("chip{}->chip{}", a, b)));
  }
  // Tree levels by breadth-first search from chip 0 (the loader checked connectivity).
  m_level.assign(m_chips, std::numeric_limits<std::uint32_t>::max());
  std::deque<std::uint32_t> queue{0};
  m_level[0] = 0;
  while (!queue.empty()) {
    const std::uint32_t u = queue.front();
    queue.pop_front();
    for (std::uint32_t p : m_out[u]) {
      const std::uint32_t v = m_ports[p].to;
      if (m_level[v] != std::numeric_limits<std::uint32_t>::max()) continue;
      m_level[v] = m_level[u] + 1;
      queue.push_back(v);
    }
  }
}

std::vector<Hop> Topology::up_down_route(std::uint32_t src, std::uint32_t dst) const {
  // Breadth-first search over (node, has gone down): an up link is allowed only before the
  // first down link. Ports are listed by destination, so ties go to lower neighbours.
  auto up = [&](const LinkPort& p) {
    return m_level[p.to] < m_level[p.from] || (m_level[p.to] == m_level[p.from] && p.to < p.from);
  };
  const std::uint32_t states = 2 * m_chips;
  std::vector<std::uint32_t> via(states, kNoPort);   // port that reached each state
  std::vector<std::uint32_t> from(states, kNoPort);  // the state it was reached from
  std::deque<std::uint32_t> queue{2 * src};
  from[2 * src] = 2 * src;
  std::uint32_t found = kNoPort;
  while (!queue.empty() && found == kNoPort) {
    const std::uint32_t s = queue.front();
    queue.pop_front();
    const bool down = s % 2 == 1;
    for (std::uint32_t p : m_out[s / 2]) {
      const bool is_up = up(m_ports[p]);
      if (is_up && down) continue;
      const std::uint32_t next = 2 * m_ports[p].to + (is_up && !down ? 0 : 1);
      if (from[next] != kNoPort) continue;
      from[next] = s;
      via[next] = p;
      if (m_ports[p].to == dst) {
        found = next;
        break;
      }
      queue.push_back(next);
    }
  }
  std::vector<Hop> hops;
  for (std::uint32_t s = found; s != 2 * src; s = from[s])
    hops.push_back({via[s], 0});
  std::reverse(hops.begin(), hops.end());
  return hops;
}

}  // namespace trnsim::sysc
