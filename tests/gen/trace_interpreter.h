// An abstract executor of traces for tests: it runs every instruction stream of a Program
// in an interleaving chosen by a policy, respecting only what the trace itself promises
// (semaphore waits and the order within a stream), and reports the first thing that goes
// wrong. It is independent of the generator: it looks only at the Program.
//
// Model. An instruction issues when it is at the head of its stream and its waits hold; it
// stays in flight until the policy completes it, and may complete in any order relative to
// other in-flight instructions. It reads its inputs when it issues and writes its outputs
// when it completes; its posts apply at completion. A compute engine (pe, act, dve, pool,
// sync) has one instruction in flight at a time; a DMA queue any number. So a load may land
// long after it issued, DMAs of one queue may complete out of order, and a stream may run
// arbitrarily far ahead of the others: exactly the freedom a real machine has.
//
// Reported: a race (an instruction issues while an in-flight one accesses overlapping
// memory, at least one of them writing), a deadlock (nothing can issue or complete, yet
// streams are unfinished), and, at the end, the output tensors' values, which the caller
// compares with a reference to catch reads of stale or overwritten data.
//
// Values are integers modulo 2^32 (bf16, fp32 and the rest alike), so a matmul's result is
// exact and any product counted twice, missed or taken from the wrong tile shows up. Only
// the opcodes the generators emit are executed (copy, copy_add, matmul, transpose,
// tensor_copy, nop, and activation, tensor_scalar, tensor_tensor, affine_select,
// tensor_reduce, bn_stats, bn_aggr); others are reported as unsupported. The last seven
// (except a plain func=identity activation, a copy) compute integer stand-ins that mix all
// their inputs, not the real functions; their outputs are compared with a kProgramOrder run
// of the same trace.
//
// Several chips: every core of the program is one more set of streams, tensors are told
// apart by name whatever chip holds them, and a post to another core's semaphore
// (`chipN.coreM.NAME`) applies when the posting instruction completes, as a local one does:
// after the data it wrote has landed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"
#include "trace/program.h"

namespace trnsim::test {

enum class Policy : std::uint8_t {
  kIssueLowestFirst,   // issue the lowest-numbered stream that can; complete newest first
  kIssueHighestFirst,  // issue the highest-numbered stream that can; complete oldest first
  kCompleteFirst,      // complete the oldest in-flight instruction before issuing more
  kRandom,             // any enabled event, uniformly, from a seed
  // From a seed, issue (a random stream) seven times in eight while any stream can, else
  // complete a random in-flight instruction: DMAs stay in flight long and land out of order.
  kRandomLazy,
  // Every instruction in the program's text order, one at a time: the meaning the program's
  // author intended, to compare the other policies' outputs with when the interpreter's
  // arithmetic is only a stand-in (see below).
  kProgramOrder,
};

struct InterpretResult {
  std::string error;  // empty when the run finished without race or deadlock
  // Final contents of each tensor, row-major, indexed like Program::tensors.
  std::vector<std::vector<std::uint32_t>> tensors;
  // Times each element of each tensor was written.
  std::vector<std::vector<std::uint32_t>> writes;
};

// The initial value of element `index` of a tensor with random seed `seed`.
std::uint32_t initial_value(std::uint64_t seed, std::uint64_t index);

InterpretResult interpret(const trace::Program& program, const config::SystemConfig& cfg,
                          Policy policy, std::uint64_t seed = 0);

// Human name of a policy, for test messages.
std::string policy_name(Policy policy, std::uint64_t seed = 0);

}  // namespace trnsim::test
