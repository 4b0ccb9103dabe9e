// `trnsim gen gemm|bmm|conv2d|tp-gemm|allreduce|...|softmax|layernorm|rmsnorm|mlp|attention|
// llama-layer`: write a generated workload trace (sim/gen).
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/commands.h"
#include "common/diagnostic.h"
#include "common/number.h"
#include "gen/attention.h"
#include "gen/collectives.h"
#include "gen/conv2d.h"
#include "gen/gemm.h"
#include "gen/gemm_reference.h"
#include "gen/llama.h"
#include "gen/mlp.h"
#include "gen/norms.h"
#include "gen/tp_gemm.h"
#include "io/npy.h"
#include "trace/printer.h"

namespace trnsim::cli {

namespace {

struct GemmCommandOptions {
  ConfigOptions config;
  std::uint64_t m = 0;
  std::uint64_t n = 0;
  std::uint64_t k = 0;
  std::uint32_t batch = 0;  // bmm only
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

// `gen gemm`, or with `batched` its batched form `gen bmm` (the same generator).
void add_gemm_command(CLI::App& parent, CliContext& ctx, bool batched) {
  auto opts = std::make_shared<GemmCommandOptions>();
  CLI::App* cmd =
      batched ? add_command(parent, "bmm",
                            "Generate a batched GEMM C[b] = A[b] * B[b] for b < batch, the batches "
                            "pipelined through the same buffers",
                            "Example:\n"
                            "  trnsim gen bmm --batch 32 --m 128 --n 128 --k 64 --cores 4 --config "
                            "trn2 -o bmm.trn")
              : add_command(
                    parent, "gemm",
                    "Generate a tiled GEMM C[M,N] = A[M,K] * B[K,N] for the configured chip",
                    "Example:\n"
                    "  trnsim gen gemm --m 1024 --n 1024 --k 1024 --dtype bf16 --config trn2 -o "
                    "gemm.trn");
  if (batched) {
    cmd->add_option("--batch", opts->batch,
                    "Independent products; AT, B and C gain a leading batch dimension")
        ->required()
        ->check(CLI::PositiveNumber);
  }
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
    gemm.batch = opts->batch;
    if (opts->verbose) std::cerr << gen::describe(gen::plan_gemm(gemm, cfg));
    write_output(opts->output, trace::print_program(gen::gemm(gemm, cfg)));
    if (!opts->reference.empty()) io::write_npy(opts->reference, gen::gemm_reference(gemm));
    return ExitCode::kOk;
  });
}

struct TpGemmCommandOptions {
  ConfigOptions config;
  std::uint64_t m = 0;
  std::uint64_t n = 0;
  std::uint64_t k = 0;
  std::uint32_t chips = 0;
  std::uint32_t chunks = 4;
  std::string dtype = "bf16";
  std::uint32_t cores = 1;
  std::string algo = "ring";
  std::uint32_t core = 0;
  std::uint64_t seed = 1;
  bool gemm_only = false;
  bool verbose = false;
  std::string output;
  std::string reference;
};

void add_tp_gemm_command(CLI::App& parent, CliContext& ctx) {
  auto opts = std::make_shared<TpGemmCommandOptions>();
  CLI::App* cmd = add_command(
      parent, "tp-gemm",
      "Generate a tensor-parallel GEMM Y = X W with K split over chips, whose all-reduce of "
      "each row chunk overlaps the GEMM of the next",
      "Example:\n"
      "  trnsim gen tp-gemm --m 1024 --n 1024 --k 4096 --chips 16 --chunks 4 --config trn2-16 "
      "-o tp-gemm.trn");
  cmd->add_option("--m", opts->m, "Rows of X and Y")->required()->check(CLI::PositiveNumber);
  cmd->add_option("--n", opts->n, "Columns of W and Y")->required()->check(CLI::PositiveNumber);
  cmd->add_option("--k", opts->k, "Contraction size, split evenly over the chips")
      ->required()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--chips", opts->chips, "Chips taking part (default: the config's system.chips)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--chunks", opts->chunks,
                  "Row chunks of Y, each all-reduced as soon as every core stored it")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--dtype", opts->dtype, "Input dtype of X and W (partials and Y are fp32)")
      ->capture_default_str()
      ->check(CLI::IsMember(dtype_names()));
  cmd->add_option("--cores", opts->cores, "NeuronCores of each chip sharing the GEMM")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--algo", opts->algo, "All-reduce algorithm: ring or 2d")
      ->capture_default_str()
      ->check(CLI::IsMember({"ring", "2d"}));
  cmd->add_option("--core", opts->core, "Core of each chip whose DMA queues run the all-reduce")
      ->capture_default_str();
  cmd->add_option("--seed", opts->seed, "Seed of the random inputs")->capture_default_str();
  cmd->add_flag("--gemm-only", opts->gemm_only,
                "Only the chunked GEMMs, without the all-reduce (to time them alone)");
  cmd->add_flag("-v,--verbose", opts->verbose, "Print the plan to stderr");
  cmd->add_option("--reference", opts->reference,
                  "Also write the expected C_c<c>_j<j> of every chip and chunk, computed in "
                  "double from the same random inputs, as DIR/C_c<c>_j<j>.npy")
      ->type_name("DIR");
  add_config_options(*cmd, opts->config);
  add_output_option(*cmd, opts->output);
  on_selected(*cmd, ctx, [opts, &ctx] {
    const config::SystemConfig cfg = load_selected_config(ctx, opts->config);
    gen::TpGemmOptions o;
    o.m = opts->m;
    o.n = opts->n;
    o.k = opts->k;
    o.chips = opts->chips;
    o.chunks = opts->chunks;
    o.dtype = *isa::dtype_from_name(opts->dtype);
    o.cores = opts->cores;
    o.algo = opts->algo == "2d" ? gen::CollectiveAlgo::k2d : gen::CollectiveAlgo::kRing;
    o.core = opts->core;
    o.seed = opts->seed;
    o.gemm_only = opts->gemm_only;
    if (opts->verbose) std::cerr << gen::describe(gen::plan_tp_gemm(o, cfg));
    write_output(opts->output, trace::print_program(gen::tp_gemm(o, cfg)));
    if (!opts->reference.empty()) {
      std::filesystem::create_directories(opts->reference);
      for (const auto& [name, array] : gen::tp_gemm_reference(o, cfg))
        io::write_npy(fmt::format("{}/{}.npy", opts->reference, name), array);
    }
    return ExitCode::kOk;
  });
}

struct CollectiveCommandOptions {
  ConfigOptions config;
  std::string algo;
  std::uint32_t chips = 0;
  std::string bytes;
  std::string dtype = "fp32";
  std::uint32_t core = 0;
  std::uint64_t seed = 1;
  std::string grid;
  bool in_place = false;
  bool verbose = false;
  std::string output;
  std::string reference;
};

// "XxY" with two positive integers.
bool parse_grid(const std::string& text, std::uint32_t& x, std::uint32_t& y) {
  const auto sep = text.find('x');
  if (sep == std::string::npos) return false;
  std::uint64_t a = 0, b = 0;
  if (!parse_unsigned(text.substr(0, sep), a) || !parse_unsigned(text.substr(sep + 1), b))
    return false;
  if (a == 0 || b == 0 || a > 65535 || b > 65535) return false;
  x = static_cast<std::uint32_t>(a);
  y = static_cast<std::uint32_t>(b);
  return true;
}

void add_collective_command(CLI::App& parent, CliContext& ctx, gen::Collective collective,
                            const std::string& description, const std::vector<std::string>& algos,
                            const std::string& example) {
  auto opts = std::make_shared<CollectiveCommandOptions>();
  const std::string name(gen::collective_name(collective));
  CLI::App* cmd = add_command(parent, name, description, "Example:\n  " + example);
  cmd->add_option("--algo", opts->algo,
                  fmt::format("Algorithm: {} (default: {})", fmt::join(algos, ", "), algos[0]))
      ->type_name("ALGO")
      ->check(CLI::IsMember(algos));
  cmd->add_option("--chips", opts->chips, "Chips taking part (default: the config's system.chips)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--bytes", opts->bytes,
                  "Bytes of one chip's full buffer (suffixes K, Ki, M, Mi, G, Gi: 256Mi)")
      ->required()
      ->type_name("SIZE");
  cmd->add_option("--dtype", opts->dtype, "Element type")
      ->capture_default_str()
      ->check(CLI::IsMember({"fp32", "bf16"}));
  cmd->add_option("--core", opts->core, "Core of each chip whose DMA queues move the data")
      ->capture_default_str();
  cmd->add_option("--seed", opts->seed, "Seed of the random inputs (chip c uses seed + c)")
      ->capture_default_str();
  cmd->add_option("--grid", opts->grid,
                  "Chip grid of --algo 2d as XxY: rows of X consecutive chips (default: the "
                  "config's torus)")
      ->type_name("XxY");
  cmd->add_flag("--in-place", opts->in_place,
                "allreduce: reduce Y<c> in place (it holds the input; no X<c>, no initial copy)");
  cmd->add_flag("-v,--verbose", opts->verbose,
                "Print the plan (steps, bytes, chip order) to stderr");
  cmd->add_option("--reference", opts->reference,
                  "Also write the expected Y<c> of every chip, computed in double from the same "
                  "random inputs, as DIR/Y<c>.npy")
      ->type_name("DIR");
  add_config_options(*cmd, opts->config);
  add_output_option(*cmd, opts->output);
  on_selected(*cmd, ctx, [opts, &ctx, collective, name] {
    const config::SystemConfig cfg = load_selected_config(ctx, opts->config);
    const std::string file = "gen " + name;
    gen::CollectiveOptions o;
    o.collective = collective;
    const std::map<std::string, gen::CollectiveAlgo> algos{
        {"ring", gen::CollectiveAlgo::kRing},
        {"tree", gen::CollectiveAlgo::kTree},
        {"2d", gen::CollectiveAlgo::k2d},
        {"direct", gen::CollectiveAlgo::kDirect}};
    if (!opts->algo.empty()) o.algo = algos.at(opts->algo);
    o.chips = opts->chips;
    std::string error;
    if (!parse_unsigned(opts->bytes, o.bytes, &error)) {
      throw InputError(file, 0, 0, fmt::format("--bytes {}: {}", opts->bytes, error));
    }
    o.dtype = *isa::dtype_from_name(opts->dtype);
    o.core = opts->core;
    o.seed = opts->seed;
    o.in_place = opts->in_place;
    if (!opts->grid.empty() && !parse_grid(opts->grid, o.grid_x, o.grid_y)) {
      throw InputError(
          file, 0, 0,
          fmt::format("--grid {}: expected XxY with two positive integers, e.g. 4x4", opts->grid));
    }
    if (opts->verbose) std::cerr << gen::describe(gen::plan_collective(o, cfg));
    write_output(opts->output, trace::print_program(gen::collective(o, cfg)));
    if (!opts->reference.empty()) {
      std::filesystem::create_directories(opts->reference);
      const auto arrays = gen::collective_reference(o, cfg);
      for (std::size_t c = 0; c < arrays.size(); ++c) {
        io::write_npy(fmt::format("{}/Y{}.npy", opts->reference, c), arrays[c]);
      }
    }
    return ExitCode::kOk;
  });
}

struct NormCommandOptions {
  ConfigOptions config;
  std::uint64_t rows = 0;
  std::uint64_t cols = 0;
  std::string dtype = "bf16";
  double eps = 1e-5;
  std::uint64_t seed = 1;
  bool transposed = false;
  bool verbose = false;
  std::string output;
  std::string reference;
};

void add_norm_command(CLI::App& parent, CliContext& ctx, gen::NormKind kind,
                      const std::string& description) {
  auto opts = std::make_shared<NormCommandOptions>();
  const std::string name(gen::norm_name(kind));
  CLI::App* cmd = add_command(
      parent, name, description,
      fmt::format("Example:\n  trnsim gen {} --rows 4096 --cols 4096 --config trn2 -o {}.trn", name,
                  name));
  cmd->add_option("--rows", opts->rows, "Rows of X and Y (R), 128 per tile")->required();
  cmd->add_option("--cols", opts->cols, "Columns (D): the normalised dimension")->required();
  cmd->add_option("--dtype", opts->dtype, "Dtype of X, Y and the parameters: bf16 or fp32")
      ->capture_default_str()
      ->check(CLI::IsMember(dtype_names()));
  if (kind != gen::NormKind::kSoftmax) {
    cmd->add_option("--eps", opts->eps, "Added to the variance before the inverse square root")
        ->capture_default_str();
  }
  cmd->add_option("--seed", opts->seed,
                  kind == gen::NormKind::kSoftmax
                      ? "Seed of the random X"
                      : "Seed of the random X; gamma uses seed + 1, beta seed + 2")
      ->capture_default_str();
  cmd->add_flag("--transposed", opts->transposed,
                "Write the result transposed, as YT [cols, rows] (transposed on the tensor "
                "engine)");
  cmd->add_flag("-v,--verbose", opts->verbose, "Print the chosen schedule to stderr");
  cmd->add_option("--reference", opts->reference,
                  "Also write the expected Y, computed in double from the same random inputs, "
                  "as a .npy file (docs/numerics.md)")
      ->type_name("FILE");
  add_config_options(*cmd, opts->config);
  add_output_option(*cmd, opts->output);
  on_selected(*cmd, ctx, [opts, &ctx, kind] {
    const config::SystemConfig cfg = load_selected_config(ctx, opts->config);
    gen::NormOptions o;
    o.kind = kind;
    o.rows = opts->rows;
    o.cols = opts->cols;
    o.dtype = *isa::dtype_from_name(opts->dtype);
    o.eps = opts->eps;
    o.seed = opts->seed;
    o.transposed = opts->transposed;
    if (opts->verbose) std::cerr << gen::describe(gen::plan_norm(o, cfg));
    write_output(opts->output, trace::print_program(gen::norm(o, cfg)));
    if (!opts->reference.empty()) io::write_npy(opts->reference, gen::norm_reference(o));
    return ExitCode::kOk;
  });
}

struct Conv2dCommandOptions {
  ConfigOptions config;
  std::uint64_t batch = 1;
  std::uint64_t in_channels = 0;
  std::uint64_t out_channels = 0;
  std::uint64_t height = 0;
  std::uint64_t width = 0;
  std::string kernel;
  std::uint64_t stride = 1;
  std::uint64_t padding = 0;
  std::string dtype = "bf16";
  std::uint32_t cores = 1;
  std::uint64_t seed = 1;
  bool verbose = false;
  std::string output;
  std::string reference;
};

// "R" (a square kernel) or "RxS", positive integers.
bool parse_kernel(const std::string& text, std::uint64_t& r, std::uint64_t& s) {
  const auto sep = text.find('x');
  if (sep == std::string::npos) {
    if (!parse_unsigned(text, r) || r == 0) return false;
    s = r;
    return true;
  }
  return parse_unsigned(text.substr(0, sep), r) && parse_unsigned(text.substr(sep + 1), s) &&
         r > 0 && s > 0;
}

void add_conv2d_command(CLI::App& parent, CliContext& ctx) {
  auto opts = std::make_shared<Conv2dCommandOptions>();
  CLI::App* cmd = add_command(
      parent, "conv2d",
      "Generate a 2-D convolution Y = conv(X, Wt) (NCHW) by implicit im2col: the tensor "
      "engine reads each kernel tap's shifted window of a zero-padded input tile",
      "Example:\n"
      "  trnsim gen conv2d --batch 1 --in-channels 256 --out-channels 256 --height 56 --width "
      "56 --kernel 3 --padding 1 --config trn2 -o conv.trn");
  cmd->add_option("--batch", opts->batch, "Images (N)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--in-channels", opts->in_channels, "Input channels (C)")
      ->required()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--out-channels", opts->out_channels, "Output channels (F)")
      ->required()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--height", opts->height, "Input height (H)")
      ->required()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--width", opts->width, "Input width (W)")
      ->required()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--kernel", opts->kernel, "Kernel size: R for R x R, or RxS")
      ->required()
      ->type_name("R[xS]");
  cmd->add_option("--stride", opts->stride, "Stride in both directions")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--padding", opts->padding, "Zeros added on every side")->capture_default_str();
  cmd->add_option("--dtype", opts->dtype, "Dtype of X, Wt and Y: bf16 or fp32")
      ->capture_default_str()
      ->check(CLI::IsMember(dtype_names()));
  cmd->add_option("--cores", opts->cores, "NeuronCores sharing the output blocks")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seed", opts->seed, "Seed of the random X; Wt uses seed + 1")
      ->capture_default_str();
  cmd->add_flag("-v,--verbose", opts->verbose, "Print the chosen tiling to stderr");
  cmd->add_option("--reference", opts->reference,
                  "Also write the expected Y, computed in double from the same random inputs, "
                  "as a .npy file (docs/numerics.md)")
      ->type_name("FILE");
  add_config_options(*cmd, opts->config);
  add_output_option(*cmd, opts->output);
  on_selected(*cmd, ctx, [opts, &ctx] {
    const config::SystemConfig cfg = load_selected_config(ctx, opts->config);
    gen::Conv2dOptions o;
    o.batch = opts->batch;
    o.in_channels = opts->in_channels;
    o.out_channels = opts->out_channels;
    o.height = opts->height;
    o.width = opts->width;
    if (!parse_kernel(opts->kernel, o.kernel_h, o.kernel_w)) {
      throw InputError("gen conv2d", 0, 0,
                       fmt::format("--kernel {}: expected R or RxS with positive integers, e.g. "
                                   "3 or 1x7",
                                   opts->kernel));
    }
    o.stride = opts->stride;
    o.padding = opts->padding;
    o.dtype = *isa::dtype_from_name(opts->dtype);
    o.cores = opts->cores;
    o.seed = opts->seed;
    if (opts->verbose) std::cerr << gen::describe(gen::plan_conv2d(o, cfg));
    write_output(opts->output, trace::print_program(gen::conv2d(o, cfg)));
    if (!opts->reference.empty()) io::write_npy(opts->reference, gen::conv2d_reference(o));
    return ExitCode::kOk;
  });
}

struct MlpCommandOptions {
  ConfigOptions config;
  std::uint64_t tokens = 0;
  std::uint64_t hidden = 0;
  std::uint64_t ffn = 0;
  std::string dtype = "bf16";
  std::string out_dtype;  // empty: the dtype
  std::uint32_t cores = 1;
  std::uint64_t seed = 1;
  bool verbose = false;
  std::string output;
  std::string reference;
};

void add_mlp_command(CLI::App& parent, CliContext& ctx) {
  auto opts = std::make_shared<MlpCommandOptions>();
  CLI::App* cmd = add_command(
      parent, "mlp",
      "Generate a SwiGLU MLP Y = (silu(X Wg) * (X Wu)) Wd, X stored transposed as XT [H, T]",
      "Example:\n"
      "  trnsim gen mlp --tokens 512 --hidden 1024 --ffn 2816 --config trn2 -o mlp.trn");
  cmd->add_option("--tokens", opts->tokens, "Tokens (T): rows of X and Y")->required();
  cmd->add_option("--hidden", opts->hidden, "Hidden size (H): columns of X and Y")->required();
  cmd->add_option("--ffn", opts->ffn, "FFN size (F): columns of Wg and Wu, rows of Wd")->required();
  cmd->add_option("--dtype", opts->dtype, "Dtype of XT, the weights and h: bf16, fp8e4 or fp32")
      ->capture_default_str()
      ->check(CLI::IsMember(dtype_names()));
  cmd->add_option("--out-dtype", opts->out_dtype, "Dtype of Y (default: --dtype)")
      ->check(CLI::IsMember(dtype_names()));
  cmd->add_option("--cores", opts->cores, "NeuronCores sharing the token blocks")
      ->capture_default_str();
  cmd->add_option("--seed", opts->seed,
                  "Seed of the random XT; Wg, Wu and Wd use seed + 1, + 2, + 3")
      ->capture_default_str();
  cmd->add_flag("-v,--verbose", opts->verbose, "Print the chosen schedule to stderr");
  cmd->add_option("--reference", opts->reference,
                  "Also write the expected Y, computed in double from the same random inputs "
                  "with h rounded to the dtype, as DIR/Y.npy (docs/numerics.md)")
      ->type_name("DIR");
  add_config_options(*cmd, opts->config);
  add_output_option(*cmd, opts->output);
  on_selected(*cmd, ctx, [opts, &ctx] {
    const config::SystemConfig cfg = load_selected_config(ctx, opts->config);
    gen::MlpOptions o;
    o.tokens = opts->tokens;
    o.hidden = opts->hidden;
    o.ffn = opts->ffn;
    o.dtype = *isa::dtype_from_name(opts->dtype);
    if (!opts->out_dtype.empty()) o.out_dtype = *isa::dtype_from_name(opts->out_dtype);
    o.cores = opts->cores;
    o.seed = opts->seed;
    if (opts->verbose) std::cerr << gen::describe(gen::plan_mlp(o, cfg));
    write_output(opts->output, trace::print_program(gen::mlp(o, cfg)));
    if (!opts->reference.empty()) {
      std::filesystem::create_directories(opts->reference);
      io::write_npy(opts->reference + "/Y.npy", gen::mlp_reference(o));
    }
    return ExitCode::kOk;
  });
}

struct AttentionCommandOptions {
  ConfigOptions config;
  std::uint64_t seq = 0;
  std::uint64_t kv_seq = 0;
  std::uint64_t head_dim = 128;
  std::uint64_t heads = 1;
  std::uint32_t cores = 1;
  bool causal = false;
  bool v_by_token = false;
  bool transposed_out = false;
  std::string dtype = "bf16";
  std::optional<double> scale;
  std::uint64_t seed = 1;
  bool verbose = false;
  std::string output;
  std::string reference;
};

void add_attention_command(CLI::App& parent, CliContext& ctx) {
  auto opts = std::make_shared<AttentionCommandOptions>();
  CLI::App* cmd = add_command(
      parent, "attention",
      "Generate flash-attention forward O = softmax(Q K^T * scale [+ causal mask]) V per head",
      "Example:\n  trnsim gen attention --seq 2048 --head-dim 128 --causal --config trn2 -o "
      "attention.trn");
  cmd->add_option("--seq", opts->seq, "Query length (L), a multiple of the partitions")->required();
  cmd->add_option("--kv-seq", opts->kv_seq, "Key and value length (default: --seq)");
  cmd->add_option("--head-dim", opts->head_dim, "Head dimension (d), e.g. 64 or 128")
      ->capture_default_str();
  cmd->add_option("--heads", opts->heads, "Heads (H), independent")->capture_default_str();
  cmd->add_option("--cores", opts->cores, "NeuronCores to spread the heads over")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--causal", opts->causal,
                "Mask keys after each query; with kv-seq > seq the queries are the last seq "
                "positions");
  cmd->add_flag("--v-by-token", opts->v_by_token,
                "V laid out by token, [kv-seq, heads*head-dim] (default: [heads*kv-seq, "
                "head-dim])");
  cmd->add_flag("--transposed-out", opts->transposed_out,
                "Write O transposed, as OT [heads*head-dim, seq]");
  cmd->add_option("--dtype", opts->dtype, "Dtype of Q, K, V and O: bf16 or fp32")
      ->capture_default_str()
      ->check(CLI::IsMember(dtype_names()));
  cmd->add_option("--scale", opts->scale, "Scale of the scores (default: 1/sqrt(head-dim))");
  cmd->add_option("--seed", opts->seed, "Seed of the random QT; KT uses seed + 1, V seed + 2")
      ->capture_default_str();
  cmd->add_flag("-v,--verbose", opts->verbose, "Print the chosen schedule to stderr");
  cmd->add_option("--reference", opts->reference,
                  "Also write the expected O, computed in double from the same random inputs, "
                  "as DIR/O.npy or DIR/OT.npy (docs/numerics.md)")
      ->type_name("DIR");
  add_config_options(*cmd, opts->config);
  add_output_option(*cmd, opts->output);
  on_selected(*cmd, ctx, [opts, &ctx] {
    const config::SystemConfig cfg = load_selected_config(ctx, opts->config);
    gen::AttentionOptions o;
    o.seq = opts->seq;
    o.kv_seq = opts->kv_seq;
    o.head_dim = opts->head_dim;
    o.heads = opts->heads;
    o.cores = opts->cores;
    o.causal = opts->causal;
    o.v_by_token = opts->v_by_token;
    o.transposed_out = opts->transposed_out;
    o.dtype = *isa::dtype_from_name(opts->dtype);
    o.scale = opts->scale;
    o.seed = opts->seed;
    if (opts->verbose) std::cerr << gen::describe(gen::plan_attention(o, cfg));
    write_output(opts->output, trace::print_program(gen::attention(o, cfg)));
    if (!opts->reference.empty()) {
      std::filesystem::create_directories(opts->reference);
      io::write_npy(fmt::format("{}/{}.npy", opts->reference, o.transposed_out ? "OT" : "O"),
                    gen::attention_reference(o));
    }
    return ExitCode::kOk;
  });
}

struct LlamaCommandOptions {
  ConfigOptions config;
  std::uint64_t tokens = 0;
  std::uint64_t hidden = 0;
  std::uint64_t heads = 0;
  std::uint64_t ffn = 0;
  bool decode = false;
  std::uint64_t cache = 0;
  std::string dtype = "bf16";
  std::uint32_t cores = 1;
  double eps = 1e-5;
  std::uint64_t seed = 1;
  bool verbose = false;
  std::string output;
  std::string reference;
};

void add_llama_command(CLI::App& parent, CliContext& ctx) {
  auto opts = std::make_shared<LlamaCommandOptions>();
  CLI::App* cmd = add_command(
      parent, "llama-layer",
      "Generate a Llama-style decoder layer (RMS norms, multi-head attention, SwiGLU MLP, "
      "residuals) as kernels joined through HBM",
      "Examples:\n"
      "  trnsim gen llama-layer --tokens 512 --hidden 1024 --heads 8 --ffn 2816 -o layer.trn\n"
      "  trnsim gen llama-layer --tokens 1 --hidden 1024 --heads 8 --ffn 2816 --decode "
      "--cache 1024 -o decode.trn");
  cmd->add_option("--tokens", opts->tokens, "Tokens (T): the prompt, or the new tokens of --decode")
      ->required();
  cmd->add_option("--hidden", opts->hidden, "Hidden size (D)")->required();
  cmd->add_option("--heads", opts->heads, "Attention heads (NH); head dim D / NH")->required();
  cmd->add_option("--ffn", opts->ffn, "MLP inner size (F)")->required();
  cmd->add_flag("--decode", opts->decode, "Attend over a KV cache of --cache earlier tokens");
  cmd->add_option("--cache", opts->cache, "Earlier tokens in the KV cache (S), with --decode");
  cmd->add_option("--dtype", opts->dtype, "Dtype of every tensor: bf16 or fp32")
      ->capture_default_str()
      ->check(CLI::IsMember(dtype_names()));
  cmd->add_option("--cores", opts->cores, "NeuronCores for the GEMMs, attention and the MLP")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--eps", opts->eps, "Added to the mean square of both RMS norms")
      ->capture_default_str();
  cmd->add_option("--seed", opts->seed,
                  "Seed of the random inputs: X, g1, Wq, Wk, Wv, Wo, g2, Wg, Wu, Wd (and "
                  "KT_cache, V_cache) take seed, seed + 1, ...")
      ->capture_default_str();
  cmd->add_flag("-v,--verbose", opts->verbose, "Print the stages and their schedules to stderr");
  cmd->add_option("--reference", opts->reference,
                  "Also write the expected OUT, computed in double from the same random inputs, "
                  "as DIR/OUT.npy (docs/numerics.md)")
      ->type_name("DIR");
  add_config_options(*cmd, opts->config);
  add_output_option(*cmd, opts->output);
  on_selected(*cmd, ctx, [opts, &ctx] {
    const config::SystemConfig cfg = load_selected_config(ctx, opts->config);
    gen::LlamaOptions o;
    o.tokens = opts->tokens;
    o.hidden = opts->hidden;
    o.heads = opts->heads;
    o.ffn = opts->ffn;
    o.decode = opts->decode;
    o.cache = opts->cache;
    o.dtype = *isa::dtype_from_name(opts->dtype);
    o.cores = opts->cores;
    o.eps = opts->eps;
    o.seed = opts->seed;
    if (opts->verbose) std::cerr << gen::describe(gen::plan_llama(o, cfg));
    write_output(opts->output, trace::print_program(gen::llama_layer(o, cfg)));
    if (!opts->reference.empty()) {
      std::filesystem::create_directories(opts->reference);
      io::write_npy(fmt::format("{}/OUT.npy", opts->reference), gen::llama_reference(o, cfg));
    }
    return ExitCode::kOk;
  });
}

}  // namespace

void add_gen_command(CLI::App& app, CliContext& ctx) {
  CLI::App* cmd = add_command_group(
      app, "gen", "Generate workload traces",
      "Example:\n"
      "  trnsim gen gemm --m 512 --n 512 --k 512 -o gemm.trn && trnsim check gemm.trn");
  add_gemm_command(*cmd, ctx, false);
  add_gemm_command(*cmd, ctx, true);
  add_conv2d_command(*cmd, ctx);
  add_tp_gemm_command(*cmd, ctx);
  add_collective_command(
      *cmd, ctx, gen::Collective::kAllReduce,
      "Generate an all-reduce: every chip ends with the element-wise sum of all chips' X",
      std::vector<std::string>{"ring", "tree", "2d"},
      "trnsim gen allreduce --algo ring --bytes 64Mi --config trn2-16 -o allreduce.trn");
  add_collective_command(
      *cmd, ctx, gen::Collective::kAllGather,
      "Generate an all-gather: every chip ends with all chips' X, in chip order",
      std::vector<std::string>{"ring", "2d"},
      "trnsim gen allgather --algo 2d --bytes 64Mi --config trn2-16 -o allgather.trn");
  add_collective_command(
      *cmd, ctx, gen::Collective::kReduceScatter,
      "Generate a reduce-scatter: chip c ends with shard c of the sum of all chips' X",
      std::vector<std::string>{"ring", "2d"},
      "trnsim gen reducescatter --bytes 64Mi --config trn2-16 -o reducescatter.trn");
  add_collective_command(
      *cmd, ctx, gen::Collective::kAllToAll,
      "Generate an all-to-all: chunk j of chip c's X goes to chunk c of chip j's Y",
      std::vector<std::string>{"direct"},
      "trnsim gen alltoall --bytes 16Mi --chips 8 --config trn3-64 -o alltoall.trn");
  add_norm_command(*cmd, ctx, gen::NormKind::kSoftmax,
                   "Generate a row-wise softmax Y = exp(X - max) / sum over each row of X");
  add_norm_command(*cmd, ctx, gen::NormKind::kLayerNorm,
                   "Generate a layer norm Y = (X - mean) / sqrt(var + eps) * gamma + beta per row");
  add_norm_command(*cmd, ctx, gen::NormKind::kRmsNorm,
                   "Generate an RMS norm Y = X / sqrt(mean(X^2) + eps) * gamma per row");
  add_mlp_command(*cmd, ctx);
  add_attention_command(*cmd, ctx);
  add_llama_command(*cmd, ctx);
}

}  // namespace trnsim::cli
