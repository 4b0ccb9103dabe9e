#include "sweep/slurm.h"

#include <chrono>
#include <cstdlib>
#include <sstream>

#include <fmt/format.h>

#include "regress/process.h"

namespace trnsim::sweep {

namespace fs = std::filesystem;

namespace {

// Safe inside a POSIX shell script whatever the path holds.
std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
    s.pop_back();
  return s;
}

}  // namespace

std::string job_script(const SlurmJob& job) {
  const fs::path logs = job.dir / "slurm";
  std::string s = "#!/bin/sh\n";
  s += fmt::format(
      "# Written by `trnsim sweep --backend slurm`: task k of this array runs the runs of the\n"
      "# sweep in {} whose number is k modulo {}. Merge with `trnsim sweep collect`.\n",
      job.dir.string(), job.tasks);
  s += fmt::format("#SBATCH --job-name=trnsim-sweep-{}\n", job.name);
  s += fmt::format("#SBATCH --array=0-{}\n", job.tasks - 1);
  s += fmt::format("#SBATCH --cpus-per-task={}\n", job.jobs_per_task);
  s += fmt::format("#SBATCH --output={}\n", (logs / "task-%a.log").string());
  s += fmt::format("exec {} sweep task {} --task \"$SLURM_ARRAY_TASK_ID\" --tasks {} --jobs {}\n",
                   shell_quote(job.trnsim.string()), shell_quote(job.dir.string()), job.tasks,
                   job.jobs_per_task);
  return s;
}

bool in_slice(std::size_t run, unsigned task, unsigned tasks) {
  return run % tasks == task;
}

fs::path find_program(const std::string& program) {
  if (program.find('/') != std::string::npos)
    return fs::exists(program) ? fs::path(program) : fs::path();
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) continue;
    const fs::path candidate = fs::path(dir) / program;
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec)) return candidate;
  }
  return {};
}

Submission submit(const fs::path& sbatch, const fs::path& script,
                  const std::vector<std::string>& extra_args, bool wait) {
  std::vector<std::string> args{"--parsable"};
  if (wait) args.push_back("--wait");
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  args.push_back(script.string());
  const fs::path out = script.parent_path() / "sbatch.out";
  const fs::path err = script.parent_path() / "sbatch.err";
  // sbatch --wait returns when the last task ends: no deadline of ours applies.
  const regress::ProcessResult r =
      regress::run_process(sbatch, args, out, err, std::chrono::steady_clock::time_point::max());
  Submission s;
  s.exit_code = r.exit_code;
  // --parsable prints "jobid" or "jobid;cluster".
  const std::string printed = trim(regress::read_text(out));
  s.job_id = printed.substr(0, printed.find(';'));
  if (r.exit_code != 0 || s.job_id.empty()) {
    s.error = fmt::format("sbatch: {}", regress::describe(r));
    const std::string tail = trim(regress::tail_lines(regress::read_text(err), 8));
    if (!tail.empty()) s.error += "\n" + tail;
  }
  return s;
}

}  // namespace trnsim::sweep
