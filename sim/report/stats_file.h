// Reading a `trnsim run --stats-json` file (docs/stats.md) back for `trnsim report`.
//
// The file is checked once here: every version-1 key must be present with its type, and the
// version-2 sections (timeseries, top_waits, roofline) are optional but checked when present.
// A file that is not trnsim stats JSON, or whose schema_version is newer than this reader
// knows, is an InputError naming the file and the offending key. Per-stream figures
// (`streams`) are not read: the report shows engine kinds, not streams.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace trnsim::report {

// The newest stats schema_version this reader understands.
inline constexpr int kNewestStatsSchema = 2;

// Named seconds in file order (stall reasons, as events::stall_reason_name spells them).
using NamedSeconds = std::vector<std::pair<std::string, double>>;

struct EngineSummary {
  std::string name;  // isa::engine_name: pe, act, dve, pool, sync, dma
  double busy = 0;   // 0..1
  std::uint64_t instructions = 0;
  std::uint64_t streams = 0;
  NamedSeconds stall_seconds;
};

struct Timeseries {
  double bin_seconds = 0;
  std::size_t bins = 0;
  std::vector<std::pair<std::string, std::vector<double>>> busy;  // per engine kind, 0..1
  std::vector<double> hbm_bytes_per_s;
  std::vector<double> link_bytes_per_s;
};

struct TopWait {
  std::uint64_t instruction = 0;
  std::string file;
  std::uint64_t line = 0;
  std::uint64_t chip = 0;
  std::uint64_t core = 0;
  std::string engine;
  std::uint64_t queue = 0;
  std::string opcode;
  double wait_seconds = 0;
  std::string reason;
  NamedSeconds stall_seconds;
};

struct Roofline {
  double flops = 0;
  double hbm_bytes = 0;
  double arithmetic_intensity = 0;  // FLOP/B
  double peak_flops_per_s = 0;
  double peak_hbm_bytes_per_s = 0;
  double ridge_intensity = 0;
  double bound_flops_per_s = 0;
  double achieved_flops_per_s = 0;
  double fraction_of_bound = 0;
  std::string bound;  // "compute" or "memory"
};

struct StatsFile {
  std::string path;  // as given
  int schema_version = 0;
  std::string trace;
  std::string config;
  bool completed = true;
  std::uint64_t cycles = 0;
  double core_clock_ghz = 0;
  double seconds = 0;
  std::uint64_t instructions = 0;
  std::uint64_t cores = 0;
  double flops = 0;
  double achieved_flops_per_s = 0;
  double peak_flops_per_s = 0;
  double mfu = 0;
  std::vector<EngineSummary> engines;  // in file order
  struct {
    double bytes = 0;
    std::uint64_t transfers = 0;
    double bytes_per_s = 0;
    double engine_utilisation = 0;
    double hbm_wait_seconds = 0;
    double engine_wait_seconds = 0;
    double link_wait_seconds = 0;
  } dma;
  struct {
    double bytes_read = 0;
    double bytes_written = 0;
    double utilisation = 0;
  } hbm;
  struct {
    std::uint64_t ports = 0;
    double bytes = 0;
    std::uint64_t packets = 0;
    double utilisation = 0;
    std::string busiest;
    double busiest_utilisation = 0;
  } links;
  // Schema version 2 and later; empty when the file predates them.
  std::optional<Timeseries> timeseries;
  std::optional<std::vector<TopWait>> top_waits;
  std::optional<Roofline> roofline;
};

// Parses `text` as the stats file `path`. Throws InputError naming `path`.
StatsFile parse_stats_json(const std::string& path, const std::string& text);
// Reads and parses the file. Throws InputError naming `path`.
StatsFile read_stats_file(const std::string& path);

}  // namespace trnsim::report
