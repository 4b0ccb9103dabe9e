#include "generator_checks.h"

#include <algorithm>

#include <doctest/doctest.h>

#include "common/diagnostic.h"
#include "trace/parser.h"
#include "trace/printer.h"

namespace trnsim::test {

Generated print_and_parse(trace::Program program) {
  Generated g;
  g.program = std::move(program);
  g.text = trace::print_program(g.program);
  g.parsed = trace::parse_trace(g.text, "generated.trn");
  return g;
}

const std::vector<Interleaving>& interleavings() {
  static const std::vector<Interleaving> kAll = {
      {Policy::kIssueLowestFirst, 0}, {Policy::kIssueHighestFirst, 0},
      {Policy::kCompleteFirst, 0},    {Policy::kRandom, 1},
      {Policy::kRandom, 2},           {Policy::kRandomLazy, 1},
      {Policy::kRandomLazy, 2}};
  return kAll;
}

std::string first_interleaving_failure(const trace::Program& program,
                                       const config::SystemConfig& cfg, const std::string& tensor,
                                       const std::vector<std::uint32_t>& expected,
                                       const std::string& differs, bool written_once) {
  const std::uint32_t t = program.find_tensor(tensor);
  for (const Interleaving& run : interleavings()) {
    const InterpretResult r = interpret(program, cfg, run.policy, run.seed);
    const std::string who = policy_name(run.policy, run.seed) + ": ";
    if (!r.error.empty()) return who + r.error;
    if (r.tensors[t] != expected) return who + tensor + " " + differs;
    if (written_once &&
        !std::all_of(r.writes[t].begin(), r.writes[t].end(), [](auto n) { return n == 1; })) {
      return who + "an element of " + tensor + " is not written exactly once";
    }
  }
  return {};
}

std::string input_error_message(const std::function<void()>& generate, const std::string& file) {
  try {
    generate();
  } catch (const InputError& e) {
    REQUIRE(e.diagnostics().items().size() == 1);
    const Diagnostic& d = e.diagnostics().items()[0];
    CHECK(d.file == file);
    CHECK(d.line == 0);
    return d.message;
  }
  return {};
}

std::string without_wait(const std::string& text,
                         const std::function<bool(const std::string& line)>& pick) {
  std::size_t found = std::string::npos, found_len = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = text.find('\n', pos);
    const std::string line = text.substr(pos, end - pos);
    const std::size_t w = line.find(" wait(");
    if (w != std::string::npos && pick(line)) {
      found = pos + w;
      found_len = line.find(')', w) + 1 - w;
    }
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  if (found == std::string::npos) return text;
  std::string out = text;
  out.erase(found, found_len);
  return out;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

}  // namespace trnsim::test
