// Analysis of a sweep's results (docs/sweeps.md, "Plots"): one figure against another for
// every successful run, with each workload's Pareto front, the points no other point beats
// on both axes, highlighted; and a table of those best points.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sweep/results.h"

namespace trnsim::sweep {

enum class Goal { kMinimize, kMaximize };

// Indices of the points no other point dominates: at least as good on both axes and better
// on one. Equal points are all kept. In increasing x.
std::vector<std::size_t> pareto_front(const std::vector<std::pair<double, double>>& points,
                                      Goal x_goal, Goal y_goal);

// A column of a row as a number: a parameter or a metric of that name (parameters first),
// nullopt when the row has no number there.
std::optional<double> column_number(const Row& row, const std::string& column);

struct PlotOptions {
  std::string x;  // a parameter or metric name
  std::string y;
  Goal x_goal = Goal::kMinimize;
  Goal y_goal = Goal::kMinimize;
  bool log_x = false;
  bool log_y = false;
  std::vector<std::string> workloads;  // empty: all
  std::string title;
};

struct Analysis {
  std::string svg;
  std::string table;  // Markdown: each workload's front, by increasing x
  std::size_t plotted = 0;
  std::size_t left_out = 0;  // failed runs, and rows without both numbers
};

// Throws InputError (file "--x"/"--y") for a column no row has, or for a log axis over
// values that are not all above 0.
Analysis analyse(const std::vector<Row>& rows, const PlotOptions& opts);

}  // namespace trnsim::sweep
