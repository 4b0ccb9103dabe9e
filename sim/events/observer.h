// What the models tell the outside world: an instruction started or finished, a transfer
// moved bytes, the simulation ended. Statistics, timelines, checkers and numerics are
// Observers of these events; the models never call them by name and never format output.
//
// This header is plain C++ (no SystemC), so observers can be built and tested without the
// kernel. Times are seconds of simulated time since the start of the run.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "isa/isa.h"

namespace trnsim::events {

// Why an instruction could not start as soon as its stream reached it. Every wait is
// attributed to exactly one reason, so the reasons add up to the total wait.
enum class StallReason : std::uint8_t {
  kSemaphore,     // a wait(...) condition did not hold yet
  kEngineBusy,    // the engine's pipeline had not reached its next issue slot
  kSbufPort,      // another engine held the SBUF port this engine shares (NC-v2 rules)
  kPsumPort,      // another engine held the PSUM port this engine shares
  kPsumBank,      // the PSUM bank was being accessed by another engine
  kDmaQueueFull,  // the DMA queue had its maximum of descriptors outstanding
  kCount
};
inline constexpr std::size_t kNumStallReasons = static_cast<std::size_t>(StallReason::kCount);
std::string_view stall_reason_name(StallReason r);  // snake_case, for JSON keys

struct InstructionEvent {
  std::uint32_t index = 0;       // into Program::instructions
  std::uint32_t core_index = 0;  // into Program::cores
  isa::Engine engine = isa::Engine::kSync;
  std::uint8_t queue = 0;
  double ready = 0;                              // the stream reached the instruction
  double issue = 0;                              // execution started (inputs start being read)
  double busy_end = 0;                           // the engine could take its next instruction
  double complete = 0;                           // results written, @complete posts applied
  std::array<double, kNumStallReasons> stall{};  // seconds waited, by reason
  double flops = 0;                              // useful arithmetic (matmul: 2*K*M*N)
  std::uint64_t bytes = 0;                       // bytes moved (DMA) or read+written (compute)
  // Tensor engine: when the array loaded this instruction's stationary operand (weights),
  // before streaming from `issue`. Negative when there was no weight load.
  double weight_load_start = -1;
  double weight_load_end = -1;
};

// A piece of a DMA instruction carried by one DMA engine.
struct TransferEvent {
  std::uint32_t instruction = 0;  // into Program::instructions
  std::uint32_t core_index = 0;
  std::uint32_t dma_engine = 0;
  std::uint8_t queue = 0;
  double start = 0;  // first byte moves
  double end = 0;    // last byte landed
  // The engine could take its next slice: its streaming is over (latencies still to come
  // until `end`). An engine's [start, engine_free] intervals never overlap.
  double engine_free = 0;
  std::uint64_t bytes = 0;
  isa::Memory src = isa::Memory::kHbm;
  isa::Memory dst = isa::Memory::kSbuf;
  double hbm_wait = 0;  // time lost queueing for HBM channels beyond the engine's own rate
  // Ready (start latency over) but its engine still busy with other transfers: DMA engines
  // shared between queues, e.g. a collective and a kernel's loads.
  double engine_wait = 0;
  // Time the chip-to-chip network held the engine (back-pressure) beyond its own streaming.
  double link_wait = 0;
};

// A semaphore update applied by an instruction: a post (at completion, or with @read when
// the instruction started reading), or sem.set (at completion).
enum class PostKind : std::uint8_t { kAdd, kSub, kSet };
struct PostEvent {
  std::uint32_t instruction = 0;  // into Program::instructions
  std::uint32_t semaphore = 0;    // into Program::semaphores
  PostKind kind = PostKind::kAdd;
  std::int64_t value = 0;   // the operand of +=, -= or =
  std::int64_t result = 0;  // the semaphore's value after the update
  bool at_read = false;     // a @read post
  double time = 0;
};

// One packet serialized onto one port of the chip-to-chip network (a port is one direction
// of the links between two nodes). `from_chip`/`to_chip` are -1 for the switch.
struct LinkEvent {
  std::uint32_t port = 0;
  std::string_view port_name;  // "chip0->chip1 (x+)"; valid for the whole run
  std::int32_t from_chip = 0;
  std::int32_t to_chip = 0;
  double start = 0;  // first flit starts
  double end = 0;    // last flit is out
  std::uint64_t bytes = 0;
};

class Observer {
 public:
  virtual ~Observer() = default;
  virtual void on_issue(const InstructionEvent&) {}
  virtual void on_complete(const InstructionEvent&) {}
  virtual void on_transfer(const TransferEvent&) {}
  virtual void on_post(const PostEvent&) {}
  virtual void on_link(const LinkEvent&) {}
  virtual void on_finish(double /*end_time*/) {}
};

// Fans events out to the observers attached; with none attached a model pays one branch.
class Probe {
 public:
  void attach(Observer* o) { m_observers.push_back(o); }
  bool active() const { return !m_observers.empty(); }
  void issue(const InstructionEvent& e) const {
    for (auto* o : m_observers)
      o->on_issue(e);
  }
  void complete(const InstructionEvent& e) const {
    for (auto* o : m_observers)
      o->on_complete(e);
  }
  void transfer(const TransferEvent& e) const {
    for (auto* o : m_observers)
      o->on_transfer(e);
  }
  void post(const PostEvent& e) const {
    for (auto* o : m_observers)
      o->on_post(e);
  }
  void link(const LinkEvent& e) const {
    for (auto* o : m_observers)
      o->on_link(e);
  }
  void finish(double end_time) const {
    for (auto* o : m_observers)
      o->on_finish(end_time);
  }

 private:
  std::vector<Observer*> m_observers;
};

}  // namespace trnsim::events
