// The one interface between a verilated pe_array (rtl/pe_array.sv) and the cross-check:
// a matmul goes in (format, stationary tile, moving vectors), the rows of results and the
// cycle of each come out. The harness only drives the handshake; it computes no expected
// values and does not interpret the data: elements and results are passed as bits.
//
// Cycles are counted from the cycle in which the matmul's first weight row is presented
// (cycle 0); a result "leaves in cycle c" when y_valid_o is high during cycle c, i.e. it
// was registered at the clock edge that ended cycle c - 1. A matmul starts in the cycle
// its predecessor's last result leaves (the foreground load may begin then), so back-to-
// back matmuls follow each other as in the SystemC model.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <verilated.h>

namespace trnsim::cosim {

// The array's datapaths: int8 x int8 summed in int32, bf16 x bf16 summed in fp32.
enum class PeArrayFormat { kInt8, kBf16 };

// A K x M stationary tile times T moving vectors of K elements. Elements are bits: an
// int8's two's complement in the low byte (the high byte is ignored), or a bf16.
struct PeArrayMatmul {
  PeArrayFormat format = PeArrayFormat::kInt8;
  std::uint32_t k = 0;
  std::uint32_t m = 0;
  std::vector<std::vector<std::uint16_t>> stationary;  // [k][m]
  std::vector<std::vector<std::uint16_t>> moving;      // [t][k]
};

// Results are bits too: an int32's two's complement, or an fp32.
struct PeArrayResult {
  std::vector<std::vector<std::uint32_t>> rows;  // [t][COLS], in the order they left
  std::vector<std::uint64_t> cycles;             // the cycle each row left
  std::optional<std::uint64_t> done_cycle;       // the cycle y_last_o was high
};

template <typename Model>
class PeArrayHarness {
 public:
  // `on_eval` runs after every evaluation of the model (twice per cycle), e.g. to dump
  // waveforms.
  explicit PeArrayHarness(Model& model, std::function<void()> on_eval = {})
      : m_model(model), m_on_eval(std::move(on_eval)) {
    idle_inputs();
    m_model.rst_ni = 0;
    edge();
    edge();
    m_model.rst_ni = 1;
  }

  // The array's size as verilated, from its port widths.
  static constexpr std::uint32_t kRows =
      std::extent_v<std::remove_reference_t<decltype(Model::x_i)>>;
  static constexpr std::uint32_t kCols =
      std::extent_v<std::remove_reference_t<decltype(Model::y_o)>>;
  std::uint32_t model_rows() const { return kRows; }
  std::uint32_t model_cols() const { return kCols; }

  // Runs one matmul to completion; `drain_limit` bounds the wait for y_last_o after the last
  // vector (a missing done is reported, not waited on forever).
  PeArrayResult run(const PeArrayMatmul& mm, std::uint64_t drain_limit = 100000) {
    const std::uint32_t rows = model_rows();
    const std::uint32_t cols = model_cols();
    if (mm.k == 0 || mm.k > rows || mm.m == 0 || mm.m > cols || mm.moving.empty())
      throw std::invalid_argument("matmul does not fit the array");
    PeArrayResult result;
    m_result = &result;
    m_start = m_cycle;

    // Foreground weight load: the tile's last row first, so row k ends in PE row k.
    for (std::uint32_t i = 0; i < mm.k; ++i) {
      const auto& row = mm.stationary[mm.k - 1 - i];
      m_model.w_valid_i = 1;
      for (std::uint32_t c = 0; c < cols; ++c)
        m_model.w_row_i[c] = c < mm.m ? row[c] : 0;
      cycle();
    }
    m_model.w_valid_i = 0;

    // One moving vector per cycle; rows beyond K carry zero.
    for (std::size_t t = 0; t < mm.moving.size(); ++t) {
      m_model.x_valid_i = 1;
      m_model.x_last_i = t + 1 == mm.moving.size();
      m_model.bf16_i = mm.format == PeArrayFormat::kBf16;
      for (std::uint32_t r = 0; r < rows; ++r)
        m_model.x_i[r] = r < mm.k ? mm.moving[t][r] : 0;
      cycle();
    }
    idle_inputs();

    // Drain until the last result leaves; stop in that cycle, so the next matmul starts in it.
    for (std::uint64_t i = 0; i <= drain_limit; ++i) {
      sample();
      if (result.done_cycle) break;
      cycle();
    }
    m_result = nullptr;
    return result;
  }

  // Idle cycles (nothing presented): for benchmarks and gaps between matmuls.
  void idle(std::uint64_t n) {
    idle_inputs();
    for (std::uint64_t i = 0; i < n; ++i)
      cycle();
  }

  std::uint64_t cycle_count() const { return m_cycle; }

 private:
  void idle_inputs() {
    m_model.w_valid_i = 0;
    m_model.x_valid_i = 0;
    m_model.x_last_i = 0;
    m_model.bf16_i = 0;
  }

  // Records what leaves the array in the current cycle, once per cycle.
  void sample() {
    if (m_sampled == m_cycle || m_result == nullptr) return;
    m_sampled = m_cycle;
    if (!m_model.y_valid_o) return;
    std::vector<std::uint32_t> row(model_cols());
    for (std::size_t c = 0; c < row.size(); ++c)
      row[c] = m_model.y_o[c];
    m_result->rows.push_back(std::move(row));
    m_result->cycles.push_back(m_cycle - m_start);
    if (m_model.y_last_o && !m_result->done_cycle) m_result->done_cycle = m_cycle - m_start;
  }

  // Ends the current cycle: outputs sampled, inputs as set, one rising edge.
  void cycle() {
    sample();
    edge();
    ++m_cycle;
  }

  void edge() {
    m_model.clk_i = 1;
    eval();
    m_model.clk_i = 0;
    eval();
  }

  void eval() {
    m_model.eval();
    if (m_on_eval) m_on_eval();
  }

  Model& m_model;
  std::function<void()> m_on_eval;
  PeArrayResult* m_result = nullptr;
  std::uint64_t m_cycle = 0;
  std::uint64_t m_start = 0;
  std::uint64_t m_sampled = ~std::uint64_t{0};
};

}  // namespace trnsim::cosim
