// trnsim_bench_parse: how fast the trace parser reads a large trace, and how much memory
// the parsed Program takes per instruction. Run it through `scripts/bench.sh parse`.
//
//   trnsim_bench_parse [--instructions N] [--cores C] [--repeat R] [--write FILE]
//
// The trace is generated in memory (synthetic_trace.h), so disk speed does not count.
// Time is the best of R parses. Memory is measured two ways: the growth of the process's
// resident set while one Program is parsed and kept, and the bytes the Program accounts
// for itself (vector capacities and pools).
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "process_memory.h"
#include "synthetic_trace.h"
#include "trace/parser.h"

namespace {

using trnsim::bench::resident_bytes;
using trnsim::trace::Program;

constexpr double kTargetInstructionsPerSecond = 2e6;
constexpr double kTargetBytesPerInstruction = 200;

template <typename T>
std::uint64_t capacity_bytes(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}

std::uint64_t string_heap_bytes(const std::string& s) {
  return s.capacity() > 15 ? s.capacity() + 1 : 0;  // libstdc++ keeps 15 chars inline
}

struct ProgramBytes {
  std::uint64_t instructions = 0;
  std::uint64_t args = 0;
  std::uint64_t syncs = 0;
  std::uint64_t operands = 0;  // the pool and its interning index
  std::uint64_t declarations = 0;
  std::uint64_t total() const { return instructions + args + syncs + operands + declarations; }
};

// What the Program holds on the heap. The interning and name indexes are private, so they
// are estimated from their sizes: one node per entry (value, next pointer, cached hash)
// plus one bucket pointer per entry.
ProgramBytes accounted_bytes(const Program& p) {
  constexpr std::uint64_t kNodeOverhead = 2 * sizeof(void*) + sizeof(void*);
  ProgramBytes b;
  b.instructions = capacity_bytes(p.instructions);
  b.args = capacity_bytes(p.args);
  b.syncs = capacity_bytes(p.syncs);
  b.operands = capacity_bytes(p.operands) +
               p.operands.size() * (sizeof(trnsim::trace::Operand) + 8 + kNodeOverhead);
  b.declarations = capacity_bytes(p.tensors) + capacity_bytes(p.semaphores) +
                   capacity_bytes(p.aliases) + capacity_bytes(p.cores);
  for (const auto& t : p.tensors) {
    b.declarations +=
        string_heap_bytes(t.name) + capacity_bytes(t.shape) + string_heap_bytes(t.file);
  }
  for (const auto& s : p.semaphores)
    b.declarations += string_heap_bytes(s.name) + 48 + kNodeOverhead;
  for (const auto& a : p.aliases)
    b.declarations += string_heap_bytes(a.name);
  return b;
}

std::string verdict(bool ok) {
  return ok ? "ok" : "MISSED";
}

int run(int argc, char** argv) {
  std::uint64_t instructions = 1'000'000;
  std::uint32_t cores = 2;
  int repeat = 3;
  std::string write_path;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--instructions" && has_value) {
      instructions = std::stoull(argv[++i]);
    } else if (arg == "--cores" && has_value) {
      cores = static_cast<std::uint32_t>(std::stoul(argv[++i]));
    } else if (arg == "--repeat" && has_value) {
      repeat = std::stoi(argv[++i]);
    } else if (arg == "--write" && has_value) {
      write_path = argv[++i];
    } else {
      std::cerr << "usage: trnsim_bench_parse [--instructions N] [--cores C] [--repeat R] "
                   "[--write FILE]\n";
      return 2;
    }
  }
  if (cores == 0 || repeat < 1) {
    std::cerr << "trnsim_bench_parse: --cores and --repeat must be at least 1\n";
    return 2;
  }

  const std::string text = trnsim::bench::synthetic_trace(instructions, cores);
  if (!write_path.empty()) std::ofstream(write_path, std::ios::binary) << text;

  // Memory first, in a heap that no earlier parse has grown.
  const std::uint64_t rss_before = resident_bytes();
  const Program kept = trnsim::trace::parse_trace(text, "synthetic.trn");
  const std::uint64_t rss_after = resident_bytes();
  const ProgramBytes accounted = accounted_bytes(kept);
  const double n = static_cast<double>(kept.instructions.size());

  double best = 1e300;
  for (int r = 0; r < repeat; ++r) {
    const auto start = std::chrono::steady_clock::now();
    const Program p = trnsim::trace::parse_trace(text, "synthetic.trn");
    const auto stop = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double>(stop - start).count());
  }

  const double per_second = n / best;
  const double rss_per = static_cast<double>(rss_after - rss_before) / n;
  const double accounted_per = static_cast<double>(accounted.total()) / n;
  fmt::print("trace parse benchmark (synthetic GEMM-like trace, {} cores)\n", cores);
  fmt::print("  instructions           {}\n", kept.instructions.size());
  fmt::print("  distinct operands      {}\n", kept.operands.size());
  fmt::print("  text bytes             {} ({:.1f} MB, {:.1f} bytes/instruction)\n", text.size(),
             static_cast<double>(text.size()) / 1e6, static_cast<double>(text.size()) / n);
  fmt::print("  wall seconds (best/{}) {:.3f}\n", repeat, best);
  fmt::print("  instructions/second    {:.2f} M   target >= {:.0f} M   {}\n", per_second / 1e6,
             kTargetInstructionsPerSecond / 1e6,
             verdict(per_second >= kTargetInstructionsPerSecond));
  fmt::print("  MB/s                   {:.1f}\n", static_cast<double>(text.size()) / 1e6 / best);
  fmt::print("  bytes/instruction, RSS growth        {:.1f}   target <= {:.0f}   {}\n", rss_per,
             kTargetBytesPerInstruction, verdict(rss_per <= kTargetBytesPerInstruction));
  fmt::print("  bytes/instruction, Program accounted {:.1f}   target <= {:.0f}   {}\n",
             accounted_per, kTargetBytesPerInstruction,
             verdict(accounted_per <= kTargetBytesPerInstruction));
  fmt::print(
      "    instructions {:.1f}, args {:.1f}, syncs {:.1f}, operands {:.1f}, "
      "declarations {:.1f}\n",
      static_cast<double>(accounted.instructions) / n, static_cast<double>(accounted.args) / n,
      static_cast<double>(accounted.syncs) / n, static_cast<double>(accounted.operands) / n,
      static_cast<double>(accounted.declarations) / n);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const trnsim::InputError& e) {
    std::cerr << "the synthetic trace does not parse:\n";
    e.diagnostics().print(std::cerr);
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "trnsim_bench_parse: " << e.what() << "\n";
    return 2;
  }
}
