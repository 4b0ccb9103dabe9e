// The timeline (sim/timeline): its trace-event JSON parsed back and checked for the
// structure viewers need and for what it must show.
#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "config/config_loader.h"
#include "sysc/system/simulation.h"
#include "timeline/timeline.h"
#include "trace/checker.h"
#include "trace/hbm_layout.h"
#include "trace/parser.h"

using namespace trnsim;
using json = nlohmann::json;

namespace {

struct Timeline {
  json doc;
  std::string text;
  std::size_t dropped = 0;
};

Timeline record(const trace::Program& program, const config::SystemConfig& cfg,
                timeline::TimelineOptions options = {}) {
  DiagnosticList diags;
  trace::check_program(program, cfg, {}, diags);
  INFO(diags.to_string());
  REQUIRE_FALSE(diags.has_errors());
  const auto addresses = trace::assign_tensor_addresses(program, cfg.hbm, nullptr);
  timeline::TimelineRecorder recorder(program, cfg, "test.trn", addresses, options);
  const sysc::SimulationResult result = sysc::simulate(program, cfg, addresses, {&recorder});
  REQUIRE(result.completed);
  std::ostringstream out;
  recorder.write(out);
  Timeline t;
  t.text = out.str();
  t.doc = json::parse(t.text);
  t.dropped = recorder.dropped();
  return t;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE_FALSE(text.empty());
  return text;
}

// The one-tile example of the trace spec: 3 DMA copies, 1 matmul (line 10), 1 activation
// (line 11).
const std::string kTilePath = TRNSIM_TEST_DATA_DIR "/trace/good/gemm_tile.trn";

trace::Program parse(std::string_view text) {
  trace::Program program;
  DiagnosticList diags;
  trace::parse_trace(text, "test.trn", program, diags);
  INFO(diags.to_string());
  REQUIRE_FALSE(diags.has_errors());
  return program;
}

std::vector<json> of_phase(const json& doc, const std::string& ph) {
  std::vector<json> out;
  for (const json& e : doc["traceEvents"])
    if (e["ph"] == ph) out.push_back(e);
  return out;
}

// (pid, tid) -> thread name
std::map<std::pair<int, int>, std::string> thread_names(const json& doc) {
  std::map<std::pair<int, int>, std::string> names;
  for (const json& e : of_phase(doc, "M"))
    if (e["name"] == "thread_name") names[{e["pid"], e["tid"]}] = e["args"]["name"];
  return names;
}

std::string thread_of(const json& doc, const json& e) {
  return thread_names(doc).at({e["pid"].get<int>(), e["tid"].get<int>()});
}

// Every slice is well formed, and slices of one thread never overlap (viewers need proper
// nesting; the recorder puts overlapping work on extra lanes).
void check_slices(const json& doc) {
  std::map<std::pair<int, int>, std::vector<std::pair<double, double>>> by_thread;
  const auto names = thread_names(doc);
  for (const json& e : of_phase(doc, "X")) {
    REQUIRE(e["ts"].is_number());
    REQUIRE(e["dur"].is_number());
    CHECK(e["ts"].get<double>() >= 0);
    CHECK(e["dur"].get<double>() >= 0);
    CHECK(e["name"].is_string());
    const std::pair<int, int> thread{e["pid"], e["tid"]};
    CHECK(names.count(thread) == 1);
    by_thread[thread].emplace_back(e["ts"], e["ts"].get<double>() + e["dur"].get<double>());
  }
  for (auto& [thread, slices] : by_thread) {
    std::sort(slices.begin(), slices.end());
    for (std::size_t i = 1; i < slices.size(); ++i) {
      INFO(names.at(thread));
      CHECK(slices[i].first >= slices[i - 1].second - 1e-6);
    }
  }
}

// Total length of the union of intervals.
double union_length(std::vector<std::pair<double, double>> v) {
  std::sort(v.begin(), v.end());
  double total = 0, a = -1, b = -1;
  for (auto [s, e] : v) {
    if (s > b) {
      total += b - a;
      a = s;
      b = e;
    } else {
      b = std::max(b, e);
    }
  }
  return total + (b - a);
}

}  // namespace

TEST_CASE("a tile's timeline: processes, tracks, slices with their trace lines") {
  const config::SystemConfig cfg;
  const trace::Program program = parse(read_file(kTilePath));
  const Timeline t = record(program, cfg);
  check_slices(t.doc);
  CHECK(t.dropped == 0);

  std::set<std::string> processes;
  for (const json& e : of_phase(t.doc, "M"))
    if (e["name"] == "process_name") processes.insert(e["args"]["name"].get<std::string>());
  CHECK(processes == std::set<std::string>{"chip 0"});

  std::set<std::string> threads;
  for (const auto& [key, name] : thread_names(t.doc))
    threads.insert(name);
  for (const char* expected : {"core0 pe weight load", "core0 pe matmul", "core0 act",
                               "core0 dma.q0", "core0 dma.q1", "core0 dma engine 0"}) {
    INFO(expected);
    CHECK(threads.count(expected) == 1);
  }

  // One slice per instruction, with its trace line, operands and figures.
  std::map<std::string, json> by_name;
  int instructions = 0;
  for (const json& e : of_phase(t.doc, "X")) {
    if (!e["args"].contains("instruction")) continue;
    if (thread_of(t.doc, e).find("dma engine") != std::string::npos) continue;
    ++instructions;
    by_name[e["name"]] = e;
  }
  CHECK(instructions == 5);
  const json& mm = by_name.at("matmul");
  CHECK(mm["args"]["at"] == "test.trn:10");
  CHECK(mm["args"]["flops"].get<double>() == 2.0 * 128 * 128 * 512);
  CHECK(mm["args"]["operands"].get<std::string>().find("psum[0:128]") == 0);
  CHECK(mm["args"].contains("wait_semaphore_wait_us"));
  CHECK(thread_of(t.doc, mm) == "core0 pe matmul");
  const json& act = by_name.at("activation");
  CHECK(act["args"]["at"] == "test.trn:11");

  // The weight load comes before its matmul streams.
  std::vector<json> loads;
  for (const json& e : of_phase(t.doc, "X"))
    if (e["name"] == "load weights") loads.push_back(e);
  REQUIRE(loads.size() == 1);
  CHECK(loads[0]["ts"].get<double>() + loads[0]["dur"].get<double>() <=
        mm["ts"].get<double>() + 1e-4);

  // DMA engine slices carry bytes; together they move the three copies' bytes.
  double engine_bytes = 0;
  for (const json& e : of_phase(t.doc, "X"))
    if (thread_of(t.doc, e).find("dma engine") != std::string::npos)
      engine_bytes += e["args"]["bytes"].get<double>();
  CHECK(engine_bytes == (128.0 * 128 + 2 * 128.0 * 512) * 2);
}

TEST_CASE("flow arrows go from the post to the wait it released") {
  const config::SystemConfig cfg;
  const trace::Program program = parse(read_file(kTilePath));
  const Timeline t = record(program, cfg);
  const std::vector<json> starts = of_phase(t.doc, "s");
  const std::vector<json> ends = of_phase(t.doc, "f");
  REQUIRE(starts.size() == ends.size());
  std::map<int, std::pair<json, json>> flows;
  for (const json& s : starts)
    flows[s["id"]].first = s;
  for (const json& f : ends) {
    flows[f["id"]].second = f;
    CHECK(f["bp"] == "e");
  }
  // s_in released the matmul (from the later of the two loads), s_mm the activation,
  // s_out the store.
  std::map<std::string, std::string> edges;
  for (const auto& [id, flow] : flows) {
    REQUIRE(flow.first.is_object());
    REQUIRE(flow.second.is_object());
    CHECK(flow.first["ts"].get<double>() <= flow.second["ts"].get<double>() + 1e-4);
    edges[flow.first["name"].get<std::string>()] =
        thread_of(t.doc, flow.first) + " -> " + thread_of(t.doc, flow.second);
  }
  CHECK(edges.size() == 3);
  CHECK(edges.at("sem s_mm") == "core0 pe matmul -> core0 act");
  CHECK(edges.at("sem s_out").find("core0 act -> core0 dma.q0") == 0);
  CHECK(edges.at("sem s_in").find(" -> core0 pe matmul") != std::string::npos);

  // Each end lies at the start of a slice of its thread, so viewers bind it to the waiter;
  // each start lies strictly inside a slice of its thread (the poster).
  for (const auto& [id, flow] : flows) {
    bool bound_end = false, bound_start = false;
    for (const json& e : of_phase(t.doc, "X")) {
      const double ts = e["ts"], end = ts + e["dur"].get<double>();
      bound_end |= e["pid"] == flow.second["pid"] && e["tid"] == flow.second["tid"] &&
                   std::abs(ts - flow.second["ts"].get<double>()) < 1e-9;
      bound_start |= e["pid"] == flow.first["pid"] && e["tid"] == flow.first["tid"] &&
                     ts <= flow.first["ts"].get<double>() && flow.first["ts"].get<double>() < end;
    }
    CHECK(bound_end);
    CHECK(bound_start);
  }
}

TEST_CASE("counter tracks: HBM bandwidth, PSUM banks and SBUF holding live data") {
  const config::SystemConfig cfg;
  const trace::Program program = parse(read_file(kTilePath));
  const Timeline t = record(program, cfg);
  std::map<std::string, double> peak;
  for (const json& e : of_phase(t.doc, "C")) {
    for (const auto& [key, value] : e["args"].items())
      peak[e["name"].get<std::string>() + " " + key] =
          std::max(peak[e["name"].get<std::string>() + " " + key], value.get<double>());
  }
  // One bank holds the matmul's result until the activation has read it.
  CHECK(peak.at("core0 PSUM banks live banks") == 1);
  // SBUF: W (256 B per partition) and X (1 KiB) live together until the matmul is done,
  // rounded up to the 224-byte blocks (224 KiB / 1024) liveness is followed in:
  // W covers bytes 0..255 (blocks 0-1), X 256..1279 (blocks 1-5): blocks 0-5 = 6 blocks
  // of 224 B over 128 partitions, at most (the output's blocks join later).
  const double mib = 1024.0 * 1024.0;
  CHECK(peak.at("core0 SBUF live data MiB") >= (256 + 1024) * 128 / mib - 1e-3);
  CHECK(peak.at("core0 SBUF live data MiB") <= 12 * 224 * 128 / mib + 1e-3);
  CHECK(peak.at("HBM bandwidth (DMA) GB/s") > 0);
  CHECK(peak.at("HBM bandwidth (DMA) GB/s") <= cfg.hbm.bandwidth_gb_s * 1.001);
}

TEST_CASE("the window and the event limit keep a timeline small, output is deterministic") {
  const config::SystemConfig cfg;
  const trace::Program program = parse(read_file(kTilePath));
  const Timeline whole = record(program, cfg);
  CHECK(record(program, cfg).text == whole.text);

  // The activation alone, by time.
  double act_ts = 0, act_end = 0;
  for (const json& e : of_phase(whole.doc, "X")) {
    if (e["name"] == "activation") {
      act_ts = e["ts"].get<double>();
      act_end = act_ts + e["dur"].get<double>();
    }
  }
  timeline::TimelineOptions window;
  window.from = (act_ts + 1e-3) * 1e-6;
  window.to = (act_end - 1e-3) * 1e-6;
  const Timeline part = record(program, cfg, window);
  check_slices(part.doc);
  for (const json& e : of_phase(part.doc, "X")) {
    CHECK(e["ts"].get<double>() <= act_end);
    CHECK(e["ts"].get<double>() + e["dur"].get<double>() >= act_ts);
  }
  CHECK(of_phase(part.doc, "X").size() < of_phase(whole.doc, "X").size());

  timeline::TimelineOptions limited;
  limited.max_events = 4;
  const Timeline few = record(program, cfg, limited);
  CHECK(of_phase(few.doc, "X").size() + of_phase(few.doc, "s").size() <= 4);
  CHECK(few.dropped > 0);
  CHECK(few.doc["otherData"]["dropped_events"] == few.dropped);
}

TEST_CASE("two chips: a process each, link tracks, and a flow across chips") {
  config::SystemConfig cfg = config::load_config(TRNSIM_SOURCE_DIR "/configs/trn2-16.yaml");
  const trace::Program program = parse(R"(.trace 1
.tensor G  hbm       bf16 [128, 512] init=random(seed=1)
.tensor G1 chip1.hbm bf16 [128, 512]

chip 0 core 0
dma.q0: copy hbm:G1, hbm:G post(chip1.core0.s_rx += 1)

chip 1 core 0
.sem s_rx
dma.q0: copy sbuf[0:128]@0x0.bf16[512], hbm:G1 wait(s_rx >= 1)
)");
  const Timeline t = record(program, cfg);
  check_slices(t.doc);
  std::set<std::string> processes;
  for (const json& e : of_phase(t.doc, "M"))
    if (e["name"] == "process_name") processes.insert(e["args"]["name"].get<std::string>());
  CHECK(processes == std::set<std::string>{"chip 0", "chip 1"});

  double link_bytes = 0;
  std::set<std::string> links;
  for (const json& e : of_phase(t.doc, "X")) {
    if (e["cat"] != "link") continue;
    links.insert(thread_of(t.doc, e));
    CHECK(e["pid"] == 0);  // on the sending chip
    link_bytes += e["args"]["bytes"].get<double>();
  }
  // Chip 0 -> chip 1 is one hop on the 4x4 torus: the data once, plus the post's packet.
  REQUIRE(links.size() == 1);
  CHECK(links.begin()->find("link chip0->chip1") == 0);
  CHECK(link_bytes >= 128.0 * 512 * 2);
  CHECK(link_bytes <= 128.0 * 512 * 2 + cfg.link.packet_bytes);

  const std::vector<json> starts = of_phase(t.doc, "s");
  const std::vector<json> ends = of_phase(t.doc, "f");
  REQUIRE(starts.size() == 1);
  REQUIRE(ends.size() == 1);
  CHECK(starts[0]["pid"] == 0);
  CHECK(ends[0]["pid"] == 1);
}

TEST_CASE("the default GEMM's timeline shows DMA and compute overlapping") {
  const config::SystemConfig cfg = config::load_config(TRNSIM_SOURCE_DIR "/configs/trn2.yaml");
  const trace::Program program =
      parse(read_file(TRNSIM_SOURCE_DIR "/workloads/gemm-1024x1024x1024-bf16-trn2.trn"));
  const Timeline t = record(program, cfg);
  check_slices(t.doc);
  std::vector<std::pair<double, double>> pe, dma, both;
  for (const json& e : of_phase(t.doc, "X")) {
    const std::string thread = thread_of(t.doc, e);
    const std::pair<double, double> span{e["ts"], e["ts"].get<double>() + e["dur"].get<double>()};
    if (thread.find("pe matmul") != std::string::npos) pe.push_back(span);
    if (thread.find("dma engine") != std::string::npos) dma.push_back(span);
  }
  REQUIRE_FALSE(pe.empty());
  REQUIRE_FALSE(dma.empty());
  both = pe;
  both.insert(both.end(), dma.begin(), dma.end());
  // |PE ∩ DMA| = |PE| + |DMA| - |PE ∪ DMA|. The DMA engines load the next tiles and store
  // results while matmuls stream: most of their time lies beside matmuls (about 3/4 when
  // this was written: 15.7 of 20.6 us), and that is a good part of the matmuls' time too
  // (15.7 of 28.2 us). A serial schedule would give 0.
  const double overlap = union_length(pe) + union_length(dma) - union_length(both);
  CHECK(overlap > 0.5 * union_length(dma));
  CHECK(overlap > 0.25 * union_length(pe));
}
