// Number literals shared by traces and configs (sim/common/number.h).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "common/number.h"

namespace trnsim {
namespace {

// The parsers by the type they fill, so one pair of helpers serves both.
bool parse(std::string_view text, std::uint64_t& v, std::string* error) {
  return parse_unsigned(text, v, error);
}
bool parse(std::string_view text, std::int64_t& v, std::string* error) {
  return parse_signed(text, v, error);
}

template <typename T>
T parsed(std::string_view text) {
  T v = 0;
  std::string error;
  INFO(std::string(text));
  CHECK(parse(text, v, &error));
  CHECK(error.empty());
  return v;
}

template <typename T>
std::string parse_error(std::string_view text) {
  T v = 7;
  std::string error;
  INFO(std::string(text));
  CHECK_FALSE(parse(text, v, &error));
  CHECK(v == 7);  // left alone on failure
  return error;
}

std::uint64_t unsigned_ok(std::string_view text) {
  return parsed<std::uint64_t>(text);
}
std::string unsigned_error(std::string_view text) {
  return parse_error<std::uint64_t>(text);
}
std::int64_t signed_ok(std::string_view text) {
  return parsed<std::int64_t>(text);
}
std::string signed_error(std::string_view text) {
  return parse_error<std::int64_t>(text);
}

double real_ok(std::string_view text) {
  double v = 0;
  INFO(std::string(text));
  CHECK(parse_real(text, v));
  return v;
}

bool real_fails(std::string_view text) {
  double v = 0;
  return !parse_real(text, v);
}

TEST_CASE("number: decimal and hex") {
  CHECK(unsigned_ok("0") == 0);
  CHECK(unsigned_ok("42") == 42);
  CHECK(unsigned_ok("00012") == 12);
  CHECK(unsigned_ok("0x0") == 0);
  CHECK(unsigned_ok("0xff") == 255);
  CHECK(unsigned_ok("0XfF") == 255);
  CHECK(unsigned_ok("0xDEADbeef") == 0xdeadbeef);
}

TEST_CASE("number: every size suffix") {
  CHECK(unsigned_ok("1K") == 1000);
  CHECK(unsigned_ok("1Ki") == 1024);
  CHECK(unsigned_ok("1M") == 1000000);
  CHECK(unsigned_ok("1Mi") == 1048576);
  CHECK(unsigned_ok("1G") == 1000000000);
  CHECK(unsigned_ok("1Gi") == 1073741824);
  CHECK(unsigned_ok("192Ki") == 192 * 1024);
  CHECK(unsigned_ok("0K") == 0);
  CHECK(unsigned_ok("1_024Ki") == 1024 * 1024);
}

TEST_CASE("number: suffixes that do not exist, and none on hex") {
  CHECK(unsigned_error("1k") == "invalid number '1k'");  // lower case
  CHECK(unsigned_error("1KiB") == "invalid number '1KiB'");
  CHECK(unsigned_error("4Kb") == "invalid number '4Kb'");
  CHECK(unsigned_error("1T") == "invalid number '1T'");
  CHECK(unsigned_error("K") == "invalid number 'K'");  // a suffix needs digits
  CHECK(unsigned_error("Ki") == "invalid number 'Ki'");
  CHECK(unsigned_error("0x10K") == "invalid number '0x10K'");
}

TEST_CASE("number: '_' goes between digits only") {
  CHECK(unsigned_ok("64_000") == 64000);
  CHECK(unsigned_ok("1_2_3") == 123);
  CHECK(unsigned_ok("0x1_0000") == 0x10000);
  CHECK(unsigned_error("1__0") == "misplaced '_' in number '1__0'");
  CHECK(unsigned_error("_1") == "misplaced '_' in number '_1'");
  CHECK(unsigned_error("0x_1") == "misplaced '_' in number '0x_1'");
  // A trailing '_' is rejected too (worded as an invalid number).
  CHECK_FALSE(unsigned_error("1_").empty());
  CHECK_FALSE(unsigned_error("0x1_").empty());
  CHECK_FALSE(unsigned_error("1_K").empty());
}

TEST_CASE("number: not numbers") {
  CHECK(unsigned_error("") == "expected a number");
  CHECK(unsigned_error("0x") == "invalid number '0x'");
  CHECK(unsigned_error("-1") == "invalid number '-1'");
  CHECK(unsigned_error("+1") == "invalid number '+1'");
  CHECK(unsigned_error("1 ") == "invalid number '1 '");
  CHECK(unsigned_error("1.5") == "invalid number '1.5'");
  CHECK(unsigned_error("abc") == "invalid number 'abc'");
}

TEST_CASE("number: unsigned overflow, with and without a suffix") {
  CHECK(unsigned_ok("18446744073709551615") == std::numeric_limits<std::uint64_t>::max());
  CHECK(unsigned_ok("0xffff_ffff_ffff_ffff") == std::numeric_limits<std::uint64_t>::max());
  CHECK(unsigned_error("18446744073709551616") == "number '18446744073709551616' is too large");
  CHECK(unsigned_error("0x1_0000_0000_0000_0000") ==
        "number '0x1_0000_0000_0000_0000' is too large");
  // (2^34 - 1) Gi fits; 2^34 Gi is 2^64.
  CHECK(unsigned_ok("17179869183Gi") == 17179869183ull << 30);
  CHECK(unsigned_error("17179869184Gi") == "number '17179869184Gi' is too large");
  CHECK(unsigned_error("18446744073709552K") == "number '18446744073709552K' is too large");
}

TEST_CASE("number: the error text is optional") {
  std::uint64_t u = 0;
  CHECK_FALSE(parse_unsigned("x", u));
  std::int64_t s = 0;
  CHECK_FALSE(parse_signed("x", s));
  double r = 0;
  CHECK_FALSE(parse_real("x", r));
}

TEST_CASE("number: signed limits") {
  CHECK(signed_ok("9223372036854775807") == std::numeric_limits<std::int64_t>::max());
  CHECK(signed_ok("-9223372036854775808") == std::numeric_limits<std::int64_t>::min());
  CHECK(signed_error("9223372036854775808") == "number '9223372036854775808' is out of range");
  CHECK(signed_error("-9223372036854775809") == "number '-9223372036854775809' is out of range");
  CHECK(signed_error("+9223372036854775808") == "number '+9223372036854775808' is out of range");
}

TEST_CASE("number: signed forms") {
  CHECK(signed_ok("-0") == 0);
  CHECK(signed_ok("+5") == 5);
  CHECK(signed_ok("-0x10") == -16);
  CHECK(signed_ok("-1Ki") == -1024);
  CHECK(signed_ok("-64_000") == -64000);
  CHECK(signed_error("-") == "expected a number");
  CHECK_FALSE(signed_error("--1").empty());
  CHECK_FALSE(signed_error("+-1").empty());
  CHECK_FALSE(signed_error("- 1").empty());
}

// Known bug, reported: a signed number's error quotes it without its sign. Remove
// should_fail once number.cpp quotes the whole text.
TEST_CASE("number: a signed error quotes the whole number" * doctest::should_fail()) {
  CHECK(signed_error("-1_") == "invalid number '-1_'");
}

TEST_CASE("number: reals") {
  CHECK(real_ok("1.5") == 1.5);
  CHECK(real_ok("-2e-3") == -0.002);
  CHECK(real_ok("2.5E+4") == 25000.0);
  CHECK(real_ok("0.1") == 0.1);
  CHECK(real_ok(".5") == 0.5);
  CHECK(real_ok("1.") == 1.0);
  CHECK(real_ok("-0.0") == 0.0);
  CHECK(std::signbit(real_ok("-0.0")));
  CHECK(real_ok("inf") == std::numeric_limits<double>::infinity());
  CHECK(real_ok("+inf") == std::numeric_limits<double>::infinity());
  CHECK(real_ok("-inf") == -std::numeric_limits<double>::infinity());
  CHECK(std::isnan(real_ok("nan")));
  // Every integer form reads as a real too.
  CHECK(real_ok("1K") == 1000.0);
  CHECK(real_ok("0x10") == 16.0);
  CHECK(real_ok("1_000") == 1000.0);
  CHECK(real_ok("-1Ki") == -1024.0);
}

TEST_CASE("number: not reals") {
  CHECK(real_fails(""));
  CHECK(real_fails("abc"));
  CHECK(real_fails("1.5K"));  // suffixes are for integers
  CHECK(real_fails("1e"));
  CHECK(real_fails("1e400"));  // out of the double range
  CHECK(real_fails("-+1.5"));
  CHECK(real_fails("0x1p3"));
  double v = 0;
  std::string error;
  CHECK_FALSE(parse_real("1.5x", v, &error));
  CHECK(error == "invalid number '1.5x'");
}

// Known bug, reported: parse_real accepts a second sign ("--1.5" reads as 1.5). Remove
// should_fail once number.cpp rejects it.
TEST_CASE("number: a real has at most one sign" * doctest::should_fail()) {
  CHECK(real_fails("--1.5"));
  CHECK(real_fails("+-1.5"));
}

}  // namespace
}  // namespace trnsim
