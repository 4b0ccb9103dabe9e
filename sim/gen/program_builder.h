// Building trace Programs from code: what every workload generator (sim/gen) shares.
//
// ProgramBuilder appends declarations and instructions to a trace::Program in the shape the
// parser would produce for the printed text, so print -> parse gives an equivalent Program.
// GuardedBuffer implements the one synchronisation protocol the generators use (below).
//
// The buffer protocol. Each reusable buffer (an SBUF slot, a PSUM bank) has one semaphore
// that counts completed accesses to it. Accesses are grouped into phases that alternate
// between writing and reading: a write phase (one load, one evacuation, or the matmuls
// accumulating one output tile), then a read phase (every reader of what was written),
// then the next write phase, and so on. Every access posts +1 when it completes, and
// waits, before it starts, until the semaphore reaches the number of accesses of all
// earlier phases.
//
// Why this is race-free under any timing: call the set of completed accesses C. It always
// holds every access of the phases before some phase p plus some of phase p: an access of
// phase q starts only once |C| >= (accesses of phases < q), which by induction means C
// already holds all of them, so no access of a later phase can complete before every access
// of the earlier ones. Hence a write never overlaps a read or write of another phase, and a
// read never starts before the write it needs has completed. Nothing depends on the order in
// which instructions of one stream, of different streams, or of DMA queues complete: only
// on each instruction posting after its own access. Accesses inside one phase may overlap:
// reads with reads, and the accumulating matmuls of one output tile, which the tensor
// engine applies in program order. Semaphores only count up (post += 1) and waits compare
// running totals (>=), so there is no reset to order against anything.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <unordered_map>

#include "trace/program.h"

namespace trnsim::gen {

// A stream of one core: an engine, or a DMA queue.
struct StreamId {
  isa::Engine engine = isa::Engine::kSync;
  std::uint8_t queue = 0;  // DMA queue number; 0 for other engines
};

// A condition `wait(semaphore >= value)`.
struct Wait {
  std::uint32_t semaphore = trace::kNone;
  std::int64_t value = 0;
};

// One instruction's synchronisation: the conditions it waits for and the semaphores it
// increments by one when it completes. Generators need only a few of each.
struct Sync {
  static constexpr std::size_t kMax = 4;
  Sync(std::initializer_list<Wait> wait_list, std::initializer_list<std::uint32_t> post_list);

  std::array<Wait, kMax> waits{};
  std::array<std::uint32_t, kMax> posts{};
  std::uint8_t num_waits = 0;
  std::uint8_t num_posts = 0;
};

class ProgramBuilder {
 public:
  // `file` names the generator in the Program and in error messages (e.g. "gen gemm").
  explicit ProgramBuilder(std::string file);

  std::uint32_t add_tensor(trace::TensorDecl decl);
  // Makes `id` the core that following semaphores and instructions belong to.
  void begin_core(trace::CoreId id);
  // Declares a semaphore of the current core; names must be unique per core.
  std::uint32_t add_semaphore(std::string name);

  // Operands. Partitions always start at 0: every generated access uses the low partitions,
  // which satisfies the compute engines' start-alignment rule for any count.
  trace::Operand sbuf(std::uint32_t partitions, std::uint64_t offset, isa::DType dtype,
                      std::uint32_t elements) const;
  trace::Operand psum_bank(std::uint32_t partitions, std::uint32_t bank, isa::DType dtype,
                           std::uint32_t elements) const;
  // hbm:TENSOR[r0:r1, c0:c1] of a two-dimensional tensor.
  trace::Operand slice(std::uint32_t tensor, std::uint64_t row_begin, std::uint64_t row_end,
                       std::uint64_t col_begin, std::uint64_t col_end) const;
  // hbm:TENSOR[b0:e0, b1:e1, ...], one range per dimension of the tensor.
  struct Range {
    std::uint64_t begin = 0, end = 0;
  };
  trace::Operand slice(std::uint32_t tensor, std::initializer_list<Range> ranges) const;
  // hbm:TENSOR[batch:batch+1, r0:r1, c0:c1] of a three-dimensional tensor.
  trace::Operand slice(std::uint32_t tensor, std::uint64_t batch, std::uint64_t row_begin,
                       std::uint64_t row_end, std::uint64_t col_begin, std::uint64_t col_end) const;

  // Positional and `key=word` arguments.
  trace::Arg operand(const trace::Operand& op);
  static trace::Arg word(isa::Attr key, isa::Word value);

  // Appends an instruction to `where` on the current core. A wait that an earlier
  // instruction of the same stream already made (same semaphore, value at least as high)
  // is dropped: a stream issues in program order, so it is implied. Waits for values <= 0
  // always hold and are dropped too.
  void emit(StreamId where, isa::Opcode opcode, std::initializer_list<trace::Arg> args,
            const Sync& sync);

  // The finished program; the builder is left empty.
  trace::Program take() { return std::move(m_program); }

 private:
  trace::Program m_program;
  std::uint32_t m_core = 0;
  // Highest value each (semaphore, stream) has waited for, to drop implied waits.
  std::unordered_map<std::uint64_t, std::int64_t> m_waited;
};

// The semaphore of one buffer under the phase protocol described at the top of this file.
// Each method registers one access, which must post +1 to semaphore() when it completes,
// and returns the condition the access must wait for. Accesses are registered in the order
// in which the program means them to happen to the buffer.
class GuardedBuffer {
 public:
  explicit GuardedBuffer(std::uint32_t semaphore) : m_semaphore(semaphore) {}

  std::uint32_t semaphore() const { return m_semaphore; }
  // A write that starts new contents (a load, an evacuation, a matmul with acc=start).
  Wait write();
  // A further write to the contents of the current write phase (acc=accumulate).
  Wait accumulate();
  // A read of the current contents.
  Wait read();

 private:
  enum class Phase : std::uint8_t { kNone, kWrite, kRead };
  Wait begin(Phase phase);

  std::uint32_t m_semaphore;
  std::int64_t m_accesses = 0;     // registered so far
  std::int64_t m_phase_start = 0;  // accesses of all phases before the current one
  Phase m_phase = Phase::kNone;
};

}  // namespace trnsim::gen
