// `trnsim gen gemm` and the collectives: generated traces pass `check` and do the work asked
// for.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

#include "cli_fixtures.h"

using namespace trnsim::test;

TEST_CASE("gen gemm: the trace passes check and has 2*M*N*K matmul FLOPs") {
  struct Case {
    std::vector<std::string> args;
    std::string flops;
  };
  // 2 * 256 * 384 * 512 = 100663296; 2 * 128 * 128 * 128 = 4194304
  const std::vector<Case> cases = {
      {{"--m", "256", "--n", "384", "--k", "512"}, "100663296"},
      {{"--m", "128", "--n", "128", "--k", "128", "--dtype", "fp32", "--out-dtype", "fp32"},
       "4194304"},
      {{"--m", "256", "--n", "384", "--k", "512", "--cores", "2", "--seed", "7"}, "100663296"},
      {{"--m", "256", "--n", "384", "--k", "512", "--evacuation", "vector"}, "100663296"},
  };
  for (const auto& c : cases) {
    TempDir dir;
    const std::string trace = dir.file("gemm.trn");
    std::vector<std::string> args{"gen", "gemm", "-o", trace};
    args.insert(args.end(), c.args.begin(), c.args.end());
    if (expect_ok(args).exit_code != 0) continue;
    expect_ok({"check", trace}, {"matmul flops:  " + c.flops + " "});
  }
}

TEST_CASE("gen gemm: stdout and -o give the same, reproducible text") {
  TempDir dir;
  const std::vector<std::string> args{"gen", "gemm", "--m", "128", "--n", "256", "--k", "128"};
  const RunResult a = expect_ok(args);
  CHECK(expect_ok(args).out == a.out);
  auto with_output = args;
  with_output.insert(with_output.end(), {"-o", dir.file("g.trn")});
  expect_ok(with_output);
  CHECK(read_text(dir.file("g.trn")) == a.out);
}

TEST_CASE("gen gemm: --verbose prints the schedule to stderr, not into the trace") {
  const RunResult quiet = expect_ok({"gen", "gemm", "--m", "128", "--n", "512", "--k", "128"});
  const RunResult verbose =
      expect_exit({"gen", "gemm", "--m", "128", "--n", "512", "--k", "128", "-v"}, 0, {"core 0"});
  CHECK(verbose.out == quiet.out);
}

TEST_CASE("gen gemm: sizes the chip cannot take exit 2") {
  // tiny has 2 cores.
  expect_exit(
      {"gen", "gemm", "--m", "128", "--n", "128", "--k", "128", "--cores", "3", "--config", "tiny"},
      2, {"gen gemm"});
}

TEST_CASE("gen collectives: the traces pass check on trn2-16 and trn3-64") {
  const std::vector<std::vector<std::string>> cases = {
      {"allreduce", "--bytes", "1Mi", "--config", "trn2-16"},
      {"allreduce", "--algo", "tree", "--bytes", "1Mi", "--config", "trn2-16"},
      {"allreduce", "--algo", "2d", "--bytes", "1Mi", "--config", "trn2-16", "--dtype", "bf16"},
      {"reducescatter", "--algo", "2d", "--bytes", "1Mi", "--config", "trn2-16"},
      {"allgather", "--bytes", "64Ki", "--chips", "4", "--config", "trn2-16", "--core", "2"},
      {"alltoall", "--bytes", "1Mi", "--config", "trn3-64"},
      {"allreduce", "--algo", "2d", "--grid", "8x8", "--bytes", "1Mi", "--config", "trn3-64"},
  };
  for (const auto& c : cases) {
    TempDir dir;
    const std::string trace = dir.file("coll.trn");
    std::vector<std::string> args{"gen"};
    args.insert(args.end(), c.begin(), c.end());
    args.insert(args.end(), {"-o", trace});
    if (expect_ok(args).exit_code != 0) continue;
    const std::string config = c[std::find(c.begin(), c.end(), "--config") - c.begin() + 1];
    expect_ok({"check", trace, "--config", config}, {"cores used:"});
  }
}

TEST_CASE("gen collectives: --verbose prints the plan, --reference writes Y<c>.npy") {
  TempDir dir;
  const std::vector<std::string> args{"gen",     "allreduce", "--bytes",  "64Ki",
                                      "--chips", "4",         "--config", "trn2-16"};
  const RunResult quiet = expect_ok(args);
  auto verbose_args = args;
  verbose_args.insert(verbose_args.end(), {"-v", "--reference", dir.file("ref")});
  const RunResult verbose = expect_exit(verbose_args, 0, {"reduce-scatter (ring): 3 steps"});
  CHECK(verbose.out == quiet.out);
  for (int c = 0; c < 4; ++c)
    CHECK(std::filesystem::exists(dir.file("ref/Y" + std::to_string(c) + ".npy")));
}

TEST_CASE("gen collectives: bad options exit 2 with a clear message") {
  expect_exit({"gen", "allgather", "--algo", "tree", "--bytes", "1Mi", "--config", "trn2-16"}, 2,
              {"--algo"});
  expect_exit({"gen", "allreduce", "--algo", "2d", "--bytes", "1Mi", "--config", "trn3-64"}, 2,
              {"needs a 2D or 3D torus", "--grid XxY"});
  expect_exit({"gen", "allreduce", "--bytes", "1000", "--chips", "3", "--config", "trn2-16"}, 2,
              {"use a multiple of 12 bytes, e.g. 1008"});
  expect_exit({"gen", "allreduce", "--bytes", "12x", "--config", "trn2-16"}, 2, {"--bytes 12x"});
  expect_exit({"gen", "allreduce", "--algo", "2d", "--grid", "4by4", "--bytes", "1Mi"}, 2,
              {"expected XxY"});
  expect_exit({"gen", "allreduce", "--bytes", "1Mi"}, 2, {"at least 2 chips"});
}

TEST_CASE("gen tp-gemm: the trace passes check, --verbose prints the plan, bad options exit 2") {
  TempDir dir;
  const std::string trace = dir.file("tp.trn");
  expect_exit({"gen", "tp-gemm", "--m", "512", "--n", "128", "--k", "1024", "--chips", "4",
               "--config", "trn2-16", "-v", "-o", trace},
              0, {"4 chunks of 128 rows", "each chunk's all-reduce"});
  expect_ok({"check", "--config", "trn2-16", trace}, {"no data race, no deadlock"});
  expect_exit({"gen", "tp-gemm", "--m", "512", "--n", "128", "--k", "1000", "--chips", "3",
               "--config", "trn2-16"},
              2, {"--k 1000 does not split over 3 chips"});
  expect_exit({"gen", "tp-gemm", "--m", "384", "--n", "128", "--k", "1024", "--chips", "4",
               "--chunks", "2", "--config", "trn2-16"},
              2, {"--chunks 2 does not divide the rows of M=384 into whole tiles"});
  expect_exit({"gen", "tp-gemm", "--m", "512", "--n", "128", "--k", "1024", "--chips", "4",
               "--algo", "tree", "--config", "trn2-16"},
              2, {"--algo"});
  expect_exit({"gen", "tp-gemm", "--m", "512", "--n", "128", "--k", "1024", "--config", "trn2"}, 2,
              {"at least 2 chips"});
}

TEST_CASE("gen softmax|layernorm|rmsnorm: the traces pass check, bad options exit 2") {
  for (const char* kind : {"softmax", "layernorm", "rmsnorm"}) {
    INFO(kind);
    TempDir dir;
    const std::string trace = dir.file("norm.trn");
    expect_exit({"gen", kind, "--rows", "300", "--cols", "256", "-v", "-o", trace}, 0,
                {"3 tiles of 128 rows", "3 buffer sets"});
    expect_ok({"check", trace}, {"no data race, no deadlock"});
    expect_exit({"gen", kind, "--rows", "0", "--cols", "256"}, 2,
                {"rows and cols must be at least 1, got rows=0 cols=256"});
    expect_exit({"gen", kind, "--rows", "128", "--cols", "40000"}, 2,
                {"cols=40000 does not fit SBUF", "at most about"});
    expect_exit({"gen", kind, "--rows", "128", "--cols", "64", "--dtype", "fp8e4"}, 2,
                {"dtype fp8e4 is not supported (one of: bf16, fp32)"});
  }
  expect_exit({"gen", "rmsnorm", "--rows", "128", "--cols", "64", "--eps", "-1"}, 2,
              {"eps must be a finite number >= 0, got -1"});
}

TEST_CASE("gen mlp: the trace passes check, bad options exit 2") {
  TempDir dir;
  const std::string trace = dir.file("mlp.trn");
  expect_exit({"gen", "mlp", "--tokens", "200", "--hidden", "256", "--ffn", "384", "--cores", "2",
               "-v", "-o", trace},
              0, {"2 token blocks of 100", "core 1: token blocks [1, 2)"});
  expect_ok({"check", trace}, {"no data race, no deadlock"});
  expect_exit({"gen", "mlp", "--tokens", "0", "--hidden", "256", "--ffn", "384"}, 2,
              {"tokens, hidden and ffn must be at least 1, got T=0 H=256 F=384"});
  expect_exit({"gen", "mlp", "--tokens", "4", "--hidden", "256", "--ffn", "384", "--dtype", "fp16"},
              2, {"dtype fp16 is not supported (one of: bf16, fp8e4, fp32)"});
  expect_exit({"gen", "mlp", "--tokens", "3", "--hidden", "256", "--ffn", "384", "--cores", "4"}, 2,
              {"fewer than the 4 cores asked for", "use at most 3 cores"});
}

TEST_CASE("gen attention: the trace passes check, bad options exit 2") {
  TempDir dir;
  const std::string trace = dir.file("attn.trn");
  expect_exit({"gen", "attention", "--seq", "256", "--head-dim", "64", "--heads", "2", "--cores",
               "2", "--causal", "-v", "-o", trace},
              0, {"tiles of 128 queries, blocks of 512 keys", "2 cores"});
  expect_ok({"check", trace}, {"no data race, no deadlock"});
  expect_exit({"gen", "attention", "--seq", "200"}, 2,
              {"seq=200 and kv-seq=200 must be multiples of 128"});
  expect_exit({"gen", "attention", "--seq", "256", "--dtype", "fp16"}, 2,
              {"dtype fp16 is not supported (one of: bf16, fp32)"});
  expect_exit({"gen", "attention", "--seq", "512", "--kv-seq", "256", "--causal"}, 2,
              {"causal attention needs kv-seq >= seq"});
  expect_exit({"gen", "attention", "--seq", "256", "--scale", "0"}, 2,
              {"scale must be a finite number > 0, got 0"});
}

TEST_CASE("gen llama-layer: the trace passes check, bad options exit 2") {
  TempDir dir;
  const std::string trace = dir.file("layer.trn");
  expect_exit({"gen", "llama-layer", "--tokens", "200", "--hidden", "256", "--heads", "2", "--ffn",
               "512", "--cores", "2", "-v", "-o", trace},
              0, {"llama-layer prefill T=200 (attention padded to 256)", "attn: attention H=2"});
  expect_ok({"check", trace}, {"no data race, no deadlock"});
  const std::string decode = dir.file("decode.trn");
  expect_ok({"gen", "llama-layer", "--tokens", "1", "--hidden", "256", "--heads", "2", "--ffn",
             "512", "--decode", "--cache", "256", "-o", decode});
  expect_ok({"check", decode}, {"no data race, no deadlock"});
  expect_exit(
      {"gen", "llama-layer", "--tokens", "16", "--hidden", "256", "--heads", "3", "--ffn", "512"},
      2, {"--hidden 256 does not split into 3 heads"});
  expect_exit({"gen", "llama-layer", "--tokens", "1", "--hidden", "256", "--heads", "2", "--ffn",
               "512", "--decode", "--cache", "100"},
              2, {"--cache 100 must be a multiple of 128"});
  expect_exit(
      {"gen", "llama-layer", "--tokens", "16", "--hidden", "1024", "--heads", "2", "--ffn", "512"},
      2, {"stage 'attn': a transposed O needs head-dim <= 128"});
}

TEST_CASE("gen rmsnorm --transposed and gen attention's layouts: the traces pass check") {
  TempDir dir;
  const std::string norm = dir.file("norm.trn");
  expect_exit(
      {"gen", "rmsnorm", "--rows", "200", "--cols", "384", "--transposed", "-v", "-o", norm}, 0,
      {"written transposed as YT: 3 blocks of 128 columns per tile"});
  expect_ok({"check", norm}, {"no data race, no deadlock"});
  const std::string attn = dir.file("attn.trn");
  expect_ok({"gen", "attention", "--seq", "128", "--kv-seq", "384", "--heads", "2", "--causal",
             "--v-by-token", "--transposed-out", "-o", attn});
  expect_ok({"check", attn}, {"no data race, no deadlock"});
}
