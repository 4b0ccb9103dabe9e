// .npy read and write: round trips for every dtype, files laid out byte for byte as NumPy
// writes them, and one exact message per kind of malformed file.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "common/diagnostic.h"
#include "io/npy.h"
#include "numerics/numerics.h"

using namespace trnsim;
using isa::DType;

namespace {

std::string bytes_of(const std::vector<float>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
}

// A version 1.0 file around `dict`, padded to 64 bytes; for headers NumPy would not write.
std::string npy_v1(const std::string& dict, const std::string& data) {
  const std::size_t length = (10 + dict.size() + 1 + 63) / 64 * 64 - 10;
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(length & 0xff);
  out += static_cast<char>(length >> 8);
  return out + dict + std::string(length - dict.size() - 1, ' ') + "\n" + data;
}

const std::string kF4Dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
const std::string kF4Data = bytes_of({0, 1, 2, 3, 4, 5});

// np.save(f, np.arange(6, dtype=np.float32).reshape(2, 3)): the 59-character dict,
// padded with 58 spaces and '\n' so that 10 + 118 = 128 bytes precede the data.
const std::string kNumpyF4 = std::string("\x93NUMPY\x01\x00\x76\x00", 10) + kF4Dict +
                             std::string(58, ' ') + "\n" +
                             std::string(
                                 "\x00\x00\x00\x00"
                                 "\x00\x00\x80\x3f"
                                 "\x00\x00\x00\x40"
                                 "\x00\x00\x40\x40"
                                 "\x00\x00\x80\x40"
                                 "\x00\x00\xa0\x40",
                                 24);

std::string parse_error(const std::string& bytes) {
  try {
    io::parse_npy(bytes, "bad.npy");
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

class TempFile {
 public:
  TempFile() {
    std::string pattern = (std::filesystem::temp_directory_path() / "trnsim-npy-XXXXXX").string();
    const int fd = ::mkstemp(pattern.data());
    REQUIRE(fd >= 0);
    ::close(fd);
    m_path = pattern;
  }
  ~TempFile() { std::filesystem::remove(m_path); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return m_path; }

 private:
  std::string m_path;
};

}  // namespace

TEST_CASE("a file as NumPy writes it reads back, and the writer makes the same bytes") {
  const io::Array a = io::parse_npy(kNumpyF4, "numpy.npy");
  CHECK(a.dtype == DType::kFp32);
  CHECK(a.shape == std::vector<std::uint64_t>{2, 3});
  CHECK(a.to_floats() == std::vector<float>{0, 1, 2, 3, 4, 5});
  CHECK(io::format_npy(a) == kNumpyF4);
}

TEST_CASE("every dtype round-trips through a file") {
  const std::vector<float> values = {0.0f, -1.5f, 2.25f, 100.0f, -7.0f, 3.0f};
  for (std::size_t i = 0; i < isa::kNumDTypes; ++i) {
    const auto t = static_cast<DType>(i);
    INFO(isa::dtype_name(t));
    std::vector<float> in = values;
    if (t == DType::kUint8) in[1] = in[4] = 1.0f;
    const io::Array a = io::make_array(t, {3, 2}, in);
    TempFile file;
    io::write_npy(file.path(), a);
    const io::Array b = io::read_npy(file.path());
    CHECK(b.shape == a.shape);
    CHECK(b.to_floats() == a.to_floats());
    // NumPy has no bf16 or fp8: those are written as '<f4' and come back as fp32.
    const bool widened = t == DType::kBf16 || t == DType::kFp8e4 || t == DType::kFp8e5;
    CHECK(b.dtype == (widened ? DType::kFp32 : t));
    if (!widened) CHECK(b.data == a.data);
  }
}

TEST_CASE("bf16 and fp8 are written as exactly converted '<f4'") {
  const std::vector<float> values = {1.0f + 1.0f / 128, -448.0f, 0.001953125f};
  const io::Array a = io::make_array(DType::kBf16, {3}, values);
  const std::string bytes = io::format_npy(a);
  CHECK(bytes.substr(10, 57) == "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }");
  CHECK(bytes.substr(128) == bytes_of(values));  // each exactly representable in bf16
}

TEST_CASE("shapes of any rank, the empty tuple included") {
  CHECK(io::shape_string(std::vector<std::uint64_t>{}) == "()");
  CHECK(io::shape_string(std::vector<std::uint64_t>{4}) == "(4,)");
  CHECK(io::shape_string(std::vector<std::uint64_t>{2, 3, 0}) == "(2, 3, 0)");

  const io::Array scalar = io::make_array(DType::kInt16, {}, std::vector<float>{-5.0f});
  const io::Array back = io::parse_npy(io::format_npy(scalar), "scalar.npy");
  CHECK(back.shape.empty());
  CHECK(back.element_count() == 1);
  CHECK(back.to_doubles() == std::vector<double>{-5.0});

  const io::Array empty = io::make_array(DType::kFp16, {2, 0}, std::vector<float>{});
  CHECK(io::parse_npy(io::format_npy(empty), "empty.npy").element_count() == 0);
  CHECK_THROWS_AS(io::make_array(DType::kFp32, {2, 2}, std::vector<float>{1.0f}),
                  std::invalid_argument);
}

TEST_CASE("a header longer than 64 KiB is written as version 2.0") {
  // 30000 dimensions of 1: "1, " each, 90000 characters of shape.
  const io::Array a{std::vector<std::uint64_t>(30000, 1), DType::kFp32, {}};
  io::Array one = a;
  one.data.resize(4);
  const std::string bytes = io::format_npy(one);
  CHECK(bytes[6] == 2);
  CHECK((bytes.size() - 4) % 64 == 0);
  CHECK(io::parse_npy(bytes, "v2.npy").shape.size() == 30000);
}

TEST_CASE("hand-made files of each readable dtype, versions 1.0 and 2.0") {
  SUBCASE("version 2.0, '<i2', shape (3,): header length 116 in 32 bits") {
    const std::string dict = "{'descr': '<i2', 'fortran_order': False, 'shape': (3,), }";
    const std::string file = std::string("\x93NUMPY\x02\x00\x74\x00\x00\x00", 12) + dict +
                             std::string(58, ' ') + "\n" +
                             std::string("\x01\x00\xff\xff\x00\x80", 6);
    const io::Array a = io::parse_npy(file, "v2.npy");
    CHECK(a.dtype == DType::kInt16);
    CHECK(a.to_doubles() == std::vector<double>{1, -1, -32768});
  }
  SUBCASE("'<f8' is read as fp32, rounded to nearest even") {
    const double values[] = {0.1, -1e300, 1.0 + std::ldexp(1.0, -24)};
    const io::Array a =
        io::parse_npy(npy_v1("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
                             std::string(reinterpret_cast<const char*>(values), sizeof values)),
                      "f8.npy");
    CHECK(a.dtype == DType::kFp32);
    const std::vector<float> f = a.to_floats();
    CHECK(f[0] == 0.1f);
    CHECK(f[1] == -std::numeric_limits<float>::infinity());
    CHECK(f[2] == 1.0f);  // the tie goes to the even mantissa
  }
  SUBCASE("'<i8' is read as int32") {
    const std::int64_t values[] = {-2147483648LL, 2147483647LL, 7};
    const io::Array a =
        io::parse_npy(npy_v1("{\"descr\": \"<i8\", \"shape\": (3,), \"fortran_order\": False}",
                             std::string(reinterpret_cast<const char*>(values), sizeof values)),
                      "i8.npy");
    CHECK(a.dtype == DType::kInt32);
    CHECK(a.to_doubles() == std::vector<double>{-2147483648.0, 2147483647.0, 7.0});
  }
  SUBCASE("'|i1', '|u1' and '<f2'") {
    CHECK(io::parse_npy(
              npy_v1("{'descr': '|i1', 'fortran_order': False, 'shape': (2,), }", "\xff\x05"),
              "i1.npy")
              .to_doubles() == std::vector<double>{-1, 5});
    CHECK(io::parse_npy(
              npy_v1("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", "\xff\x05"),
              "u1.npy")
              .to_doubles() == std::vector<double>{255, 5});
    // fp16 0x3c00 = 1, 0xc000 = -2.
    const io::Array h =
        io::parse_npy(npy_v1("{'descr': '<f2', 'fortran_order': False, 'shape': (1, 2), }",
                             std::string("\x00\x3c\x00\xc0", 4)),
                      "f2.npy");
    CHECK(h.dtype == DType::kFp16);
    CHECK(h.to_floats() == std::vector<float>{1.0f, -2.0f});
  }
}

TEST_CASE("malformed files: each error names the file and what was expected") {
  const std::string magic("\x93NUMPY", 6);
  CHECK(parse_error("hello, world") ==
        "bad.npy: error: not a .npy file: expected the magic string \\x93NUMPY at the start");
  CHECK(parse_error("") ==
        "bad.npy: error: not a .npy file: expected the magic string \\x93NUMPY at the start");
  CHECK(parse_error(magic + std::string("\x03\x00\x76\x00\x00\x00", 6) + "{}") ==
        "bad.npy: error: unsupported .npy format version 3.0, expected 1.0 or 2.0");
  CHECK(parse_error(magic + "\x01") == "bad.npy: error: truncated header: the file has 7 bytes");
  CHECK(parse_error(magic + std::string("\x01\x00\x76", 3)) ==
        "bad.npy: error: truncated header: the file has 9 bytes, a version 1.0 header needs at "
        "least 10");
  CHECK(parse_error(kNumpyF4.substr(0, 40)) ==
        "bad.npy: error: truncated header: expected 128 bytes of header, the file has 40");
  CHECK(
      parse_error(npy_v1("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", kF4Data)) ==
      "bad.npy: error: unsupported dtype '>f4', expected one of '<f4', '<f2', '<f8', '<i4', "
      "'<i2', '|i1', '|u1', '<i8'");
  CHECK(
      parse_error(npy_v1("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", kF4Data)) ==
      "bad.npy: error: fortran_order is True, expected False: only C-order arrays are read "
      "(save a C-order copy, e.g. numpy.ascontiguousarray(a))");
  CHECK(parse_error(kNumpyF4.substr(0, kNumpyF4.size() - 4)) ==
        "bad.npy: error: data is 20 bytes, expected 24 for shape (2, 3) of '<f4'");
  CHECK(parse_error(kNumpyF4 + "x") ==
        "bad.npy: error: data is 25 bytes, expected 24 for shape (2, 3) of '<f4'");
  CHECK(parse_error(npy_v1("{'descr': '<f4', 'fortran_order': False, 'shape': "
                           "(4294967296, 4294967296), }",
                           "")) ==
        "bad.npy: error: data is 0 bytes, expected 2^64 or more for shape (4294967296, "
        "4294967296) of '<f4'");
  CHECK(
      parse_error(npy_v1("{'descr' '<f4', 'fortran_order': False, 'shape': (2, 3), }", kF4Data)) ==
      "bad.npy: error: malformed header: expected ':' at offset 9 of {'descr' '<f4', "
      "'fortran_order': False, 'shape': (2, 3), }");
  CHECK(parse_error(
            npy_v1("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", kF4Data)) ==
        "bad.npy: error: malformed header: expected a dimension (a non-negative integer) at "
        "offset 54 of {'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }");
  CHECK(parse_error(npy_v1("{'descr': '<f4', 'fortran_order': False}", kF4Data)) ==
        "bad.npy: error: malformed header: no 'shape' key (expected 'descr', 'fortran_order' "
        "and 'shape')");
  CHECK(parse_error(npy_v1("{'descr': '<f4', 'order': 'C', 'shape': (6,)}", kF4Data)) ==
        "bad.npy: error: malformed header: unexpected key 'order' (expected 'descr', "
        "'fortran_order' and 'shape')");
  CHECK(parse_error(npy_v1("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, "
                           "'shape': (6,)}",
                           kF4Data)) ==
        "bad.npy: error: malformed header: key 'descr' appears twice");
  const std::int64_t too_big[] = {1, 1LL << 40};
  CHECK(parse_error(npy_v1("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }",
                           std::string(reinterpret_cast<const char*>(too_big), 16))) ==
        "bad.npy: error: element 1 is 1099511627776, outside int32 (the range '<i8' data is "
        "read into)");
}

TEST_CASE("files that cannot be opened or written name the file and the reason") {
  const std::string missing =
      (std::filesystem::temp_directory_path() / "trnsim-no-such-dir" / "x.npy").string();
  CHECK_THROWS_WITH(io::read_npy(missing),
                    (missing + ": error: cannot open: No such file or directory").c_str());
  const io::Array a = io::make_array(DType::kFp32, {1}, std::vector<float>{1.0f});
  CHECK_THROWS_WITH(io::write_npy(missing, a),
                    (missing + ": error: cannot write: No such file or directory").c_str());
}
