#include "check/race_detector.h"

#include <algorithm>

#include <fmt/format.h>

namespace trnsim::check {

namespace {

// Beyond this many runs, overlapping bounds count as overlap. On-chip patterns have at most
// 64 Ki elements per partition, so they are always compared exactly.
constexpr std::size_t kMaxRuns = std::size_t{1} << 17;
// Accesses remembered per memory (SBUF or PSUM of a core, HBM of a chip).
constexpr std::size_t kMaxShadow = 4096;
// Races kept for the report; the search stops there.
constexpr std::size_t kMaxRaces = 10000;
// Updates of a semaphore followed one by one; older ones are folded into a base.
constexpr std::size_t kKeptUpdates = 64;

std::string stream_name(const trace::Program& p, const trace::Instruction& ins) {
  std::string name = ins.engine == isa::Engine::kDma ? fmt::format("dma.q{}", ins.queue)
                                                     : std::string(isa::engine_name(ins.engine));
  if (p.cores.size() > 1) {
    const trace::CoreId id = p.cores[ins.core_index].id;
    name = fmt::format("chip{}.core{} {}", id.chip, id.core, name);
  }
  return name;
}

std::string microseconds(double seconds) {
  return fmt::format("{:.3f} us", seconds * 1e6);
}

}  // namespace

RaceDetector::RaceDetector(const trace::Program& program, const config::SystemConfig& cfg,
                           const std::vector<std::uint64_t>& tensor_addresses)
    : m_program(program),
      m_cfg(cfg),
      m_tensors(tensor_addresses),
      m_stream_of(program.instructions.size()),
      m_position_of(program.instructions.size()),
      m_acquired(program.instructions.size()),
      m_semaphores(program.semaphores.size()) {
  const std::vector<trace::Stream> streams = program.streams();
  m_streams = static_cast<std::uint32_t>(streams.size());
  m_stream_clock.assign(streams.size(), Clock(2 * streams.size(), 0));
  m_completions.assign(streams.size(), 0);
  m_completion_index.assign(program.instructions.size(), 0);
  for (std::uint32_t s = 0; s < streams.size(); ++s) {
    for (std::uint32_t k = 0; k < streams[s].instructions.size(); ++k) {
      m_stream_of[streams[s].instructions[k]] = s;
      m_position_of[streams[s].instructions[k]] = k;
    }
  }
}

void RaceDetector::join(Clock& into, const Clock& other) {
  for (std::size_t i = 0; i < into.size(); ++i)
    into[i] = std::max(into[i], other[i]);
}

RaceDetector::Clock& RaceDetector::acquire(std::uint32_t instruction) {
  if (m_acquired[instruction]) {
    auto it = m_clock_of.find(instruction);
    if (it != m_clock_of.end()) return it->second;
    // Completed already (a late event): its stream's clock orders at least as much.
    return m_clock_of[instruction] = m_stream_clock[m_stream_of[instruction]];
  }
  const std::uint32_t s = m_stream_of[instruction];
  Clock clock = m_stream_clock[s];  // program order
  const trace::Instruction& ins = m_program.instructions[instruction];
  const trace::SyncOp* syncs = m_program.syncs_of(ins);
  for (std::uint32_t i = 0; i < ins.num_syncs; ++i) {
    if (syncs[i].kind != trace::SyncKind::kWaitGe || syncs[i].value <= 0) continue;
    const std::vector<Update>& updates = m_semaphores[syncs[i].semaphore].updates;
    if (updates.empty()) continue;
    // The first update after which the value reached the target (values only grow after
    // the base, so the search is over a sorted sequence).
    auto it = std::lower_bound(
        updates.begin(), updates.end(), syncs[i].value,
        [](const Update& u, std::int64_t target) { return u.value_after < target; });
    join(clock, it == updates.end() ? updates.back().released : it->released);
  }
  clock[s] = m_position_of[instruction] + 1;  // its reads, and those before it
  m_stream_clock[s] = clock;
  m_acquired[instruction] = true;
  return m_clock_of[instruction] = std::move(clock);
}

void RaceDetector::on_post(const events::PostEvent& e) {
  Clock released = acquire(e.instruction);
  const std::uint32_t s = m_stream_of[e.instruction];
  // The stream's writes released are those landed by now: the poster's own once it has
  // completed (a @complete post), and earlier instructions' only if they have completed
  // too (a pipelined engine may still be writing them).
  if (!e.at_read) completion_index(e.instruction);
  const std::uint32_t own = m_completion_index[e.instruction];
  released[m_streams + s] = e.at_read && own != 0 ? own - 1 : m_completions[s];
  std::vector<Update>& updates = m_semaphores[e.semaphore].updates;
  if (!updates.empty()) join(released, updates.back().released);
  if (e.kind != events::PostKind::kAdd || e.value < 0) updates.clear();  // collapse: see header
  updates.push_back(Update{e.result, std::move(released)});
  // Memory: a long-lived counter would keep a clock per post. Old updates are folded into
  // one base (its clock already joins them all), so a wait for an old value is ordered
  // after a little more than it must: races can be missed there, never invented.
  if (updates.size() > 2 * kKeptUpdates) {
    updates.erase(updates.begin(), updates.end() - static_cast<std::ptrdiff_t>(kKeptUpdates));
  }
}

void RaceDetector::on_issue(const events::InstructionEvent& e) {
  acquire(e.index);
  access(e.index, false, e.issue);
}

std::uint32_t RaceDetector::completion_index(std::uint32_t instruction) {
  std::uint32_t& index = m_completion_index[instruction];
  if (index == 0) index = ++m_completions[m_stream_of[instruction]];
  return index;
}

void RaceDetector::on_complete(const events::InstructionEvent& e) {
  acquire(e.index);
  completion_index(e.index);
  access(e.index, true, e.complete);
  m_clock_of.erase(e.index);
}

void RaceDetector::access(std::uint32_t instruction, bool writes, double time) {
  operand_accesses(m_program, m_program.instructions[instruction], m_cfg, m_tensors, writes,
                   m_operands);
  const Clock& clock = m_clock_of.at(instruction);
  for (const OperandAccess& op : m_operands) {
    Access a;
    a.fp = op.where;
    a.lo = a.fp.lo();
    a.hi = a.fp.hi();
    a.dense = trace::byte_runs(a.fp, 2, m_runs_a) && m_runs_a.size() == 1;
    a.write = writes;
    a.stream = m_stream_of[instruction];
    a.epoch = writes ? completion_index(instruction) : m_position_of[instruction] + 1;
    a.instruction = instruction;
    a.column = op.column;
    a.time = time;
    record(std::move(a), clock);
  }
}

bool RaceDetector::covers(const Access& outer, const Access& inner) {
  const trace::Footprint& o = outer.fp;
  const trace::Footprint& i = inner.fp;
  if (o.p0 > i.p0 || o.p1 < i.p1) return false;
  if (outer.dense) return outer.lo <= inner.lo && outer.hi >= inner.hi;
  // The same strided pattern again (a buffer reused the same way) covers itself.
  if (o.base != i.base || o.elem_bytes != i.elem_bytes || o.ndims != i.ndims) return false;
  for (std::uint32_t d = 0; d < o.ndims; ++d) {
    if (o.size[d] != i.size[d] || o.stride[d] != i.stride[d]) return false;
  }
  return true;
}

bool RaceDetector::overlaps(const Access& a, const Access& b, std::int64_t& lo, std::int64_t& hi) {
  lo = std::max(a.lo, b.lo);
  hi = std::min(a.hi, b.hi);
  if (lo >= hi || std::max(a.fp.p0, b.fp.p0) >= std::min(a.fp.p1, b.fp.p1)) return false;
  if (a.dense && b.dense) return true;
  const bool exact_a = trace::byte_runs(a.fp, kMaxRuns, m_runs_a);
  const bool exact_b = trace::byte_runs(b.fp, kMaxRuns, m_runs_b);
  if (!exact_a || !exact_b) return true;  // too many runs to follow: trust the bounds
  // Both run lists are sorted and merged: walk them together.
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < m_runs_a.size() && j < m_runs_b.size()) {
    const std::int64_t l = std::max(m_runs_a[i].first, m_runs_b[j].first);
    const std::int64_t h = std::min(m_runs_a[i].second, m_runs_b[j].second);
    if (l < h) {
      lo = l;
      hi = h;
      return true;
    }
    if (m_runs_a[i].second < m_runs_b[j].second) {
      ++i;
    } else {
      ++j;
    }
  }
  return false;
}

void RaceDetector::record(Access a, const Clock& clock) {
  Shadow& shadow = m_shadows[a.fp.memory_key()];
  // Only accesses starting within the longest extent before `a` can overlap it.
  auto it = shadow.accesses.lower_bound(a.lo - shadow.longest);
  const auto end = shadow.accesses.lower_bound(a.hi);
  while (it != end) {
    const Access& e = it->second;
    bool redundant = false;
    const bool near = a.lo < e.hi && e.fp.p0 < a.fp.p1 && a.fp.p0 < e.fp.p1;
    if (near) {
      if (e.stream == a.stream) {
        // Program order. A later write covering `e`, or a later read covering an earlier
        // read, makes `e` redundant: whatever races with `e` also races with `a`.
        redundant = covers(a, e) && (a.write || !e.write);
      } else if (e.write || a.write) {
        if (clock[e.write ? m_streams + e.stream : e.stream] < e.epoch) note_race(e, a);
        // A write covering `e` stands for it from now on: what is ordered after it also
        // is after `e` (or, when the two race, that race has just been reported).
        redundant = a.write && covers(a, e);
      }
    }
    it = redundant ? shadow.accesses.erase(it) : std::next(it);
  }
  shadow.longest = std::max(shadow.longest, a.hi - a.lo);
  a.sequence = shadow.next_sequence++;
  shadow.accesses.emplace(a.lo, std::move(a));
  // A bound on the work per access when accesses overlap without ever covering each
  // other: the oldest are forgotten (a race with them can then be missed, never invented).
  if (shadow.accesses.size() > kMaxShadow) {
    const std::uint64_t keep_from = shadow.next_sequence - kMaxShadow * 3 / 4;
    std::erase_if(shadow.accesses,
                  [&](const auto& entry) { return entry.second.sequence < keep_from; });
  }
}

void RaceDetector::note_race(const Access& e, const Access& a) {
  if (m_races.size() >= kMaxRaces) return;  // enough to act on; stop paying for more
  std::int64_t lo = 0;
  std::int64_t hi = 0;
  if (!overlaps(e, a, lo, hi) || !m_reported.emplace(e.instruction, a.instruction).second) return;
  Race r;
  r.kind = e.write && a.write ? RaceKind::kWriteAfterWrite
           : e.write          ? RaceKind::kReadAfterWrite
                              : RaceKind::kWriteAfterRead;
  r.first = e.instruction;
  r.second = a.instruction;
  r.first_time = e.time;
  r.second_time = a.time;
  r.first_column = e.column;
  r.second_column = a.column;
  r.where = a.fp;
  r.where.p0 = std::max(a.fp.p0, e.fp.p0);
  r.where.p1 = std::min(a.fp.p1, e.fp.p1);
  r.lo = lo;
  r.hi = hi;
  m_races.push_back(r);
}

void RaceDetector::report(DiagnosticList& diags, std::string_view source) const {
  for (const Race& r : m_races) {
    if (diags.full()) {  // counted in "N more not shown", not formatted
      diags.error({}, 0, 0, {});
      continue;
    }
    const trace::Instruction& first = m_program.instructions[r.first];
    const trace::Instruction& second = m_program.instructions[r.second];
    std::string region;
    if (r.where.memory == isa::Memory::kHbm) {
      region = fmt::format("hbm bytes {:#x}..{:#x}", r.lo, r.hi - 1);
      if (m_cfg.system.chips > 1) region += fmt::format(" of chip {}", r.where.chip);
      for (std::size_t t = 0; t < m_program.tensors.size(); ++t) {
        const auto begin = static_cast<std::int64_t>(m_tensors[t]);
        const trace::TensorDecl& decl = m_program.tensors[t];
        std::int64_t bytes = isa::dtype_bytes(decl.dtype);
        for (std::uint64_t d : decl.shape)
          bytes *= static_cast<std::int64_t>(d);
        if (decl.chip == r.where.chip && r.lo >= begin && r.lo < begin + bytes) {
          region += fmt::format(" (tensor {})", decl.name);
        }
      }
    } else {
      region = fmt::format("{} partitions {}..{}, bytes {:#x}..{:#x}",
                           r.where.memory == isa::Memory::kSbuf ? "sbuf" : "psum", r.where.p0,
                           r.where.p1 - 1, r.lo, r.hi - 1);
      if (m_program.cores.size() > 1) {
        region += fmt::format(" of chip {} core {}", r.where.chip, r.where.core);
      }
    }
    const std::string_view verb = r.kind == RaceKind::kReadAfterWrite ? "reads" : "writes";
    const std::string_view other = r.kind == RaceKind::kWriteAfterRead ? "read" : "written";
    const std::string_view kind = r.kind == RaceKind::kReadAfterWrite   ? "read after write"
                                  : r.kind == RaceKind::kWriteAfterRead ? "write after read"
                                                                        : "write after write";
    diags.error(
        m_program.file, second.line, r.second_column,
        fmt::format("data race ({}): {} {} {} at {}, {} by {} at line {} at {}, and no "
                    "semaphore orders the two",
                    kind, stream_name(m_program, second), verb, region, microseconds(r.second_time),
                    other, stream_name(m_program, first), first.line, microseconds(r.first_time)),
        std::string(line_of(source, second.line)));
    Diagnostic note;
    note.severity = Severity::kNote;
    note.file = m_program.file;
    note.line = first.line;
    note.column = r.first_column;
    note.message =
        fmt::format("the other access of that race: {} {} here", stream_name(m_program, first),
                    r.kind == RaceKind::kWriteAfterRead ? "reads" : "writes");
    note.source_line = std::string(line_of(source, first.line));
    diags.add(std::move(note));
  }
}

}  // namespace trnsim::check
