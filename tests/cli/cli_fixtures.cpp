#include "cli_fixtures.h"

#include <doctest/doctest.h>

#include <cctype>
#include <sstream>

namespace trnsim::test {

std::string describe(const RunResult& r) {
  std::string command = "trnsim";
  for (const auto& arg : r.args)
    command += " " + arg;
  return command + "\nexit " + std::to_string(r.exit_code) + " signal " + std::to_string(r.signal) +
         "\n--- stdout ---\n" + r.out + "--- stderr ---\n" + r.err;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::vector<std::string> words_of_line(const std::string& text, const std::string& prefix) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream in(line);
    std::vector<std::string> words;
    for (std::string w; in >> w;)
      words.push_back(w);
    if (!words.empty() && words.front().starts_with(prefix)) return words;
  }
  return {};
}

bool has_error_at_line_and_column(const std::string& text, const std::string& file) {
  // After "FILE:": digits, ':', digits, then ": error:".
  for (auto at = text.find(file + ":"); at != std::string::npos;
       at = text.find(file + ":", at + 1)) {
    std::size_t i = at + file.size() + 1;
    auto digits = [&] {
      const std::size_t begin = i;
      while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
        ++i;
      return i > begin;
    };
    if (digits() && text.compare(i, 1, ":") == 0 && (++i, digits()) &&
        text.compare(i, 8, ": error:") == 0) {
      return true;
    }
  }
  return false;
}

namespace {
RunResult expect(const std::vector<std::string>& args, int exit_code,
                 const std::vector<std::string>& out_parts,
                 const std::vector<std::string>& err_parts) {
  RunResult r = run_trnsim(args);
  INFO(describe(r));
  CHECK(r.exit_code == exit_code);
  for (const auto& part : out_parts)
    CHECK_MESSAGE(contains(r.out, part), "stdout lacks: " << part);
  for (const auto& part : err_parts)
    CHECK_MESSAGE(contains(r.err, part), "stderr lacks: " << part);
  return r;
}
}  // namespace

RunResult expect_ok(const std::vector<std::string>& args,
                    const std::vector<std::string>& out_parts) {
  return expect(args, 0, out_parts, {});
}

RunResult expect_exit(const std::vector<std::string>& args, int exit_code,
                      const std::vector<std::string>& err_parts) {
  return expect(args, exit_code, {}, err_parts);
}

std::string source_path(const std::string& relative) {
  return std::string(TRNSIM_SOURCE_DIR) + "/" + relative;
}

}  // namespace trnsim::test
