// `trnsim compare`: check a result array against a reference, elementwise, with
// numpy.isclose's rule; the verdict is the exit status (0 close, 3 mismatch).
#include <cmath>
#include <iostream>
#include <limits>
#include <memory>

#include <fmt/format.h>

#include "cli/commands.h"
#include "io/npy.h"

namespace trnsim::cli {

namespace {

struct CompareOptions {
  std::string a;
  std::string b;
  double rtol = 1e-5;  // numpy.isclose's defaults
  double atol = 1e-8;
};

constexpr std::size_t kMismatchesShown = 10;

struct Mismatch {
  std::uint64_t index;
  double a;
  double b;
};

struct Comparison {
  std::uint64_t elements = 0;
  double max_abs = 0.0;
  std::uint64_t max_abs_index = 0;
  double max_rel = 0.0;
  std::uint64_t max_rel_index = 0;
  std::uint64_t mismatch_count = 0;
  std::vector<Mismatch> first_mismatches;
};

// |a - b| / |b|, infinite when b is zero or infinite and a differs from it.
double relative_error(double abs_error, double b) {
  if (abs_error == 0.0) return 0.0;
  if (b == 0.0 || !std::isfinite(b)) return std::numeric_limits<double>::infinity();
  return abs_error / std::fabs(b);
}

// numpy.isclose for finite values; infinities are close only to themselves, NaN only to
// NaN (numpy's equal_nan=True). A one-sided NaN has no error to rank: it is a mismatch
// and takes no part in the maxima.
Comparison compare(const std::vector<double>& a, const std::vector<double>& b, double rtol,
                   double atol) {
  Comparison c;
  c.elements = a.size();
  for (std::uint64_t i = 0; i < a.size(); ++i) {
    const double x = a[i];
    const double y = b[i];
    bool close;
    if (std::isnan(x) || std::isnan(y)) {
      close = std::isnan(x) && std::isnan(y);
    } else {
      const double abs_error = x == y ? 0.0 : std::fabs(x - y);
      const bool finite = std::isfinite(x) && std::isfinite(y);
      close = finite ? abs_error <= atol + rtol * std::fabs(y) : x == y;
      const double rel_error = relative_error(abs_error, y);
      if (abs_error > c.max_abs) {
        c.max_abs = abs_error;
        c.max_abs_index = i;
      }
      if (rel_error > c.max_rel) {
        c.max_rel = rel_error;
        c.max_rel_index = i;
      }
    }
    if (!close) {
      ++c.mismatch_count;
      if (c.first_mismatches.size() < kMismatchesShown) c.first_mismatches.push_back({i, x, y});
    }
  }
  return c;
}

// The C-order multi-dimensional index of flat element `flat`, as "[1, 2]".
std::string index_string(std::uint64_t flat, const std::vector<std::uint64_t>& shape) {
  std::vector<std::uint64_t> index(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  return fmt::format("[{}]", fmt::join(index, ", "));
}

// A value as its array holds it: floats in their shortest exact form, integers whole.
std::string value_string(double v, isa::DType t) {
  if (isa::dtype_is_float(t)) return fmt::format("{}", static_cast<float>(v));
  return fmt::format("{}", static_cast<std::int64_t>(v));
}

std::string report(const CompareOptions& opts, const io::Array& a, const io::Array& b,
                   const std::vector<double>& av, const std::vector<double>& bv,
                   const Comparison& c) {
  auto where = [&](std::uint64_t i) {
    return fmt::format("at {} (a={}, b={})", index_string(i, a.shape), value_string(av[i], a.dtype),
                       value_string(bv[i], b.dtype));
  };
  auto maximum = [&](double error, std::uint64_t i) {
    return error == 0.0 ? std::string("0") : fmt::format("{:.6g} {}", error, where(i));
  };
  std::string out;
  out += fmt::format("compare:        {} against {}, shape {}\n", opts.a, opts.b,
                     io::shape_string(a.shape));
  out += fmt::format("elements:       {}\n", c.elements);
  out += fmt::format("max abs error:  {}\n", maximum(c.max_abs, c.max_abs_index));
  out += fmt::format("max rel error:  {}\n", maximum(c.max_rel, c.max_rel_index));
  out += fmt::format("mismatches:     {} of {} (|a-b| > {} + {}*|b|)\n", c.mismatch_count,
                     c.elements, opts.atol, opts.rtol);
  if (c.mismatch_count == 0) return out;
  out += "first mismatches:\n";
  for (const Mismatch& m : c.first_mismatches) {
    out += fmt::format("  {}  a={}  b={}\n", index_string(m.index, a.shape),
                       value_string(m.a, a.dtype), value_string(m.b, b.dtype));
  }
  if (c.mismatch_count > c.first_mismatches.size()) {
    out += fmt::format("  ... and {} more\n", c.mismatch_count - c.first_mismatches.size());
  }
  return out;
}

}  // namespace

void add_compare_command(CLI::App& app, CliContext& ctx) {
  auto opts = std::make_shared<CompareOptions>();
  CLI::App* cmd = add_command(
      app, "compare", "Compare two .npy arrays elementwise: a result against a reference",
      "a and b are close when |a - b| <= atol + rtol * |b| (numpy.isclose; B is the\n"
      "reference). NaN in the same place on both sides counts as equal; NaN on one side is\n"
      "a mismatch; an infinity is close only to the same infinity. Shapes must match;\n"
      "dtypes may differ. Exit status: 0 all close, 3 a mismatch, 2 bad input.\n\n"
      "Example:\n"
      "  trnsim compare out.npy expected.npy --rtol 1e-2 --atol 1e-3");
  cmd->add_option("a", opts->a, "The array to check (.npy)")->required()->type_name("A.npy");
  cmd->add_option("b", opts->b, "The reference array (.npy)")->required()->type_name("B.npy");
  cmd->add_option("--rtol", opts->rtol, "Relative tolerance (numpy.isclose's default)")
      ->default_str("1e-05")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--atol", opts->atol, "Absolute tolerance (numpy.isclose's default)")
      ->default_str("1e-08")
      ->check(CLI::NonNegativeNumber);
  on_selected(*cmd, ctx, [opts] {
    const io::Array a = io::read_npy(opts->a);
    const io::Array b = io::read_npy(opts->b);
    if (a.shape != b.shape) {
      throw InputError(opts->a, 0, 0,
                       fmt::format("shape {} does not match shape {} of {}",
                                   io::shape_string(a.shape), io::shape_string(b.shape), opts->b));
    }
    const std::vector<double> av = a.to_doubles();
    const std::vector<double> bv = b.to_doubles();
    const Comparison c = compare(av, bv, opts->rtol, opts->atol);
    std::cout << report(*opts, a, b, av, bv, c);
    return c.mismatch_count == 0 ? ExitCode::kOk : ExitCode::kRegressionMismatch;
  });
}

}  // namespace trnsim::cli
