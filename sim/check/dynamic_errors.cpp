#include "check/dynamic_errors.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

namespace trnsim::check {

namespace {

constexpr std::size_t kMaxRuns = 1 << 16;  // beyond this a pattern is not followed

// Sets, or tests, bits [lo, hi) of `words`. Returns false when testing finds a clear bit.
bool bit_range(std::uint64_t* words, std::uint64_t lo, std::uint64_t hi, bool mark) {
  while (lo < hi) {
    const std::uint64_t word = lo / 64;
    const std::uint64_t first = lo % 64;
    const std::uint64_t count = std::min<std::uint64_t>(64 - first, hi - lo);
    const std::uint64_t mask = (count == 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << count) - 1))
                               << first;
    if (mark) {
      words[word] |= mask;
    } else if ((words[word] & mask) != mask) {
      return false;
    }
    lo += count;
  }
  return true;
}

}  // namespace

DynamicErrors::DynamicErrors(const trace::Program& program, const config::SystemConfig& cfg,
                             const std::vector<std::uint64_t>& tensor_addresses)
    : m_program(program),
      m_cfg(cfg),
      m_tensors(tensor_addresses),
      m_written(program.tensors.size()),
      m_tracked(program.tensors.size()) {
  for (std::size_t t = 0; t < program.tensors.size(); ++t)
    m_tracked[t] = program.tensors[t].init == trace::InitKind::kNone;
}

DynamicErrors::OnChip& DynamicErrors::on_chip(const trace::Footprint& f) {
  OnChip& mem = m_on_chip[f.memory_key()];
  if (mem.bits.empty()) {
    const bool sbuf = f.memory == isa::Memory::kSbuf;
    const std::uint64_t bytes =
        sbuf ? m_cfg.sbuf.bytes_per_partition : m_cfg.psum.banks * m_cfg.psum.bank_bytes;
    const std::uint32_t partitions = sbuf ? m_cfg.sbuf.partitions : m_cfg.psum.partitions;
    mem.words_per_partition = (bytes + 63) / 64;
    mem.bits.assign(mem.words_per_partition * partitions, 0);
  }
  return mem;
}

bool DynamicErrors::visit_on_chip(OnChip& mem, const trace::Footprint& f, bool mark) {
  if (!trace::byte_runs(f, kMaxRuns, m_runs) || m_runs.empty()) return true;
  // Every partition holds the same pattern: build its bits once, as words aligned like
  // the partitions' own, then apply them partition by partition.
  const auto first_word = static_cast<std::uint64_t>(m_runs.front().first) / 64;
  const auto last_word = static_cast<std::uint64_t>(m_runs.back().second - 1) / 64;
  m_pattern.assign(last_word - first_word + 1, 0);
  for (const auto& [lo, hi] : m_runs) {
    bit_range(m_pattern.data(), static_cast<std::uint64_t>(lo) - first_word * 64,
              static_cast<std::uint64_t>(hi) - first_word * 64, true);
  }
  for (std::uint32_t p = f.p0; p < f.p1; ++p) {
    std::uint64_t* words = mem.bits.data() + p * mem.words_per_partition + first_word;
    for (std::size_t w = 0; w < m_pattern.size(); ++w) {
      if (mark) {
        words[w] |= m_pattern[w];
      } else if ((words[w] & m_pattern[w]) != m_pattern[w]) {
        return false;
      }
    }
  }
  return true;
}

bool DynamicErrors::visit_hbm(const trace::Footprint& f, bool mark) {
  // The tracked tensor holding the first byte, if any.
  const std::int64_t lo = f.lo();
  std::size_t tensor = m_program.tensors.size();
  for (std::size_t t = 0; t < m_program.tensors.size(); ++t) {
    const auto begin = static_cast<std::int64_t>(m_tensors[t]);
    const auto bytes = static_cast<std::int64_t>(m_program.tensors[t].bytes());
    if (m_program.tensors[t].chip == f.chip && lo >= begin && lo < begin + bytes) tensor = t;
  }
  if (tensor == m_program.tensors.size() || !m_tracked[tensor]) return true;
  if (!trace::byte_runs(f, kMaxRuns, m_runs)) return true;
  std::map<std::int64_t, std::int64_t>& written = m_written[tensor];
  for (auto [a, b] : m_runs) {
    if (mark) {
      // Merge [a, b) with every range it touches.
      auto it = written.upper_bound(a);
      if (it != written.begin() && std::prev(it)->second >= a) --it;
      while (it != written.end() && it->first <= b) {
        a = std::min(a, it->first);
        b = std::max(b, it->second);
        it = written.erase(it);
      }
      written.emplace(a, b);
    } else {
      auto it = written.upper_bound(a);
      if (it == written.begin() || std::prev(it)->second < b) return false;
    }
  }
  return true;
}

bool DynamicErrors::visit(const trace::Footprint& f, bool mark) {
  if (f.memory == isa::Memory::kHbm) return visit_hbm(f, mark);
  return visit_on_chip(on_chip(f), f, mark);
}

std::string DynamicErrors::describe(const trace::Footprint& f, trace::CoreId issuer) const {
  if (f.memory == isa::Memory::kHbm) {
    return fmt::format("hbm bytes {:#x}..{:#x}", f.lo(), f.hi() - 1);
  }
  std::string out = fmt::format("{} partitions {}..{}, bytes {:#x}..{:#x}",
                                f.memory == isa::Memory::kSbuf ? "sbuf" : "psum", f.p0, f.p1 - 1,
                                f.lo(), f.hi() - 1);
  if (trace::CoreId{f.chip, f.core} != issuer) {
    out += fmt::format(" of chip {} core {}", f.chip, f.core);
  }
  return out;
}

void DynamicErrors::on_issue(const events::InstructionEvent& e) {
  const trace::Instruction& ins = m_program.instructions[e.index];
  const trace::CoreId issuer = m_program.cores[ins.core_index].id;
  operand_accesses(m_program, ins, m_cfg, m_tensors, false, m_operands);
  for (const OperandAccess& op : m_operands) {
    if (visit(op.where, false)) continue;
    std::string message =
        op.accumulates ? fmt::format(
                             "accumulate without a start: the matmul accumulates into {} that no "
                             "matmul has started (acc=start) or written",
                             describe(op.where, issuer))
                       : fmt::format(
                             "read of uninitialised memory: not every byte of {} has been written "
                             "yet",
                             describe(op.where, issuer));
    m_found.push_back({e.index, op.column, std::move(message)});
  }
  // The outputs count as written from the moment their writer issues: whether a reader is
  // ordered after the write completes is the race detector's question, not this one (and
  // an engine's own pipelined accumulations read what it started moments before).
  operand_accesses(m_program, ins, m_cfg, m_tensors, true, m_operands);
  for (const OperandAccess& op : m_operands)
    visit(op.where, true);
}

void DynamicErrors::on_complete(const events::InstructionEvent&) {}

void DynamicErrors::on_post(const events::PostEvent& e) {
  if (e.result <= std::numeric_limits<std::int32_t>::max() &&
      e.result >= std::numeric_limits<std::int32_t>::min()) {
    return;
  }
  m_found.push_back({e.instruction, 0,
                     fmt::format("semaphore overflow: {} reaches {}, outside the 32-bit range of "
                                 "the hardware's semaphores",
                                 m_program.semaphores[e.semaphore].name, e.result)});
}

void DynamicErrors::report(DiagnosticList& diags, std::string_view source) const {
  for (const Finding& f : m_found) {
    if (diags.full()) {  // counted in "N more not shown", not formatted
      diags.error({}, 0, 0, {});
      continue;
    }
    const trace::Instruction& ins = m_program.instructions[f.instruction];
    diags.error(m_program.file, ins.line, f.column == 0 ? 1 : f.column, f.message,
                std::string(line_of(source, ins.line)));
  }
}

}  // namespace trnsim::check
