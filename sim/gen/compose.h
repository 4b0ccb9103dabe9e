// Building one trace from the traces of other generators: move a generated Program to
// another chip, and append one Program to another, remapping every index (tensors,
// semaphores, cores, operands, arguments, semaphore operations) so that the result is a
// Program in the shape the parser would produce for the concatenated text.
//
// Appending keeps each stream's instructions in order and puts the appended program's
// instructions after the existing ones of the same stream. Semaphores of the two programs
// are either kept apart (renamed on a clash) or continued: see AppendOptions.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "common/diagnostic.h"
#include "trace/program.h"

namespace trnsim::gen {

// `program` with every core section moved from chip 0 to chip `chip` and every tensor
// moved to chip `chip`'s HBM and renamed NAME + `suffix`. The program must use chip 0 only
// and name memory by tensor slices (as the generators do); otherwise std::logic_error.
trace::Program relocate(const trace::Program& program, std::uint32_t chip, std::string_view suffix);

struct AppendOptions {
  // Tensors of the appended program (by name) that stand for existing tensors of the
  // destination (by name): its accesses go to those instead. Dtype and shape must agree;
  // the destination's declaration (init, output) is kept.
  std::map<std::string, std::string> bind;
  // Semaphores whose core and name match one of the destination. false: the appended one
  // is declared anew, renamed NAME + semaphore_suffix. true: the two are one semaphore
  // and the appended program's uses continue where the destination's posts end. Every
  // semaphore operation on a continued semaphore must be `post += 1` or a wait: then,
  // with offset = the destination's posts to it, every appended wait(s >= v) becomes
  // wait(s >= offset + v), and an appended instruction that posts to s without waiting on
  // it gets wait(s >= offset). For programs that follow the buffer protocol of
  // program_builder.h this appends the appended program's phases after the destination's
  // (an access of the first appended phase waits for every earlier access), so buffers
  // shared by the two programs are reused without a race.
  bool continue_semaphores = false;
  std::string semaphore_suffix;
  // Added to the queue number of every appended DMA instruction.
  std::uint8_t queue_offset = 0;
  // Called for each appended instruction (index in the appended program) with its
  // semaphore operations, already remapped to the destination; may add to them.
  std::function<void(std::uint32_t, std::vector<trace::SyncOp>&)> edit_syncs;
};

// Where the appended program's items went: index in the appended program -> index in the
// destination.
struct AppendMap {
  std::vector<std::uint32_t> tensors;
  std::vector<std::uint32_t> semaphores;
  std::vector<std::uint32_t> instructions;
};

// Appends `from` to `into`. Tensors whose names already exist in `into` (and are not bound)
// must have identical declarations and are shared; std::logic_error otherwise.
AppendMap append(trace::Program& into, const trace::Program& from,
                 const AppendOptions& options = {});

// Runs `f`, which calls another generator, and reports that generator's InputError as one of
// the composing generator: file `file`, line 0, the message prefixed with `part` (the part
// of the composition that the refused options belong to).
template <typename F>
auto as_part_of(const std::string& file, std::string_view part, F f) -> decltype(f()) {
  try {
    return f();
  } catch (const InputError& e) {
    std::string message;
    for (const auto& d : e.diagnostics().items())
      message += (message.empty() ? "" : "; ") + d.message;
    throw InputError(file, 0, 0, fmt::format("{}: {}", part, message));
  }
}

// The sum of `post += N` values to each semaphore of `program` (index = semaphore).
std::vector<std::int64_t> posted_totals(const trace::Program& program);

}  // namespace trnsim::gen
