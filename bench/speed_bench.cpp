// The simulator's own speed, tracked: a fixed set of workloads run through the `trnsim`
// command of this tree and, optionally, of a reference build (an earlier commit) on the
// same machine in the same run, interleaved. Writes instructions/s, simulated cycles/s and
// peak RSS per workload as JSON, and with a reference fails (exit 1) when this tree is more
// than --max-drop slower, or needs that much more memory, on any workload.
//
// Comparing with a reference measured alongside, never with stored absolute times, keeps
// the check meaningful on a shared, noisy machine: both binaries see the same load. Speed is
// CPU time of the process, best of --repeat runs. The
// command line of `trnsim run` is the interface, so any earlier commit can be the reference.
//
//   trnsim_bench_speed --current BIN [--reference BIN] --work DIR [--json FILE]
//                      [--repeat N] [--max-drop F]
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

extern char** environ;

namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

// A workload: the `trnsim gen` command that writes its trace and the config it runs on.
struct Workload {
  std::string name;
  std::string config;
  std::vector<std::string> gen;
};

// Chosen to exercise different parts of the model for about 0.2 to 1 CPU second each: the
// tensor engine pipeline with many DMA transfers (GEMMs on one and two cores), the network
// (collectives on a torus), and both together (tp-gemm).
const std::vector<Workload>& workloads() {
  static const std::vector<Workload> kWorkloads = {
      {"gemm-8192-bf16-trn2", "trn2", {"gemm", "--m", "8192", "--n", "8192", "--k", "8192"}},
      {"gemm-8192x8192x4096-2cores-trn2",
       "trn2",
       {"gemm", "--m", "8192", "--n", "8192", "--k", "4096", "--cores", "2"}},
      {"allreduce-ring-64MiB-trn2-16",
       "trn2-16",
       {"allreduce", "--algo", "ring", "--bytes", "64Mi", "--in-place"}},
      {"allreduce-2d-16MiB-trn2-64",
       "trn2-64",
       {"allreduce", "--algo", "2d", "--bytes", "16Mi", "--in-place"}},
      {"tp-gemm-4096x4096x8192-4chips-trn2-16",
       "trn2-16",
       {"tp-gemm", "--m", "4096", "--n", "4096", "--k", "8192", "--chips", "4"}},
  };
  return kWorkloads;
}

// Speed is measured in CPU time (user + system) of the `trnsim` process, which other work
// on the machine changes far less than wall time; wall time is reported beside it.
struct Measure {
  double cpu = std::numeric_limits<double>::infinity();   // best of the repeats
  double wall = std::numeric_limits<double>::infinity();  // best of the repeats
  std::uint64_t peak_rss = 0;                             // largest of the repeats
};

struct ChildResult {
  int status = 0;
  double cpu = 0;
  double wall = 0;
  std::uint64_t peak_rss = 0;
};

// Runs `args` with stdout and stderr to /dev/null: its CPU and wall time, and peak RSS.
ChildResult run_child(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const std::string& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) throw std::runtime_error(fmt::format("cannot run {}", args[0]));
  int status = 0;
  rusage usage{};
  if (wait4(pid, &status, 0, &usage) != pid) throw std::runtime_error("wait4 failed");
  const auto end = std::chrono::steady_clock::now();
  ChildResult r;
  r.status = status;
  r.wall = std::chrono::duration<double>(end - start).count();
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
  };
  r.cpu = seconds(usage.ru_utime) + seconds(usage.ru_stime);
  r.peak_rss = static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;  // KiB on Linux
  return r;
}

void require_success(const ChildResult& r, const std::vector<std::string>& args) {
  if (WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) return;
  std::string line;
  for (const std::string& a : args)
    line += (line.empty() ? "" : " ") + a;
  throw std::runtime_error(fmt::format("failed (status {}): {}", r.status, line));
}

json figures(const Measure& m, std::uint64_t instructions, std::uint64_t cycles) {
  return {{"cpu_seconds", m.cpu},
          {"wall_seconds", m.wall},
          {"instructions_per_s", static_cast<double>(instructions) / m.cpu},
          {"cycles_per_s", static_cast<double>(cycles) / m.cpu},
          {"peak_rss_bytes", m.peak_rss}};
}

int run(int argc, char** argv) {
  std::string current;
  std::string reference;
  std::string work;
  std::string json_path;
  int repeat = 3;
  double max_drop = 0.30;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--current" && has_value) {
      current = argv[++i];
    } else if (arg == "--reference" && has_value) {
      reference = argv[++i];
    } else if (arg == "--work" && has_value) {
      work = argv[++i];
    } else if (arg == "--json" && has_value) {
      json_path = argv[++i];
    } else if (arg == "--repeat" && has_value) {
      repeat = std::max(1, std::stoi(argv[++i]));
    } else if (arg == "--max-drop" && has_value) {
      max_drop = std::stod(argv[++i]);
    } else {
      std::cerr << "usage: trnsim_bench_speed --current BIN [--reference BIN] --work DIR "
                   "[--json FILE] [--repeat N] [--max-drop F]\n";
      return 2;
    }
  }
  if (current.empty() || work.empty() || !(max_drop > 0 && max_drop < 1)) {
    std::cerr << "trnsim_bench_speed: --current and --work are required; --max-drop is in "
                 "(0, 1)\n";
    return 2;
  }
  fs::create_directories(work);

  json out;
  out["max_drop"] = max_drop;
  out["repeat"] = repeat;
  out["workloads"] = json::array();
  bool ok = true;
  fmt::print("{:<40}{:>9}{:>9}{:>9}{:>12}{:>12}{:>9}  {}\n", "workload", "instr", "cpu s", "wall s",
             "instr/s", "cycles/s", "RSS MB", "speed vs reference");
  for (const Workload& w : workloads()) {
    const std::string trace = (fs::path(work) / (w.name + ".trn")).string();
    auto stats_of = [&](bool reference_turn) {
      return (fs::path(work) / (w.name + (reference_turn ? ".reference.json" : ".json"))).string();
    };
    std::vector<std::string> gen{current, "gen"};
    gen.insert(gen.end(), w.gen.begin(), w.gen.end());
    gen.insert(gen.end(), {"--config", w.config, "-o", trace});
    require_success(run_child(gen), gen);

    auto command = [&](bool reference_turn) {
      return std::vector<std::string>{reference_turn ? reference : current,
                                      "run",
                                      "--config",
                                      w.config,
                                      "--stats-json",
                                      stats_of(reference_turn),
                                      trace};
    };
    Measure cur;
    Measure ref;
    for (int r = 0; r < repeat; ++r) {
      // Alternate which goes first, so neither always runs on a warmer or a busier machine.
      for (int k = 0; k < 2; ++k) {
        const bool reference_turn = (k == 0) == (r % 2 == 1);
        if (reference_turn && reference.empty()) continue;
        const std::vector<std::string> args = command(reference_turn);
        const ChildResult c = run_child(args);
        require_success(c, args);
        Measure& m = reference_turn ? ref : cur;
        m.cpu = std::min(m.cpu, c.cpu);
        m.wall = std::min(m.wall, c.wall);
        m.peak_rss = std::max(m.peak_rss, c.peak_rss);
      }
    }
    // What each binary simulated: the same instructions, and the cycles its model gives.
    auto simulated = [&](bool reference_turn) {
      std::ifstream in(stats_of(reference_turn));
      const json s = json::parse(in);
      return std::pair{s.at("instructions").get<std::uint64_t>(),
                       s.at("cycles").get<std::uint64_t>()};
    };
    const auto [instructions, cycles] = simulated(false);

    json entry;
    entry["name"] = w.name;
    entry["config"] = w.config;
    entry["instructions"] = instructions;
    entry["cycles"] = cycles;
    entry["current"] = figures(cur, instructions, cycles);
    std::string versus = "-";
    if (!reference.empty()) {
      const auto [ref_instructions, ref_cycles] = simulated(true);
      entry["reference"] = figures(ref, ref_instructions, ref_cycles);
      const double speed = ref.cpu / cur.cpu;  // > 1: this tree is faster
      const double memory = static_cast<double>(cur.peak_rss) /
                            static_cast<double>(std::max<std::uint64_t>(1, ref.peak_rss));
      const bool slower = speed < 1.0 - max_drop;
      const bool bigger = memory > 1.0 / (1.0 - max_drop);
      entry["speed_ratio"] = speed;
      entry["memory_ratio"] = memory;
      entry["ok"] = !slower && !bigger;
      ok = ok && !slower && !bigger;
      versus = fmt::format("{:.2f}x{}", speed, slower ? " SLOWER" : bigger ? " MEMORY" : "");
    }
    fmt::print("{:<40}{:>9}{:>9.3f}{:>9.3f}{:>12.3g}{:>12.3g}{:>9.1f}  {}\n", w.name, instructions,
               cur.cpu, cur.wall, static_cast<double>(instructions) / cur.cpu,
               static_cast<double>(cycles) / cur.cpu, static_cast<double>(cur.peak_rss) / 1e6,
               versus);
    out["workloads"].push_back(entry);
  }
  if (!reference.empty()) {
    out["ok"] = ok;
    fmt::print("{}: speed and memory against the reference, allowed drop {:.0f} %\n",
               ok ? "PASS" : "FAIL", max_drop * 100);
  }
  if (!json_path.empty()) std::ofstream(json_path) << out.dump(2) << "\n";
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "trnsim_bench_speed: " << e.what() << "\n";
    return 2;
  }
}
