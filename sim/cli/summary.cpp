#include "cli/summary.h"

#include <algorithm>
#include <initializer_list>
#include <ostream>

#include <fmt/format.h>

namespace trnsim::cli {

namespace {

// `1536` -> "1.50 KiB": a second, readable form next to the exact count.
std::string human(std::uint64_t count, double step, std::initializer_list<const char*> units) {
  double value = static_cast<double>(count);
  auto unit = units.begin();
  while (value >= step && unit + 1 != units.end()) {
    value /= step;
    ++unit;
  }
  return unit == units.begin() ? fmt::format("{} {}", count, *unit)
                               : fmt::format("{:.2f} {}", value, *unit);
}

std::string human_bytes(std::uint64_t bytes) {
  return human(bytes, 1024.0, {"B", "KiB", "MiB", "GiB", "TiB", "PiB"});
}

std::string human_flops(std::uint64_t flops) {
  return human(flops, 1000.0, {"FLOP", "kFLOP", "MFLOP", "GFLOP", "TFLOP", "PFLOP"});
}

}  // namespace

std::uint64_t operand_bytes(const trace::Operand& op) {
  std::uint64_t elements = op.free_elements();
  if (op.memory() != isa::Memory::kHbm) elements *= op.partitions();
  return elements * isa::dtype_bytes(op.dtype);
}

ProgramSummary summarize(const trace::Program& program, const config::SystemConfig& cfg,
                         const std::string& trace_name) {
  ProgramSummary s;
  s.trace = trace_name;
  s.config = cfg.name;
  s.config_chips = cfg.system.chips;
  s.config_cores_per_chip = cfg.chip.cores;
  for (const auto& core : program.cores)
    s.cores.push_back(CoreSummary{core.id, {}});
  s.tensors = program.tensors.size();
  for (const auto& t : program.tensors)
    s.hbm_bytes += t.bytes();
  s.instructions = program.instructions.size();

  auto operand_of = [&](const trace::Instruction& ins, std::size_t n) -> const trace::Operand* {
    const trace::Arg* arg = program.positional(ins, n);
    if (arg == nullptr || arg->kind != isa::ArgKind::kOperand) return nullptr;
    return &program.operand(arg->operand);
  };
  auto bytes_of = [](const trace::Operand* op) -> std::uint64_t {
    return op != nullptr ? operand_bytes(*op) : 0;
  };

  for (const auto& ins : program.instructions) {
    ++s.cores[ins.core_index].instructions[static_cast<std::size_t>(ins.engine)];
    if (ins.opcode == isa::Opcode::kCopy || ins.opcode == isa::Opcode::kCopyAdd) {
      ++s.dma_transfers;
      s.dma_bytes += std::max(bytes_of(operand_of(ins, 0)), bytes_of(operand_of(ins, 1)));
    } else if (ins.opcode == isa::Opcode::kMatmul) {
      // Operands: dst, stationary (K partitions x M), moving (K partitions x N).
      const auto* stationary = operand_of(ins, 1);
      const auto* moving = operand_of(ins, 2);
      if (stationary != nullptr && moving != nullptr) {
        s.flops +=
            2ull * stationary->partitions() * stationary->free_elements() * moving->free_elements();
      }
    }
  }
  return s;
}

void print_summary(const ProgramSummary& s, std::ostream& out) {
  out << fmt::format("trace:         {}\n", s.trace);
  out << fmt::format("config:        {} ({} chip(s) x {} core(s))\n", s.config, s.config_chips,
                     s.config_cores_per_chip);
  out << fmt::format("cores used:    {}\n", s.cores.size());
  out << fmt::format("instructions:  {}\n", s.instructions);
  out << fmt::format("tensors:       {} ({} bytes = {} in HBM)\n", s.tensors, s.hbm_bytes,
                     human_bytes(s.hbm_bytes));
  out << fmt::format("dma bytes:     {} ({}, {} transfers)\n", s.dma_bytes,
                     human_bytes(s.dma_bytes), s.dma_transfers);
  out << fmt::format("matmul flops:  {} ({})\n", s.flops, human_flops(s.flops));

  if (s.cores.empty()) return;
  out << "\ninstructions per core and engine:\n";
  std::string header = fmt::format("  {:<14}", "core");
  for (std::size_t e = 0; e < isa::kNumEngines; ++e) {
    header += fmt::format(" {:>9}", isa::engine_name(static_cast<isa::Engine>(e)));
  }
  out << header << fmt::format(" {:>10}\n", "total");
  EngineCounts all{};
  auto row = [&](const std::string& label, const EngineCounts& counts) {
    std::string line = fmt::format("  {:<14}", label);
    std::uint64_t total = 0;
    for (auto c : counts) {
      line += fmt::format(" {:>9}", c);
      total += c;
    }
    out << line << fmt::format(" {:>10}\n", total);
  };
  for (const auto& core : s.cores) {
    row(fmt::format("chip{}.core{}", core.id.chip, core.id.core), core.instructions);
    for (std::size_t e = 0; e < isa::kNumEngines; ++e)
      all[e] += core.instructions[e];
  }
  if (s.cores.size() > 1) row("all cores", all);
}

}  // namespace trnsim::cli
