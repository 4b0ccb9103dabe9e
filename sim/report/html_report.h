// The HTML report of a stats file: one self-contained page (inline CSS and SVG; no scripts,
// fonts or network references) with a summary table, engine utilisation over time, the
// stall breakdown per engine kind, the roofline, bandwidth over time and the longest waits.
//
// Charts whose data a schema-version-1 file lacks are replaced by a note saying so. Every
// text that comes from the file is escaped.
#pragma once

#include <string>

#include "report/stats_file.h"

namespace trnsim::report {

// Element ids of the charts, stable for scripts and tests.
inline constexpr const char* kUtilisationChartId = "chart-utilisation";
inline constexpr const char* kStallsChartId = "chart-stalls";
inline constexpr const char* kRooflineChartId = "chart-roofline";
inline constexpr const char* kBandwidthChartId = "chart-bandwidth";

std::string render_html_report(const StatsFile& s);

}  // namespace trnsim::report
