// NumPy .npy files: the arrays that functional runs read as inputs and write as results,
// and that `trnsim compare` checks against references made with NumPy.
//
// Format versions 1.0 and 2.0, little-endian, C order. Read: '<f4', '<f2', '<i4', '<i2',
// '|i1', '|u1' as they are; '<f8' as fp32 (rounded to nearest even) and '<i8' as int32 (an
// element outside int32 is an error). Written: each dtype as its NumPy twin, except bf16,
// fp8e4 and fp8e5, which NumPy lacks: they are written as '<f4', exactly (docs/numerics.md,
// "Files"). Not supported: big-endian data, Fortran order, structured or object dtypes,
// version 3.0 headers; each is an error that says what was expected.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "isa/isa.h"

namespace trnsim::io {

// An n-dimensional array in memory, C order, elements little-endian and packed.
struct Array {
  std::vector<std::uint64_t> shape;  // empty for a 0-d array, which holds one element
  isa::DType dtype = isa::DType::kFp32;
  std::vector<std::byte> data;  // element_count() * dtype_bytes(dtype) bytes

  std::uint64_t element_count() const;
  std::vector<float> to_floats() const;
  // Exact for every dtype, int32 included (floats hold integers exactly only up to 2^24).
  std::vector<double> to_doubles() const;
};

// An array of `dtype` holding `values` rounded to that dtype (numerics::encode).
// values.size() must be the product of `shape`, else std::invalid_argument.
Array make_array(isa::DType dtype, std::vector<std::uint64_t> shape, std::span<const float> values);

// The shape as Python writes a tuple: "(2, 3)", "(4,)", "()".
std::string shape_string(std::span<const std::uint64_t> shape);

// Reads a .npy file. Throws InputError naming the file and what was expected: cannot open,
// not a .npy file, truncated or malformed header, unsupported version or dtype, Fortran
// order, data size not matching the shape.
Array read_npy(const std::string& path);
// The same for the bytes of a file; `name` stands for the file in errors.
Array parse_npy(std::string_view bytes, const std::string& name);

// The bytes of a version 1.0 file (2.0 when the header needs it), header padded to a
// multiple of 64 bytes as NumPy does.
std::string format_npy(const Array& array);
// Writes format_npy(array) to `path`; throws InputError naming the file when it cannot.
void write_npy(const std::string& path, const Array& array);

}  // namespace trnsim::io
