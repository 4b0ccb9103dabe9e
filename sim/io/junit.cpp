#include "io/junit.h"

#include <algorithm>
#include <cstdint>

#include <fmt/format.h>

namespace trnsim::io {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

// The length of the well-formed UTF-8 sequence at the start of `s` (1 to 4), or 0 when
// it is not one (a stray continuation byte, an overlong form, a surrogate, a truncation).
std::size_t utf8_sequence_length(std::string_view s) {
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(s[i]); };
  const std::uint8_t lead = byte(0);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  std::uint8_t low = 0x80, high = 0xBF;  // the allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // no overlong forms
    if (lead == 0xED) high = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // no overlong forms
    if (lead == 0xF4) high = 0x8F;  // nothing beyond U+10FFFF
  } else {
    return 0;
  }
  if (s.size() < length || byte(1) < low || byte(1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

// The entity that stands for a character with a meaning in XML, or an empty view.
std::string_view entity(char c) {
  switch (c) {
    case '&':
      return "&amp;";
    case '<':
      return "&lt;";
    case '>':
      return "&gt;";
    case '"':
      return "&quot;";
    case '\'':
      return "&apos;";
    default:
      return {};
  }
}

// U+FFFE and U+FFFF are not XML characters either.
bool is_noncharacter(std::string_view seq) {
  return seq == "\xEF\xBF\xBE" || seq == "\xEF\xBF\xBF";
}

std::string attr(std::string_view text) {
  return xml_escape(text, XmlContext::kAttribute);
}

// Seconds with millisecond resolution, as most JUnit writers print them.
std::string seconds(double s) {
  return fmt::format("{:.3f}", std::max(s, 0.0));
}

void write_case(const JunitCase& c, std::string& out) {
  out += fmt::format(R"(    <testcase name="{}" classname="{}" time="{}")", attr(c.name),
                     attr(c.classname), seconds(c.seconds));
  switch (c.outcome) {
    case JunitCase::Outcome::kPassed:
      out += "/>\n";
      return;
    case JunitCase::Outcome::kSkipped:
      out += fmt::format(">\n      <skipped message=\"{}\"/>\n", attr(c.message));
      break;
    case JunitCase::Outcome::kFailed:
      out += fmt::format(">\n      <failure message=\"{}\" type=\"failure\">{}</failure>\n",
                         attr(c.message), xml_escape(c.details, XmlContext::kText));
      break;
  }
  out += "    </testcase>\n";
}

}  // namespace

std::size_t JunitSuite::count(JunitCase::Outcome outcome) const {
  return static_cast<std::size_t>(std::count_if(
      cases.begin(), cases.end(), [outcome](const JunitCase& c) { return c.outcome == outcome; }));
}

std::string xml_escape(std::string_view text, XmlContext context) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    const std::size_t length = utf8_sequence_length(text.substr(i));
    if (length == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    if (length > 1) {
      const std::string_view seq = text.substr(i, length);
      out += is_noncharacter(seq) ? kReplacement : seq;
      i += length;
      continue;
    }
    ++i;
    if (const std::string_view e = entity(c); !e.empty()) {
      out += e;
      continue;
    }
    if (c == '\t' || c == '\n' || c == '\r') {
      if (context == XmlContext::kAttribute) {
        out += fmt::format("&#{};", static_cast<int>(c));
      } else {
        out += c;
      }
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      // 0x7F is allowed by XML but is never meant in a diagnostic; keep files printable.
      out += kReplacement;
    } else {
      out += c;
    }
  }
  return out;
}

std::string to_junit_xml(const std::vector<JunitSuite>& suites) {
  std::size_t tests = 0, failures = 0, skipped = 0;
  double total = 0;
  for (const JunitSuite& s : suites) {
    tests += s.cases.size();
    failures += s.count(JunitCase::Outcome::kFailed);
    skipped += s.count(JunitCase::Outcome::kSkipped);
    total += s.seconds;
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format(
      "<testsuites tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{}\">\n", tests,
      failures, skipped, seconds(total));
  for (const JunitSuite& s : suites) {
    out += fmt::format(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" "
        "time=\"{}\">\n",
        attr(s.name), s.cases.size(), s.count(JunitCase::Outcome::kFailed),
        s.count(JunitCase::Outcome::kSkipped), seconds(s.seconds));
    for (const JunitCase& c : s.cases)
      write_case(c, out);
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

}  // namespace trnsim::io
