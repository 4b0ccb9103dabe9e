// Where a run sits against the roofline of the chips it used: is it limited by the tensor
// engines' peak or by what the HBM can deliver for its arithmetic intensity?
//
// A first-order model: one memory level (HBM) and one compute peak (the tensor engines, for
// the dtypes the matmuls used). SBUF reuse, the other engines and the network are left out.
#pragma once

#include <string_view>

namespace trnsim::stats {

enum class Bound { kCompute, kMemory };
std::string_view bound_name(Bound b);  // "compute", "memory"

struct Roofline {
  double flops = 0;
  double hbm_bytes = 0;             // read + written
  double arithmetic_intensity = 0;  // FLOP per HBM byte; 0 without HBM traffic
  double peak_flops_per_s = 0;      // tensor engines of the program's cores
  double peak_hbm_bytes_per_s = 0;  // HBM bandwidth x chips the program uses
  double ridge_intensity = 0;       // intensity at which the two roofs meet
  double bound_flops_per_s = 0;     // the roof at this intensity
  double achieved_flops_per_s = 0;
  double fraction_of_bound = 0;   // achieved / bound, 0 when the bound is 0
  Bound bound = Bound::kCompute;  // kCompute when the intensity reaches the ridge
};

Roofline make_roofline(double flops, double hbm_bytes, double seconds, double peak_flops_per_s,
                       double peak_hbm_bytes_per_s);

}  // namespace trnsim::stats
