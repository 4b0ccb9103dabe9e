#include "gen/compose.h"

#include <stdexcept>

#include <fmt/format.h>

namespace trnsim::gen {

namespace {

[[noreturn]] void fail(const std::string& message) {
  throw std::logic_error("gen compose: " + message);
}

}  // namespace

trace::Program relocate(const trace::Program& program, std::uint32_t chip,
                        std::string_view suffix) {
  for (const trace::Operand& op : program.operands) {
    if (op.form == trace::OperandForm::kHbmAddress)
      fail(fmt::format("relocate: '{}' names HBM by address", program.file));
  }
  // A fresh Program, so that its private name indices see the new names and core ids; the
  // pools (instructions, arguments, semaphore operations, operands) keep their indices.
  trace::Program out;
  out.file = program.file;
  out.version = program.version;
  for (trace::TensorDecl t : program.tensors) {
    if (t.chip != 0) fail(fmt::format("relocate: tensor '{}' is on chip {}", t.name, t.chip));
    t.chip = chip;
    t.name += suffix;
    out.add_tensor(std::move(t));
  }
  for (trace::CoreSection core : program.cores) {
    if (core.id.chip != 0)
      fail(fmt::format("relocate: '{}' uses chip {}", program.file, core.id.chip));
    core.id.chip = chip;
    out.core_index(core.id, core.line);
  }
  for (const trace::SemaphoreDecl& s : program.semaphores)
    out.add_semaphore(s);
  out.aliases = program.aliases;
  for (const trace::Operand& op : program.operands)
    out.intern(op);
  out.instructions = program.instructions;
  out.args = program.args;
  out.syncs = program.syncs;
  return out;
}

std::vector<std::int64_t> posted_totals(const trace::Program& program) {
  std::vector<std::int64_t> totals(program.semaphores.size(), 0);
  for (const trace::SyncOp& op : program.syncs) {
    if (op.kind == trace::SyncKind::kPostAdd) totals[op.semaphore] += op.value;
  }
  return totals;
}

AppendMap append(trace::Program& into, const trace::Program& from, const AppendOptions& options) {
  if (!from.aliases.empty()) fail(fmt::format("append: '{}' declares aliases", from.file));
  AppendMap map;

  for (const trace::TensorDecl& t : from.tensors) {
    const auto bound = options.bind.find(t.name);
    if (bound != options.bind.end()) {
      const std::uint32_t target = into.find_tensor(bound->second);
      if (target == trace::kNone)
        fail(fmt::format("append: no tensor '{}' to bind", bound->second));
      const trace::TensorDecl& u = into.tensors[target];
      if (u.dtype != t.dtype || u.shape != t.shape)
        fail(fmt::format("append: '{}' and '{}' differ in dtype or shape", t.name, u.name));
      map.tensors.push_back(target);
      continue;
    }
    const std::uint32_t existing = into.find_tensor(t.name);
    if (existing != trace::kNone) {
      const trace::TensorDecl& u = into.tensors[existing];
      if (u.chip != t.chip || u.dtype != t.dtype || u.shape != t.shape || u.init != t.init ||
          u.seed != t.seed || u.dist != t.dist || u.output != t.output || u.file != t.file ||
          u.has_address != t.has_address || u.address != t.address) {
        fail(fmt::format("append: two different tensors are named '{}'", t.name));
      }
      map.tensors.push_back(existing);
      continue;
    }
    map.tensors.push_back(into.add_tensor(t));
  }

  std::vector<std::uint32_t> cores;
  for (const trace::CoreSection& core : from.cores)
    cores.push_back(into.core_index(core.id, core.line));

  // Semaphores, and for continued ones the posts the destination has made to them.
  const std::vector<std::int64_t> totals = posted_totals(into);
  std::vector<std::int64_t> offset(from.semaphores.size(), 0);
  std::vector<bool> continued(from.semaphores.size(), false);
  for (std::size_t s = 0; s < from.semaphores.size(); ++s) {
    trace::SemaphoreDecl decl = from.semaphores[s];
    decl.core_index = cores[decl.core_index];
    const std::uint32_t existing = into.find_semaphore(decl.core_index, decl.name);
    if (existing != trace::kNone && options.continue_semaphores) {
      map.semaphores.push_back(existing);
      offset[s] = totals[existing];
      continued[s] = true;
      continue;
    }
    if (existing != trace::kNone) {
      decl.name += options.semaphore_suffix;
      if (into.find_semaphore(decl.core_index, decl.name) != trace::kNone)
        fail(fmt::format("append: semaphore '{}' is declared twice", decl.name));
    }
    map.semaphores.push_back(into.add_semaphore(std::move(decl)));
  }

  std::vector<trace::Arg> args;
  std::vector<trace::SyncOp> syncs;
  for (std::uint32_t i = 0; i < from.instructions.size(); ++i) {
    trace::Instruction ins = from.instructions[i];
    args.assign(from.args_of(ins), from.args_of(ins) + ins.num_args);
    for (trace::Arg& a : args) {
      if (a.kind == isa::ArgKind::kOperand) {
        trace::Operand op = from.operand(a.operand);
        if (op.tensor != trace::kNone) op.tensor = map.tensors[op.tensor];
        a.operand = into.intern(op);
      } else if (a.kind == isa::ArgKind::kSemaphore) {
        a.semaphore = map.semaphores[a.semaphore];
      }
    }
    syncs.clear();
    std::vector<std::uint32_t> needs_wait;  // continued semaphores posted without a wait
    for (const trace::SyncOp* op = from.syncs_of(ins); op != from.syncs_of(ins) + ins.num_syncs;
         ++op) {
      trace::SyncOp s = *op;
      if (continued[s.semaphore]) {
        if (s.kind == trace::SyncKind::kWaitGe) {
          s.value += offset[s.semaphore];
        } else if (s.kind != trace::SyncKind::kPostAdd || s.value != 1) {
          fail(fmt::format("append: semaphore '{}' is continued but not only counted up by one",
                           from.semaphores[s.semaphore].name));
        } else {
          bool waits = false;
          for (const trace::SyncOp* w = from.syncs_of(ins); w != from.syncs_of(ins) + ins.num_syncs;
               ++w) {
            waits = waits || (w->kind == trace::SyncKind::kWaitGe && w->semaphore == s.semaphore);
          }
          if (!waits && offset[s.semaphore] > 0) needs_wait.push_back(s.semaphore);
        }
      }
      s.semaphore = map.semaphores[s.semaphore];
      syncs.push_back(s);
    }
    for (std::uint32_t s : needs_wait) {
      trace::SyncOp w;
      w.semaphore = map.semaphores[s];
      w.value = offset[s];
      w.kind = trace::SyncKind::kWaitGe;
      syncs.insert(syncs.begin(), w);
    }
    if (options.edit_syncs) options.edit_syncs(i, syncs);
    ins.core_index = cores[ins.core_index];
    if (ins.engine == isa::Engine::kDma) {
      const unsigned queue = unsigned{ins.queue} + options.queue_offset;
      if (queue > 255) fail("append: a DMA queue number beyond 255");
      ins.queue = static_cast<std::uint8_t>(queue);
    }
    map.instructions.push_back(
        into.add_instruction(ins, args.data(), args.size(), syncs.data(), syncs.size()));
  }
  return map;
}

}  // namespace trnsim::gen
