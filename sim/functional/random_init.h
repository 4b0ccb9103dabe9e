// The numbers of `init=random(seed=S, dist=D)`, the same on every machine and compiler:
// splitmix64 for the bits, Box-Muller for the normal distribution, with its logarithm,
// sine and cosine computed here from IEEE 754 additions, multiplications and divisions only
// (never the C library's, whose last bit may differ between implementations).
// docs/numerics.md, "Random initialisation", states the algorithm exactly.
#pragma once

#include <cstdint>
#include <vector>

#include "isa/isa.h"
#include "trace/program.h"

namespace trnsim::functional {

// Element i of a tensor of `count` elements, in row-major order, as a double (before any
// rounding): uniform in [-1, 1) or standard normal.
std::vector<double> random_values(std::uint64_t seed, trace::Distribution dist,
                                  std::uint64_t count);

// The values a tensor declared with init=random holds: random_values rounded to fp32 and
// then to the tensor's dtype (numerics::round_to), as floats.
std::vector<float> random_tensor(const trace::TensorDecl& tensor);

}  // namespace trnsim::functional
