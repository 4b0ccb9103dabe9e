#include "sysc/system/unfinished_report.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/source_file.h"

namespace trnsim::sysc {

namespace {

std::string stream_label(const trace::Instruction& ins) {
  return ins.engine == isa::Engine::kDma ? fmt::format("dma.q{}", ins.queue)
                                         : std::string(isa::engine_name(ins.engine));
}

// The instructions not yet run in the streams that never finished: the only ones that can
// still post a semaphore once the simulation has stopped.
std::vector<std::uint32_t> remaining_instructions(const SimulationResult& result,
                                                  const trace::Program& program) {
  std::vector<std::uint32_t> remaining;
  for (const trace::Stream& s : program.streams()) {
    for (const BlockedStream& b : result.blocked) {
      if (b.core_index != s.core_index || b.engine != s.engine || b.queue != s.queue) continue;
      auto it = std::find(s.instructions.begin(), s.instructions.end(), b.instruction);
      remaining.insert(remaining.end(), it, s.instructions.end());
    }
  }
  return remaining;
}

// Who could still raise `semaphore`: "line 14 (pe), line 20 (dma.q1), themselves blocked",
// or a statement that nothing can.
std::string still_posting(const trace::Program& program,
                          const std::vector<std::uint32_t>& remaining, std::uint32_t semaphore) {
  std::vector<std::string> posters;
  for (std::uint32_t index : remaining) {
    const trace::Instruction& ins = program.instructions[index];
    bool posts =
        ins.opcode == isa::Opcode::kSemSet && program.positional(ins, 0)->semaphore == semaphore;
    const trace::SyncOp* syncs = program.syncs_of(ins);
    for (std::uint32_t i = 0; i < ins.num_syncs; ++i) {
      posts |= syncs[i].semaphore == semaphore && syncs[i].kind != trace::SyncKind::kWaitGe &&
               syncs[i].kind != trace::SyncKind::kPostSub;
    }
    if (posts) posters.push_back(fmt::format("line {} ({})", ins.line, stream_label(ins)));
  }
  if (posters.empty()) return "no instruction left to run posts it";
  constexpr std::size_t kShown = 3;
  std::string list = fmt::format(
      "{}", fmt::join(posters.begin(), posters.begin() + std::min(posters.size(), kShown), ", "));
  if (posters.size() > kShown) list += fmt::format(" and {} more", posters.size() - kShown);
  return fmt::format("only {} would post it, and {} blocked too", list,
                     posters.size() == 1 ? "its stream is" : "their streams are");
}

// The column of the `wait` clause on `semaphore` in `ins`, or 1 (the line's start).
std::uint32_t wait_column(const trace::Program& program, const trace::Instruction& ins,
                          std::uint32_t semaphore) {
  const trace::SyncOp* syncs = program.syncs_of(ins);
  for (std::uint32_t i = 0; i < ins.num_syncs; ++i) {
    if (syncs[i].kind == trace::SyncKind::kWaitGe && syncs[i].semaphore == semaphore &&
        syncs[i].column > 0)
      return syncs[i].column;
  }
  return 1;
}

}  // namespace

// One diagnostic per stream that never finished, at the instruction it is stuck on (at its
// first unmet wait).
void report_deadlock(const SimulationResult& result, const trace::Program& program,
                     std::string_view source, DiagnosticList& diags) {
  const std::vector<std::uint32_t> remaining = remaining_instructions(result, program);
  for (const BlockedStream& b : result.blocked) {
    const trace::Instruction& ins = program.instructions[b.instruction];
    const trace::CoreId core = program.cores[b.core_index].id;
    std::string why;
    for (const auto& c : b.conditions) {
      why += fmt::format("{}{} >= {} (it stays at {}; {})", why.empty() ? "" : "; ",
                         program.semaphores[c.semaphore].name, c.needed, c.held,
                         still_posting(program, remaining, c.semaphore));
    }
    if (why.empty()) why = "an instruction that never completed";
    const std::uint32_t column =
        b.conditions.empty() ? 1 : wait_column(program, ins, b.conditions.front().semaphore);
    diags.error(program.file, ins.line, column,
                fmt::format("deadlock: stream {} of chip {} core {} waits forever for {}",
                            stream_label(ins), core.chip, core.core, why),
                std::string(line_of(source, ins.line)));
  }
}

// The watchdog: one error for the limit, then where each unfinished stream stood.
void report_stopped(const SimulationResult& result, const trace::Program& program,
                    std::string_view source, DiagnosticList& diags) {
  diags.error(program.file, 0, 0,
              fmt::format("simulation stopped by --max-time at {:.3f} us with {} stream(s) "
                          "unfinished; raise the limit to see the end of the run",
                          result.seconds * 1e6, result.blocked.size()));
  for (const BlockedStream& b : result.blocked) {
    const trace::Instruction& ins = program.instructions[b.instruction];
    const trace::CoreId core = program.cores[b.core_index].id;
    Diagnostic note;
    note.severity = Severity::kNote;
    note.file = program.file;
    note.line = ins.line;
    note.column = 1;
    note.message = fmt::format("stream {} of chip {} core {} was here", stream_label(ins),
                               core.chip, core.core);
    note.source_line = std::string(line_of(source, ins.line));
    diags.add(std::move(note));
  }
}

}  // namespace trnsim::sysc
