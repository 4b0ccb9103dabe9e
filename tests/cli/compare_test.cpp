// `trnsim compare`: the report printed, and the verdict as exit status (0 close,
// 3 mismatch, 2 bad input). Inputs are written with sim/io into a temporary directory.
#include <doctest/doctest.h>

#include <limits>

#include "cli_fixtures.h"
#include "io/npy.h"

using namespace trnsim;
using namespace trnsim::test;
using isa::DType;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();

std::string write_array(const TempDir& dir, const std::string& name, DType dtype,
                        std::vector<std::uint64_t> shape, const std::vector<float>& values) {
  const std::string path = dir.file(name);
  io::write_npy(path, io::make_array(dtype, std::move(shape), values));
  return path;
}

}  // namespace

TEST_CASE("compare: equal arrays exit 0, NaN in the same place included") {
  TempDir dir;
  const std::vector<float> values = {1.0f, -2.0f, kNaN, 0.0f, 1e30f, -7.5f};
  const std::string a = write_array(dir, "a.npy", DType::kFp32, {2, 3}, values);
  const std::string b = write_array(dir, "b.npy", DType::kFp32, {2, 3}, values);
  const RunResult r = expect_ok({"compare", a, b});
  CHECK(r.out == "compare:        " + a + " against " + b + ", shape (2, 3)\n" +
                     "elements:       6\n"
                     "max abs error:  0\n"
                     "max rel error:  0\n"
                     "mismatches:     0 of 6 (|a-b| > 1e-08 + 1e-05*|b|)\n");
  CHECK(r.err.empty());
}

TEST_CASE("compare: differences within the tolerances exit 0, dtypes may differ") {
  TempDir dir;
  // 100 + 2^-11 against 100: |a-b| = 0.00048828125 <= 1e-08 + 1e-05 * 100.
  const std::string a =
      write_array(dir, "a.npy", DType::kFp32, {3}, {1.0f, 100.00048828125f, 4.0f});
  const std::string b = write_array(dir, "b.npy", DType::kInt32, {3}, {1.0f, 100.0f, 4.0f});
  const RunResult r = expect_ok({"compare", a, b});
  CHECK(contains(r.out, "max abs error:  0.000488281 at [1] (a=100.00049, b=100)\n"));
  CHECK(contains(r.out, "max rel error:  4.88281e-06 at [1] (a=100.00049, b=100)\n"));
  // Tighter: the same pair is now a mismatch.
  expect_exit({"compare", a, b, "--rtol", "1e-6"}, 3);
  // a = 1 against the reference b = 1.1: |a-b| = 0.1 is beyond the defaults, within
  // rtol 0.1 (0.1 * |b| = 0.11) and within atol 0.2.
  const std::string c = write_array(dir, "c.npy", DType::kFp32, {1}, {1.0f});
  const std::string d = write_array(dir, "d.npy", DType::kFp32, {1}, {1.1f});
  expect_exit({"compare", c, d}, 3);
  expect_ok({"compare", c, d, "--rtol", "0.1"});
  expect_ok({"compare", c, d, "--atol", "0.2", "--rtol", "0"});
}

TEST_CASE("compare: a mismatch exits 3 and prints where and by how much") {
  TempDir dir;
  const std::string a =
      write_array(dir, "a.npy", DType::kFp32, {2, 3}, {1.0f, 2.0f, 3.0f, 4.0f, 5.0f, kNaN});
  const std::string b =
      write_array(dir, "b.npy", DType::kBf16, {2, 3}, {1.0f, 2.0f, 3.5f, 4.0f, 0.0f, 6.0f});
  const RunResult r = expect_exit({"compare", a, b}, 3);
  // [0, 2]: |3 - 3.5| = 0.5, relative 0.5 / 3.5; [1, 1]: |5 - 0| = 5, relative infinite;
  // [1, 2]: NaN against 6 is a mismatch with no error to rank.
  CHECK(r.out == "compare:        " + a + " against " + b + ", shape (2, 3)\n" +
                     "elements:       6\n"
                     "max abs error:  5 at [1, 1] (a=5, b=0)\n"
                     "max rel error:  inf at [1, 1] (a=5, b=0)\n"
                     "mismatches:     3 of 6 (|a-b| > 1e-08 + 1e-05*|b|)\n"
                     "first mismatches:\n"
                     "  [0, 2]  a=3  b=3.5\n"
                     "  [1, 1]  a=5  b=0\n"
                     "  [1, 2]  a=nan  b=6\n");
  CHECK(r.err.empty());
}

TEST_CASE("compare: at most 10 mismatches are listed, integers print whole") {
  TempDir dir;
  std::vector<float> x(15);
  std::vector<float> y(15);
  for (std::size_t i = 0; i < x.size(); ++i) {
    x[i] = static_cast<float>(i);
    y[i] = static_cast<float>(i + 1);
  }
  const std::string a = write_array(dir, "a.npy", DType::kInt32, {3, 5}, x);
  const std::string b = write_array(dir, "b.npy", DType::kInt16, {3, 5}, y);
  const RunResult r = expect_exit({"compare", a, b}, 3);
  // Every error is 1; relative 1/1 = 1 is largest at the first element.
  CHECK(contains(r.out,
                 "max abs error:  1 at [0, 0] (a=0, b=1)\n"
                 "max rel error:  1 at [0, 0] (a=0, b=1)\n"
                 "mismatches:     15 of 15 (|a-b| > 1e-08 + 1e-05*|b|)\n"
                 "first mismatches:\n"
                 "  [0, 0]  a=0  b=1\n"));
  CHECK(contains(r.out,
                 "  [1, 4]  a=9  b=10\n"
                 "  ... and 5 more\n"));
}

TEST_CASE("compare: bad input exits 2") {
  TempDir dir;
  const std::string a = write_array(dir, "a.npy", DType::kFp32, {2, 3}, std::vector<float>(6));
  const std::string b = write_array(dir, "b.npy", DType::kFp32, {3, 2}, std::vector<float>(6));
  RunResult r = expect_exit({"compare", a, b}, 2);
  CHECK(r.err == a + ": error: shape (2, 3) does not match shape (3, 2) of " + b + "\n");
  CHECK(r.out.empty());

  const std::string missing = dir.file("missing.npy");
  r = expect_exit({"compare", a, missing}, 2);
  CHECK(r.err == missing + ": error: cannot open: No such file or directory\n");

  const std::string text = dir.write("text.npy", "not numpy\n");
  expect_exit({"compare", text, a}, 2,
              {text + ": error: not a .npy file: expected the magic string \\x93NUMPY"});
}
