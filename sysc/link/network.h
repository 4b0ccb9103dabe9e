// The chip-to-chip network (NeuronLink): packets over credit flow-controlled links between
// the chips of a topology (topology.h), from a DMA engine of one chip to the memory of
// another, and semaphore updates that travel the same way.
//
// A DMA engine's transfer to another chip is cut into packets of link.packet_bytes. The
// engine streams them into its chip's link interface at its own rate (the source read is
// done by the engine, as for a local copy), holding at most link.injection_window_bytes
// there: a congested network stalls the engine, and that is how collective traffic and
// compute contend for DMA engines. Every node (chip router, or the switch) then moves a
// packet as follows, in cycles of the link clock (link.clock_ghz), with F the flit cycles of
// the port (link_timing.h; the flit's bytes at the port's bandwidth, which is the sum of
// its parallel links), W the wire, C the credit return and R the router delay:
//  - a packet of f flits may start on an output port once it is eligible there, the port's
//    serializer is free and the port holds f credits of the packet's virtual channel
//    (each VC of each port has link.buffer_credits x links flits of receive buffer);
//  - it occupies the port f x F cycles; its head is at the next node F + W cycles after it
//    started and its tail f x F + W cycles after;
//  - it is eligible at the next node R cycles after its head arrived (virtual cut-through),
//    and no earlier than its last flit can follow on the next port;
//  - its f credits are back at the sender C + 1 cycles after its tail left the receive
//    buffer: after it went out on the next port, or, at its destination, after the memory
//    took it (the write's streaming end, as the memory model computes it);
//  - at its destination it is written to memory (HBM or SBUF, through the chip's router)
//    R cycles after its tail arrived, and has landed when that write is done.
// Arbitration: each output port serves its contenders round-robin, one packet at a time:
// every (input port, VC) pair, and the local link interface as one more; inside the
// interface, the DMA engines (and semaphore updates) take turns round-robin. Two flows
// meeting on a link, from different inputs or from different engines of a chip, thus get
// half of it each. A contender whose head packet lacks credits is passed over.
//
// A semaphore update for another chip is a one-flit packet from the posting chip; it is
// applied when it reaches the destination. A DMA's @complete post follows its data (the
// post is sent once the last byte has landed), as the hardware's data-then-semaphore order
// on one path guarantees.
//
// Fidelity: no packet headers, CRC or retries; a packet's bytes are charged to the
// destination memory as one contiguous write at the packet's first address; the link
// interface of a chip has no bandwidth limit of its own beyond its ports.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <queue>
#include <unordered_map>
#include <vector>

#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <systemc>
#include <tlm>

#include "config/config.h"
#include "events/observer.h"
#include "sysc/common/clock.h"
#include "sysc/dma/dma_plan.h"
#include "sysc/link/link_timing.h"
#include "sysc/link/topology.h"
#include "sysc/memory/transfer_shape.h"

namespace trnsim::sysc {

class NetworkClient {
 public:
  virtual ~NetworkClient() = default;
  // The transfer's last packet entered the link interface: its engine is free again.
  virtual void transfer_injected(std::uint64_t tag) = 0;
  // Its last byte has been written at the destination, at `landed` (>= now).
  virtual void transfer_landed(std::uint64_t tag, const sc_core::sc_time& landed) = 0;
};

// A DMA engine's write into another chip's memory.
struct RemoteWrite {
  std::uint32_t src_chip = 0;
  std::uint32_t dst_chip = 0;
  std::uint32_t source = 0;  // the engine, unique in its chip: its own round-robin turn
  DmaRows dst;               // where the bytes go, in the system address space
  std::uint64_t bytes = 0;
  sc_core::sc_time first_byte;  // the first byte has been read and can be sent from then on
  double ns_per_byte = 0;       // the engine's streaming rate, overheads included
  NetworkClient* client = nullptr;
  std::uint64_t tag = 0;
};

// What one port carried, for reports.
struct PortTraffic {
  std::uint64_t bytes = 0;
  std::uint64_t packets = 0;
  std::uint64_t busy_cycles = 0;  // serializing
};

class Network : public sc_core::sc_module {
 public:
  // Socket k writes into the memory of chip `chips_with_memory[k]`: bind it to that chip's
  // router.
  tlm_utils::multi_passthrough_initiator_socket<Network> memory;

  SC_HAS_PROCESS(Network);
  // `probe` (optional) is told of every packet on every port (events::LinkEvent).
  Network(sc_core::sc_module_name name, const config::SystemConfig& cfg,
          const std::vector<std::uint32_t>& chips_with_memory,
          const events::Probe* probe = nullptr);

  const Topology& topology() const { return m_topology; }

  void write(const RemoteWrite& w);
  // Sends a semaphore update from `src_chip` to `dst_chip`; `deliver` runs on arrival.
  void post(std::uint32_t src_chip, std::uint32_t dst_chip, std::function<void()> deliver);

  const std::vector<PortTraffic>& traffic() const { return m_traffic; }
  std::uint64_t packets_in_flight() const { return m_live_packets; }
  // Cycles of one flit on `port` (F), and the wire W in cycles (for tests).
  std::uint64_t flit_cycles(std::uint32_t port) const { return m_ports[port].flit_cycles; }
  std::uint64_t wire_cycles() const { return m_wire; }

 private:
  static constexpr std::uint32_t kNone = ~std::uint32_t{0};

  struct Packet {
    std::uint32_t transfer = 0;
    std::uint32_t flits = 1;
    std::uint64_t bytes = 0;
    std::uint64_t offset = 0;         // of its first byte in the transfer
    std::uint64_t eligible = 0;       // cycle from which it may start on its next port
    std::uint32_t hop = 0;            // index of its next hop in the route
    std::uint32_t prev_port = kNone;  // the port it arrived on (its credits to return)
    std::uint8_t prev_vc = 0;
    std::uint32_t next = kNone;  // next packet in its queue
  };
  struct Queue {
    std::uint32_t head = kNone;
    std::uint32_t tail = kNone;
    bool empty() const { return head == kNone; }
  };
  struct Transfer {
    RemoteWrite w;
    const std::vector<Hop>* route = nullptr;
    std::function<void()> deliver;   // a semaphore update; empty for data
    std::uint64_t sent_bytes = 0;    // made into packets
    std::uint64_t queued_bytes = 0;  // in the link interface, not yet on a link
    std::uint64_t landed_bytes = 0;
    std::uint64_t packets_left = 0;  // not yet landed
    std::uint64_t first_cycle = 0;   // the first byte can be sent
    std::uint64_t last_entry = 0;    // cycle the previous packet entered
    bool waiting_for_window = false;
    sc_core::sc_time landed;
  };
  // An output port and who competes for it: contender 0 is the link interface (its
  // sources in `sources`, round-robin), 1 + slot * vcs + vc the input ports of the node.
  struct Port {
    std::uint64_t flit_cycles = 1;
    std::uint64_t free_at = 0;
    std::uint64_t wake_at = ~std::uint64_t{0};  // earliest wake-up already scheduled
    std::vector<std::int64_t> credits;          // per VC
    std::vector<Queue> inputs;                  // per contender (0 unused)
    std::vector<Queue> sources;                 // link interface, per source
    std::unordered_map<std::uint32_t, std::uint32_t> source_index;
    std::uint32_t next_input = 0;   // round-robin over contenders
    std::uint32_t next_source = 0;  // round-robin over sources
    std::uint32_t in_slot = 0;      // this port's slot among its destination's input ports
  };
  enum class EventKind : std::uint8_t { kInject, kWake, kCredit, kEject };
  struct Event {
    std::uint64_t cycle;
    std::uint64_t seq;
    EventKind kind;
    std::uint32_t a;  // transfer, port or packet
    std::uint32_t b;  // credit: VC
    std::uint32_t c;  // credit: flits
    bool operator>(const Event& o) const {
      return cycle != o.cycle ? cycle > o.cycle : seq > o.seq;
    }
  };

  void run();  // the SC_METHOD: every event due now
  void schedule(EventKind kind, std::uint64_t cycle, std::uint32_t a, std::uint32_t b = 0,
                std::uint32_t c = 0);
  void wake(std::uint32_t port, std::uint64_t cycle);
  std::uint64_t now_cycle() const;
  std::uint64_t cycles_of(double ns) const;
  sc_core::sc_time time_of(std::uint64_t cycle) const;
  std::uint32_t start_transfer(Transfer t);

  void inject(std::uint32_t transfer, std::uint64_t now);
  void arbitrate(std::uint32_t port, std::uint64_t now);
  // The head packet of contender `c` of `port` that may start now, or kNone; lowers
  // `earliest` to the cycle a head that is not yet eligible will be.
  std::uint32_t ready_head(Port& p, std::uint32_t c, std::uint64_t now, std::uint64_t& earliest);
  void send(std::uint32_t port, std::uint32_t packet, std::uint64_t now);
  void enqueue(Queue& q, std::uint32_t packet);
  std::uint32_t pop(Queue& q);
  void eject(std::uint32_t packet, std::uint64_t now);
  void release(std::uint32_t packet);

  const config::LinkParams
      m_link;  // a copy: the network outlives no config, but need not rely on it
  Topology m_topology;
  Clock m_clock;
  const events::Probe* m_probe = nullptr;
  std::uint64_t m_wire;
  std::uint64_t m_credit;
  std::uint64_t m_router;
  std::uint32_t m_vcs;
  std::vector<Port> m_ports;
  std::vector<PortTraffic> m_traffic;
  std::vector<int> m_socket_of_chip;  // -1: no memory modelled for that chip

  std::vector<Packet> m_packets;
  std::vector<std::uint32_t> m_free_packets;
  std::vector<Transfer> m_transfers;
  std::vector<std::uint32_t> m_free_transfers;
  std::uint64_t m_live_packets = 0;

  std::priority_queue<Event, std::vector<Event>, std::greater<>> m_events;
  std::uint64_t m_seq = 0;
  sc_core::sc_event m_wake;
  bool m_in_run = false;  // events scheduled while run() works need no notification

  ShapedPayload m_payload;
};

}  // namespace trnsim::sysc
