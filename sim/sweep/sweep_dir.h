// The output directory of a sweep (docs/sweeps.md, "Output directory"):
//
//   DIR/sweep.json       the manifest: the spec's text and where it came from, the base
//                        config, a fingerprint of both; a rerun or a Slurm task reads it
//   DIR/rows/*.jsonl     rows as runs finish: local.jsonl, task-<k>.jsonl per Slurm task
//   DIR/results.jsonl    the merged rows, one per (point, workload), in point order
//   DIR/results.csv      the same as a table
//   DIR/work/            a directory per running or failed run (its trace, logs, stats)
//   DIR/slurm/           the job script and each task's log (Slurm backend)
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "sweep/results.h"
#include "sweep/runner.h"
#include "sweep/spec.h"

namespace trnsim::sweep {

struct Manifest {
  std::string spec_file;  // absolute
  std::string spec_dir;   // relative paths in the spec resolve against it
  std::string spec_text;
  std::string base_file;    // the base config file, resolved
  std::string fingerprint;  // of the spec's text and the base config's text
};

class SweepDir {
 public:
  explicit SweepDir(std::filesystem::path root) : m_root(std::move(root)) {}

  const std::filesystem::path& root() const { return m_root; }
  std::filesystem::path manifest_file() const { return m_root / "sweep.json"; }
  std::filesystem::path rows_dir() const { return m_root / "rows"; }
  std::filesystem::path work_dir() const { return m_root / "work"; }
  std::filesystem::path slurm_dir() const { return m_root / "slurm"; }
  std::filesystem::path results_jsonl() const { return m_root / "results.jsonl"; }
  std::filesystem::path results_csv() const { return m_root / "results.csv"; }

  // Creates the directory with `m`, or checks that the one there is of the same sweep:
  // rows of another spec must never be mixed in. Throws InputError otherwise.
  void prepare(const Manifest& m) const;
  // Throws InputError when DIR holds no sweep.
  Manifest read_manifest() const;

  // Every row recorded so far, from every rows file.
  std::vector<Row> recorded_rows() const;

 private:
  std::filesystem::path m_root;
};

// The manifest of a spec file and its base config file.
Manifest make_manifest(const std::filesystem::path& spec_file,
                       const std::filesystem::path& base_file);
// Throws InputError when the base config file changed since the sweep began: its runs
// would mix two designs in one table.
void check_base_unchanged(const Manifest& m);
// The spec a manifest holds, parsed as from its original file.
Spec spec_of(const Manifest& m);

struct Collected {
  std::vector<Row> rows;    // one per task that has a row, in task order
  std::size_t missing = 0;  // tasks without a row
  std::size_t failed = 0;   // rows of failed runs
};

// Merges the recorded rows of `tasks` and writes results.jsonl and results.csv.
Collected collect(const SweepDir& dir, const Spec& spec, const std::vector<Task>& tasks);

}  // namespace trnsim::sweep
