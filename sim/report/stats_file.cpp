#include "report/stats_file.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/diagnostic.h"

namespace trnsim::report {

namespace {

// Ordered, so that engines and stall reasons keep the order the file gives them.
using json = nlohmann::ordered_json;

// Reads typed members of the file's objects; every failure names the key's full path.
class Reader {
 public:
  explicit Reader(std::string file) : m_file(std::move(file)) {}

  [[noreturn]] void fail(const std::string& message) const {
    throw InputError(m_file, 0, 0, message);
  }
  [[noreturn]] void expected(const std::string& where, std::string_view what) const {
    fail(fmt::format("expected {} at '{}' (the output of 'trnsim run --stats-json', docs/stats.md)",
                     what, where));
  }

  const json& member(const json& obj, const std::string& where, const std::string& key) const {
    const auto it = obj.find(key);
    if (it == obj.end()) expected(path(where, key), "a value");
    return *it;
  }
  double number(const json& obj, const std::string& where, const std::string& key) const {
    const json& v = member(obj, where, key);
    if (!v.is_number()) expected(path(where, key), "a number");
    return v.get<double>();
  }
  std::uint64_t count(const json& obj, const std::string& where, const std::string& key) const {
    const json& v = member(obj, where, key);
    if (!v.is_number_unsigned()) expected(path(where, key), "a non-negative integer");
    return v.get<std::uint64_t>();
  }
  std::string text(const json& obj, const std::string& where, const std::string& key) const {
    const json& v = member(obj, where, key);
    if (!v.is_string()) expected(path(where, key), "a string");
    return v.get<std::string>();
  }
  bool flag(const json& obj, const std::string& where, const std::string& key) const {
    const json& v = member(obj, where, key);
    if (!v.is_boolean()) expected(path(where, key), "true or false");
    return v.get<bool>();
  }
  const json& object(const json& obj, const std::string& where, const std::string& key) const {
    const json& v = member(obj, where, key);
    if (!v.is_object()) expected(path(where, key), "an object");
    return v;
  }
  const json& array(const json& obj, const std::string& where, const std::string& key) const {
    const json& v = member(obj, where, key);
    if (!v.is_array()) expected(path(where, key), "an array");
    return v;
  }
  std::vector<double> numbers(const json& obj, const std::string& where,
                              const std::string& key) const {
    const json& a = array(obj, where, key);
    std::vector<double> out;
    out.reserve(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!a[i].is_number()) expected(fmt::format("{}[{}]", path(where, key), i), "a number");
      out.push_back(a[i].get<double>());
    }
    return out;
  }
  NamedSeconds named_seconds(const json& obj, const std::string& where,
                             const std::string& key) const {
    const json& o = object(obj, where, key);
    NamedSeconds out;
    for (const auto& [name, value] : o.items()) {
      if (!value.is_number()) expected(path(path(where, key), name), "a number of seconds");
      out.emplace_back(name, value.get<double>());
    }
    return out;
  }

  static std::string path(const std::string& where, const std::string& key) {
    return where.empty() ? key : where + "." + key;
  }

 private:
  std::string m_file;
};

std::vector<EngineSummary> read_engines(const Reader& r, const json& j) {
  std::vector<EngineSummary> out;
  for (const auto& [name, e] : r.object(j, "", "engines").items()) {
    const std::string where = "engines." + name;
    if (!e.is_object()) r.expected(where, "an object");
    EngineSummary s;
    s.name = name;
    s.busy = r.number(e, where, "busy");
    s.instructions = r.count(e, where, "instructions");
    s.streams = r.count(e, where, "streams");
    s.stall_seconds = r.named_seconds(e, where, "stall_seconds");
    out.push_back(std::move(s));
  }
  return out;
}

Timeseries read_timeseries(const Reader& r, const json& t) {
  const std::string where = "timeseries";
  Timeseries s;
  s.bin_seconds = r.number(t, where, "bin_seconds");
  if (!(s.bin_seconds > 0)) r.expected(where + ".bin_seconds", "a positive number");
  s.bins = r.count(t, where, "bins");
  const json& busy = r.object(t, where, "busy");
  for (const auto& [name, values] : busy.items()) {
    s.busy.emplace_back(name, r.numbers(busy, where + ".busy", name));
  }
  s.hbm_bytes_per_s = r.numbers(t, where, "hbm_bytes_per_s");
  s.link_bytes_per_s = r.numbers(t, where, "link_bytes_per_s");
  return s;
}

std::vector<TopWait> read_top_waits(const Reader& r, const json& waits) {
  std::vector<TopWait> out;
  for (std::size_t i = 0; i < waits.size(); ++i) {
    const json& w = waits[i];
    const std::string where = fmt::format("top_waits[{}]", i);
    if (!w.is_object()) r.expected(where, "an object");
    TopWait t;
    t.instruction = r.count(w, where, "instruction");
    t.file = r.text(w, where, "file");
    t.line = r.count(w, where, "line");
    t.chip = r.count(w, where, "chip");
    t.core = r.count(w, where, "core");
    t.engine = r.text(w, where, "engine");
    t.queue = r.count(w, where, "queue");
    t.opcode = r.text(w, where, "opcode");
    t.wait_seconds = r.number(w, where, "wait_seconds");
    t.reason = r.text(w, where, "reason");
    t.stall_seconds = r.named_seconds(w, where, "stall_seconds");
    out.push_back(std::move(t));
  }
  return out;
}

Roofline read_roofline(const Reader& r, const json& j) {
  const std::string where = "roofline";
  Roofline f;
  f.flops = r.number(j, where, "flops");
  f.hbm_bytes = r.number(j, where, "hbm_bytes");
  f.arithmetic_intensity = r.number(j, where, "arithmetic_intensity");
  f.peak_flops_per_s = r.number(j, where, "peak_flops_per_s");
  f.peak_hbm_bytes_per_s = r.number(j, where, "peak_hbm_bytes_per_s");
  f.ridge_intensity = r.number(j, where, "ridge_intensity");
  f.bound_flops_per_s = r.number(j, where, "bound_flops_per_s");
  f.achieved_flops_per_s = r.number(j, where, "achieved_flops_per_s");
  f.fraction_of_bound = r.number(j, where, "fraction_of_bound");
  f.bound = r.text(j, where, "bound");
  return f;
}

// schema_version first: a newer file may have changed the meaning of any other key.
int read_schema_version(const Reader& r, const json& j) {
  const auto it = j.find("schema_version");
  if (it == j.end()) {
    r.fail(
        "not a trnsim stats file: no \"schema_version\" (expected the output of "
        "'trnsim run --stats-json', docs/stats.md)");
  }
  if (!it->is_number_integer() || it->get<std::int64_t>() < 1) {
    r.expected("schema_version", "a positive integer");
  }
  const std::int64_t version = it->get<std::int64_t>();
  if (version > kNewestStatsSchema) {
    r.fail(fmt::format(
        "stats schema_version {} is newer than this trnsim reads (1 to {}); use a trnsim at "
        "least as new as the one that wrote the file",
        version, kNewestStatsSchema));
  }
  return static_cast<int>(version);
}

}  // namespace

StatsFile parse_stats_json(const std::string& path, const std::string& text) {
  const Reader r(path);
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    r.fail("not a trnsim stats file: the file is empty");
  }
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    r.fail(fmt::format("not a trnsim stats file: not valid JSON ({})", e.what()));
  }
  if (!j.is_object()) {
    r.fail(
        "not a trnsim stats file: expected a JSON object (the output of 'trnsim run "
        "--stats-json', docs/stats.md)");
  }
  StatsFile s;
  s.path = path;
  s.schema_version = read_schema_version(r, j);
  s.trace = r.text(j, "", "trace");
  s.config = r.text(j, "", "config");
  s.completed = r.flag(j, "", "completed");
  s.cycles = r.count(j, "", "cycles");
  s.core_clock_ghz = r.number(j, "", "core_clock_ghz");
  s.seconds = r.number(j, "", "seconds");
  s.instructions = r.count(j, "", "instructions");
  s.cores = r.count(j, "", "cores");
  s.flops = r.number(j, "", "flops");
  s.achieved_flops_per_s = r.number(j, "", "achieved_flops_per_s");
  s.peak_flops_per_s = r.number(j, "", "peak_flops_per_s");
  s.mfu = r.number(j, "", "mfu");
  s.engines = read_engines(r, j);

  const json& dma = r.object(j, "", "dma");
  s.dma.bytes = r.number(dma, "dma", "bytes");
  s.dma.transfers = r.count(dma, "dma", "transfers");
  s.dma.bytes_per_s = r.number(dma, "dma", "bytes_per_s");
  s.dma.engine_utilisation = r.number(dma, "dma", "engine_utilisation");
  s.dma.hbm_wait_seconds = r.number(dma, "dma", "hbm_wait_seconds");
  s.dma.engine_wait_seconds = r.number(dma, "dma", "engine_wait_seconds");
  s.dma.link_wait_seconds = r.number(dma, "dma", "link_wait_seconds");

  const json& hbm = r.object(j, "", "hbm");
  s.hbm.bytes_read = r.number(hbm, "hbm", "bytes_read");
  s.hbm.bytes_written = r.number(hbm, "hbm", "bytes_written");
  s.hbm.utilisation = r.number(hbm, "hbm", "utilisation");

  const json& links = r.object(j, "", "links");
  s.links.ports = r.count(links, "links", "ports");
  s.links.bytes = r.number(links, "links", "bytes");
  s.links.packets = r.count(links, "links", "packets");
  s.links.utilisation = r.number(links, "links", "utilisation");
  s.links.busiest = r.text(links, "links", "busiest");
  s.links.busiest_utilisation = r.number(links, "links", "busiest_utilisation");
  r.array(j, "", "streams");

  // Version 2 sections: read whenever present, so a partial writer still shows what it has.
  if (j.contains("timeseries")) s.timeseries = read_timeseries(r, r.object(j, "", "timeseries"));
  if (j.contains("top_waits")) s.top_waits = read_top_waits(r, r.array(j, "", "top_waits"));
  if (j.contains("roofline")) s.roofline = read_roofline(r, r.object(j, "", "roofline"));
  return s;
}

StatsFile read_stats_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw InputError(path, 0, 0, "is a directory, not a stats file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, 0, "cannot open the stats file for reading");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw InputError(path, 0, 0, "cannot read the stats file");
  return parse_stats_json(path, text.str());
}

}  // namespace trnsim::report
