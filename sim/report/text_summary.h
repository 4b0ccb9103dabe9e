// The short text summary `trnsim report STATS.json` prints without --html: what the run
// was, how long it took and how well it used the chip, in a dozen lines.
#pragma once

#include <string>

#include "report/stats_file.h"

namespace trnsim::report {

std::string format_text_summary(const StatsFile& s);

}  // namespace trnsim::report
