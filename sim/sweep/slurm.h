// The Slurm backend of `trnsim sweep` (docs/sweeps.md, "On a Slurm cluster"): one job array
// whose task k runs every T-th run of the sweep (`trnsim sweep task DIR --task k --tasks T`)
// into DIR/rows/task-<k>.jsonl; `trnsim sweep collect DIR` merges them. The sweep's
// directory and the trnsim binary must be on a filesystem every node sees.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace trnsim::sweep {

struct SlurmJob {
  std::filesystem::path trnsim;  // absolute
  std::filesystem::path dir;     // the sweep's directory, absolute
  std::string name;              // the sweep's name
  unsigned tasks = 1;            // array tasks
  unsigned jobs_per_task = 1;    // runs at once inside a task (and CPUs it asks for)
};

// The batch script: #SBATCH lines for the array, each task's log in DIR/slurm/, and the
// one command every task runs.
std::string job_script(const SlurmJob& job);

// Task `task` of `tasks` takes the runs whose number is `task` modulo `tasks`: every task
// gets a share of every part of the grid, so slow corners do not all land on one task.
bool in_slice(std::size_t run, unsigned task, unsigned tasks);

// Where `program` is on PATH (or `program` itself when it has a '/'); empty if nowhere.
std::filesystem::path find_program(const std::string& program);

struct Submission {
  std::string job_id;  // empty when sbatch failed
  std::string error;   // sbatch's own message when it failed
  int exit_code = 0;   // sbatch's; with --wait, nonzero when a task failed
};

// Runs `sbatch --parsable [--wait] EXTRA... SCRIPT`.
Submission submit(const std::filesystem::path& sbatch, const std::filesystem::path& script,
                  const std::vector<std::string>& extra_args, bool wait);

}  // namespace trnsim::sweep
