// `trnsim report`: reads back a stats file written by `trnsim run --stats-json` and shows
// it, as a short text summary or, with --html, as a self-contained HTML page with charts.
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "report/html_report.h"
#include "report/stats_file.h"
#include "report/text_summary.h"

namespace trnsim::cli {

namespace {

struct ReportOptions {
  std::string stats;
  std::string html;
};

}  // namespace

void add_report_command(CLI::App& app, CliContext& ctx) {
  auto opts = std::make_shared<ReportOptions>();
  CLI::App* cmd = add_command(
      app, "report", "Summarise a stats file of 'trnsim run --stats-json', or render it as HTML",
      "Without --html, prints a short text summary. With --html, writes one self-contained\n"
      "HTML page (inline CSS and SVG, no scripts or network access): a summary table, engine\n"
      "utilisation and bandwidth over time, the stall breakdown, the roofline and the longest\n"
      "waits. Files of schema version 1 lack the data of the time charts, the roofline and\n"
      "the waits; the page says so and shows the rest. Documentation: docs/report.md\n\n"
      "Example:\n"
      "  trnsim run --stats-json stats.json workloads/gemm-1024x1024x1024-bf16-trn2.trn\n"
      "  trnsim report stats.json --html report.html");
  cmd->add_option("stats", opts->stats, "The stats file (JSON) to read")
      ->required()
      ->type_name("STATS.json");
  cmd->add_option("--html", opts->html, "Write the HTML report to this file ('-': stdout)")
      ->type_name("FILE");
  on_selected(*cmd, ctx, [opts] {
    const report::StatsFile stats = report::read_stats_file(opts->stats);
    if (opts->html.empty()) {
      std::cout << report::format_text_summary(stats);
    } else {
      write_output(opts->html, report::render_html_report(stats));
    }
    return ExitCode::kOk;
  });
}

}  // namespace trnsim::cli
