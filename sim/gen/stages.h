// Chaining kernels through HBM: one trace made of other generators' Programs ("stages") run
// one after another, each reading what earlier ones stored (compose.h does the appending).
//
// Stages are different generators with different SBUF/PSUM layouts and semaphore names, so
// continuing semaphores (compose.h) would not guard their buffers against each other: the
// same bytes of SBUF are one stage's weight slot and another's output slot. Two rules make
// the chain race-free instead, whatever the stages are (stages.cpp gives the argument):
//   - on-chip fence: every instruction of a core posts that core's `fence` semaphore, and
//     the first instruction of each stream of a stage waits until every instruction of the
//     earlier stages on that core has posted. A stream issues in program order, so nothing
//     of a stage touches a core's SBUF or PSUM before the earlier stages are done with it;
//   - HBM between cores: a stage's access to a tensor that an earlier stage on another core
//     wrote (or read, when this one writes) waits until those accesses have completed, on a
//     semaphore `hbm_<tensor>` of its own core that they post remotely.
// A stage may start only when the earlier stages are done on its core; it does not overlap
// the drain of the stage before it. That costs each stage boundary roughly one tile's
// latency, the price of needing nothing from the stages' generators.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "trace/program.h"

namespace trnsim::gen {

struct Stage {
  std::string name;  // appended to its semaphores' names ("_" + name); unique in the chain
  trace::Program program;
  // Tensors of the stage (by name) that stand for tensors of the chain (by name), as
  // AppendOptions::bind, except that the chain's tensor may be larger in every dimension
  // when the stage names it only by slices: a stage's [D, T] output can fill the first T
  // columns of a [D, 128] tensor.
  std::map<std::string, std::string> bind;
};

// What build() did, per stage: for docs, --verbose and tests.
struct StageInfo {
  std::string name;
  std::uint32_t first_instruction = 0;  // in the built Program
  std::uint32_t instructions = 0;
  std::uint32_t fence_waits = 0;  // stream heads that wait for the earlier stages
  std::uint32_t hbm_waits = 0;    // instructions that wait for another core's HBM accesses
};

class StageChain {
 public:
  explicit StageChain(std::string file) : m_file(std::move(file)) {}

  // A tensor of the chain, which stages bind to (inputs, intermediates, outputs).
  void add_tensor(trace::TensorDecl decl) { m_tensors.push_back(std::move(decl)); }
  // Appends a stage after the ones added so far.
  void add(Stage stage) { m_stages.push_back(std::move(stage)); }

  // The chained Program; `info`, when given, receives one entry per stage. Throws
  // std::logic_error on inconsistent stages (a bind to a missing or smaller tensor, a stage
  // that names a widened tensor whole, duplicate stage names).
  trace::Program build(std::vector<StageInfo>* info = nullptr) const;

 private:
  std::string m_file;
  std::vector<trace::TensorDecl> m_tensors;
  std::vector<Stage> m_stages;
};

}  // namespace trnsim::gen
