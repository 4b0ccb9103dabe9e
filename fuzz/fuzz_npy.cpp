#include <fmt/format.h>

#include "fuzz_targets.h"
#include "io/npy.h"

using trnsim::fuzz::PropertyViolation;

int fuzz_npy(const std::uint8_t* data, std::size_t size) {
  const std::string file = "fuzz.npy";
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  trnsim::io::Array array;
  try {
    array = trnsim::io::parse_npy(bytes, file);
  } catch (const trnsim::InputError& e) {
    // A .npy file has no lines: every error is about the whole file and names it.
    for (const auto& d : e.diagnostics().items()) {
      if (d.file != file) throw PropertyViolation("npy error does not name the file: " + d.message);
    }
    if (!e.diagnostics().has_errors()) throw PropertyViolation("InputError without a diagnostic");
    return 0;
  }
  if (array.data.size() != array.element_count() * trnsim::isa::dtype_bytes(array.dtype)) {
    throw PropertyViolation(fmt::format("array holds {} bytes for {} elements", array.data.size(),
                                        array.element_count()));
  }

  // Written again, the array reads back the same: shape, dtype and every byte.
  const std::string written = trnsim::io::format_npy(array);
  trnsim::io::Array again;
  try {
    again = trnsim::io::parse_npy(written, "written.npy");
  } catch (const trnsim::InputError& e) {
    throw PropertyViolation("format_npy output does not parse: " + e.diagnostics().to_string());
  }
  if (again.shape != array.shape || again.dtype != array.dtype || again.data != array.data) {
    throw PropertyViolation(fmt::format("round trip changed the array: shape {} -> {}",
                                        trnsim::io::shape_string(array.shape),
                                        trnsim::io::shape_string(again.shape)));
  }
  return 0;
}
