// `check --junit` and `run --junit`: one test case per phase, failures carrying the
// diagnostics, the file written whatever the exit status.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include <pugixml.hpp>

#include "cli_fixtures.h"

using namespace trnsim::test;

namespace {

struct Report {
  pugi::xml_document doc;
  pugi::xml_node suite;
  std::vector<std::string> names;

  pugi::xml_node testcase(const std::string& name) const {
    return suite.find_child_by_attribute("testcase", "name", name.c_str());
  }
  std::string failure(const std::string& name) const {
    return testcase(name).child("failure").attribute("message").value();
  }
  std::string failure_text(const std::string& name) const {
    return testcase(name).child("failure").text().get();
  }
  int count(const char* what) const { return suite.attribute(what).as_int(); }
};

// Parses the JUnit file at `path`, which must hold one suite called `suite_name`.
void read_report(const std::string& path, const std::string& suite_name, Report& report) {
  REQUIRE_MESSAGE(std::filesystem::exists(path), "no report at " << path);
  const pugi::xml_parse_result ok = report.doc.load_file(path.c_str());
  INFO(read_text(path));
  REQUIRE_MESSAGE(ok, ok.description());
  const pugi::xml_node all = report.doc.child("testsuites");
  report.suite = all.child("testsuite");
  REQUIRE(report.suite);
  CHECK_FALSE(report.suite.next_sibling("testsuite"));
  CHECK(std::string(report.suite.attribute("name").value()) == suite_name);
  for (pugi::xml_node c : report.suite.children("testcase")) {
    report.names.push_back(c.attribute("name").value());
    CHECK(c.attribute("time").as_double(-1) >= 0);
  }
  CHECK(report.suite.attribute("time").as_double(-1) >= 0);
  CHECK(report.count("tests") == static_cast<int>(report.names.size()));
  CHECK(all.attribute("tests").as_int() == report.count("tests"));
  CHECK(all.attribute("failures").as_int() == report.count("failures"));
}

using Names = std::vector<std::string>;

}  // namespace

TEST_CASE("junit: check of a correct trace passes every phase") {
  TempDir dir;
  const std::string trace = dir.write("tile.trn", read_text(kTileTracePath));
  const std::string xml = dir.file("check.xml");
  const RunResult r = expect_ok({"check", "--junit", xml, trace});
  CHECK_FALSE(contains(r.out, "testsuite"));
  Report report;
  read_report(xml, "trnsim.check", report);
  CHECK(report.names == Names{"config", "parse", "static checks", "simulation", "run-time errors",
                              "races", "deadlock"});
  CHECK(report.count("failures") == 0);
  CHECK(report.count("skipped") == 0);
  CHECK(std::string(report.testcase("parse").attribute("classname").value()) == trace);
}

TEST_CASE("junit: check --static skips what needs a simulation") {
  TempDir dir;
  const std::string xml = dir.file("check.xml");
  expect_ok({"check", "--static", "--junit", xml, dir.write("t.trn", read_text(kTileTracePath))});
  Report report;
  read_report(xml, "trnsim.check", report);
  CHECK(report.count("skipped") == 4);
  CHECK(report.count("failures") == 0);
  CHECK(std::string(report.testcase("races").child("skipped").attribute("message").value()) ==
        "--static: not simulated");
}

TEST_CASE("junit: a failing phase names file:line and ends the report, exit codes unchanged") {
  TempDir dir;
  const std::string xml = dir.file("check.xml");

  const std::string oob = dir.write("oob.trn", kOutOfBoundsTrace);
  expect_exit({"check", "--junit", xml, oob}, 1);
  Report broken;
  read_report(xml, "trnsim.check", broken);
  CHECK(broken.names == Names{"config", "parse", "static checks"});
  CHECK(broken.count("failures") == 1);
  CHECK(broken.failure("static checks").starts_with(oob + ":3:"));
  // The body has the source line and caret, and the count the command printed.
  CHECK(contains(broken.failure_text("static checks"),
                 "  dma.q0: copy sbuf[0:128]@0x40000.bf16[512], hbm:X[0:128, 0:512]\n"));
  CHECK(contains(broken.failure_text("static checks"),
                 "1 error(s): the program breaks the rules of config 'trn2'"));

  const std::string bad = dir.write("bad.trn", kMalformedTrace);
  expect_exit({"check", "--junit", xml, bad}, 2);
  Report malformed;
  read_report(xml, "trnsim.check", malformed);
  CHECK(malformed.names == Names{"config", "parse"});
  CHECK(malformed.failure("parse").starts_with(bad + ":3:33: error:"));

  const std::string missing = dir.file("missing.trn");
  expect_exit({"check", "--junit", xml, missing}, 2, {missing + ": error: cannot open"});
  Report unreadable;
  read_report(xml, "trnsim.check", unreadable);
  CHECK(unreadable.failure("parse").starts_with(missing + ": error: cannot open"));

  expect_exit({"check", "--junit", xml, "--config", "no-such-chip", oob}, 2);
  Report config;
  read_report(xml, "trnsim.check", config);
  CHECK(config.names == Names{"config"});
  CHECK(contains(config.failure("config"), "no-such-chip"));
}

TEST_CASE("junit: check reports a data race in its own case") {
  TempDir dir;
  const std::string trace =
      dir.write("in_place_store_races_load.trn",
                read_text(TRNSIM_TEST_DATA_DIR "/programs/bad/in_place_store_races_load.trn"));
  const std::string xml = dir.file("check.xml");
  expect_exit({"check", "--junit", xml, trace}, 1);
  Report report;
  read_report(xml, "trnsim.check", report);
  CHECK(report.count("failures") == 1);
  CHECK(report.failure("races").starts_with(trace + ":10:14: error: data race (write after read)"));
  CHECK(contains(report.failure("races"), trace + ":11:35: note: the other access"));
  CHECK_FALSE(report.testcase("deadlock").child("failure"));
}

TEST_CASE("junit: run reports a deadlock as an unfinished run") {
  TempDir dir;
  const std::string trace = dir.write("dead.trn", R"(.trace 1
.sem a b
act: activation sbuf[0:128]@0x0.bf16[64], sbuf[0:128]@0x2000.bf16[64] wait(a >= 1) post(b += 1)
dve: tensor_copy sbuf[0:128]@0x4000.bf16[64], sbuf[0:128]@0x0.bf16[64] wait(b >= 1) post(a += 1)
)");
  const std::string xml = dir.file("run.xml");
  expect_exit({"run", "--junit", xml, trace}, 1);
  Report report;
  read_report(xml, "trnsim.run", report);
  CHECK(report.names ==
        Names{"config", "parse", "static checks", "simulation", "completion", "outputs"});
  CHECK(report.count("failures") == 1);
  CHECK(report.failure("completion").starts_with(trace + ":3:76: error: deadlock: stream act"));
  CHECK(contains(report.failure("completion"), trace + ":4:77: error: deadlock: stream dve"));
}

TEST_CASE("junit: run of a correct trace, with --check") {
  TempDir dir;
  const std::string trace = dir.write("tile.trn", read_text(kTileTracePath));
  const std::string xml = dir.file("run.xml");
  expect_ok({"run", "--check", "--junit", xml, trace}, {"instr   5\n"});
  Report report;
  read_report(xml, "trnsim.run", report);
  CHECK(report.names == Names{"config", "parse", "static checks", "simulation", "run-time errors",
                              "races", "completion", "outputs"});
  CHECK(report.count("failures") == 0);
}

TEST_CASE("junit: markup in a file name is escaped") {
  TempDir dir;
  const std::string trace = dir.write("odd<&\">.trn", kOutOfBoundsTrace);
  const std::string xml = dir.file("check.xml");
  expect_exit({"check", "--junit", xml, trace}, 1);
  CHECK(contains(read_text(xml), "odd&lt;&amp;&quot;&gt;.trn:3:"));
  Report report;
  read_report(xml, "trnsim.check", report);
  CHECK(report.failure("static checks").starts_with(trace + ":3:"));
  CHECK(std::string(report.testcase("parse").attribute("classname").value()) == trace);
}

TEST_CASE("junit: --junit needs a writable file, not stdout") {
  TempDir dir;
  const std::string trace = dir.write("tile.trn", read_text(kTileTracePath));
  expect_exit({"check", "--junit", "-", trace}, 2, {"--junit", "expected a file name"});
  const std::string nowhere = dir.file("no/such/dir/r.xml");
  expect_exit({"check", "--junit", nowhere, trace}, 2, {nowhere + ": error: cannot write"});
}
