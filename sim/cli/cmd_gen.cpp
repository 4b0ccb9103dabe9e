// `trnsim gen gemm`: write a generated workload trace (sim/gen).
#include <iostream>
#include <map>
#include <memory>
#include <vector>

#include "cli/commands.h"
#include "gen/gemm.h"
#include "gen/gemm_reference.h"
#include "io/npy.h"
#include "trace/printer.h"

namespace trnsim::cli {

namespace {

struct GemmCommandOptions {
  ConfigOptions config;
  std::uint64_t m = 0;
  std::uint64_t n = 0;
  std::uint64_t k = 0;
  std::string dtype = "bf16";
  std::string out_dtype;  // empty: the generator's default
  std::uint32_t cores = 1;
  std::uint64_t seed = 1;
  gen::Evacuation evacuation = gen::Evacuation::kAlternate;
  bool verbose = false;
  std::string output;
  std::string reference;
};

std::vector<std::string> dtype_names() {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < isa::kNumDTypes; ++i) {
    names.emplace_back(isa::dtype_name(static_cast<isa::DType>(i)));
  }
  return names;
}

void add_gemm_command(CLI::App& parent, CliContext& ctx) {
  auto opts = std::make_shared<GemmCommandOptions>();
  CLI::App* cmd = add_command(
      parent, "gemm", "Generate a tiled GEMM C[M,N] = A[M,K] * B[K,N] for the configured chip",
      "Example:\n"
      "  trnsim gen gemm --m 1024 --n 1024 --k 1024 --dtype bf16 --config trn2 -o gemm.trn");
  cmd->add_option("--m", opts->m, "Rows of A and C")->required()->check(CLI::PositiveNumber);
  cmd->add_option("--n", opts->n, "Columns of B and C")->required()->check(CLI::PositiveNumber);
  cmd->add_option("--k", opts->k, "Contraction size")->required()->check(CLI::PositiveNumber);
  cmd->add_option("--dtype", opts->dtype, "Input dtype of A and B")
      ->capture_default_str()
      ->check(CLI::IsMember(dtype_names()));
  cmd->add_option("--out-dtype", opts->out_dtype, "Dtype of C (default: the generator's)")
      ->check(CLI::IsMember(dtype_names()));
  cmd->add_option("--cores", opts->cores, "NeuronCores to split the work over")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seed", opts->seed, "Seed of the random input data")->capture_default_str();
  const std::map<std::string, gen::Evacuation> evacuations{
      {"alternate", gen::Evacuation::kAlternate},
      {"scalar", gen::Evacuation::kScalar},
      {"vector", gen::Evacuation::kVector}};
  cmd->add_option("--evacuation", opts->evacuation,
                  "Engines that copy results out of PSUM: alternate (scalar and vector in "
                  "turn), scalar, vector")
      ->transform(CLI::CheckedTransformer(evacuations))
      ->default_str("alternate");
  cmd->add_flag("-v,--verbose", opts->verbose, "Print the chosen schedule to stderr");
  cmd->add_option("--reference", opts->reference,
                  "Also write the expected C, computed in double from the same random inputs, "
                  "as a .npy file (docs/numerics.md)")
      ->type_name("FILE");
  add_config_options(*cmd, opts->config);
  add_output_option(*cmd, opts->output);
  on_selected(*cmd, ctx, [opts, &ctx] {
    const config::SystemConfig cfg = load_selected_config(ctx, opts->config);
    gen::GemmOptions gemm;
    gemm.m = opts->m;
    gemm.n = opts->n;
    gemm.k = opts->k;
    gemm.dtype = *isa::dtype_from_name(opts->dtype);
    if (!opts->out_dtype.empty()) gemm.out_dtype = *isa::dtype_from_name(opts->out_dtype);
    gemm.cores = opts->cores;
    gemm.seed = opts->seed;
    gemm.evacuation = opts->evacuation;
    if (opts->verbose) std::cerr << gen::describe(gen::plan_gemm(gemm, cfg));
    write_output(opts->output, trace::print_program(gen::gemm(gemm, cfg)));
    if (!opts->reference.empty()) io::write_npy(opts->reference, gen::gemm_reference(gemm));
    return ExitCode::kOk;
  });
}

}  // namespace

void add_gen_command(CLI::App& app, CliContext& ctx) {
  CLI::App* cmd = add_command_group(
      app, "gen", "Generate workload traces",
      "Example:\n"
      "  trnsim gen gemm --m 512 --n 512 --k 512 -o gemm.trn && trnsim check gemm.trn");
  add_gemm_command(*cmd, ctx);
}

}  // namespace trnsim::cli
