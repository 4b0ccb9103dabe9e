// Running a sweep's (point, workload) pairs: each is a `trnsim gen` (for a generated
// workload, planned for the point's config) and a `trnsim run --stats-json` in child
// processes with a time limit, so that a crash or a hang costs that run alone and is
// recorded as a failed row with its error.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "sweep/points.h"
#include "sweep/results.h"
#include "sweep/spec.h"

namespace trnsim::sweep {

struct RunSettings {
  std::filesystem::path trnsim;    // the binary the children run
  std::filesystem::path work_dir;  // each run gets a directory inside, removed when it succeeds
  std::string config;              // `--config` of every child: the spec's base
  double timeout_seconds = 0;      // per run, gen and simulation together
};

// One run of the sweep.
struct Task {
  const ResolvedPoint* point = nullptr;
  const Workload* workload = nullptr;
};

// Every (point, workload) pair, point by point, the workloads in the spec's order: the order
// of the results, and the numbering Slurm tasks slice.
std::vector<Task> all_tasks(const Spec& spec, const Resolution& points);

// Runs one task and returns its row; a failure of the run is a row, never an exception.
Row run_task(const Spec& spec, const Task& task, const RunSettings& settings);

// Runs `tasks` on `jobs` threads. `done(i, row)` is called for tasks[i] as it finishes,
// one call at a time. Once `stop` is set no new task starts. An exception from `done` stops
// every worker and is rethrown once the tasks in flight have finished.
void run_tasks(const Spec& spec, const std::vector<Task>& tasks, const RunSettings& settings,
               unsigned jobs, const std::function<void(std::size_t, const Row&)>& done,
               const std::atomic<bool>& stop);

}  // namespace trnsim::sweep
