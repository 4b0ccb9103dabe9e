// Chip-to-chip network benchmark: a ring (or 2d, tree) all-reduce over all chips of a
// multi-chip preset, timed through the whole model. Prints wall time, the simulated time
// next to the alpha-beta bound, packets crossing links per second, and peak RSS.
//
// The scale target: a 64-chip all-reduce of 256 MiB per chip in <= 30 s and <= 4 GiB
// on the CI-class machine (2 cores, 24 GiB). Default: exactly that, on configs/trn2-64.yaml.
#include <chrono>
#include <cstdint>
#include <iostream>
#include <string>

#include <fmt/format.h>

#include "common/number.h"
#include "config/config_loader.h"
#include "gen/collectives.h"
#include "process_memory.h"
#include "sysc/system/simulation.h"
#include "trace/hbm_layout.h"

using namespace trnsim;

namespace {

constexpr double kTargetWallSeconds = 30;
constexpr double kTargetPeakBytes = 4.0 * (1ull << 30);

const char* verdict(bool ok) {
  return ok ? "met" : "NOT MET";
}

int run(int argc, char** argv) {
  std::string config = TRNSIM_SOURCE_DIR "/configs/trn2-64.yaml";
  std::string bytes_text = "256Mi";
  std::string algo = "ring";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--config" && has_value) {
      config = argv[++i];
    } else if (arg == "--bytes" && has_value) {
      bytes_text = argv[++i];
    } else if (arg == "--algo" && has_value) {
      algo = argv[++i];
    } else {
      std::cerr << "usage: trnsim_bench_network [--config FILE] [--bytes SIZE] "
                   "[--algo ring|2d|tree]\n";
      return 2;
    }
  }
  const config::SystemConfig cfg = config::load_config(config);
  gen::CollectiveOptions o;
  o.in_place = true;
  o.algo = algo == "2d"     ? gen::CollectiveAlgo::k2d
           : algo == "tree" ? gen::CollectiveAlgo::kTree
                            : gen::CollectiveAlgo::kRing;
  std::string error;
  if (!parse_unsigned(bytes_text, o.bytes, &error)) {
    std::cerr << "trnsim_bench_network: --bytes " << bytes_text << ": " << error << "\n";
    return 2;
  }
  const trace::Program program = gen::collective(o, cfg);
  const sysc::TensorAddresses tensors = trace::assign_tensor_addresses(program, cfg.hbm, nullptr);
  bench::reset_peak_resident();

  const auto t0 = std::chrono::steady_clock::now();
  const sysc::SimulationResult result = sysc::simulate(program, cfg, tensors);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!result.completed) {
    std::cerr << "trnsim_bench_network: the all-reduce did not complete\n";
    return 1;
  }
  const std::uint64_t peak = bench::peak_resident_bytes();
  const double n = cfg.system.chips;
  const double bound =
      2 * (n - 1) / n * static_cast<double>(o.bytes) / (cfg.link.bandwidth_gb_s * 1e9);
  const double packets = static_cast<double>(result.traffic.link_packets);

  fmt::print("network benchmark: {} all-reduce of {} per chip on {} ({} chips)\n", algo, bytes_text,
             cfg.name, cfg.system.chips);
  fmt::print("  DMA instructions         {}\n", program.instructions.size());
  fmt::print(
      "  simulated                {:.1f} us (ring bandwidth bound 2(n-1)/n S/B: {:.1f} us)\n",
      result.seconds * 1e6, bound * 1e6);
  fmt::print("  link traffic             {:.2f} GiB in {:.0f} packet hops\n",
             static_cast<double>(result.traffic.link_bytes) / (1ull << 30), packets);
  fmt::print("  wall seconds             {:.2f}   target <= {:.0f}   {}\n", wall,
             kTargetWallSeconds, verdict(wall <= kTargetWallSeconds));
  fmt::print("  packet hops/second       {:.2f} M\n", packets / wall / 1e6);
  fmt::print("  peak RSS                 {:.1f} MB   target <= {:.0f} MB   {}\n",
             static_cast<double>(peak) / 1e6, kTargetPeakBytes / 1e6,
             verdict(static_cast<double>(peak) <= kTargetPeakBytes));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "trnsim_bench_network: " << e.what() << "\n";
    return 1;
  }
}
