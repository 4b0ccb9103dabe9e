#include "regress/runner.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "regress/process.h"

namespace trnsim::regress {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kPass:
      return "PASS";
    case Verdict::kMismatch:
      return "FAIL";
    case Verdict::kError:
      return "ERROR";
    case Verdict::kSkipped:
      return "SKIP";
  }
  return "?";
}

fs::path golden_path(const fs::path& dir, const std::string& name) {
  return dir / (name + ".json");
}

namespace {

// Lines of a child's stderr quoted in a failure: enough for its diagnostics, not a flood.
constexpr std::size_t kStderrLinesShown = 12;

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
    s.replace(pos, from.size(), to);
  return s;
}

class CaseRun {
 public:
  CaseRun(const Case& c, const RunSettings& s)
      : m_case(c),
        m_settings(s),
        m_dir(s.work_dir / c.name),
        m_deadline(Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(c.timeout_seconds))) {}

  CaseResult run() {
    const auto start = Clock::now();
    try {
      steps();
    } catch (const std::exception& e) {
      error(e.what());
    }
    m_result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (m_result.verdict == Verdict::kSkipped) {
      m_result.verdict = m_result.failures.empty() ? Verdict::kPass : Verdict::kMismatch;
    }
    return m_result;
  }

 private:
  struct Failed {};  // the case cannot go on; the reason is in m_result

  void error(const std::string& message) {
    m_result.verdict = Verdict::kError;
    m_result.failures.push_back(message);
  }

  std::vector<std::string> config_args() const {
    std::vector<std::string> args{"--config", m_case.config};
    for (const std::string& o : m_case.overrides) {
      args.push_back("--set");
      args.push_back(o);
    }
    return args;
  }

  // Runs one step; returns its exit status, or records an error when it did not exit
  // normally (crash, time-out) and stops the case.
  int step(const std::string& name, const std::vector<std::string>& args) {
    const fs::path out = m_dir / (name + ".out");
    const fs::path err = m_dir / (name + ".err");
    const ProcessResult r = run_process(m_settings.trnsim, args, out, err, m_deadline);
    if (r.exit_code >= 0) return r.exit_code;
    std::string message = fmt::format("{}: {}", name, describe(r));
    if (r.timed_out)
      message += fmt::format(" after {} s (the case's timeout)", m_case.timeout_seconds);
    const std::string tail = tail_lines(read_text(err), kStderrLinesShown);
    if (!tail.empty()) message += "\n" + tail;
    error(message);
    throw Failed{};
  }

  // A step that must succeed: anything but exit 0 is an error of the case.
  void required_step(const std::string& name, const std::vector<std::string>& args) {
    const int code = step(name, args);
    if (code == 0) return;
    std::string message = fmt::format("{}: exit status {}", name, code);
    const std::string tail = tail_lines(read_text(m_dir / (name + ".err")), kStderrLinesShown);
    if (!tail.empty()) message += "\n" + tail;
    error(message);
    throw Failed{};
  }

  void steps() {
    try {
      fs::remove_all(m_dir);
      fs::create_directories(m_dir);
      std::string trace = m_case.trace;
      const fs::path ref_dir = m_dir / "ref";
      if (!m_case.gen.empty()) {
        fs::create_directories(ref_dir);
        trace = (m_dir / "case.trn").string();
        std::vector<std::string> args{"gen"};
        for (const std::string& a : m_case.gen)
          args.push_back(replace_all(a, kReferenceToken, ref_dir.string()));
        for (const std::string& a : config_args())
          args.push_back(a);
        args.insert(args.end(), {"-o", trace});
        required_step("gen", args);
      }
      const fs::path stats_file = m_dir / "stats.json";
      std::vector<std::string> args{"run"};
      for (const std::string& a : config_args())
        args.push_back(a);
      args.insert(args.end(), {"--quiet", "--stats-json", stats_file.string()});
      const fs::path out_dir = m_dir / "out";
      if (m_case.functional)
        args.insert(args.end(), {"--functional", "--dump-outputs", out_dir.string()});
      args.push_back(trace);
      required_step("run", args);

      const nlohmann::json stats = nlohmann::json::parse(read_text(stats_file));
      m_result.measured = figures_from_stats(stats);
      if (const double bound = roofline_bound_seconds(stats); bound > 0)
        m_result.bound_factor = stats.at("seconds").get<double>() / bound;
      if (auto violation = check_bounds(stats, m_case.max_bound_factor))
        m_result.failures.push_back("bound: " + *violation);
      if (m_case.functional) compare_outputs(ref_dir, out_dir);
      golden();
    } catch (const Failed&) {
    }
  }

  // Every array the generator wrote as reference against the output of the same name.
  void compare_outputs(const fs::path& ref_dir, const fs::path& out_dir) {
    std::vector<fs::path> refs;
    for (const auto& entry : fs::directory_iterator(ref_dir))
      if (entry.path().extension() == ".npy") refs.push_back(entry.path());
    std::sort(refs.begin(), refs.end());
    if (refs.empty()) {
      error("functional: the generator wrote no reference arrays (is '{ref}' in its --reference?)");
      throw Failed{};
    }
    for (const fs::path& ref : refs) {
      const fs::path out = out_dir / ref.filename();
      if (!fs::exists(out)) {
        m_result.failures.push_back(fmt::format(
            "functional: no output {} to compare with the reference", ref.filename().string()));
        continue;
      }
      const std::string name = "compare-" + ref.stem().string();
      const int code = step(name, {"compare", out.string(), ref.string(), "--rtol",
                                   fmt::format("{}", m_case.reference.rtol), "--atol",
                                   fmt::format("{}", m_case.reference.atol)});
      if (code == 0) continue;
      if (code == 3) {
        const std::string report = read_text(m_dir / (name + ".out"));
        m_result.failures.push_back(fmt::format("functional: {} differs from the reference\n{}",
                                                ref.filename().string(), report));
        continue;
      }
      error(fmt::format("{}: exit status {}\n{}", name, code,
                        tail_lines(read_text(m_dir / (name + ".err")), kStderrLinesShown)));
      throw Failed{};
    }
  }

  void golden() {
    const fs::path path = golden_path(m_settings.golden_dir, m_case.name);
    const bool exists = fs::exists(path);
    if (exists) {
      try {
        m_result.golden = figures_from_golden(nlohmann::json::parse(read_text(path)));
      } catch (const std::exception& e) {
        if (!m_settings.update_golden) {
          m_result.failures.push_back(fmt::format("golden {}: {}", path.string(), e.what()));
          return;
        }
      }
    }
    if (m_settings.update_golden) {
      // A case that breaks a bound or computes a wrong answer keeps its old golden: its
      // figures are not ones to freeze.
      if (!m_result.failures.empty()) return;
      if (m_result.golden && *m_result.golden == *m_result.measured) {
        m_result.update = GoldenUpdate::kUnchanged;
        return;
      }
      write_atomically(path, golden_text(m_case.name, *m_result.measured));
      m_result.update = exists ? GoldenUpdate::kChanged : GoldenUpdate::kCreated;
      return;
    }
    if (!exists) {
      m_result.failures.push_back(
          fmt::format("golden: no golden file {} (create it with --update-golden)", path.string()));
      return;
    }
    for (const Deviation& d : compare(*m_result.golden, *m_result.measured, m_case.tolerance))
      m_result.failures.push_back(d.describe());
  }

  const Case& m_case;
  const RunSettings& m_settings;
  fs::path m_dir;
  Clock::time_point m_deadline;
  CaseResult m_result;
};

}  // namespace

CaseResult run_case(const Case& c, const RunSettings& settings) {
  return CaseRun(c, settings).run();
}

}  // namespace trnsim::regress
