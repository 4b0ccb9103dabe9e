// One instruction stream of one engine of one core, executed in order.
//
// The stream's SC_THREAD takes the next instruction, waits until the engine's pipeline can
// take it (the previous instruction's initiation interval), waits for its semaphore
// conditions, then hands it to the concrete engine (execute), which reserves what the
// instruction uses, decides when it starts and when it completes. Completions are kept in
// a time-ordered queue served by an SC_METHOD, so an engine can have several instructions
// in flight: issue and completion are separate, as in the hardware's pipelines.
#pragma once

#include <cstdint>
#include <optional>
#include <queue>
#include <vector>

#include <systemc>

#include "events/observer.h"
#include "sysc/common/clock.h"
#include "sysc/engine/engine_context.h"
#include "trace/program.h"

namespace trnsim::sysc {

class EngineBase : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(EngineBase);
  EngineBase(sc_core::sc_module_name name, EngineContext& ctx, trace::Stream stream, Clock clock);

  const trace::Stream& stream() const { return m_stream; }
  bool finished() const { return m_finished; }
  // Position in the stream of the instruction the thread is at (== size when finished).
  std::size_t position() const { return m_position; }
  const Clock& clock() const { return m_clock; }

 protected:
  // Runs one instruction whose semaphore conditions hold. Implementations may wait() for
  // resources (adding the time to ev.stall), must set ev.issue and ev.busy_end, advance
  // m_next_issue, apply @read posts (apply_read_posts) and arrange completion
  // (complete_at), possibly later from another process.
  virtual void execute(const trace::Instruction& ins, events::InstructionEvent& ev) = 0;
  // Extra delay after a semaphore wait actually blocked (sequencer wake-up), default none.
  virtual sc_core::sc_time wake_up_delay() const { return sc_core::SC_ZERO_TIME; }

  // Schedules the completion of an instruction at absolute time `at` (>= now): its
  // @complete posts are applied then and observers are told.
  void complete_at(const sc_core::sc_time& at, const events::InstructionEvent& ev);
  // Schedules the @read posts of an instruction at absolute time `at` (>= now).
  void read_posts_at(const sc_core::sc_time& at, std::uint32_t instruction);
  // Runs an instruction with no datapath work (nop, sem.set): one cycle of the engine's
  // clock. Returns false, doing nothing, for any other opcode.
  bool execute_control(const trace::Instruction& ins, events::InstructionEvent& ev);
  // Waits until absolute time `t` if it is in the future.
  static void wait_until(const sc_core::sc_time& t);
  // Applies the semaphore effects of an instruction that happen at completion: sem.set
  // and @complete posts.
  void apply_complete_posts(const trace::Instruction& ins);
  void apply_read_posts(const trace::Instruction& ins);
  // Applies one semaphore update of `ins` and tells the observers.
  void post(const trace::Instruction& ins, const trace::SyncOp& op);
  void apply_post(const trace::Instruction& ins, const trace::SyncOp& op);

  EngineContext& m_ctx;
  sc_core::sc_time m_next_issue = sc_core::SC_ZERO_TIME;

 private:
  struct Pending {
    sc_core::sc_time at;
    std::uint64_t seq;
    bool read_posts_only;
    events::InstructionEvent ev;
    bool operator>(const Pending& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };

  void run();
  // Blocks until every wait(...) condition of `ins` holds, each in turn. Returns true if
  // it had to wait.
  bool wait_conditions(const trace::Instruction& ins);
  void serve_completions();
  void push(Pending p);

  trace::Stream m_stream;
  Clock m_clock;
  std::size_t m_position = 0;
  bool m_finished = false;
  std::uint64_t m_seq = 0;
  std::priority_queue<Pending, std::vector<Pending>, std::greater<Pending>> m_pending;
  sc_core::sc_event m_completion_due;
};

}  // namespace trnsim::sysc
