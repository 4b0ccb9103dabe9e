// The race detector: while the timing model runs, finds pairs of accesses to overlapping
// bytes of SBUF, PSUM or HBM, at least one of them a write, that no chain of semaphore
// posts and waits orders. The hardware gives such a pair no order either, so a schedule
// with one computes right only by luck of timing.
//
// Happens-before, as vector clocks (one component per instruction stream):
//  - Program order: the instructions of one stream are ordered (an engine, and a DMA
//    queue, runs its stream in order).
//  - Semaphores: a wait `S >= v` is ordered after the updates of S that brought it to v in
//    this run: the shortest prefix of S's updates whose running value reaches v. Not after
//    later posts, even if they happened to land before the wait was checked: a schedule
//    that works only because a post was early is reported. After a `-=` or a set, later
//    waits are ordered after every earlier update of S (conservative: the counting can no
//    longer be followed, and no race is invented).
//  - A post releases the reads of its instruction and of those before it in the stream,
//    and the writes of the stream's instructions that have completed by then: with @read
//    that excludes its own writes, and a pipelined engine's earlier instructions may not
//    have landed either; with @complete it includes its own.
// Accesses: an instruction reads its inputs when it issues and writes its outputs when it
// completes; a read-modify-write operand (matmul accumulating into PSUM, copy_add) does
// both. Vector clocks have two components per stream: reads counted in program order (the
// k-th instruction's reads are epoch k+1) and writes counted in completion order.
//
// Each pair of instructions is reported once, at the later one, with both trace lines,
// engines, the overlapping bytes and the simulated times.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "check/accesses.h"
#include "common/diagnostic.h"
#include "config/config.h"
#include "events/observer.h"
#include "trace/footprint.h"
#include "trace/program.h"

namespace trnsim::check {

enum class RaceKind : std::uint8_t { kReadAfterWrite, kWriteAfterRead, kWriteAfterWrite };

struct Race {
  RaceKind kind = RaceKind::kReadAfterWrite;
  std::uint32_t first = 0;   // the instruction whose access came first in simulated time
  std::uint32_t second = 0;  // the other one
  double first_time = 0;     // when each access happened (seconds)
  double second_time = 0;
  std::uint16_t first_column = 0;  // the operand's column on each line
  std::uint16_t second_column = 0;
  trace::Footprint where;  // memory, chip, core, partitions; `lo`/`hi` below give the bytes
  std::int64_t lo = 0;     // overlapping bytes [lo, hi) of each partition (or of HBM)
  std::int64_t hi = 0;
};

class RaceDetector : public events::Observer {
 public:
  RaceDetector(const trace::Program& program, const config::SystemConfig& cfg,
               const std::vector<std::uint64_t>& tensor_addresses);

  void on_issue(const events::InstructionEvent& e) override;
  void on_complete(const events::InstructionEvent& e) override;
  void on_post(const events::PostEvent& e) override;

  // The races found: the first 10000 (a trace with more has bigger problems; the search
  // stops there).
  const std::vector<Race>& races() const { return m_races; }
  // One error per race at the second instruction's line, with a note at the first's.
  // `source`: the trace text, for the lines under the messages (may be empty).
  void report(DiagnosticList& diags, std::string_view source) const;

 private:
  // Components [0, S): reads of each stream; [S, 2S): writes of each stream.
  using Clock = std::vector<std::uint32_t>;

  struct Access {
    trace::Footprint fp;
    std::int64_t lo = 0;  // fp.lo(), fp.hi(): the byte bounds within a partition
    std::int64_t hi = 0;
    bool dense = false;  // one contiguous run per partition
    bool write = false;
    std::uint32_t stream = 0;
    std::uint32_t epoch = 0;
    std::uint32_t instruction = 0;
    std::uint16_t column = 0;
    double time = 0;
    std::uint64_t sequence = 0;  // order of recording in its memory
  };
  // The accesses to one memory (an SBUF or PSUM of a core, or an HBM) that a later access
  // may still race with, by first byte.
  struct Shadow {
    std::multimap<std::int64_t, Access> accesses;
    std::int64_t longest = 0;  // the largest hi - lo recorded
    std::uint64_t next_sequence = 0;
  };

  struct Update {
    std::int64_t value_after = 0;
    Clock released;  // joined over this update and every earlier one since the base
  };
  struct SemaphoreHistory {
    std::vector<Update> updates;  // the first is a collapsed base after a `-=` or set
  };

  // Sets up the vector clock of an instruction at its first event: program order plus
  // what its waits acquire.
  Clock& acquire(std::uint32_t instruction);
  void access(std::uint32_t instruction, bool writes, double time);
  // The instruction's place in its stream's completion order (1-based), assigned when it
  // completes (or posts @complete, just before).
  std::uint32_t completion_index(std::uint32_t instruction);
  void record(Access a, const Clock& clock);
  bool overlaps(const Access& a, const Access& b, std::int64_t& lo, std::int64_t& hi);
  // Records the race between earlier access `e` and `a` unless the pair was reported.
  void note_race(const Access& e, const Access& a);
  static bool covers(const Access& outer, const Access& inner);
  static void join(Clock& into, const Clock& other);

  const trace::Program& m_program;
  const config::SystemConfig& m_cfg;
  const std::vector<std::uint64_t>& m_tensors;
  std::uint32_t m_streams = 0;
  std::vector<std::uint32_t> m_completions;             // per stream: instructions completed
  std::vector<std::uint32_t> m_completion_index;        // per instruction, 0 until completed
  std::vector<std::uint32_t> m_stream_of;               // per instruction
  std::vector<std::uint32_t> m_position_of;             // per instruction, in its stream
  std::vector<Clock> m_stream_clock;                    // per stream: the latest acquired clock
  std::unordered_map<std::uint32_t, Clock> m_clock_of;  // in-flight instructions
  std::vector<bool> m_acquired;
  std::vector<SemaphoreHistory> m_semaphores;
  std::unordered_map<std::uint64_t, Shadow> m_shadows;  // by memory, chip and core
  std::set<std::pair<std::uint32_t, std::uint32_t>> m_reported;
  std::vector<Race> m_races;
  std::vector<std::pair<std::int64_t, std::int64_t>> m_runs_a, m_runs_b;  // scratch
  std::vector<OperandAccess> m_operands;                                  // scratch
};

}  // namespace trnsim::check
