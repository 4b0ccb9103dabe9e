#include "sweep/results.h"

#include <algorithm>
#include <map>
#include <sstream>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>

#include "common/diagnostic.h"

namespace trnsim::sweep {

namespace fs = std::filesystem;

std::string to_json_line(const Row& row) {
  nlohmann::ordered_json j;
  j["point"] = row.point;
  j["workload"] = row.workload;
  j["params"] = row.params;
  j["status"] = row.ok ? "ok" : "failed";
  j["metrics"] = row.metrics;
  if (!row.ok) j["error"] = row.error;
  return j.dump();
}

Row row_from_json(const nlohmann::ordered_json& j) {
  Row row;
  if (!j.is_object()) throw std::runtime_error("expected a JSON object");
  for (const char* key : {"point", "workload", "params", "status", "metrics"})
    if (!j.contains(key)) throw std::runtime_error(fmt::format("missing '{}'", key));
  row.point = j.at("point").get<std::uint64_t>();
  row.workload = j.at("workload").get<std::string>();
  row.params = j.at("params");
  const std::string status = j.at("status").get<std::string>();
  if (status != "ok" && status != "failed")
    throw std::runtime_error(fmt::format("status '{}' is neither 'ok' nor 'failed'", status));
  row.ok = status == "ok";
  row.metrics = j.at("metrics");
  if (!row.params.is_object() || !row.metrics.is_object())
    throw std::runtime_error("'params' and 'metrics' must be objects");
  if (j.contains("error")) row.error = j.at("error").get<std::string>();
  return row;
}

std::vector<Row> read_rows(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw InputError(file.string(), 0, 0, "cannot read the results file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  std::vector<Row> rows;
  std::uint32_t line_no = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t end = text.find('\n', pos);
    ++line_no;
    if (end == std::string::npos) break;  // cut short by a crash: that run runs again
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) continue;
    try {
      rows.push_back(row_from_json(nlohmann::ordered_json::parse(line)));
    } catch (const std::exception& e) {
      throw InputError(file.string(), line_no, 0, fmt::format("not a results row: {}", e.what()),
                       line.substr(0, 200));
    }
  }
  return rows;
}

std::vector<Row> merge_rows(const std::vector<Row>& rows,
                            const std::vector<std::string>& workloads) {
  auto rank = [&](const std::string& w) {
    return static_cast<std::size_t>(std::find(workloads.begin(), workloads.end(), w) -
                                    workloads.begin());
  };
  std::map<std::pair<std::uint64_t, std::size_t>, Row> merged;
  for (const Row& row : rows) {
    const auto key = std::make_pair(row.point, rank(row.workload));
    auto it = merged.find(key);
    if (it == merged.end()) {
      merged.emplace(key, row);
    } else if (row.ok || !it->second.ok) {
      it->second = row;  // a success replaces a failure; a later failure an earlier one
    }
  }
  std::vector<Row> out;
  out.reserve(merged.size());
  for (auto& [key, row] : merged)
    out.push_back(std::move(row));
  return out;
}

namespace {

std::string cell(const nlohmann::ordered_json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

std::string quoted(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string csv_text(const std::vector<Row>& rows, const std::vector<std::string>& params,
                     const std::vector<std::string>& metrics) {
  std::vector<std::string> header{"point", "workload", "status"};
  header.insert(header.end(), params.begin(), params.end());
  header.insert(header.end(), metrics.begin(), metrics.end());
  header.push_back("error");
  std::string out;
  auto add_line = [&](const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < cells.size(); ++i)
      out += (i ? "," : "") + quoted(cells[i]);
    out += "\n";
  };
  add_line(header);
  for (const Row& row : rows) {
    std::vector<std::string> cells{std::to_string(row.point), row.workload,
                                   row.ok ? "ok" : "failed"};
    for (const std::string& p : params)
      cells.push_back(row.params.contains(p) ? cell(row.params[p]) : "");
    for (const std::string& m : metrics)
      cells.push_back(row.metrics.contains(m) ? cell(row.metrics[m]) : "");
    cells.push_back(row.error);
    add_line(cells);
  }
  return out;
}

std::string jsonl_text(const std::vector<Row>& rows) {
  std::string out;
  for (const Row& row : rows)
    out += to_json_line(row) + "\n";
  return out;
}

RowWriter::RowWriter(const fs::path& file) : m_file(file) {
  fs::create_directories(file.parent_path());
  // One writer per file: two sweeps appending the same runs would each run them twice.
  m_lock_fd = ::open((file.string() + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (m_lock_fd < 0 || ::flock(m_lock_fd, LOCK_EX | LOCK_NB) != 0)
    throw InputError(file.string(), 0, 0,
                     "another sweep is writing these results (wait for it to end)");
  // A crash may have cut the last line short: drop it (that run runs again), so the next
  // row starts a line of its own.
  if (fs::exists(file)) {
    std::ifstream in(file, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::size_t keep = text.empty() || text.back() == '\n'     ? text.size()
                             : text.rfind('\n') == std::string::npos ? 0
                                                                     : text.rfind('\n') + 1;
    in.close();
    if (keep != text.size()) fs::resize_file(file, keep);
  }
  m_out.open(file, std::ios::app);
  if (!m_out) throw InputError(file.string(), 0, 0, "cannot write the results file");
}

RowWriter::~RowWriter() {
  if (m_lock_fd >= 0) ::close(m_lock_fd);
}

void RowWriter::add(const Row& row) {
  const std::string line = to_json_line(row) + "\n";
  std::lock_guard lock(m_mutex);
  m_out << line << std::flush;
  if (!m_out) throw std::runtime_error("cannot write " + m_file.string());
}

}  // namespace trnsim::sweep
