// A sweep's results (docs/sweeps.md, "Results"): one row per (point, workload), written as
// JSON Lines while the sweep runs, one file per writer, so that an interrupted sweep keeps
// every finished run and a rerun or `sweep collect` can pick up from them; merged in the
// end into results.jsonl and results.csv in point order, whatever order the runs finished in.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace trnsim::sweep {

struct Row {
  std::uint64_t point = 0;  // the point's index in the grid
  std::string workload;
  nlohmann::ordered_json params = nlohmann::ordered_json::object();
  bool ok = false;
  nlohmann::ordered_json metrics = nlohmann::ordered_json::object();  // null: not in the stats
  std::string error;  // why the run failed: the step, its exit, its last lines of stderr

  bool operator==(const Row&) const = default;
};

// One line of JSON, no newline. Holds nothing that depends on where or when it ran, so the
// same spec gives the same lines on every backend.
std::string to_json_line(const Row& row);
// Throws std::runtime_error naming what is missing or malformed. Ordered, so that params
// and metrics keep the order they were written in (the spec's).
Row row_from_json(const nlohmann::ordered_json& j);

// The rows of one JSON Lines file. A last line without its newline is a write cut short by
// a crash and is dropped (that run is then run again); any other bad line is an error
// naming file:line.
std::vector<Row> read_rows(const std::filesystem::path& file);

// One row per (point, workload): a successful run when there is one, else the last
// failure. Sorted by point, then by the workloads' order in `workloads`.
std::vector<Row> merge_rows(const std::vector<Row>& rows,
                            const std::vector<std::string>& workloads);

// The CSV table: point, workload, status, one column per parameter, one per metric, error.
// Quoted per RFC 4180 where a cell needs it.
std::string csv_text(const std::vector<Row>& rows, const std::vector<std::string>& params,
                     const std::vector<std::string>& metrics);
std::string jsonl_text(const std::vector<Row>& rows);

// Appends rows to a JSON Lines file, each flushed whole as it is added; safe to call from
// several threads. Holds a lock on the file while it lives: a second writer of the same
// file is an InputError.
class RowWriter {
 public:
  explicit RowWriter(const std::filesystem::path& file);
  ~RowWriter();
  RowWriter(const RowWriter&) = delete;
  RowWriter& operator=(const RowWriter&) = delete;
  void add(const Row& row);

 private:
  std::filesystem::path m_file;
  int m_lock_fd = -1;
  std::mutex m_mutex;
  std::ofstream m_out;
};

}  // namespace trnsim::sweep
