// JUnit XML: the test-report format CI systems (Jenkins, GitLab, GitHub test reporters)
// read. `trnsim check --junit` and `trnsim run --junit` describe their phases as test
// cases with it (docs/cli.md, "JUnit reports"); so will a regression runner, one suite per
// group of traces.
//
// Only the widely read subset is written: <testsuites>, <testsuite> with name, tests,
// failures, skipped, errors and time, and <testcase> with an optional <failure> or
// <skipped>. No timestamps or host names: the same outcome gives the same file, except
// for the `time` attributes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace trnsim::io {

struct JunitCase {
  enum class Outcome { kPassed, kFailed, kSkipped };
  std::string name;
  std::string classname;  // what the case belongs to, e.g. the trace it checked
  double seconds = 0;     // wall time
  Outcome outcome = Outcome::kPassed;
  // kFailed: a one-line summary (the `message` attribute) and the full diagnostics (the
  // element's text). kSkipped: why, in `message`.
  std::string message;
  std::string details;
};

struct JunitSuite {
  std::string name;
  double seconds = 0;  // wall time of the whole suite, not necessarily the sum of its cases
  std::vector<JunitCase> cases;

  std::size_t count(JunitCase::Outcome outcome) const;
};

// The whole document, with the XML declaration and a final newline.
std::string to_junit_xml(const std::vector<JunitSuite>& suites);

// `text` made safe inside XML: &, <, >, " and ' as entities; control characters that XML
// 1.0 cannot carry at all, and bytes that are not UTF-8, as U+FFFD. In an attribute value
// (double-quoted) tab, newline and carriage return also become character references, which
// a parser would otherwise normalise to spaces; in element text they stay as they are.
enum class XmlContext { kText, kAttribute };
std::string xml_escape(std::string_view text, XmlContext context);

}  // namespace trnsim::io
