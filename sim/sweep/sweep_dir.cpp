#include "sweep/sweep_dir.h"

#include <algorithm>
#include <fstream>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/diagnostic.h"
#include "regress/process.h"

namespace trnsim::sweep {

namespace fs = std::filesystem;

namespace {

constexpr int kManifestFormat = 1;

// FNV-1a, 64 bits: enough to tell two specs apart, and the same on every platform.
std::string fingerprint(const std::string& spec_text, const std::string& base_text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  auto mix = [&](const std::string& s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 0x100000001b3ULL;
    }
  };
  mix(spec_text);
  mix(std::string(1, '\0'));
  mix(base_text);
  return fmt::format("{:016x}", h);
}

std::string read_file(const fs::path& file, const char* what) {
  std::ifstream in(file);
  if (!in || fs::is_directory(file))
    throw InputError(file.string(), 0, 0, fmt::format("cannot read the {}", what));
  return regress::read_text(file);
}

}  // namespace

Manifest make_manifest(const fs::path& spec_file, const fs::path& base_file) {
  Manifest m;
  m.spec_file = fs::absolute(spec_file).lexically_normal().string();
  m.spec_dir = fs::path(m.spec_file).parent_path().string();
  m.spec_text = read_file(spec_file, "sweep spec");
  m.base_file = fs::absolute(base_file).lexically_normal().string();
  m.fingerprint = fingerprint(m.spec_text, read_file(base_file, "config file"));
  return m;
}

void check_base_unchanged(const Manifest& m) {
  if (fingerprint(m.spec_text, read_file(m.base_file, "config file")) != m.fingerprint)
    throw InputError(m.base_file, 0, 0,
                     "changed since the sweep began: its results would mix two designs (start "
                     "a new sweep directory)");
}

Spec spec_of(const Manifest& m) {
  Spec spec = parse_spec(m.spec_text, m.spec_file, m.spec_dir);
  return spec;
}

void SweepDir::prepare(const Manifest& m) const {
  if (fs::exists(manifest_file())) {
    const Manifest old = read_manifest();
    if (old.fingerprint != m.fingerprint)
      throw InputError(m_root.string(), 0, 0,
                       fmt::format("holds the results of another sweep ({}, or its base config "
                                   "changed since): give a new --out, or remove it",
                                   old.spec_file));
    return;
  }
  if (fs::exists(m_root) && !fs::is_empty(m_root))
    throw InputError(m_root.string(), 0, 0,
                     "exists and is not a sweep's directory: give a new or empty --out");
  fs::create_directories(m_root);
  nlohmann::ordered_json j;
  j["format"] = kManifestFormat;
  j["spec_file"] = m.spec_file;
  j["spec_dir"] = m.spec_dir;
  j["base_file"] = m.base_file;
  j["fingerprint"] = m.fingerprint;
  j["spec_text"] = m.spec_text;
  regress::write_atomically(manifest_file(), j.dump(2) + "\n");
}

Manifest SweepDir::read_manifest() const {
  const fs::path file = manifest_file();
  if (!fs::exists(file))
    throw InputError(m_root.string(), 0, 0, "is not a sweep's directory (no sweep.json)");
  try {
    const nlohmann::json j = nlohmann::json::parse(read_file(file, "sweep manifest"));
    if (j.at("format").get<int>() != kManifestFormat)
      throw std::runtime_error(
          fmt::format("format {} is not {}", j.at("format").dump(), kManifestFormat));
    Manifest m;
    m.spec_file = j.at("spec_file").get<std::string>();
    m.spec_dir = j.at("spec_dir").get<std::string>();
    m.spec_text = j.at("spec_text").get<std::string>();
    m.base_file = j.at("base_file").get<std::string>();
    m.fingerprint = j.at("fingerprint").get<std::string>();
    return m;
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    throw InputError(file.string(), 0, 0, fmt::format("not a sweep manifest: {}", e.what()));
  }
}

std::vector<Row> SweepDir::recorded_rows() const {
  std::vector<Row> rows;
  if (!fs::is_directory(rows_dir())) return rows;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(rows_dir()))
    if (entry.path().extension() == ".jsonl") files.push_back(entry.path());
  // A fixed order, so that which failure is "the last" does not depend on the filesystem.
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files) {
    std::vector<Row> more = read_rows(f);
    rows.insert(rows.end(), std::make_move_iterator(more.begin()),
                std::make_move_iterator(more.end()));
  }
  return rows;
}

Collected collect(const SweepDir& dir, const Spec& spec, const std::vector<Task>& tasks) {
  std::vector<std::string> workloads;
  for (const Workload& w : spec.workloads)
    workloads.push_back(w.name);
  std::set<std::pair<std::uint64_t, std::string>> wanted;
  for (const Task& t : tasks)
    wanted.emplace(t.point->point.index, t.workload->name);
  Collected out;
  // Rows of points the spec no longer has (a sample redrawn) are left out.
  for (Row& row : merge_rows(dir.recorded_rows(), workloads)) {
    if (!wanted.contains({row.point, row.workload})) continue;
    out.failed += !row.ok;
    out.rows.push_back(std::move(row));
  }
  out.missing = tasks.size() - out.rows.size();
  const std::vector<std::string> params = swept_fields(spec);
  regress::write_atomically(dir.results_jsonl(), jsonl_text(out.rows));
  regress::write_atomically(dir.results_csv(), csv_text(out.rows, params, spec.metrics));
  return out;
}

}  // namespace trnsim::sweep
