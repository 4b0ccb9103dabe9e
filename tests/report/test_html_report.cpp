// The HTML page: self-contained, the four charts with their ids and titles for a
// version-2 file, notes in their place for version 1, and file text escaped everywhere.
#include <doctest/doctest.h>

#include <string>

#include <fmt/format.h>

#include "report/html_report.h"
#include "report_fixtures.h"

using namespace trnsim::report;
using namespace trnsim::test;

namespace {

// The markup of the <svg> element with `id` ("" when there is none).
std::string svg_with_id(const std::string& page, const std::string& id) {
  const std::size_t start = page.find("<svg id=\"" + id + "\"");
  if (start == std::string::npos) return "";
  return page.substr(start, page.find("</svg>", start) - start);
}

std::string page_of(const nlohmann::ordered_json& j) {
  return render_html_report(parse_stats_json("stats.json", j.dump()));
}

}  // namespace

TEST_CASE("html report: a version-2 file gets all four charts") {
  const std::string page = page_of(stats_v2());
  CHECK(page.starts_with("<!DOCTYPE html>\n"));
  CHECK(page.ends_with("</html>\n"));

  const std::string utilisation = svg_with_id(page, kUtilisationChartId);
  CHECK(count(utilisation, "<title id=\"chart-utilisation-title\">") == 1);
  // A lane per engine kind (pe, act, sync, dma), each with its busy bins.
  for (const char* engine : {"pe", "act", "sync", "dma"}) {
    INFO(engine);
    CHECK(count(utilisation, fmt::format("<title>{} lane</title>", engine)) == 1);
    CHECK(count(utilisation, fmt::format("<title>{} ", engine)) > 1);
  }
  CHECK(count(utilisation, " lane</title>") == 4);
  CHECK(count(utilisation, ">3 µs</text>") == 1);  // 12 bins of 250 ns

  // Stalls: pe 3 reasons (semaphore, sbuf port, psum bank), act 2, sync 1, dma 2; engine_busy
  // is not shown. Plus the plot background and the legend's 5 swatches.
  const std::string stalls = svg_with_id(page, kStallsChartId);
  CHECK(count(stalls, "<rect x=") == 3 + 2 + 1 + 2 + 1 + 5 + 1);  // + the clip rectangle
  CHECK(count(stalls, "engine_busy") == 0);
  // sync: 2.4 us of semaphore wait in 2.9 us on one stream = 82.8 %.
  CHECK(count(stalls, "<title>sync semaphore_wait: 82.8 % (2.4 µs per stream)</title>") == 1);
  // dma: 1.2 us over 2 streams in 2.9 us = 20.7 %.
  CHECK(count(stalls, "<title>dma semaphore_wait: 20.7 % (600 ns per stream)</title>") == 1);

  const std::string roofline = svg_with_id(page, kRooflineChartId);
  CHECK(count(roofline, "<polyline") == 2);  // roof and ridge
  CHECK(count(roofline, "<circle") == 1);    // the run
  CHECK(count(roofline, ">arithmetic intensity (FLOP/B)</text>") == 1);
  CHECK(count(roofline, ">performance (FLOP/s)</text>") == 1);
  CHECK(count(roofline, ">100 TFLOP/s</text>") == 1);

  const std::string bandwidth = svg_with_id(page, kBandwidthChartId);
  CHECK(count(bandwidth, "<polyline") == 2);  // HBM and links
  CHECK(count(bandwidth, ">2.5 TB/s</text>") == 1);

  CHECK(count(page, "<td class=\"num\">17</td>") == 1);  // the longest wait first
  CHECK(count(page, "chip0.core0 dma.q1") == 1);
  CHECK(count(page, "needs a stats file") == 0);
}

TEST_CASE("html report: self-contained, no scripts or external references") {
  const std::string page = page_of(stats_v2());
  CHECK(count(page, "<script") == 0);
  CHECK(count(page, "<link") == 0);
  CHECK(count(page, "@import") == 0);
  CHECK(count(page, "url(http") == 0);
  CHECK(count(page, "src=") == 0);
  // The only URL is the SVG namespace, which is a name and never fetched.
  CHECK(count(page, "http") == count(page, "xmlns=\"http://www.w3.org/2000/svg\""));
}

TEST_CASE("html report: a version-1 file shows what it can and names what is missing") {
  const std::string page = page_of(stats_v1());
  CHECK(!svg_with_id(page, kStallsChartId).empty());
  CHECK(svg_with_id(page, kUtilisationChartId).empty());
  CHECK(svg_with_id(page, kRooflineChartId).empty());
  CHECK(svg_with_id(page, kBandwidthChartId).empty());
  CHECK(count(page, "This stats file has schema version 1") == 1);
  CHECK(count(page, "Engine utilisation over time needs a stats file of schema version 2") == 1);
  CHECK(count(page, "The roofline needs a stats file of schema version 2") == 1);
  CHECK(count(page, "Bandwidth over time needs a stats file of schema version 2") == 1);
  CHECK(count(page, "The table of longest waits needs a stats file of schema version 2") == 1);
  CHECK(count(page, "MFU") == 1);
}

TEST_CASE("html report: text from the file is escaped") {
  auto j = stats_v2();
  j["trace"] = "<script>alert(1)</script>.trn";
  j["config"] = "a&b";
  j["top_waits"][0]["opcode"] = "<b>";
  j["links"]["ports"] = 2;
  j["links"]["busiest"] = "chip0->chip1 \"x\"";
  const std::string page = page_of(j);
  CHECK(count(page, "<script") == 0);
  CHECK(count(page, "&lt;script&gt;alert(1)&lt;/script&gt;.trn") >= 2);  // title, header, table
  CHECK(count(page, "a&amp;b") >= 1);
  CHECK(count(page, "a&b") == 0);
  CHECK(count(page, "<code>&lt;b&gt;</code>") == 1);
  CHECK(count(page, "chip0-&gt;chip1 &quot;x&quot;") == 1);
}

TEST_CASE("html report: a deadlocked run and a run without HBM bytes") {
  auto j = stats_v2();
  j["completed"] = false;
  j["roofline"]["hbm_bytes"] = 0;
  j["roofline"]["arithmetic_intensity"] = 0;
  j["top_waits"] = nlohmann::ordered_json::array();
  const std::string page = page_of(j);
  CHECK(count(page, "The run did not complete") == 1);
  // The roof is drawn, the run's point is not: 0 FLOP/B has no place on a log axis.
  const std::string roofline = svg_with_id(page, kRooflineChartId);
  CHECK(count(roofline, "<polyline") == 2);
  CHECK(count(roofline, "<circle") == 0);
  CHECK(count(page, "The run's point is not drawn") == 1);
  CHECK(count(page, "No instruction waited before issue.") == 1);
}

TEST_CASE("html report: the stall legend names only reasons some engine waited for") {
  auto j = stats_v2();
  j["engines"]["act"]["stall_seconds"]["psum_port_conflict"] = 0.0;  // its only non-zero
  const std::string stalls = svg_with_id(page_of(j), kStallsChartId);
  CHECK(count(stalls, "psum_port_conflict") == 0);
  CHECK(count(stalls, ">psum_bank_busy</text>") == 1);
  // In file order, not in the order engines first waited for them: pe, the first engine,
  // waited for psum_bank_busy, and only act for psum_port_conflict, which comes first.
  const std::string all = svg_with_id(page_of(stats_v2()), kStallsChartId);
  CHECK(all.find(">psum_port_conflict</text>") < all.find(">psum_bank_busy</text>"));
}
