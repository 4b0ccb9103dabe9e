#include "stats/roofline.h"

#include <algorithm>

namespace trnsim::stats {

std::string_view bound_name(Bound b) {
  return b == Bound::kCompute ? "compute" : "memory";
}

Roofline make_roofline(double flops, double hbm_bytes, double seconds, double peak_flops_per_s,
                       double peak_hbm_bytes_per_s) {
  Roofline r;
  r.flops = flops;
  r.hbm_bytes = hbm_bytes;
  r.arithmetic_intensity = hbm_bytes > 0 ? flops / hbm_bytes : 0;
  r.peak_flops_per_s = peak_flops_per_s;
  r.peak_hbm_bytes_per_s = peak_hbm_bytes_per_s;
  r.ridge_intensity = peak_hbm_bytes_per_s > 0 ? peak_flops_per_s / peak_hbm_bytes_per_s : 0;
  r.bound_flops_per_s = std::min(peak_flops_per_s, r.arithmetic_intensity * peak_hbm_bytes_per_s);
  r.achieved_flops_per_s = seconds > 0 ? flops / seconds : 0;
  r.fraction_of_bound = r.bound_flops_per_s > 0 ? r.achieved_flops_per_s / r.bound_flops_per_s : 0;
  r.bound = r.arithmetic_intensity >= r.ridge_intensity ? Bound::kCompute : Bound::kMemory;
  return r;
}

}  // namespace trnsim::stats
