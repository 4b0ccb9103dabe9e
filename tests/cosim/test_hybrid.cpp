// `trnsim run --rtl pe_array`: a whole workload with the tensor engine's array replaced by
// the verilated RTL must report the same total cycles as the SystemC model alone, with
// every RTL result checked; --vcd writes waveforms; configs without a built array size,
// or with array rates the RTL does not have, are refused.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "cli_fixtures.h"

using namespace trnsim::test;

namespace {

const std::string kTinyGemm = source_path("workloads/gemm-256x512x384-bf16-tiny.trn");

// An fp32 matmul (a quarter-rate stream) and a transpose, on the tiny chip's 16x16 array.
const std::string kRatesAndTranspose = R"(.trace 1
.sem done
pe: matmul psum[0:16]@bank0.fp32[64], sbuf[0:16]@0x0.fp32[16], sbuf[0:16]@0x100.fp32[64] acc=start
pe: transpose psum[0:8]@bank1.bf16[16], sbuf[0:16]@0x400.bf16[8] post(done += 1)
)";

}  // namespace

TEST_CASE("run --rtl pe_array: the hybrid run's total equals the SystemC model's") {
  TempDir dir;
  const std::string json = dir.file("stats.json");
  const RunResult r = expect_ok(
      {"run", "--config", "tiny", "--rtl", "pe_array", "--stats-json", json, kTinyGemm},
      {"rtl     rtl/pe_array.sv, verilated 16x16",
       "every row equals the product of its operands (384 on the bf16 datapath, 0 on the int8 one)",
       "the array's fill/drain equals the formula's in every one",
       "the same as the SystemC model alone", "x slower"});
  const auto stats = nlohmann::json::parse(read_text(json));
  const auto& rtl = stats.at("rtl");
  CHECK(rtl.at("matmuls") == 384);  // (256 / 16) x (384 / 16) tiles of 16 x 16 by 512
  CHECK(rtl.at("bf16") == 384);
  CHECK(rtl.at("data_errors") == 0);
  CHECK(rtl.at("timing_differences") == 0);
  CHECK(rtl.at("cycles") == stats.at("cycles"));
  CHECK(rtl.at("systemc_cycles") == stats.at("cycles"));
  CHECK(rtl.at("rtl_cycles").get<std::uint64_t>() > 0);
}

TEST_CASE("run --rtl pe_array: other streaming rates and transposes") {
  TempDir dir;
  const std::string trace = dir.write("rates.trn", kRatesAndTranspose);
  expect_ok(
      {"run", "--config", "tiny", "--rtl", "pe_array", trace},
      {"ran         1 matmul and 1 transpose", "1 matmul at a rate other than one vector per cycle",
       "the same as the SystemC model alone"});
}

TEST_CASE("run --rtl pe_array --vcd writes the array's waveforms") {
  TempDir dir;
  const std::string trace = dir.write("rates.trn", kRatesAndTranspose);
  const std::string vcd = dir.file("pe.vcd");
  expect_ok({"run", "--config", "tiny", "--rtl", "pe_array", "--vcd", vcd, trace},
            {"waveforms   " + vcd});
  const std::string text = read_text(vcd);
  CHECK(contains(text, "$timescale"));
  CHECK(contains(text, " clk_i "));
  CHECK(contains(text, " y_last_o "));
  CHECK(contains(text, "\n#"));  // time stamps follow the header
}

TEST_CASE("run --rtl: refused configs and options") {
  // trn2's 128x128 array is not built (compile time); the error lists what is.
  expect_exit({"run", "--config", "trn2", "--rtl", "pe_array", kTinyGemm}, 2,
              {"no verilated pe_array of 128x128", "built: 8x8, 16x16"});
  expect_exit({"run", "--config", "tiny", "--set", "tensor.weight_load_rows_per_cycle=2", "--rtl",
               "pe_array", kTinyGemm},
              2, {"loads one weight row per cycle"});
  expect_exit({"run", "--config", "tiny", "--rtl", "vector_engine", kTinyGemm}, 2, {"--rtl"});
  expect_exit({"run", "--config", "tiny", "--vcd", "x.vcd", kTinyGemm}, 2, {"--rtl"});
}
