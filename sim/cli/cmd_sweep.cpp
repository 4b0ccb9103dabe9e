// `trnsim sweep`: a design-space sweep (docs/sweeps.md). `sweep SPEC --out DIR` checks
// every point of the spec against the config schema, then runs each (point, workload) in
// child processes, N at a time, or submits them as a Slurm job array; `sweep collect DIR`
// merges what the runs recorded; `sweep plot DIR` draws one figure against another with
// the Pareto fronts. `sweep task` is what each Slurm array task runs.
//
// Exit status: 0 every run succeeded; 1 a run failed (recorded with its error) or, for
// `collect`, runs are missing; 2 a bad spec, directory or command line.
#include <algorithm>
#include <atomic>
#include <csignal>
#include <iostream>
#include <memory>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/presets.h"
#include "regress/process.h"
#include "sweep/plot.h"
#include "sweep/points.h"
#include "sweep/runner.h"
#include "sweep/slurm.h"
#include "sweep/spec.h"
#include "sweep/sweep_dir.h"

namespace trnsim::cli {

namespace {

namespace fs = std::filesystem;
using sweep::Row;
using sweep::Task;

// Slurm arrays larger than this are split no further by default: enough tasks to fill a
// cluster's queue, few enough to keep its scheduler and the log directory sane.
constexpr unsigned kDefaultMaxTasks = 100;
// Without a terminal, a progress line at most this often.
constexpr double kPlainProgressSeconds = 30;
// On a terminal, the line is redrawn at most this often.
constexpr double kRedrawSeconds = 0.2;

struct SweepOptions {
  std::string spec;
  std::string out;
  std::string backend = "local";
  unsigned jobs = 0;  // 0: one per CPU
  bool retry_failed = false;
  double timeout = 0;  // 0: the spec's
  // Slurm
  unsigned tasks = 0;  // 0: one per run, at most kDefaultMaxTasks
  unsigned task_jobs = 1;
  std::vector<std::string> sbatch_args;
  std::string sbatch = "sbatch";
  bool wait = false;
};

struct TaskOptions {
  std::string dir;
  unsigned task = 0;
  unsigned tasks = 1;
  unsigned jobs = 1;
};

struct PlotCommandOptions {
  std::string dir;
  sweep::PlotOptions plot;
  std::string x_goal = "min";
  std::string y_goal = "min";
  std::string output;
};

// SIGINT or SIGTERM (Ctrl-C, scancel, a Slurm time limit): no new run starts, and runs cut
// short by it are not recorded, so a rerun does them again.
std::atomic<bool> g_interrupted{false};
extern "C" void on_interrupt(int) {
  g_interrupted = true;
}

// A sweep ready to run: its manifest, spec, checked points and all its runs.
struct Loaded {
  sweep::Manifest manifest;
  sweep::Spec spec;
  sweep::Resolution points;
  std::vector<Task> tasks;
};

void finish_loading(Loaded& l) {
  l.points = sweep::resolve(l.spec, l.manifest.base_file);
  l.tasks = sweep::all_tasks(l.spec, l.points);
}

Loaded load_from_spec(const CliContext& ctx, const std::string& spec_file) {
  Loaded l;
  l.spec = sweep::load_spec(spec_file);
  fs::path base = l.spec.base;
  if (!base.is_absolute()) {
    try {
      base = resolve_config(l.spec.base, ctx.exe_dir);
    } catch (const InputError& e) {
      // Said at the spec's `base:` line, where the name is.
      throw InputError(l.spec.file, l.spec.base_line, 0,
                       "base: " + e.diagnostics().items().front().message);
    }
  }
  l.manifest = sweep::make_manifest(spec_file, base);
  finish_loading(l);
  return l;
}

Loaded load_from_dir(const sweep::SweepDir& dir) {
  Loaded l;
  l.manifest = dir.read_manifest();
  l.spec = sweep::spec_of(l.manifest);
  // A base config edited since the sweep began would mix two designs in one table.
  sweep::check_base_unchanged(l.manifest);
  finish_loading(l);
  return l;
}

fs::path self_binary(const CliContext& ctx) {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? ctx.exe_dir / "trnsim" : exe;
}

std::string duration_text(double seconds) {
  const auto s = static_cast<long long>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s / 60) % 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

// The progress of a sweep on stderr: redrawn in place on a terminal, a plain line now and
// then elsewhere; failures always get a line of their own.
class SweepProgress {
 public:
  SweepProgress(std::size_t total, std::size_t already)
      : m_total(total),
        m_done(already),
        m_terminal(::isatty(STDERR_FILENO) == 1),
        m_start(now()),
        m_last_line(m_start - kRedrawSeconds) {}

  void finished(const Task& task, const Row& row) {
    ++m_done;
    ++m_ran;
    m_failed += !row.ok;
    if (!row.ok) {
      clear();
      std::cerr << fmt::format("point {} {}: failed: {}\n", task.point->point.index,
                               task.workload->name, row.error.substr(0, row.error.find('\n')));
    }
    const double t = now();
    if (m_terminal ? t - m_last_line >= kRedrawSeconds : t - m_last_line >= kPlainProgressSeconds) {
      draw(t);
    } else if (!row.ok && m_terminal) {
      draw(t);
    }
  }

  void end() { clear(); }

  double seconds() const { return now() - m_start; }
  std::size_t ran() const { return m_ran; }

 private:
  static double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  std::string line(double t) const {
    const double elapsed = t - m_start;
    const double rate = elapsed > 0 ? static_cast<double>(m_ran) / elapsed : 0;
    std::string text =
        fmt::format("sweep: {}/{} runs ({:.1f}%) | ok {}, failed {}", m_done, m_total,
                    100.0 * static_cast<double>(m_done) /
                        static_cast<double>(std::max<std::size_t>(m_total, 1)),
                    m_ran - m_failed, m_failed);
    if (rate > 0) {
      text += fmt::format(" | {:.1f} runs/min | ETA {}", rate * 60,
                          duration_text(static_cast<double>(m_total - m_done) / rate));
    }
    return text;
  }

  void draw(double t) {
    m_last_line = t;
    if (m_terminal) {
      std::cerr << "\r\033[K" << line(t) << std::flush;
      m_drawn = true;
    } else {
      std::cerr << line(t) << "\n";
    }
  }

  void clear() {
    if (m_drawn) std::cerr << "\r\033[K" << std::flush;
    m_drawn = false;
  }

  std::size_t m_total;
  std::size_t m_done;  // recorded before this command ran, and by it
  std::size_t m_ran = 0;
  std::size_t m_failed = 0;
  bool m_terminal;
  bool m_drawn = false;
  double m_start;
  double m_last_line;
};

// The runs still to do: those without a row, and failed ones when asked to retry them.
std::vector<Task> pending(const Loaded& l, const sweep::SweepDir& dir, bool retry_failed,
                          const std::function<bool(std::size_t)>& mine) {
  std::set<std::pair<std::uint64_t, std::string>> done;
  for (const Row& row : dir.recorded_rows())
    if (row.ok || !retry_failed) done.emplace(row.point, row.workload);
  std::vector<Task> out;
  for (std::size_t i = 0; i < l.tasks.size(); ++i) {
    const Task& t = l.tasks[i];
    if (mine(i) && !done.contains({t.point->point.index, t.workload->name})) out.push_back(t);
  }
  return out;
}

// Runs `todo` into `rows_file`; returns how many ran. Interrupted runs are not recorded.
std::size_t run_locally(const CliContext& ctx, const Loaded& l, const sweep::SweepDir& dir,
                        const std::vector<Task>& todo, const fs::path& rows_file, unsigned jobs,
                        double timeout, SweepProgress* progress) {
  sweep::RunSettings settings;
  settings.trnsim = self_binary(ctx);
  settings.work_dir = dir.work_dir();
  settings.config = l.manifest.base_file;
  settings.timeout_seconds = timeout > 0 ? timeout : l.spec.timeout_seconds;
  sweep::RowWriter writer(rows_file);
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  std::size_t recorded = 0;
  sweep::run_tasks(
      l.spec, todo, settings, jobs,
      [&](std::size_t i, const Row& row) {
        if (g_interrupted) return;
        writer.add(row);
        ++recorded;
        if (progress) progress->finished(todo[i], row);
      },
      g_interrupted);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  return recorded;
}

std::string header(const Loaded& l) {
  std::string text = fmt::format(
      "sweep {}: {} point{} x {} workload{} = {} runs on {}\n", l.spec.name, l.points.points.size(),
      l.points.points.size() == 1 ? "" : "s", l.spec.workloads.size(),
      l.spec.workloads.size() == 1 ? "" : "s", l.tasks.size(), l.manifest.base_file);
  if (!l.points.skipped.empty()) {
    text += fmt::format("  {} invalid point{} left out (skip_invalid), the first: {}\n",
                        l.points.skipped.size(), l.points.skipped.size() == 1 ? "" : "s",
                        l.points.skipped.front());
  }
  return text;
}

// Merges the rows, writes the results files and says what is in them.
ExitCode report_collected(const Loaded& l, const sweep::SweepDir& dir) {
  const sweep::Collected c = sweep::collect(dir, l.spec, l.tasks);
  std::cout << fmt::format("results: {} of {} runs recorded: {} ok, {} failed", c.rows.size(),
                           l.tasks.size(), c.rows.size() - c.failed, c.failed);
  if (c.missing > 0) std::cout << fmt::format(", {} missing", c.missing);
  std::cout << fmt::format("\n  {}\n  {}\n", dir.results_csv().string(),
                           dir.results_jsonl().string());
  if (c.failed > 0)
    std::cout << fmt::format("failed runs keep their files in {}/<point>-<workload>/\n",
                             dir.work_dir().string());
  if (c.missing > 0)
    std::cout << "missing runs have not finished (or were lost): run the same sweep command "
                 "again to do them\n";
  return c.failed > 0 || c.missing > 0 ? ExitCode::kProgramError : ExitCode::kOk;
}

ExitCode sweep_local(const CliContext& ctx, const SweepOptions& opts, const Loaded& l,
                     const sweep::SweepDir& dir) {
  const std::vector<Task> todo =
      pending(l, dir, opts.retry_failed, [](std::size_t) { return true; });
  const unsigned jobs =
      opts.jobs > 0 ? opts.jobs : std::max(1u, std::thread::hardware_concurrency());
  const std::size_t before = l.tasks.size() - todo.size();
  if (before > 0)
    std::cout << fmt::format("{} runs already recorded in {}: {} to do\n", before,
                             dir.root().string(), todo.size());
  std::cout << std::flush;
  SweepProgress progress(l.tasks.size(), before);
  const std::size_t ran =
      run_locally(ctx, l, dir, todo, dir.rows_dir() / "local.jsonl", jobs, opts.timeout, &progress);
  progress.end();
  if (ran > 0) {
    const double s = progress.seconds();
    std::cout << fmt::format("ran {} runs in {:.1f} s with {} job{}: {:.1f} runs/min\n", ran, s,
                             jobs, jobs == 1 ? "" : "s",
                             s > 0 ? static_cast<double>(ran) / s * 60 : 0.0);
  }
  if (g_interrupted) {
    std::cout << "interrupted: the runs that finished are recorded; run the same command again "
                 "to do the rest\n";
  }
  const ExitCode code = report_collected(l, dir);
  return g_interrupted ? ExitCode::kProgramError : code;
}

ExitCode sweep_slurm(const CliContext& ctx, const SweepOptions& opts, const Loaded& l,
                     const sweep::SweepDir& dir) {
  const fs::path sbatch = sweep::find_program(opts.sbatch);
  if (sbatch.empty())
    throw InputError(
        "--sbatch", 0, 0,
        fmt::format("'{}' not found on PATH: is this a Slurm submit host?", opts.sbatch));
  const std::size_t todo =
      pending(l, dir, opts.retry_failed, [](std::size_t) { return true; }).size();
  if (todo == 0) {
    std::cout << "every run is already recorded\n";
    return report_collected(l, dir);
  }
  sweep::SlurmJob job;
  job.trnsim = self_binary(ctx);
  job.dir = fs::absolute(dir.root()).lexically_normal();
  job.name = l.spec.name;
  job.tasks = opts.tasks > 0 ? opts.tasks
                             : static_cast<unsigned>(std::min<std::size_t>(todo, kDefaultMaxTasks));
  job.jobs_per_task = opts.task_jobs;
  fs::create_directories(dir.slurm_dir());
  const fs::path script = dir.slurm_dir() / "job.sh";
  write_output(script.string(), sweep::job_script(job));
  fs::permissions(script, fs::perms::owner_exec, fs::perm_options::add);
  std::cout << fmt::format("submitting {} ({} array tasks, {} runs to do)\n", script.string(),
                           job.tasks, todo)
            << std::flush;
  const sweep::Submission s = sweep::submit(sbatch, script, opts.sbatch_args, opts.wait);
  if (s.job_id.empty()) throw InputError("--backend slurm", 0, 0, s.error);
  std::cout << fmt::format("job array {} submitted; task logs in {}\n", s.job_id,
                           dir.slurm_dir().string());
  if (!opts.wait) {
    std::cout << fmt::format("when it has finished: trnsim sweep collect {}\n",
                             dir.root().string());
    return ExitCode::kOk;
  }
  if (s.exit_code != 0) std::cout << fmt::format("sbatch --wait: {}\n", s.error);
  return report_collected(l, dir);
}

ExitCode run_sweep(const CliContext& ctx, const SweepOptions& opts) {
  if (opts.spec.empty())
    throw InputError("sweep", 0, 0, "expects a spec file, or a command: collect, plot, task");
  if (opts.out.empty()) throw InputError("--out", 0, 0, "the sweep needs an output directory");
  Loaded l = load_from_spec(ctx, opts.spec);
  const sweep::SweepDir dir(opts.out);
  dir.prepare(l.manifest);
  std::cout << header(l);
  if (opts.backend == "slurm") return sweep_slurm(ctx, opts, l, dir);
  return sweep_local(ctx, opts, l, dir);
}

ExitCode run_task(const CliContext& ctx, const TaskOptions& opts) {
  if (opts.task >= opts.tasks)
    throw InputError("--task", 0, 0,
                     fmt::format("task {} is not below --tasks {}", opts.task, opts.tasks));
  const sweep::SweepDir dir(opts.dir);
  Loaded l = load_from_dir(dir);
  const std::vector<Task> todo = pending(
      l, dir, false, [&](std::size_t i) { return sweep::in_slice(i, opts.task, opts.tasks); });
  std::cout << fmt::format("task {} of {}: {} runs to do\n", opts.task, opts.tasks, todo.size())
            << std::flush;
  const auto start = std::chrono::steady_clock::now();
  const std::size_t ran =
      run_locally(ctx, l, dir, todo, dir.rows_dir() / fmt::format("task-{}.jsonl", opts.task),
                  std::max(1u, opts.jobs), 0, nullptr);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << fmt::format("task {}: recorded {} runs in {:.1f} s\n", opts.task, ran, s);
  return g_interrupted ? ExitCode::kProgramError : ExitCode::kOk;
}

ExitCode run_collect(const std::string& dir_name) {
  const sweep::SweepDir dir(dir_name);
  Loaded l = load_from_dir(dir);
  std::cout << header(l);
  return report_collected(l, dir);
}

sweep::Goal parse_goal(const std::string& text, const char* option) {
  if (text == "min") return sweep::Goal::kMinimize;
  if (text == "max") return sweep::Goal::kMaximize;
  throw InputError(option, 0, 0, fmt::format("expected 'min' or 'max', got '{}'", text));
}

std::string file_part(std::string text) {
  for (char& c : text)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
  return text;
}

ExitCode run_plot(const PlotCommandOptions& opts) {
  const sweep::SweepDir dir(opts.dir);
  const sweep::Manifest m = dir.read_manifest();
  if (!fs::exists(dir.results_jsonl()))
    throw InputError(dir.root().string(), 0, 0,
                     "has no results.jsonl yet: run `trnsim sweep collect` on it first");
  sweep::PlotOptions plot = opts.plot;
  plot.x_goal = parse_goal(opts.x_goal, "--x-goal");
  plot.y_goal = parse_goal(opts.y_goal, "--y-goal");
  const sweep::Spec spec = sweep::spec_of(m);
  if (plot.title.empty()) plot.title = fmt::format("sweep {}: {} vs {}", spec.name, plot.y, plot.x);
  const sweep::Analysis a = sweep::analyse(sweep::read_rows(dir.results_jsonl()), plot);
  const std::string output =
      opts.output.empty()
          ? (dir.root() / fmt::format("plot-{}-vs-{}.svg", file_part(plot.y), file_part(plot.x)))
                .string()
          : opts.output;
  write_output(output, a.svg);
  std::cout << fmt::format("Pareto front per workload ({} {}, {} {}):\n\n{}\n", plot.x,
                           opts.x_goal == "min" ? "lower is better" : "higher is better", plot.y,
                           opts.y_goal == "min" ? "lower is better" : "higher is better", a.table);
  std::cout << fmt::format("{} runs plotted", a.plotted);
  if (a.left_out > 0) std::cout << fmt::format(", {} left out (failed, or no number)", a.left_out);
  std::cout << fmt::format("; plot written to {}\n", output);
  return ExitCode::kOk;
}

}  // namespace

void add_sweep_command(CLI::App& app, CliContext& ctx) {
  auto opts = std::make_shared<SweepOptions>();
  CLI::App* cmd = add_command(
      app, "sweep", "Run a design-space sweep: every point of a spec on every workload",
      "Expands SPEC (docs/sweeps.md) into points, checks each point's config, then runs\n"
      "every (point, workload) in its own trnsim processes, N at a time (--backend local)\n"
      "or as a Slurm job array (--backend slurm). Each run's metrics land in\n"
      "DIR/results.csv and DIR/results.jsonl; a rerun of the same command skips the runs\n"
      "already recorded. Exit status: 0 every run succeeded; 1 a run failed (its error\n"
      "is in the results); 2 a bad spec or command line.\n\n"
      "Examples:\n"
      "  trnsim sweep sweeps/array-sbuf.yaml --jobs 2 --out runs/array-sbuf\n"
      "  trnsim sweep sweeps/array-sbuf.yaml --backend slurm --out /shared/array-sbuf\n"
      "  trnsim sweep collect /shared/array-sbuf\n"
      "  trnsim sweep plot runs/array-sbuf --x area --y cycles");
  cmd->add_option("spec", opts->spec, "The sweep spec (YAML)")->type_name("SPEC");
  cmd->add_option("-o,--out", opts->out, "The sweep's directory: results, logs, failed runs")
      ->type_name("DIR");
  cmd->add_option("-j,--jobs", opts->jobs, "Runs at once (default: the number of CPUs)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--backend", opts->backend, "Where the runs go")
      ->check(CLI::IsMember({"local", "slurm"}))
      ->capture_default_str();
  cmd->add_flag("--retry-failed", opts->retry_failed,
                "Run the recorded failures again (default: keep them)");
  cmd->add_option("--timeout", opts->timeout, "Seconds a run may take (default: the spec's)")
      ->check(CLI::PositiveNumber);
  cmd->add_option(
         "--tasks", opts->tasks,
         fmt::format("Slurm: array tasks (default: one per run, at most {})", kDefaultMaxTasks))
      ->check(CLI::PositiveNumber);
  cmd->add_option("--task-jobs", opts->task_jobs, "Slurm: runs at once in each task (its CPUs)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--sbatch-arg", opts->sbatch_args,
                  "Slurm: one more sbatch argument, e.g. --sbatch-arg=--partition=batch "
                  "(repeatable)")
      ->type_name("ARG")
      ->allow_extra_args(false);
  cmd->add_option("--sbatch", opts->sbatch, "Slurm: the sbatch program")->capture_default_str();
  cmd->add_flag("--wait", opts->wait, "Slurm: wait for the array to end, then collect");
  cmd->callback([&ctx, cmd, opts] {
    if (cmd->get_subcommands().empty()) ctx.action = [&ctx, opts] { return run_sweep(ctx, *opts); };
  });

  auto dir = std::make_shared<std::string>();
  CLI::App* collect = add_command(
      *cmd, "collect", "Merge the rows a sweep's runs recorded into its results files",
      "Reads DIR/rows/*.jsonl (written by local runs and by each Slurm task), keeps one\n"
      "row per (point, workload) and writes DIR/results.csv and DIR/results.jsonl in point\n"
      "order. Exit status: 0 every run recorded and successful; 1 runs failed or missing.\n\n"
      "Example:\n"
      "  trnsim sweep collect /shared/array-sbuf");
  collect->add_option("dir", *dir, "The sweep's directory")->required()->type_name("DIR");
  on_selected(*collect, ctx, [dir] { return run_collect(*dir); });

  auto plot = std::make_shared<PlotCommandOptions>();
  CLI::App* plot_cmd = add_command(
      *cmd, "plot", "Plot one figure of a sweep against another, with the Pareto fronts",
      "Draws every successful run of DIR/results.jsonl as a point (one colour per\n"
      "workload), highlights each workload's Pareto front (the points no other beats on\n"
      "both axes) and prints the fronts as a table. X and Y name a parameter (its dotted\n"
      "config path) or a metric (cycles, mfu, area, ...).\n\n"
      "Example:\n"
      "  trnsim sweep plot runs/array-sbuf --x area --y cycles --log-y");
  plot_cmd->add_option("dir", plot->dir, "The sweep's directory")->required()->type_name("DIR");
  plot_cmd->add_option("--x", plot->plot.x, "The horizontal axis")->required()->type_name("NAME");
  plot_cmd->add_option("--y", plot->plot.y, "The vertical axis")->required()->type_name("NAME");
  plot_cmd->add_option("--x-goal", plot->x_goal, "Which x is better: min or max")
      ->capture_default_str();
  plot_cmd->add_option("--y-goal", plot->y_goal, "Which y is better: min or max")
      ->capture_default_str();
  plot_cmd->add_flag("--log-x", plot->plot.log_x, "Logarithmic x axis");
  plot_cmd->add_flag("--log-y", plot->plot.log_y, "Logarithmic y axis");
  plot_cmd->add_option("--workload", plot->plot.workloads, "Only these workloads")
      ->delimiter(',')
      ->type_name("W,...");
  plot_cmd->add_option("--title", plot->plot.title, "The plot's title");
  add_output_option(*plot_cmd, plot->output)
      ->description("The SVG file (default: DIR/plot-<y>-vs-<x>.svg)");
  on_selected(*plot_cmd, ctx, [plot] { return run_plot(*plot); });

  auto task = std::make_shared<TaskOptions>();
  CLI::App* task_cmd = add_command(
      *cmd, "task", "Run one Slurm array task's share of a sweep (used by the job script)",
      "Runs the runs of the sweep in DIR whose number is TASK modulo TASKS and that have no\n"
      "row yet, into DIR/rows/task-TASK.jsonl. The job script `sweep --backend slurm`\n"
      "writes calls it; it can also be run by hand to redo one task.\n\n"
      "Example:\n"
      "  trnsim sweep task /shared/array-sbuf --task 3 --tasks 50");
  task_cmd->add_option("dir", task->dir, "The sweep's directory")->required()->type_name("DIR");
  task_cmd->add_option("--task", task->task, "This task's number, from 0")->required();
  task_cmd->add_option("--tasks", task->tasks, "How many tasks share the sweep")
      ->required()
      ->check(CLI::PositiveNumber);
  task_cmd->add_option("-j,--jobs", task->jobs, "Runs at once")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  on_selected(*task_cmd, ctx, [&ctx, task] { return run_task(ctx, *task); });
}

}  // namespace trnsim::cli
