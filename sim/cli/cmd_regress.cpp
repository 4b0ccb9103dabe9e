// `trnsim regress`: run a regression suite (docs/workloads.md, "Regression suite"), each
// case in its own child process, several at a time, and judge every case by its golden
// figures and the roofline sanity bounds. The verdict is the exit status: 0 all pass,
// 3 a mismatch, 1 a case that could not run, 2 a bad suite or command line.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <regex>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "io/junit.h"
#include "regress/runner.h"
#include "regress/suite.h"

namespace trnsim::cli {

namespace {

namespace fs = std::filesystem;
using regress::CaseResult;
using regress::Verdict;

struct RegressOptions {
  std::string suite;
  unsigned jobs = 0;  // 0: one per CPU
  std::vector<std::string> tags;
  std::string filter;
  std::string golden_dir;
  std::string junit;
  std::string json;
  bool update_golden = false;
  bool keep_going = false;
};

std::vector<const regress::Case*> select_cases(const regress::Suite& suite,
                                               const RegressOptions& opts) {
  for (const std::string& tag : opts.tags) {
    if (std::find(suite.tags.begin(), suite.tags.end(), tag) == suite.tags.end())
      throw InputError(
          "--tags", 0, 0,
          fmt::format("unknown tag '{}' (the suite's tags: {})", tag, fmt::join(suite.tags, ", ")));
  }
  std::optional<std::regex> filter;
  if (!opts.filter.empty()) {
    try {
      filter.emplace(opts.filter);
    } catch (const std::regex_error& e) {
      throw InputError("--filter", 0, 0,
                       fmt::format("'{}' is not a regular expression: {}", opts.filter, e.what()));
    }
  }
  std::vector<const regress::Case*> selected;
  for (const regress::Case& c : suite.cases) {
    const bool tagged =
        opts.tags.empty() || std::any_of(opts.tags.begin(), opts.tags.end(),
                                         [&](const std::string& t) { return c.has_tag(t); });
    if (tagged && (!filter || std::regex_search(c.name, *filter))) selected.push_back(&c);
  }
  if (selected.empty())
    throw InputError(opts.suite, 0, 0, "no case matches the selected tags and filter");
  return selected;
}

// The cases on `jobs` worker threads, each case's child processes one after another.
// Results land in case order whatever order the cases finish in.
std::vector<CaseResult> run_all(const std::vector<const regress::Case*>& cases,
                                const regress::RunSettings& settings, unsigned jobs,
                                bool keep_going) {
  std::vector<CaseResult> results(cases.size());
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex progress;
  std::size_t finished = 0;
  auto worker = [&] {
    for (;;) {
      const std::size_t i = next++;
      if (i >= cases.size()) return;
      // Without --keep-going, a failure stops new cases (those running still finish):
      // cases are run in order, so which cases are skipped depends on --jobs.
      if (stop) continue;
      results[i] = regress::run_case(*cases[i], settings);
      if (results[i].verdict != Verdict::kPass && !keep_going) stop = true;
      std::lock_guard lock(progress);
      ++finished;
      std::cerr << fmt::format("[{}/{}] {} {} ({:.1f} s)\n", finished, cases.size(), cases[i]->name,
                               regress::verdict_name(results[i].verdict), results[i].seconds);
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < std::min<std::size_t>(jobs, cases.size()); ++t)
    threads.emplace_back(worker);
  for (std::thread& t : threads)
    t.join();
  return results;
}

std::string delta_text(const CaseResult& r) {
  if (!r.golden || !r.measured || r.golden->cycles == 0) return "-";
  const double delta = 100.0 * static_cast<double>(r.measured->cycles - r.golden->cycles) /
                       static_cast<double>(r.golden->cycles);
  return fmt::format("{:+.2f}", delta);
}

std::string verdict_text(const CaseResult& r) {
  std::string text = regress::verdict_name(r.verdict);
  switch (r.update) {
    case regress::GoldenUpdate::kCreated:
      return text + " (golden created)";
    case regress::GoldenUpdate::kChanged:
      return text + " (golden updated)";
    default:
      return text;
  }
}

std::string table(const std::vector<const regress::Case*>& cases,
                  const std::vector<CaseResult>& results) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"case", "config", "cycles golden", "", "measured", "delta %", "x bound",
                  "verdict", "wall s"});
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const CaseResult& r = results[i];
    auto cycles = [](const std::optional<regress::Figures>& f) {
      return f ? fmt::format("{}", f->cycles) : std::string("-");
    };
    rows.push_back({cases[i]->name, fs::path(cases[i]->config).stem().string(), cycles(r.golden),
                    "->", cycles(r.measured), delta_text(r),
                    r.bound_factor ? fmt::format("{:.2f}", *r.bound_factor) : std::string("-"),
                    verdict_text(r),
                    r.verdict == Verdict::kSkipped ? "-" : fmt::format("{:.1f}", r.seconds)});
  }
  std::vector<std::size_t> width(rows.front().size(), 0);
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size(); ++c)
      width[c] = std::max(width[c], row[c].size());
  // Names and words to the left, numbers to the right.
  const std::vector<bool> right{false, false, true, false, true, true, true, false, true};
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c > 0) line += "  ";
      line += right[c] ? fmt::format("{:>{}}", row[c], width[c])
                       : fmt::format("{:<{}}", row[c], width[c]);
    }
    while (!line.empty() && line.back() == ' ')
      line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string failure_details(const regress::Suite& suite,
                            const std::vector<const regress::Case*>& cases,
                            const std::vector<CaseResult>& results) {
  std::string out;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    if (results[i].failures.empty()) continue;
    out += fmt::format("\n{} ({}:{}): {}\n", cases[i]->name, suite.file.string(), cases[i]->line,
                       regress::verdict_name(results[i].verdict));
    // A failure's own lines (a child's stderr, a compare report) indented under it.
    for (const std::string& f : results[i].failures) {
      std::string text = f;
      while (!text.empty() && text.back() == '\n')
        text.pop_back();
      for (std::size_t pos = 0; (pos = text.find('\n', pos)) != std::string::npos; pos += 5)
        text.replace(pos, 1, "\n    ");
      out += "  " + text + "\n";
    }
  }
  return out;
}

std::string junit_xml(const regress::Suite& suite, const std::vector<const regress::Case*>& cases,
                      const std::vector<CaseResult>& results, double seconds) {
  io::JunitSuite js;
  js.name = "regress " + suite.file.stem().string();
  js.seconds = seconds;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const CaseResult& r = results[i];
    io::JunitCase jc;
    jc.name = cases[i]->name;
    jc.classname = "regress." + fs::path(cases[i]->config).stem().string();
    jc.seconds = r.seconds;
    if (r.verdict == Verdict::kSkipped) {
      jc.outcome = io::JunitCase::Outcome::kSkipped;
      jc.message = "not run: an earlier case failed (run with --keep-going to run every case)";
    } else if (r.verdict != Verdict::kPass) {
      jc.outcome = io::JunitCase::Outcome::kFailed;
      const std::string& first = r.failures.front();
      jc.message = first.substr(0, first.find('\n'));
      if (r.failures.size() > 1) jc.message += fmt::format(" (and {} more)", r.failures.size() - 1);
      for (const std::string& f : r.failures)
        jc.details += f + "\n";
    }
    js.cases.push_back(std::move(jc));
  }
  return io::to_junit_xml({js});
}

nlohmann::ordered_json summary_json(const regress::Suite& suite,
                                    const std::vector<const regress::Case*>& cases,
                                    const std::vector<CaseResult>& results) {
  nlohmann::ordered_json doc;
  doc["suite"] = suite.file.string();
  std::map<Verdict, int> counts;
  for (const CaseResult& r : results)
    ++counts[r.verdict];
  doc["passed"] = counts[Verdict::kPass];
  doc["failed"] = counts[Verdict::kMismatch];
  doc["errors"] = counts[Verdict::kError];
  doc["skipped"] = counts[Verdict::kSkipped];
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const CaseResult& r = results[i];
    nlohmann::ordered_json c;
    c["name"] = cases[i]->name;
    c["config"] = cases[i]->config;
    c["verdict"] = regress::verdict_name(r.verdict);
    c["cycles_golden"] = r.golden ? nlohmann::ordered_json(r.golden->cycles) : nullptr;
    c["cycles_measured"] = r.measured ? nlohmann::ordered_json(r.measured->cycles) : nullptr;
    c["bound_factor"] = r.bound_factor ? nlohmann::ordered_json(*r.bound_factor) : nullptr;
    c["failures"] = r.failures;
    c["wall_seconds"] = r.seconds;
    list.push_back(std::move(c));
  }
  doc["cases"] = std::move(list);
  return doc;
}

// A fresh directory for the cases' traces, outputs and logs.
fs::path make_work_dir() {
  std::string pattern = (fs::temp_directory_path() / "trnsim-regress-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr)
    throw InputError("regress", 0, 0, "cannot create a temporary directory");
  return pattern;
}

ExitCode regress(const CliContext& ctx, const RegressOptions& opts) {
  const regress::Suite suite = regress::load_suite(opts.suite);
  const auto cases = select_cases(suite, opts);
  regress::RunSettings settings;
  std::error_code ec;
  settings.trnsim = fs::read_symlink("/proc/self/exe", ec);
  if (ec) settings.trnsim = ctx.exe_dir / "trnsim";
  settings.golden_dir = opts.golden_dir.empty() ? suite.golden_dir : fs::absolute(opts.golden_dir);
  settings.update_golden = opts.update_golden;
  settings.work_dir = make_work_dir();
  const unsigned jobs =
      opts.jobs > 0 ? opts.jobs : std::max(1u, std::thread::hardware_concurrency());

  const auto start = std::chrono::steady_clock::now();
  const std::vector<CaseResult> results = run_all(cases, settings, jobs, opts.keep_going);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::cout << table(cases, results) << failure_details(suite, cases, results);
  std::size_t passed = 0;
  bool any_error = false;
  bool any_mismatch = false;
  std::vector<std::string> updated;
  for (std::size_t i = 0; i < results.size(); ++i) {
    passed += results[i].verdict == Verdict::kPass;
    any_error |= results[i].verdict == Verdict::kError;
    any_mismatch |= results[i].verdict == Verdict::kMismatch;
    if (results[i].update == regress::GoldenUpdate::kCreated ||
        results[i].update == regress::GoldenUpdate::kChanged)
      updated.push_back(cases[i]->name);
  }
  std::cout << fmt::format("\n{} of {} cases passed in {:.1f} s\n", passed, cases.size(), seconds);
  if (opts.update_golden) {
    std::cout << (updated.empty() ? std::string("goldens: all unchanged\n")
                                  : fmt::format("goldens written: {}\n", fmt::join(updated, ", ")));
  }
  if (!opts.junit.empty()) write_output(opts.junit, junit_xml(suite, cases, results, seconds));
  if (!opts.json.empty())
    write_output(opts.json, summary_json(suite, cases, results).dump(2) + "\n");
  // A failed case's files stay for a look; a clean run leaves nothing behind.
  if (any_error || any_mismatch) {
    std::cout << fmt::format("case files kept in {}\n", settings.work_dir.string());
  } else {
    fs::remove_all(settings.work_dir, ec);
  }
  if (any_error) return ExitCode::kProgramError;
  if (any_mismatch) return ExitCode::kRegressionMismatch;
  return ExitCode::kOk;
}

}  // namespace

void add_regress_command(CLI::App& app, CliContext& ctx) {
  auto opts = std::make_shared<RegressOptions>();
  CLI::App* cmd = add_command(
      app, "regress", "Run a regression suite: every case against its golden figures",
      "Runs each case of SUITE (docs/workloads.md, \"Regression suite\") in its own trnsim\n"
      "process, N at a time: generates its trace, simulates it, compares its functional\n"
      "outputs, checks the roofline bounds and compares cycles, engine busy shares, DMA,\n"
      "HBM and link bytes and MFU with GOLDEN_DIR/<case>.json. Prints a table in case\n"
      "order. Exit status: 0 all pass; 3 a mismatch; 1 a case that could not run (crash,\n"
      "deadlock, time-out); 2 a bad suite or command line.\n\n"
      "Example:\n"
      "  trnsim regress workloads/suite.yaml --tags quick --jobs 2 --junit regress.xml");
  cmd->add_option("suite", opts->suite, "The suite file (YAML)")->required()->type_name("SUITE");
  cmd->add_option("-j,--jobs", opts->jobs, "Cases run at once (default: the number of CPUs)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--tags", opts->tags, "Only cases with one of these tags (e.g. quick)")
      ->delimiter(',')
      ->type_name("T,...");
  cmd->add_option("--filter", opts->filter, "Only cases whose name matches this regex")
      ->type_name("REGEX");
  cmd->add_option("--golden-dir", opts->golden_dir,
                  "Where the golden files are (default: the suite's golden_dir)")
      ->type_name("DIR");
  cmd->add_option("--junit", opts->junit, "Also write a JUnit XML report, one testcase per case")
      ->type_name("FILE");
  cmd->add_option("--json", opts->json, "Also write a JSON summary")->type_name("FILE");
  cmd->add_flag("--update-golden", opts->update_golden,
                "Rewrite the selected cases' golden files from this run");
  cmd->add_flag("--keep-going", opts->keep_going,
                "Run every case even after one fails (default: start no new case)");
  on_selected(*cmd, ctx, [&ctx, opts] { return regress(ctx, *opts); });
}

}  // namespace trnsim::cli
