#include "io/npy.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "common/diagnostic.h"
#include "common/source_file.h"
#include "numerics/numerics.h"

namespace trnsim::io {

static_assert(std::endian::native == std::endian::little,
              ".npy data is little-endian and is copied as host integers");

namespace {

using isa::DType;

constexpr std::string_view kMagic{"\x93NUMPY", 6};
constexpr std::size_t kAlignment = 64;  // NumPy pads the header so the data starts aligned

// How a descr found in a file is read: into which dtype, from how many bytes per element.
struct ReadableDescr {
  std::string_view descr;
  DType dtype;
  std::uint32_t file_bytes;
};
constexpr std::array<ReadableDescr, 8> kReadable{{{"<f4", DType::kFp32, 4},
                                                  {"<f2", DType::kFp16, 2},
                                                  {"<f8", DType::kFp32, 8},
                                                  {"<i4", DType::kInt32, 4},
                                                  {"<i2", DType::kInt16, 2},
                                                  {"|i1", DType::kInt8, 1},
                                                  {"|u1", DType::kUint8, 1},
                                                  {"<i8", DType::kInt32, 8}}};

std::string_view descr_for_writing(DType t) {
  switch (t) {
    case DType::kFp16:
      return "<f2";
    case DType::kInt32:
      return "<i4";
    case DType::kInt16:
      return "<i2";
    case DType::kInt8:
      return "|i1";
    case DType::kUint8:
      return "|u1";
    case DType::kFp32:
    case DType::kBf16:
    case DType::kFp8e4:
    case DType::kFp8e5:
      break;
  }
  return "<f4";
}

[[noreturn]] void fail(const std::string& name, std::string message) {
  throw InputError(name, 0, 0, std::move(message));
}

template <typename T>
T load_le(std::string_view bytes, std::size_t at) {
  T v;
  std::memcpy(&v, bytes.data() + at, sizeof v);
  return v;
}

template <typename T>
void append_le(std::string& out, T v) {
  char b[sizeof v];
  std::memcpy(b, &v, sizeof v);
  out.append(b, sizeof v);
}

std::optional<std::uint64_t> checked_product(std::span<const std::uint64_t> factors) {
  std::uint64_t product = 1;
  for (const std::uint64_t f : factors) {
    if (__builtin_mul_overflow(product, f, &product)) return std::nullopt;
  }
  return product;
}

struct Header {
  std::string descr;
  bool fortran_order = false;
  std::vector<std::uint64_t> shape;
};

// The header is a Python dict literal, e.g.
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// with exactly these three keys; this reads that much Python and nothing more.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& name) : m_text(text), m_name(name) {
    while (!m_text.empty() && (m_text.back() == '\n' || m_text.back() == ' ')) {
      m_text.remove_suffix(1);
    }
  }

  Header parse() {
    Header h;
    bool seen[3] = {false, false, false};
    expect('{', "'{'");
    while (!accept('}')) {
      const std::string key = parse_string("a key");
      expect(':', "':'");
      int index = -1;
      if (key == "descr") {
        index = 0;
        h.descr = parse_string("a dtype string");
      } else if (key == "fortran_order") {
        index = 1;
        h.fortran_order = parse_bool();
      } else if (key == "shape") {
        index = 2;
        h.shape = parse_shape();
      } else {
        fail(m_name, fmt::format("malformed header: unexpected key '{}' (expected 'descr', "
                                 "'fortran_order' and 'shape')",
                                 key));
      }
      if (seen[index]) fail(m_name, fmt::format("malformed header: key '{}' appears twice", key));
      seen[index] = true;
      if (!accept(',')) {
        expect('}', "',' or '}'");
        break;
      }
    }
    skip_space();
    if (m_pos != m_text.size()) expected("the end of the header after '}'");
    constexpr const char* kKeys[] = {"descr", "fortran_order", "shape"};
    for (int i = 0; i < 3; ++i) {
      if (!seen[i]) {
        fail(m_name, fmt::format("malformed header: no '{}' key (expected 'descr', "
                                 "'fortran_order' and 'shape')",
                                 kKeys[i]));
      }
    }
    return h;
  }

 private:
  [[noreturn]] void expected(std::string_view what) const {
    // A header can be long (version 2.0) or not text at all: show only its start.
    constexpr std::size_t kShown = 200;
    const std::string_view shown = m_text.substr(0, kShown);
    fail(m_name, fmt::format("malformed header: expected {} at offset {} of {}{}", what, m_pos,
                             shown, m_text.size() > kShown ? "..." : ""));
  }

  void skip_space() {
    while (m_pos < m_text.size() && m_text[m_pos] == ' ')
      ++m_pos;
  }

  bool accept(char c) {
    skip_space();
    if (m_pos < m_text.size() && m_text[m_pos] == c) {
      ++m_pos;
      return true;
    }
    return false;
  }

  void expect(char c, std::string_view what) {
    if (!accept(c)) expected(what);
  }

  std::string parse_string(std::string_view what) {
    skip_space();
    if (m_pos >= m_text.size() || (m_text[m_pos] != '\'' && m_text[m_pos] != '"')) {
      expected(what);
    }
    const char quote = m_text[m_pos];
    const std::size_t end = m_text.find(quote, m_pos + 1);
    if (end == std::string_view::npos) expected("a closing quote");
    std::string s(m_text.substr(m_pos + 1, end - m_pos - 1));
    m_pos = end + 1;
    return s;
  }

  bool parse_bool() {
    skip_space();
    for (const bool value : {false, true}) {
      const std::string_view word = value ? "True" : "False";
      if (m_text.substr(m_pos).starts_with(word)) {
        m_pos += word.size();
        return value;
      }
    }
    expected("True or False");
  }

  std::vector<std::uint64_t> parse_shape() {
    std::vector<std::uint64_t> shape;
    expect('(', "a shape tuple");
    while (!accept(')')) {
      shape.push_back(parse_dimension());
      if (!accept(',')) {
        expect(')', "',' or ')'");
        break;
      }
    }
    return shape;
  }

  std::uint64_t parse_dimension() {
    skip_space();
    const std::size_t begin = m_pos;
    std::uint64_t value = 0;
    while (m_pos < m_text.size() && m_text[m_pos] >= '0' && m_text[m_pos] <= '9') {
      const auto digit = static_cast<std::uint64_t>(m_text[m_pos] - '0');
      if (__builtin_mul_overflow(value, 10, &value) ||
          __builtin_add_overflow(value, digit, &value)) {
        m_pos = begin;
        expected("a dimension below 2^64");
      }
      ++m_pos;
    }
    if (m_pos == begin) expected("a dimension (a non-negative integer)");
    return value;
  }

  std::string_view m_text;
  const std::string& m_name;
  std::size_t m_pos = 0;
};

std::string readable_descrs() {
  std::string list;
  for (const auto& r : kReadable)
    list += fmt::format("{}'{}'", list.empty() ? "" : ", ", r.descr);
  return list;
}

// '<f8' holds doubles: rounded to nearest even, and to infinity from FLT_MAX plus half an
// ulp on, as IEEE says (the bare cast would be undefined out there).
float narrow_to_float(double d) {
  constexpr double kOverflow = 0x1.ffffffp127;
  if (std::fabs(d) >= kOverflow) return std::copysign(std::numeric_limits<float>::infinity(), d);
  return static_cast<float>(d);
}

void convert_wide(const ReadableDescr& r, std::string_view data, Array& a,
                  const std::string& name) {
  const std::uint64_t count = data.size() / r.file_bytes;
  a.data.resize(count * isa::dtype_bytes(a.dtype));
  for (std::uint64_t i = 0; i < count; ++i) {
    if (r.descr == "<f8") {
      const float f = narrow_to_float(load_le<double>(data, i * 8));
      std::memcpy(a.data.data() + i * 4, &f, 4);
    } else {
      const auto v = load_le<std::int64_t>(data, i * 8);
      if (v < std::numeric_limits<std::int32_t>::min() ||
          v > std::numeric_limits<std::int32_t>::max()) {
        fail(name, fmt::format("element {} is {}, outside int32 (the range '<i8' data is "
                               "read into)",
                               i, v));
      }
      const auto narrow = static_cast<std::int32_t>(v);
      std::memcpy(a.data.data() + i * 4, &narrow, 4);
    }
  }
}

}  // namespace

std::uint64_t Array::element_count() const {
  return checked_product(shape).value_or(0);
}

std::vector<float> Array::to_floats() const {
  return numerics::decode(dtype, data);
}

std::vector<double> Array::to_doubles() const {
  if (dtype == DType::kInt32) {
    std::vector<double> out(data.size() / 4);
    for (std::size_t i = 0; i < out.size(); ++i) {
      std::int32_t v;
      std::memcpy(&v, data.data() + i * 4, 4);
      out[i] = v;
    }
    return out;
  }
  const std::vector<float> floats = to_floats();
  return {floats.begin(), floats.end()};
}

Array make_array(DType dtype, std::vector<std::uint64_t> shape, std::span<const float> values) {
  const std::optional<std::uint64_t> count = checked_product(shape);
  if (!count || *count != values.size()) {
    throw std::invalid_argument(
        fmt::format("make_array: {} values for shape {}", values.size(), shape_string(shape)));
  }
  return Array{std::move(shape), dtype, numerics::encode(dtype, values)};
}

std::string shape_string(std::span<const std::uint64_t> shape) {
  if (shape.size() == 1) return fmt::format("({},)", shape[0]);
  return fmt::format("({})", fmt::join(shape, ", "));
}

Array parse_npy(std::string_view bytes, const std::string& name) {
  // 1. Magic string and version.
  if (!bytes.starts_with(kMagic)) {
    fail(name, "not a .npy file: expected the magic string \\x93NUMPY at the start");
  }
  if (bytes.size() < kMagic.size() + 2) {
    fail(name, fmt::format("truncated header: the file has {} bytes", bytes.size()));
  }
  const auto major = static_cast<unsigned char>(bytes[6]);
  const auto minor = static_cast<unsigned char>(bytes[7]);
  if ((major != 1 && major != 2) || minor != 0) {
    fail(name,
         fmt::format("unsupported .npy format version {}.{}, expected 1.0 or 2.0", major, minor));
  }

  // 2. Header length (16 bits in 1.0, 32 in 2.0), then the header itself.
  const std::size_t prefix = major == 1 ? 10 : 12;
  if (bytes.size() < prefix) {
    fail(name, fmt::format("truncated header: the file has {} bytes, a version {}.0 header "
                           "needs at least {}",
                           bytes.size(), major, prefix));
  }
  const std::size_t header_end =
      prefix + (major == 1 ? load_le<std::uint16_t>(bytes, 8) : load_le<std::uint32_t>(bytes, 8));
  if (bytes.size() < header_end) {
    fail(name, fmt::format("truncated header: expected {} bytes of header, the file has {}",
                           header_end, bytes.size()));
  }
  const Header header = HeaderParser(bytes.substr(prefix, header_end - prefix), name).parse();

  // 3. What the header says must be something we read.
  const auto readable = std::find_if(kReadable.begin(), kReadable.end(),
                                     [&](const auto& r) { return r.descr == header.descr; });
  if (readable == kReadable.end()) {
    fail(name, fmt::format("unsupported dtype '{}', expected one of {}", header.descr,
                           readable_descrs()));
  }
  if (header.fortran_order) {
    fail(name,
         "fortran_order is True, expected False: only C-order arrays are read (save a "
         "C-order copy, e.g. numpy.ascontiguousarray(a))");
  }

  // 4. The data: exactly the bytes the shape needs.
  const std::string_view data = bytes.substr(header_end);
  const std::optional<std::uint64_t> count = checked_product(header.shape);
  std::uint64_t expected_bytes = 0;
  const bool too_large =
      !count || __builtin_mul_overflow(*count, readable->file_bytes, &expected_bytes);
  if (too_large || data.size() != expected_bytes) {
    fail(name, fmt::format("data is {} bytes, expected {} for shape {} of '{}'", data.size(),
                           too_large ? std::string("2^64 or more") : std::to_string(expected_bytes),
                           shape_string(header.shape), header.descr));
  }

  Array a;
  a.shape = header.shape;
  a.dtype = readable->dtype;
  if (readable->file_bytes == isa::dtype_bytes(a.dtype)) {
    const auto* first = reinterpret_cast<const std::byte*>(data.data());
    a.data.assign(first, first + data.size());
  } else {
    convert_wide(*readable, data, a, name);
  }
  return a;
}

Array read_npy(const std::string& path) {
  return parse_npy(read_file(path), path);
}

std::string format_npy(const Array& array) {
  if (array.data.size() != array.element_count() * isa::dtype_bytes(array.dtype)) {
    throw std::invalid_argument(fmt::format("format_npy: {} bytes for shape {} of {}",
                                            array.data.size(), shape_string(array.shape),
                                            isa::dtype_name(array.dtype)));
  }
  const std::string_view descr = descr_for_writing(array.dtype);
  const std::string dict = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
                                       descr, shape_string(array.shape));
  // The header length counts the padding and the final '\n'; 1.0 while it fits 16 bits.
  auto padded_length = [&](std::size_t prefix) {
    const std::size_t unpadded = prefix + dict.size() + 1;
    return (unpadded + kAlignment - 1) / kAlignment * kAlignment - prefix;
  };
  const bool v1 = padded_length(10) <= std::numeric_limits<std::uint16_t>::max();
  const std::size_t header_length = padded_length(v1 ? 10 : 12);

  std::string out(kMagic);
  out += static_cast<char>(v1 ? 1 : 2);
  out += '\0';
  if (v1) {
    append_le(out, static_cast<std::uint16_t>(header_length));
  } else {
    append_le(out, static_cast<std::uint32_t>(header_length));
  }
  out += dict;
  out.append(header_length - dict.size() - 1, ' ');
  out += '\n';
  if (descr == "<f4" && array.dtype != DType::kFp32) {
    for (const float f : array.to_floats())
      append_le(out, f);
  } else {
    out.append(reinterpret_cast<const char*>(array.data.data()), array.data.size());
  }
  return out;
}

void write_npy(const std::string& path, const Array& array) {
  const std::string bytes = format_npy(array);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (out) out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (out) out.close();
  if (!out) throw InputError(path, 0, 0, std::string("cannot write: ") + std::strerror(errno));
}

}  // namespace trnsim::io
