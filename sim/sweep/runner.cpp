#include "sweep/runner.h"

#include <chrono>
#include <exception>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "regress/process.h"
#include "sweep/metrics.h"

namespace trnsim::sweep {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// Lines of a child's stderr kept in a failed row: its diagnostics, not a flood.
constexpr std::size_t kStderrLinesKept = 8;

// A failed step: which one and why, with the end of its stderr.
struct StepFailed {
  std::string message;
};

class TaskRun {
 public:
  TaskRun(const Spec& spec, const Task& task, const RunSettings& settings)
      : m_spec(spec),
        m_task(task),
        m_settings(settings),
        // Absolute: the children start in m_dir, and their output files are opened there
        // too, so a relative `--out` would name a directory that is not there.
        m_dir(fs::absolute(settings.work_dir /
                           fmt::format("{}-{}", task.point->point.index, task.workload->name))),
        m_deadline(Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(settings.timeout_seconds))) {}

  Row run() {
    Row row;
    row.point = m_task.point->point.index;
    row.workload = m_task.workload->name;
    row.params = m_task.point->params;
    try {
      fs::remove_all(m_dir);
      fs::create_directories(m_dir);
      const nlohmann::json stats = simulate();
      for (const std::string& m : m_spec.metrics)
        row.metrics[m] = metric_value(m, stats, m_task.point->area);
      row.ok = true;
    } catch (const StepFailed& f) {
      row.error = f.message;
    } catch (const std::exception& e) {
      row.error = e.what();
    }
    if (!row.ok) {
      for (const std::string& m : m_spec.metrics)
        row.metrics[m] = nullptr;
    }
    // A failed run's files stay for a look; a good one's would only fill the disk.
    std::error_code ec;
    if (row.ok) fs::remove_all(m_dir, ec);
    return row;
  }

 private:
  std::vector<std::string> config_args() const {
    std::vector<std::string> args{"--config", m_settings.config};
    for (const std::string& o : m_task.point->overrides) {
      args.push_back("--set");
      args.push_back(o);
    }
    return args;
  }

  // Runs one child in the run's directory; anything but exit 0 fails the run.
  void step(const std::string& name, const std::vector<std::string>& args) {
    const fs::path err = m_dir / (name + ".err");
    const regress::ProcessResult r = regress::run_process(
        m_settings.trnsim, args, m_dir / (name + ".out"), err, m_deadline, m_dir);
    if (r.exit_code == 0) return;
    std::string message = fmt::format("{}: {}", name, regress::describe(r));
    if (r.timed_out)
      message += fmt::format(" after {} s (the sweep's timeout)", m_settings.timeout_seconds);
    const std::string tail = regress::tail_lines(regress::read_text(err), kStderrLinesKept);
    if (!tail.empty()) message += "\n" + tail;
    throw StepFailed{message};
  }

  nlohmann::json simulate() {
    // Relative names: the children run in m_dir, so their messages name "trace.trn", the
    // same wherever the sweep's output lives.
    std::string trace = m_task.workload->trace;
    if (trace.empty()) {
      trace = "trace.trn";
      std::vector<std::string> args{"gen"};
      args.insert(args.end(), m_task.workload->gen.begin(), m_task.workload->gen.end());
      for (const std::string& a : config_args())
        args.push_back(a);
      args.insert(args.end(), {"-o", trace});
      step("gen", args);
    }
    std::vector<std::string> args{"run"};
    for (const std::string& a : config_args())
      args.push_back(a);
    args.insert(args.end(), {"--quiet", "--stats-json", "stats.json", trace});
    step("run", args);
    return nlohmann::json::parse(regress::read_text(m_dir / "stats.json"));
  }

  const Spec& m_spec;
  const Task& m_task;
  const RunSettings& m_settings;
  fs::path m_dir;
  Clock::time_point m_deadline;
};

}  // namespace

std::vector<Task> all_tasks(const Spec& spec, const Resolution& points) {
  std::vector<Task> tasks;
  tasks.reserve(points.points.size() * spec.workloads.size());
  for (const ResolvedPoint& p : points.points)
    for (const Workload& w : spec.workloads)
      tasks.push_back(Task{&p, &w});
  return tasks;
}

Row run_task(const Spec& spec, const Task& task, const RunSettings& settings) {
  return TaskRun(spec, task, settings).run();
}

void run_tasks(const Spec& spec, const std::vector<Task>& tasks, const RunSettings& settings,
               unsigned jobs, const std::function<void(std::size_t, const Row&)>& done,
               const std::atomic<bool>& stop) {
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex report;
  auto worker = [&] {
    for (;;) {
      const std::size_t i = next++;
      if (i >= tasks.size() || stop || failed) return;
      const Row row = run_task(spec, tasks[i], settings);
      std::lock_guard lock(report);
      if (failed) return;
      try {
        done(i, row);
      } catch (...) {
        // Recording failed (a full disk): stop, and let the caller report it.
        error = std::current_exception();
        failed = true;
      }
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < std::min<std::size_t>(std::max(jobs, 1u), tasks.size()); ++t)
    threads.emplace_back(worker);
  for (std::thread& t : threads)
    t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace trnsim::sweep
