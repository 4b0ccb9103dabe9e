#include "sysc/link/network.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "sysc/memory/address_map.h"

namespace trnsim::sysc {

using sc_core::sc_time;

namespace {
constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();
// The link interface's round-robin turn for semaphore updates (engines use their number).
constexpr std::uint32_t kSemaphoreSource = std::numeric_limits<std::uint32_t>::max();
}  // namespace

Network::Network(sc_core::sc_module_name name, const config::SystemConfig& cfg,
                 const std::vector<std::uint32_t>& chips_with_memory, const events::Probe* probe)
    : sc_module(name),
      memory("memory"),
      m_link(cfg.link),
      m_topology(cfg),
      m_clock(cfg.link.clock_ghz),
      m_probe(probe && probe->active() ? probe : nullptr),
      m_wire(cycles_of(cfg.link.latency_ns)),
      m_credit(cycles_of(cfg.link.credit_return_ns)),
      m_router(cycles_of(cfg.link.router_delay_ns)),
      m_vcs(m_topology.virtual_channels()) {
  m_socket_of_chip.assign(m_topology.chips(), -1);
  for (std::size_t k = 0; k < chips_with_memory.size(); ++k)
    m_socket_of_chip[chips_with_memory[k]] = static_cast<int>(k);

  const std::vector<LinkPort>& links = m_topology.ports();
  m_ports.resize(links.size());
  m_traffic.resize(links.size());
  std::vector<std::uint32_t> inputs_of_node(m_topology.nodes(), 0);
  for (std::size_t i = 0; i < links.size(); ++i)
    m_ports[i].in_slot = inputs_of_node[links[i].to]++;
  for (std::size_t i = 0; i < links.size(); ++i) {
    Port& p = m_ports[i];
    config::LinkParams one = cfg.link;
    one.bandwidth_gb_s *= links[i].links;  // parallel links stripe a packet
    p.flit_cycles = link_cycles(one).flit;
    p.credits.assign(m_vcs, static_cast<std::int64_t>(cfg.link.buffer_credits) * links[i].links);
    p.inputs.resize(1 + std::size_t{inputs_of_node[links[i].from]} * m_vcs);
  }

  SC_METHOD(run);
  sensitive << m_wake;
  dont_initialize();
}

std::uint64_t Network::cycles_of(double ns) const {
  // Whole cycles, rounded up; a time that is a whole number of cycles up to floating-point
  // noise counts as that number (as link_timing.h does).
  const double c = ns * m_link.clock_ghz;
  const double nearest = std::round(c);
  if (std::abs(c - nearest) < 1e-6) return static_cast<std::uint64_t>(nearest);
  return static_cast<std::uint64_t>(std::ceil(c));
}

std::uint64_t Network::now_cycle() const {
  const double c = m_clock.to_cycles(sc_core::sc_time_stamp());
  const double nearest = std::round(c);
  if (std::abs(c - nearest) < 1e-3) return static_cast<std::uint64_t>(nearest);
  return static_cast<std::uint64_t>(std::ceil(c));
}

sc_time Network::time_of(std::uint64_t cycle) const {
  return m_clock.cycles(static_cast<double>(cycle));
}

void Network::schedule(EventKind kind, std::uint64_t cycle, std::uint32_t a, std::uint32_t b,
                       std::uint32_t c) {
  const bool earliest = m_events.empty() || cycle < m_events.top().cycle;
  m_events.push(Event{cycle, m_seq++, kind, a, b, c});
  if (m_in_run || !earliest) return;
  const sc_time at = time_of(cycle);
  const sc_time now = sc_core::sc_time_stamp();
  m_wake.notify(at > now ? at - now : sc_core::SC_ZERO_TIME);
}

void Network::wake(std::uint32_t port, std::uint64_t cycle) {
  Port& p = m_ports[port];
  if (cycle >= p.wake_at) return;
  p.wake_at = cycle;
  schedule(EventKind::kWake, cycle, port);
}

void Network::run() {
  m_in_run = true;
  const std::uint64_t now = now_cycle();
  while (!m_events.empty() && m_events.top().cycle <= now) {
    const Event e = m_events.top();
    m_events.pop();
    switch (e.kind) {
      case EventKind::kInject:
        inject(e.a, e.cycle);
        break;
      case EventKind::kWake:
        // Only the earliest wake-up asked for counts; later ones were folded into it.
        if (m_ports[e.a].wake_at != e.cycle) break;
        m_ports[e.a].wake_at = kNever;
        arbitrate(e.a, e.cycle);
        break;
      case EventKind::kCredit:
        m_ports[e.a].credits[e.b] += e.c;
        wake(e.a, e.cycle);
        break;
      case EventKind::kEject:
        eject(e.a, e.cycle);
        break;
    }
  }
  m_in_run = false;
  if (m_events.empty()) return;
  const sc_time at = time_of(m_events.top().cycle);
  const sc_time t = sc_core::sc_time_stamp();
  m_wake.notify(at > t ? at - t : sc_core::SC_ZERO_TIME);
}

std::uint32_t Network::start_transfer(Transfer t) {
  std::uint32_t index;
  if (m_free_transfers.empty()) {
    index = static_cast<std::uint32_t>(m_transfers.size());
    m_transfers.push_back(std::move(t));
  } else {
    index = m_free_transfers.back();
    m_free_transfers.pop_back();
    m_transfers[index] = std::move(t);
  }
  return index;
}

void Network::write(const RemoteWrite& w) {
  Transfer t;
  t.w = w;
  t.route = &m_topology.route(w.src_chip, w.dst_chip);
  const std::uint64_t packet = m_link.packet_bytes;
  t.packets_left = (w.bytes + packet - 1) / packet;
  const double first = m_clock.to_cycles(w.first_byte);
  t.first_cycle = std::max(now_cycle(), static_cast<std::uint64_t>(std::ceil(first - 1e-3)));
  t.last_entry = t.first_cycle;
  const std::uint32_t index = start_transfer(std::move(t));
  schedule(EventKind::kInject, m_transfers[index].first_cycle, index);
}

void Network::post(std::uint32_t src_chip, std::uint32_t dst_chip, std::function<void()> deliver) {
  Transfer t;
  t.w.src_chip = src_chip;
  t.w.dst_chip = dst_chip;
  t.w.source = kSemaphoreSource;
  t.route = &m_topology.route(src_chip, dst_chip);
  t.deliver = std::move(deliver);
  t.packets_left = 1;
  t.first_cycle = now_cycle();
  const std::uint32_t index = start_transfer(std::move(t));
  schedule(EventKind::kInject, m_transfers[index].first_cycle, index);
}

void Network::enqueue(Queue& q, std::uint32_t packet) {
  m_packets[packet].next = kNone;
  if (q.head == kNone) {
    q.head = packet;
  } else {
    m_packets[q.tail].next = packet;
  }
  q.tail = packet;
}

std::uint32_t Network::pop(Queue& q) {
  const std::uint32_t packet = q.head;
  q.head = m_packets[packet].next;
  if (q.head == kNone) q.tail = kNone;
  return packet;
}

void Network::inject(std::uint32_t transfer, std::uint64_t now) {
  Transfer& t = m_transfers[transfer];
  const bool semaphore = static_cast<bool>(t.deliver);
  const std::uint64_t packet_bytes = m_link.packet_bytes;
  const std::uint64_t flit_bytes = m_link.flit_bytes;
  const double cycles_per_byte = t.w.ns_per_byte * m_link.clock_ghz;
  do {
    const std::uint64_t bytes = std::min(packet_bytes, t.w.bytes - t.sent_bytes);
    if (!semaphore) {
      // The engine holds at most the window in the interface; a packet that does not fit
      // waits until one has left (and at least one packet always fits).
      if (t.queued_bytes > 0 && t.queued_bytes + bytes > m_link.injection_window_bytes) {
        t.waiting_for_window = true;
        return;
      }
      // The engine has streamed this packet when the bytes up to its end have come at its
      // rate, and no sooner than the packet's own bytes after the previous one went in.
      const auto at_rate = [&](std::uint64_t b) {
        const double c = static_cast<double>(b) * cycles_per_byte;
        return static_cast<std::uint64_t>(std::ceil(c - 1e-6));
      };
      const std::uint64_t ready =
          std::max(t.first_cycle + at_rate(t.sent_bytes + bytes), t.last_entry + at_rate(bytes));
      if (ready > now) {
        schedule(EventKind::kInject, ready, transfer);
        return;
      }
    }
    std::uint32_t index;
    if (m_free_packets.empty()) {
      index = static_cast<std::uint32_t>(m_packets.size());
      m_packets.emplace_back();
    } else {
      index = m_free_packets.back();
      m_free_packets.pop_back();
    }
    Packet& k = m_packets[index];
    k = Packet{};
    k.transfer = transfer;
    k.bytes = bytes;
    k.flits = static_cast<std::uint32_t>(
        std::max<std::uint64_t>(1, (bytes + flit_bytes - 1) / flit_bytes));
    k.offset = t.sent_bytes;
    k.eligible = now + m_router;
    ++m_live_packets;
    const std::uint32_t port = (*t.route)[0].port;
    Port& p = m_ports[port];
    auto [it, added] =
        p.source_index.try_emplace(t.w.source, static_cast<std::uint32_t>(p.sources.size()));
    if (added) p.sources.emplace_back();
    enqueue(p.sources[it->second], index);
    wake(port, k.eligible);
    t.sent_bytes += bytes;
    t.queued_bytes += bytes;
    t.last_entry = now;
  } while (t.sent_bytes < t.w.bytes);
  if (!semaphore) t.w.client->transfer_injected(t.w.tag);
}

std::uint32_t Network::ready_head(Port& p, std::uint32_t c, std::uint64_t now,
                                  std::uint64_t& earliest) {
  const auto ready = [&](std::uint32_t packet) {
    const Packet& k = m_packets[packet];
    if (k.eligible > now) {
      earliest = std::min(earliest, k.eligible);
      return false;
    }
    const Hop& h = (*m_transfers[k.transfer].route)[k.hop];
    return p.credits[h.vc] >= k.flits;
  };
  if (c > 0) {
    Queue& q = p.inputs[c];
    if (q.empty() || !ready(q.head)) return kNone;
    return pop(q);
  }
  const std::size_t n = p.sources.size();
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t s = (p.next_source + i) % n;
    Queue& q = p.sources[s];
    if (q.empty() || !ready(q.head)) continue;
    p.next_source = static_cast<std::uint32_t>((s + 1) % n);
    return pop(q);
  }
  return kNone;
}

void Network::arbitrate(std::uint32_t port, std::uint64_t now) {
  Port& p = m_ports[port];
  if (p.free_at > now) {
    wake(port, p.free_at);
    return;
  }
  std::uint64_t earliest = kNever;
  const std::size_t n = p.inputs.size();
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<std::uint32_t>((p.next_input + i) % n);
    const std::uint32_t packet = ready_head(p, c, now, earliest);
    if (packet == kNone) continue;
    p.next_input = static_cast<std::uint32_t>((c + 1) % n);
    send(port, packet, now);
    // Look again when the serializer is free; an empty look costs little.
    wake(port, p.free_at);
    return;
  }
  // Heads still on their way are looked at when they become eligible; heads short of
  // credits when credits come back (a credit event wakes the port).
  if (earliest != kNever) wake(port, earliest);
}

void Network::send(std::uint32_t port, std::uint32_t packet, std::uint64_t now) {
  Packet& k = m_packets[packet];
  Transfer& t = m_transfers[k.transfer];
  const std::vector<Hop>& route = *t.route;
  const Hop hop = route[k.hop];
  Port& p = m_ports[port];
  p.credits[hop.vc] -= k.flits;
  const std::uint64_t duration = k.flits * p.flit_cycles;
  p.free_at = now + duration;
  PortTraffic& traffic = m_traffic[port];
  traffic.bytes += k.bytes;
  traffic.packets++;
  traffic.busy_cycles += duration;
  if (m_probe) {
    const LinkPort& link = m_topology.ports()[port];
    auto chip_of = [this](std::uint32_t node) {
      return node < m_topology.chips() ? static_cast<std::int32_t>(node) : -1;
    };
    m_probe->link({port, link.name, chip_of(link.from), chip_of(link.to), seconds(time_of(now)),
                   seconds(time_of(now + duration)), k.bytes});
  }

  if (k.prev_port != kNone) {
    // Its tail has left the previous port's receive buffer once it is out on this port.
    schedule(EventKind::kCredit, now + duration + m_credit + 1, k.prev_port, k.prev_vc, k.flits);
  } else if (!t.deliver) {
    t.queued_bytes -= k.bytes;
    if (t.waiting_for_window) {
      t.waiting_for_window = false;
      schedule(EventKind::kInject, now, k.transfer);
    }
  }
  const std::uint64_t head = now + p.flit_cycles + m_wire;
  const std::uint64_t tail = now + duration + m_wire;
  k.prev_port = port;
  k.prev_vc = hop.vc;
  ++k.hop;
  if (k.hop == route.size()) {
    schedule(EventKind::kEject, tail + m_router, packet);
    return;
  }
  const std::uint32_t next = route[k.hop].port;
  Port& q = m_ports[next];
  // Cut-through: on from R cycles after the head, but its last flit cannot leave before it
  // has arrived.
  const std::uint64_t last_flit = (k.flits - 1) * q.flit_cycles;
  k.eligible = std::max(head, tail > last_flit ? tail - last_flit : 0) + m_router;
  enqueue(q.inputs[1 + std::size_t{p.in_slot} * m_vcs + hop.vc], packet);
  wake(next, k.eligible);
}

void Network::release(std::uint32_t packet) {
  m_free_packets.push_back(packet);
  --m_live_packets;
}

void Network::eject(std::uint32_t packet, std::uint64_t now) {
  Packet& k = m_packets[packet];
  const std::uint32_t transfer = k.transfer;
  Transfer& t = m_transfers[transfer];
  if (t.deliver) {
    schedule(EventKind::kCredit, now + m_credit + 1, k.prev_port, k.prev_vc, k.flits);
    release(packet);
    const std::function<void()> deliver = std::move(t.deliver);
    m_transfers[transfer] = Transfer{};
    m_free_transfers.push_back(transfer);
    deliver();
    return;
  }
  const int socket = m_socket_of_chip[t.w.dst_chip];
  if (socket < 0) {
    SC_REPORT_ERROR("trnsim/network", "a packet for a chip whose memory is not modelled");
    return;
  }
  // The packet's first byte in the destination rows.
  const DmaRows& d = t.w.dst;
  const std::uint64_t row = d.row_bytes > 0 ? k.offset / d.row_bytes : 0;
  const std::uint64_t in_row = d.row_bytes > 0 ? k.offset % d.row_bytes : k.offset;
  const std::uint64_t address =
      d.address + static_cast<std::uint64_t>(d.stride * static_cast<std::int64_t>(row)) + in_row;
  const sc_time at = time_of(now);
  sc_time delay = sc_core::SC_ZERO_TIME;
  memory[socket]->b_transport(m_payload.prepare(tlm::TLM_WRITE_COMMAND, address, k.bytes, 1, 0, at),
                              delay);
  // The receive buffer is free once the memory has taken the packet.
  const sc_time taken = std::max(at, m_payload.stream_end());
  const auto taken_cycle = static_cast<std::uint64_t>(std::ceil(m_clock.to_cycles(taken) - 1e-3));
  schedule(EventKind::kCredit, std::max(now, taken_cycle) + m_credit + 1, k.prev_port, k.prev_vc,
           k.flits);
  release(packet);
  t.landed = std::max(t.landed, at + delay);
  if (--t.packets_left > 0) return;
  NetworkClient* client = t.w.client;
  const std::uint64_t tag = t.w.tag;
  const sc_time landed = t.landed;
  m_transfers[transfer] = Transfer{};
  m_free_transfers.push_back(transfer);
  client->transfer_landed(tag, landed);
}

}  // namespace trnsim::sysc
