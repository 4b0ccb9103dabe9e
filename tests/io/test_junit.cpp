// JUnit XML: the document parses, carries the counts CI systems read, and keeps any text
// (diagnostics quote source lines and file names) intact through escaping.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <pugixml.hpp>

#include "io/junit.h"

using namespace trnsim::io;

namespace {

JunitCase make_case(std::string name, JunitCase::Outcome outcome, std::string message = {},
                    std::string details = {}) {
  JunitCase c;
  c.name = std::move(name);
  c.classname = "t.trn";
  c.seconds = 0.25;
  c.outcome = outcome;
  c.message = std::move(message);
  c.details = std::move(details);
  return c;
}

pugi::xml_document parse(const std::string& xml) {
  pugi::xml_document doc;
  const pugi::xml_parse_result ok = doc.load_string(xml.c_str());
  INFO(xml);
  REQUIRE_MESSAGE(ok, ok.description());
  return doc;
}

}  // namespace

TEST_CASE("junit: counts, names and times of suites and cases") {
  JunitSuite suite;
  suite.name = "trnsim.check";
  suite.seconds = 1.5;
  suite.cases = {make_case("parse", JunitCase::Outcome::kPassed),
                 make_case("static checks", JunitCase::Outcome::kFailed, "t.trn:3:1: error: x",
                           "t.trn:3:1: error: x\n  line\n  ^\n"),
                 make_case("races", JunitCase::Outcome::kSkipped, "--static")};
  const pugi::xml_document doc = parse(to_junit_xml({suite}));

  const pugi::xml_node all = doc.child("testsuites");
  CHECK(all.attribute("tests").as_int() == 3);
  CHECK(all.attribute("failures").as_int() == 1);
  CHECK(all.attribute("skipped").as_int() == 1);
  CHECK(all.attribute("errors").as_int() == 0);
  CHECK(std::string(all.attribute("time").value()) == "1.500");

  const pugi::xml_node s = all.child("testsuite");
  CHECK(std::string(s.attribute("name").value()) == "trnsim.check");
  CHECK(s.attribute("tests").as_int() == 3);
  CHECK(s.attribute("failures").as_int() == 1);
  CHECK(s.attribute("skipped").as_int() == 1);

  std::vector<std::string> names;
  for (pugi::xml_node c : s.children("testcase")) {
    names.push_back(c.attribute("name").value());
    CHECK(std::string(c.attribute("classname").value()) == "t.trn");
    CHECK(std::string(c.attribute("time").value()) == "0.250");
  }
  CHECK(names == std::vector<std::string>{"parse", "static checks", "races"});

  const pugi::xml_node failure =
      s.find_child_by_attribute("testcase", "name", "static checks").child("failure");
  CHECK(std::string(failure.attribute("message").value()) == "t.trn:3:1: error: x");
  CHECK(std::string(failure.text().get()) == "t.trn:3:1: error: x\n  line\n  ^\n");
  CHECK(std::string(s.find_child_by_attribute("testcase", "name", "races")
                        .child("skipped")
                        .attribute("message")
                        .value()) == "--static");
  CHECK_FALSE(s.find_child_by_attribute("testcase", "name", "parse").first_child());
}

TEST_CASE("junit: markup characters, newlines and control bytes survive a round trip") {
  const std::string nasty = "a<b & c>\"d\" 'e'\nsecond\tline";
  JunitSuite suite;
  suite.name = "<&\">";
  suite.cases = {make_case(nasty, JunitCase::Outcome::kFailed, nasty, nasty + "\n")};
  const std::string xml = to_junit_xml({suite});
  const pugi::xml_document doc = parse(xml);
  const pugi::xml_node s = doc.child("testsuites").child("testsuite");
  CHECK(std::string(s.attribute("name").value()) == "<&\">");
  const pugi::xml_node c = s.child("testcase");
  // Attribute newlines and tabs as character references survive attribute normalisation.
  CHECK(std::string(c.attribute("name").value()) == nasty);
  CHECK(std::string(c.child("failure").attribute("message").value()) == nasty);
  CHECK(std::string(c.child("failure").text().get()) == nasty + "\n");
  CHECK(xml.find("a<b") == std::string::npos);
}

TEST_CASE("junit: xml_escape") {
  CHECK(xml_escape("<&>\"'", XmlContext::kText) == "&lt;&amp;&gt;&quot;&apos;");
  CHECK(xml_escape("a\nb\tc\rd", XmlContext::kText) == "a\nb\tc\rd");
  CHECK(xml_escape("a\nb\tc\rd", XmlContext::kAttribute) == "a&#10;b&#9;c&#13;d");
  // XML 1.0 cannot carry other control characters, nor bytes that are not UTF-8.
  CHECK(xml_escape(std::string("a\0b\x1b", 4), XmlContext::kText) ==
        "a\xEF\xBF\xBD"
        "b\xEF\xBF\xBD");
  CHECK(xml_escape("\xff\xc3", XmlContext::kText) == "\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(xml_escape("\xed\xa0\x80", XmlContext::kText) ==  // a UTF-16 surrogate
        "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  // Well-formed UTF-8 passes as it is.
  CHECK(xml_escape("\xc3\xa9 \xe2\x82\xac \xf0\x9f\x99\x82", XmlContext::kAttribute) ==
        "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x99\x82");
}

TEST_CASE("junit: an empty report is still a valid document") {
  const pugi::xml_document doc = parse(to_junit_xml({}));
  CHECK(doc.child("testsuites").attribute("tests").as_int() == 0);
}
