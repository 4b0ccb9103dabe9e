// Helpers shared by the trace front-end tests: reading data files, pulling the ```trn
// examples out of Markdown, and parsing with the diagnostics shown on failure.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "common/diagnostic.h"
#include "trace/parser.h"

namespace trnsim::trace::test {

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::filesystem::path test_data(std::string_view relative) {
  return std::filesystem::path(TRNSIM_TEST_DATA_DIR) / relative;
}

inline std::filesystem::path source_path(std::string_view relative) {
  return std::filesystem::path(TRNSIM_SOURCE_DIR) / relative;
}

// The files of `dir` ending in `extension`, sorted so test output is stable; empty when
// the directory does not exist.
inline std::vector<std::filesystem::path> files_in(const std::filesystem::path& dir,
                                                   std::string_view extension) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == extension) {
      out.push_back(entry.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A fenced code block of a Markdown file (possibly indented, inside a list) with its info
// string (`trn`, `text`, ...).
struct FencedBlock {
  std::string info;
  std::string text;
  std::uint32_t line = 0;  // of the opening fence, 1-based
};

inline std::vector<FencedBlock> fenced_blocks(std::string_view markdown) {
  std::vector<FencedBlock> out;
  std::istringstream in{std::string(markdown)};
  std::string line;
  std::uint32_t line_no = 0;
  FencedBlock* open = nullptr;
  while (std::getline(in, line)) {
    ++line_no;
    const std::size_t indent = line.find_first_not_of(' ');
    if (indent != std::string::npos && line.compare(indent, 3, "```") == 0) {
      if (open) {
        open = nullptr;
      } else {
        out.push_back(FencedBlock{line.substr(indent + 3), {}, line_no});
        open = &out.back();
      }
      continue;
    }
    if (open) open->text += line + "\n";
  }
  return out;
}

// Parses `text`, failing the current test with every diagnostic if it does not parse.
inline Program parse_ok(std::string_view text, const std::string& name = "test.trn") {
  Program program;
  DiagnosticList diags;
  const bool ok = parse_trace(text, name, program, diags);
  INFO(diags.to_string());
  REQUIRE(ok);
  return program;
}

// Parses `text`, which must fail, and returns the diagnostics.
inline DiagnosticList parse_bad(std::string_view text, const std::string& name = "test.trn") {
  Program program;
  DiagnosticList diags;
  CHECK_FALSE(parse_trace(text, name, program, diags));
  return diags;
}

}  // namespace trnsim::trace::test
