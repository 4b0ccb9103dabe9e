// Errors only a run can see, reported at their trace lines:
//  - a read of memory nothing has written: SBUF and PSUM start poisoned, and so do HBM
//    tensors declared with init=none; other tensors hold data (zeros by default), and HBM
//    outside every tensor is not tracked (raw hbm@ addresses may hold anything);
//  - a matmul accumulating (acc=accumulate) into PSUM that no matmul started: the same
//    poisoned read, named for what it usually is;
//  - a semaphore update taking the value outside the 32-bit range of the hardware's
//    counters.
// A read checks its bytes when its instruction issues; a write marks them when its
// instruction issues (it will write them): whether the write is ordered before a read is
// the race detector's question.
// Each operand of an instruction is reported once.
#pragma once

#include <cstdint>
#include <map>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "check/accesses.h"
#include "common/diagnostic.h"
#include "config/config.h"
#include "events/observer.h"
#include "trace/program.h"

namespace trnsim::check {

class DynamicErrors : public events::Observer {
 public:
  DynamicErrors(const trace::Program& program, const config::SystemConfig& cfg,
                const std::vector<std::uint64_t>& tensor_addresses);

  void on_issue(const events::InstructionEvent& e) override;
  void on_complete(const events::InstructionEvent& e) override;
  void on_post(const events::PostEvent& e) override;

  std::size_t count() const { return m_found.size(); }
  void report(DiagnosticList& diags, std::string_view source) const;

 private:
  struct Finding {
    std::uint32_t instruction = 0;
    std::uint16_t column = 0;
    std::string message;
  };

  // Which bytes of one on-chip memory of one core have been written: a bit per byte, per
  // partition.
  struct OnChip {
    std::uint64_t words_per_partition = 0;
    std::vector<std::uint64_t> bits;
  };

  OnChip& on_chip(const trace::Footprint& f);
  // Marks (or, with `test`, checks) the bytes of `f`; returns false if some were unwritten.
  bool visit(const trace::Footprint& f, bool mark);
  bool visit_on_chip(OnChip& mem, const trace::Footprint& f, bool mark);
  bool visit_hbm(const trace::Footprint& f, bool mark);
  // The bytes of `f` in words; on chip, names the owning core when it is not `issuer`.
  std::string describe(const trace::Footprint& f, trace::CoreId issuer) const;

  const trace::Program& m_program;
  const config::SystemConfig& m_cfg;
  const std::vector<std::uint64_t>& m_tensors;
  std::unordered_map<std::uint64_t, OnChip> m_on_chip;  // by memory, chip and core
  // Written byte ranges [first, second) of each tracked HBM tensor, keyed by start.
  std::vector<std::map<std::int64_t, std::int64_t>> m_written;
  std::vector<bool> m_tracked;  // per tensor: starts unwritten
  std::vector<Finding> m_found;
  std::vector<OperandAccess> m_operands;
  std::vector<std::pair<std::int64_t, std::int64_t>> m_runs;
  std::vector<std::uint64_t> m_pattern;  // one partition's bits of the access being checked
};

}  // namespace trnsim::check
