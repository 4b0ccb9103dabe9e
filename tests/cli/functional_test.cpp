// `trnsim run --functional`: output tensors written as .npy, input errors reported before
// the simulation, and generated GEMMs matching their references (`gen gemm --reference`).
#include <doctest/doctest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli_fixtures.h"
#include "io/npy.h"

using namespace trnsim;
using namespace trnsim::test;

namespace {

// Y = 2 * X + 1 with X = [[0, 1, 2], [3, 4, 5]] from iota; Y is bf16 (written as '<f4').
const std::string kAffineTrace = R"(.trace 1
.tensor Y hbm bf16 [2, 3] output
.tensor N hbm fp32 [1] output
.sem s_in s_out
pool:   iota sbuf[0:2]@0x0.fp32[3] base=0 pstep=3 post(s_in += 1)
act:    tensor_scalar sbuf[0:2]@0x40.bf16[3], sbuf[0:2]@0x0.fp32[3] op0=mul s0=2 op1=add s1=1 wait(s_in >= 1) post(s_out += 1)
dma.q0: copy hbm:Y, sbuf[0:2]@0x40.bf16[3] wait(s_out >= 1)
)";

}  // namespace

TEST_CASE("run --functional --dump-outputs writes each output tensor as DIR/NAME.npy") {
  TempDir dir;
  const std::string trace = dir.write("affine.trn", kAffineTrace);
  const std::string out = dir.file("out/nested");
  expect_ok({"run", "--functional", "--dump-outputs", out, trace});
  const io::Array y = io::read_npy(out + "/Y.npy");
  CHECK(y.dtype == isa::DType::kFp32);  // bf16 has no NumPy dtype
  CHECK(y.shape == std::vector<std::uint64_t>{2, 3});
  CHECK(y.to_floats() == std::vector<float>{1, 3, 5, 7, 9, 11});
  // N is never written: zeros, its default initial contents.
  CHECK(io::read_npy(out + "/N.npy").to_floats() == std::vector<float>{0});
}

TEST_CASE("run --dump-outputs needs --functional") {
  TempDir dir;
  const std::string trace = dir.write("affine.trn", kAffineTrace);
  expect_exit({"run", "--dump-outputs", dir.file("out"), trace}, 2, {"--functional"});
}

// In a process of its own: an exception thrown after SystemC threads have run upsets
// AddressSanitizer, so init errors are tested through the command line.
TEST_CASE("run --functional: a bad init file is an error on its .tensor line") {
  TempDir dir;
  io::write_npy(dir.file("x.npy"),
                io::make_array(isa::DType::kFp32, {2, 2}, std::vector<float>{1, 2, 3, 4}));
  const std::string missing = dir.write("missing.trn", R"(.trace 1
.tensor X hbm fp32 [2, 2] init=file("missing.npy")
sync:   nop
)");
  const RunResult r =
      expect_exit({"run", "--functional", missing}, 2,
                  {"missing.trn:2:1: error: init=file(\"missing.npy\") of tensor 'X': "});
  CHECK(r.out.empty());
  // A timing-only run never opens the file.
  expect_ok({"run", missing});
  // The path is relative to the trace's folder, and the shape must be the tensor's.
  const std::string shape = dir.write("shape.trn", R"(.trace 1
.tensor Y hbm fp32 [2, 2] init=file("x.npy")
.tensor X hbm fp32 [1, 4] init=file("x.npy")
sync:   nop
)");
  expect_exit({"run", "--functional", shape}, 2,
              {"shape.trn:3:1: error: init=file(\"x.npy\") of tensor 'X': the file holds shape "
               "(2, 2), the tensor is (1, 4)"});
}

TEST_CASE("run --functional: tensors larger than the machine's memory are an error, not a crash") {
  TempDir dir;
  // 1 TiB, the largest tensor a trace may declare, in an HBM made big enough to hold it.
  const std::string trace = dir.write("huge.trn", R"(.trace 1
.tensor Small hbm fp32 [16]
.tensor Huge hbm fp32 [262144, 1048576] init=random(seed=1)
sync:   nop
)");
  const RunResult r = expect_exit(
      {"run", "--functional", "--set", "hbm.capacity_bytes=2048Gi", trace}, 2,
      {"huge.trn:3:1: error: functional execution needs 1024.0 GiB for the tensors up to 'Huge', "
       "more than this machine's "});
  CHECK(r.out.empty());
  expect_ok({"run", "--set", "hbm.capacity_bytes=2048Gi", trace});  // timing only: no data
}

// Generated GEMMs C = A . B with N(0, 1) inputs, run functionally and compared with
// `gen gemm --reference` (exact sums in double, rounded to C's dtype) by `trnsim compare`,
// which accepts |sim - ref| <= atol + rtol * |ref|. The two differ by
//   1. the simulator's fp32 accumulation: each of the K - 1 additions rounds with relative
//      error at most u = 2^-24, so |error| <= (K - 1) * u * sum_k |a_k b_k|. With N(0, 1)
//      inputs sum_k |a_k b_k| is about K * 2/pi (245 for K = 384; allow 1.5x): at most
//      383 * 2^-24 * 368 = 0.0084;
//   2. the final rounding of both sides to C's dtype: the two can land one step of that
//      dtype apart, a step being at most 2^-7 |C| in bf16 (8 significant bits) and 2^-3 |C|
//      in fp8e4 (4 bits), and 2^-9 (fp8e4's smallest subnormal) near zero.
// So bf16: rtol = 0.01 (> 2^-7 = 0.0078), atol = 0.01 (> 0.0084); fp8e4: rtol = 0.13
// (> 2^-3), atol = 0.02 (> 0.0084 + 2^-9 = 0.0104).
TEST_CASE("functional GEMMs match their references within the derived tolerances") {
  struct Case {
    std::string dtype;
    std::string cores;
    std::string rtol;
    std::string atol;
  };
  const Case cases[] = {{"bf16", "1", "0.01", "0.01"},
                        {"bf16", "2", "0.01", "0.01"},
                        {"fp8e4", "1", "0.13", "0.02"},
                        {"fp8e4", "2", "0.13", "0.02"}};
  for (const Case& c : cases) {
    INFO(c.dtype << " on " << c.cores << " core(s)");
    TempDir dir;
    const std::string trace = dir.file("gemm.trn");
    const std::string ref = dir.file("ref.npy");
    expect_ok({"gen", "gemm", "--m", "256", "--n", "512", "--k", "384", "--dtype", c.dtype,
               "--cores", c.cores, "--seed", "3", "--reference", ref, "-o", trace});
    expect_ok({"run", "--functional", "--dump-outputs", dir.file("out"), trace});
    expect_ok({"compare", dir.file("out/C.npy"), ref, "--rtol", c.rtol, "--atol", c.atol},
              {"mismatches:     0 of 131072"});
    // The comparison can fail: a tolerance below one bf16 step rejects the bf16 results
    // (one step apart where the two roundings straddle a boundary).
    if (c.dtype == "bf16") {
      expect_exit({"compare", dir.file("out/C.npy"), ref, "--rtol", "0", "--atol", "0"}, 3);
    }
  }
}

// Generated softmax, layernorm and rmsnorm over N(0, 1) rows (gamma and beta N(0, 1) too),
// run functionally and compared with `--reference` (double throughout, rounded once). The
// simulator computes in fp32 (docs/numerics.md), so the two differ by
//   1. fp32 rounding inside: each element passes through a few roundings (u = 2^-24
//      relative each) and one row reduction of D = 512 terms (max, exp sums, bn_stats,
//      sums of squares: at most D * u = 3.1e-5 relative in the statistic, hence in the
//      scale applied to the row). Softmax and rmsnorm results are products and quotients,
//      so their error is relative: about 600 u < 4e-5 of |Y|. Layernorm subtracts the mean
//      as x * r + (-mean * r): the rounding of those two terms (|x| and |mean| below 5 for
//      N(0, 1) rows, r about 1, each rounded with error u) is an absolute error, times
//      |gamma| (below 5), of at most 4 * 5 * 5 * u = 6e-6 before beta is added;
//   2. the final rounding of both sides to Y's dtype, which can land one step apart: at most
//      2^-7 |Y| in bf16 (8 significant bits), 2^-23 |Y| in fp32.
// So bf16: rtol = 0.01 (> 2^-7 + 4e-5), atol = 1e-4 for layernorm (> 6e-6 with room) and
// 1e-6 for the others; fp32: rtol = 1e-4 (> 3.1e-5 + 2^-23, with the few extra roundings),
// atol as for bf16.
TEST_CASE("functional softmax, layernorm and rmsnorm match their references") {
  struct Case {
    std::string kind;
    std::string dtype;
    std::string rtol;
    std::string atol;
  };
  const Case cases[] = {
      {"softmax", "bf16", "0.01", "1e-6"},   {"layernorm", "bf16", "0.01", "1e-4"},
      {"rmsnorm", "bf16", "0.01", "1e-6"},   {"softmax", "fp32", "1e-4", "1e-6"},
      {"layernorm", "fp32", "1e-4", "1e-4"}, {"rmsnorm", "fp32", "1e-4", "1e-6"}};
  for (const Case& c : cases) {
    INFO(c.kind << " " << c.dtype);
    TempDir dir;
    const std::string trace = dir.file("norm.trn");
    const std::string ref = dir.file("ref.npy");
    // 300 rows: two full tiles of 128 and a partial one.
    expect_ok({"gen", c.kind, "--rows", "300", "--cols", "512", "--dtype", c.dtype, "--seed", "4",
               "--reference", ref, "-o", trace});
    expect_ok({"run", "--functional", "--dump-outputs", dir.file("out"), trace});
    expect_ok({"compare", dir.file("out/Y.npy"), ref, "--rtol", c.rtol, "--atol", c.atol},
              {"mismatches:     0 of 153600"});
    // The comparison can fail: against another seed's reference it does.
    expect_ok({"gen", c.kind, "--rows", "300", "--cols", "512", "--dtype", c.dtype, "--seed", "5",
               "--reference", dir.file("other.npy"), "-o", dir.file("other.trn")});
    expect_exit({"compare", dir.file("out/Y.npy"), dir.file("other.npy"), "--rtol", c.rtol,
                 "--atol", c.atol},
                3);
  }
}

// Generated SwiGLU MLPs (T=96, H=160, F=200: partial tiles everywhere) with N(0, 1) inputs,
// run functionally and compared with `gen mlp --reference` (double throughout, h rounded to
// the dtype, Y rounded once). gate and up are sums of H products (|gate| ~ sqrt(H) = 12.6),
// h = silu(gate) * up is typically ~H = 160, and Y sums F products h wd. The two differ by
//   1. fp32 accumulation in both stages: at most (K - 1) * 2^-24 * sum |a b| per sum; for
//      stage 2 that is 199 * 2^-24 * (F * E|h| * E|wd| = 200 * 80 * 0.8) = 0.15 absolute,
//      stage 1's error reaching Y through h is smaller still;
//   2. bf16 only: the rounding of h to bf16, which lands one bf16 step (2^-8 |h|) apart
//      where the fp32 gate/up straddle a rounding boundary, with probability about their
//      relative error (~1e-4) over the step (2^-8), ~3 % of the F terms of a row; each such
//      term moves Y by 2^-8 |h| |wd| ~ 0.25, and they mostly cancel: a handful of them, 2;
//   3. the final rounding of both sides to the dtype: one step, 2^-7 |Y| in bf16.
// So bf16: rtol = 0.01 (> 2^-7), atol = 2; fp32: rtol = 1e-4 (> 2^-23), atol = 0.2 (> 0.15).
// (fp8e4 is not checked here: with these inputs |h| ~ H exceeds fp8e4's largest value, 448.)
TEST_CASE("functional SwiGLU MLPs match their references within the derived tolerances") {
  struct Case {
    std::string dtype;
    std::string cores;
    std::string rtol;
    std::string atol;
  };
  const Case cases[] = {
      {"bf16", "1", "0.01", "2"}, {"bf16", "2", "0.01", "2"}, {"fp32", "1", "1e-4", "0.2"}};
  for (const Case& c : cases) {
    INFO(c.dtype << " on " << c.cores << " core(s)");
    TempDir dir;
    const std::string trace = dir.file("mlp.trn");
    const std::string ref = dir.file("ref");
    expect_ok({"gen", "mlp", "--tokens", "96", "--hidden", "160", "--ffn", "200", "--dtype",
               c.dtype, "--cores", c.cores, "--seed", "3", "--reference", ref, "-o", trace});
    expect_ok({"run", "--functional", "--dump-outputs", dir.file("out"), trace});
    expect_ok(
        {"compare", dir.file("out/Y.npy"), ref + "/Y.npy", "--rtol", c.rtol, "--atol", c.atol},
        {"mismatches:     0 of 15360"});
    // The comparison can fail: another seed's Y is rejected with the same tolerances.
    const std::string other = dir.file("other");
    expect_ok({"gen", "mlp", "--tokens", "96", "--hidden", "160", "--ffn", "200", "--dtype",
               c.dtype, "--seed", "4", "--reference", other, "-o", dir.file("other.trn")});
    expect_exit(
        {"compare", dir.file("out/Y.npy"), other + "/Y.npy", "--rtol", c.rtol, "--atol", c.atol},
        3);
  }
}

TEST_CASE("functional all-reduce across chips: every chip ends with the element-wise sum") {
  // fp32 sums of 16 values in the algorithm's order against the sum in double, rounded once:
  // a few ulps of the partial sums (|x| <= 1, so |partial| <= 16): 1e-5 covers 2^-24 * 16 *
  // 16 steps with room.
  for (const char* algo : {"ring", "2d", "tree"}) {
    INFO("--algo " << algo);
    TempDir dir;
    const std::string trace = dir.file("allreduce.trn");
    const std::string ref = dir.file("ref");
    expect_ok({"gen", "allreduce", "--algo", algo, "--bytes", "256Ki", "--config", "trn2-16",
               "--seed", "5", "--reference", ref, "-o", trace});
    expect_ok(
        {"run", "--functional", "--config", "trn2-16", "--dump-outputs", dir.file("out"), trace});
    for (int chip : {0, 7, 15}) {
      const std::string y = fmt::format("Y{}.npy", chip);
      expect_ok(
          {"compare", dir.file("out/" + y), ref + "/" + y, "--rtol", "1e-5", "--atol", "1e-5"},
          {"mismatches:     0 of 65536"});
    }
    // Against the sums of other inputs the comparison fails.
    expect_ok({"gen", "allreduce", "--algo", algo, "--bytes", "256Ki", "--config", "trn2-16",
               "--seed", "6", "--reference", dir.file("other"), "-o", dir.file("other.trn")});
    expect_exit({"compare", dir.file("out/Y0.npy"), dir.file("other/Y0.npy"), "--rtol", "1e-5",
                 "--atol", "1e-5"},
                3);
  }
}

// `gen bmm`: each batch is a GEMM like the ones above, K = 200, so the same reasoning gives
// the fp32 accumulation error at most 199 * 2^-24 * (1.5 * 200 * 2/pi) = 0.0023 per element,
// and one bf16 step (2^-7 |C|) between the two final roundings: rtol = atol = 0.01 holds
// them. Run on 2 cores, so each core's batches land in their own part of the 3-D C.
TEST_CASE("functional bmm: every batch of C matches the 3-D reference") {
  TempDir dir;
  const std::string trace = dir.file("bmm.trn");
  const std::string ref = dir.file("ref.npy");
  expect_ok({"gen", "bmm", "--batch", "3", "--m", "100", "--n", "300", "--k", "200", "--cores", "2",
             "--seed", "3", "--reference", ref, "-o", trace});
  expect_ok({"run", "--functional", "--dump-outputs", dir.file("out"), trace});
  expect_ok({"compare", dir.file("out/C.npy"), ref, "--rtol", "0.01", "--atol", "0.01"},
            {"mismatches:     0 of 90000"});
  // The comparison can fail: another seed's reference differs everywhere.
  expect_ok({"gen", "bmm", "--batch", "3", "--m", "100", "--n", "300", "--k", "200", "--seed", "4",
             "--reference", dir.file("other.npy"), "-o", dir.file("other.trn")});
  expect_exit(
      {"compare", dir.file("out/C.npy"), dir.file("other.npy"), "--rtol", "0.01", "--atol", "0.01"},
      3);
}

// `gen conv2d`: each output is a sum over K = C x R x S = 20 x 3 x 3 = 180 products of N(0,
// 1) inputs, accumulated in fp32 in PSUM: as for the GEMMs above, at most 179 * 2^-24 *
// (1.5 * 180 * 2/pi) = 0.0018 apart from the exact sum; the two final roundings to bf16 at
// most one step (2^-7 |Y|) apart. rtol = atol = 0.01 holds both. Stride 2 and padding 1 on
// 2 cores, so zero padding, strided windows and the split over cores are all exercised.
TEST_CASE("functional conv2d matches the direct convolution in double") {
  TempDir dir;
  const std::string trace = dir.file("conv.trn");
  const std::string ref = dir.file("ref.npy");
  const std::vector<std::string> shape = {
      "--batch", "2",  "--in-channels", "20", "--out-channels", "24", "--height",  "9",
      "--width", "11", "--kernel",      "3",  "--stride",       "2",  "--padding", "1"};
  std::vector<std::string> gen = {"gen", "conv2d"};
  gen.insert(gen.end(), shape.begin(), shape.end());
  std::vector<std::string> ours = gen;
  ours.insert(ours.end(), {"--cores", "2", "--seed", "3", "--reference", ref, "-o", trace});
  expect_ok(ours);
  expect_ok({"run", "--functional", "--dump-outputs", dir.file("out"), trace});
  // Y is [2, 24, 5, 6]: 1440 elements.
  expect_ok({"compare", dir.file("out/Y.npy"), ref, "--rtol", "0.01", "--atol", "0.01"},
            {"mismatches:     0 of 1440"});
  // The comparison can fail: another seed's reference differs.
  std::vector<std::string> other = gen;
  other.insert(other.end(),
               {"--seed", "4", "--reference", dir.file("other.npy"), "-o", dir.file("other.trn")});
  expect_ok(other);
  expect_exit(
      {"compare", dir.file("out/Y.npy"), dir.file("other.npy"), "--rtol", "0.01", "--atol", "0.01"},
      3);
}

// `gen tp-gemm`: each chip's partial product over its K / C rows accumulates in fp32 in PSUM
// (K / C - 1 roundings), and the all-reduce adds the C fp32 partials (C - 1 more), so
// against the sum in double |error| <= (K / C + C - 2) * 2^-24 * sum_k |a_k b_k| over all K.
// With N(0, 1) bf16 inputs sum_k |a_k b_k| is about K * 2/pi (326 for K = 512; allow 1.5x):
// for K = 512 on 2 chips at most 256 * 2^-24 * 489 = 0.0075, so atol = 0.01; both sides
// then round to fp32 (rtol = 1e-5 > 2^-24 with room).
TEST_CASE("functional tp-gemm: every chip's chunks of Y match the reference") {
  TempDir dir;
  const std::string trace = dir.file("tp.trn");
  const std::string ref = dir.file("ref");
  expect_ok({"gen",    "tp-gemm", "--m",         "256",      "--n", "64",       "--k",
             "512",    "--chips", "2",           "--chunks", "2",   "--config", "trn2-16",
             "--seed", "3",       "--reference", ref,        "-o",  trace});
  expect_ok(
      {"run", "--functional", "--config", "trn2-16", "--dump-outputs", dir.file("out"), trace});
  for (const char* name : {"C_c0_j0", "C_c0_j1", "C_c1_j0", "C_c1_j1"}) {
    INFO(name);
    const std::string file = fmt::format("{}.npy", name);
    expect_ok(
        {"compare", dir.file("out/" + file), ref + "/" + file, "--rtol", "1e-5", "--atol", "0.01"},
        {"mismatches:     0 of 8192"});
  }
  // Against another chunk's rows the comparison fails.
  expect_exit({"compare", dir.file("out/C_c0_j0.npy"), ref + "/C_c0_j1.npy", "--rtol", "1e-5",
               "--atol", "0.01"},
              3);
}

// Generated flash attention over N(0, 1) Q, K and V, run functionally and compared with
// `gen attention --reference` (softmax(Q K^T scale) V in double, rounded once). The
// simulator differs by
//   1. P = exp(scale S - scale m) rounded to the dtype before P V, while the row sums l add
//      the unrounded fp32 values: each p_k is off by at most 2^-8 p_k in bf16 (8 significant
//      bits, round to nearest), so O = sum_k p_k v_k / l is off by at most
//      2^-8 sum_k p_k |v_k| / l <= 2^-8 max_k |v_k|. Over the 2 x 640 x 64 V values of N(0, 1)
//      max |v| stays below 5 (P(|v| > 5) = 5.7e-7 each): 2^-8 * 5 = 0.0195;
//   2. fp32 rounding of the scores (products of bf16 values are exact, d = 64 additions:
//      64 * 2^-24 * sum |q k| with sum |q k| about 64 * 2/pi, so < 2e-4 absolute in S, i.e.
//      a relative 2e-4 in each p through exp, far below item 1), of exp, of the running
//      corrections (a few roundings of 2^-24 each) and of the fp32 accumulations of P V and l
//      (640 terms: 640 * 2^-24 = 4e-5 relative);
//   3. the final rounding of both sides to bf16, which can land one step apart: at most
//      2^-7 |O|.
// So bf16: atol = 0.02 (> 0.0195), rtol = 0.01 (> 2^-7 + 4e-5 + 2e-4). fp32 P has no item 1
// and a step of 2^-23: atol = 1e-4, rtol = 1e-3 (> the few fp32 roundings of item 2, with
// room for exp's own error).
TEST_CASE("functional attention matches its reference") {
  struct Case {
    std::vector<std::string> shape;
    std::string dtype, rtol, atol, elements;
  };
  const Case cases[] = {
      // two heads on two cores, two key blocks (512 + 128): online softmax across blocks
      {{"--seq", "256", "--kv-seq", "640", "--heads", "2", "--cores", "2"},
       "bf16",
       "0.01",
       "0.02",
       "32768"},
      // causal: diagonal blocks masked, blocks above the diagonal skipped
      {{"--seq", "384", "--causal"}, "bf16", "0.01", "0.02", "24576"},
      {{"--seq", "256", "--kv-seq", "640"}, "fp32", "1e-3", "1e-4", "16384"},
  };
  for (const Case& c : cases) {
    INFO(fmt::format("{}", fmt::join(c.shape, " ")) << " " << c.dtype);
    TempDir dir;
    const std::string trace = dir.file("attn.trn");
    auto gen = [&](const std::string& seed, const std::string& ref, const std::string& out) {
      std::vector<std::string> args = {"gen",         "attention", "--head-dim", "64",
                                       "--dtype",     c.dtype,     "--seed",     seed,
                                       "--reference", ref,         "-o",         out};
      args.insert(args.end(), c.shape.begin(), c.shape.end());
      return args;
    };
    expect_ok(gen("4", dir.file("ref"), trace));
    expect_ok({"run", "--functional", "--dump-outputs", dir.file("out"), trace});
    expect_ok({"compare", dir.file("out/O.npy"), dir.file("ref/O.npy"), "--rtol", c.rtol, "--atol",
               c.atol},
              {fmt::format("mismatches:     0 of {}", c.elements)});
    // The comparison can fail: against another seed's reference it does.
    expect_ok(gen("5", dir.file("other"), dir.file("other.trn")));
    expect_exit({"compare", dir.file("out/O.npy"), dir.file("other/O.npy"), "--rtol", c.rtol,
                 "--atol", c.atol},
                3);
  }
}

// A generated Llama decoder layer (gen llama-layer: prefill of 128 tokens, and decode of
// one token after 256 cached), run functionally and compared with its --reference, which
// computes every stage in double from the same inputs and rounds to bf16 wherever the trace
// stores a tensor in HBM (H1T, Q, K, V, the attention output, A Wo, X2, H2T, the MLP's h and
// Y, OUT). The two therefore differ only where a stage's fp32 result and its exact value
// round to neighbouring bf16 values (one step, 2^-8 relative), plus the attention's P in
// bf16 (2^-8 relative, item 1 of the attention test above). Such one-step differences in an
// intermediate pass on to every later stage: through the residual adds unchanged, through
// RMS norm scaled by 1/rms(X2), and through the SwiGLU MLP, whose output (rms ~250 here,
// uniform [-1, 1) weights) is ~100 times its input's scale. With about 2^-8 of a step's
// size moving each of a few percent of the D = 256 or F = 512 terms of a sum, at random
// signs, the error reaching OUT is about 2^-8 * 250 * sqrt(0.05 * 512) ~ 5 in the worst
// elements; measured over seeds 1-3: at most 8 (3.4 % of OUT's RMS) and 0.7 % of the RMS on
// average. So atol = 12 (5 % of the RMS) and rtol = 2^-6 (two bf16 steps, for the final
// rounding of both sides); a wrong stage moves OUT by its whole scale, and another seed's
// reference is rejected.
TEST_CASE("functional Llama layers (prefill and decode) match their references") {
  struct Case {
    std::vector<std::string> shape;
    std::string elements;
  };
  const Case cases[] = {
      {{"--tokens", "128"}, "32768"},
      {{"--tokens", "1", "--decode", "--cache", "256"}, "256"},
  };
  for (const Case& c : cases) {
    INFO(fmt::format("{}", fmt::join(c.shape, " ")));
    TempDir dir;
    const std::string trace = dir.file("layer.trn");
    auto gen = [&](const std::string& seed, const std::string& ref, const std::string& out) {
      std::vector<std::string> args = {
          "gen", "llama-layer", "--hidden", "256",         "--heads", "2",  "--ffn",
          "512", "--seed",      seed,       "--reference", ref,       "-o", out};
      args.insert(args.end(), c.shape.begin(), c.shape.end());
      return args;
    };
    expect_ok(gen("1", dir.file("ref"), trace));
    expect_ok({"run", "--functional", "--dump-outputs", dir.file("out"), trace});
    expect_ok({"compare", dir.file("out/OUT.npy"), dir.file("ref/OUT.npy"), "--rtol", "0.015625",
               "--atol", "12"},
              {fmt::format("mismatches:     0 of {}", c.elements)});
    expect_ok(gen("2", dir.file("other"), dir.file("other.trn")));
    expect_exit({"compare", dir.file("out/OUT.npy"), dir.file("other/OUT.npy"), "--rtol",
                 "0.015625", "--atol", "12"},
                3);
  }
}

// gen attention's layouts for gen llama-layer (V by token, O transposed, the queries after
// 512 earlier keys), with the tolerances derived for bf16 above: the same arithmetic, only
// the addresses and one exact transpose differ.
TEST_CASE("functional attention with V by token, O transposed and a causal offset") {
  TempDir dir;
  const std::string trace = dir.file("attn.trn");
  expect_ok({"gen",        "attention", "--seq",       "256",           "--kv-seq",
             "768",        "--heads",   "2",           "--cores",       "2",
             "--head-dim", "64",        "--causal",    "--v-by-token",  "--transposed-out",
             "--seed",     "4",         "--reference", dir.file("ref"), "-o",
             trace});
  expect_ok({"run", "--functional", "--dump-outputs", dir.file("out"), trace});
  expect_ok({"compare", dir.file("out/OT.npy"), dir.file("ref/OT.npy"), "--rtol", "0.01", "--atol",
             "0.02"},
            {"mismatches:     0 of 32768"});
}

// Several heads on one core, two key blocks each (and, causal, a group of two query tiles
// whose first ends on a block boundary): the K/V loads that the front of a later step emits
// ahead must not take the buffer whose block an earlier step's P V still reads (there were
// too few K/V buffers for one-tile groups: P V read the next head's block).
TEST_CASE("functional attention: several heads per core with two key blocks each") {
  const std::vector<std::vector<std::string>> shapes = {
      {"--seq", "128", "--kv-seq", "1024", "--heads", "3"},
      {"--seq", "256", "--kv-seq", "640", "--heads", "2", "--causal"},
  };
  for (const std::vector<std::string>& shape : shapes) {
    INFO(fmt::format("{}", fmt::join(shape, " ")));
    TempDir dir;
    const std::string trace = dir.file("attn.trn");
    std::vector<std::string> gen = {"gen", "attention",   "--head-dim",    "64", "--seed",
                                    "4",   "--reference", dir.file("ref"), "-o", trace};
    gen.insert(gen.end(), shape.begin(), shape.end());
    expect_ok(gen);
    expect_ok({"run", "--functional", "--dump-outputs", dir.file("out"), trace});
    expect_ok({"compare", dir.file("out/O.npy"), dir.file("ref/O.npy"), "--rtol", "0.01", "--atol",
               "0.02"},
              {"mismatches:     0 of"});
  }
}
