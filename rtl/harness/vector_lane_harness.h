// The one interface between a verilated vector_lane (rtl/vector_lane.sv) and the cross-check:
// a sequence of instructions goes in back to back, what left the lane and when comes out.
// The harness only drives the handshake; it computes no expected values.
//
// Each instruction starts in the first cycle ready_o is high once its predecessor has
// started (the lane's occupancy has ended), and streams its N elements densely,
// ELEMS per cycle, the last beat padded with zeros. The cycle of that start is the
// instruction's cycle 0. Output beats (y_valid_o) are attributed to instructions by
// done_o: the beats that leave up to and including the cycle of the i-th done_o belong to
// instruction i (the lane keeps its instructions in order, and an instruction's beats never
// leave after its done_o).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include <verilated.h>

namespace trnsim::cosim {

enum class VectorLaneOp : std::uint8_t { kAdd = 0, kMul = 1, kMax = 2, kMin = 3 };

// An element-wise op over a and b (same length), or the reduction of a (b empty).
struct VectorLaneInstruction {
  VectorLaneOp op = VectorLaneOp::kAdd;
  bool reduce = false;
  std::vector<std::uint32_t> a;  // fp32 bit patterns
  std::vector<std::uint32_t> b;
};

struct VectorLaneResult {
  std::uint64_t start_cycle = 0;            // absolute: the cycle start_i was presented
  std::vector<std::uint32_t> values;        // every slot of every beat that left, in order
  std::vector<std::uint64_t> beat_cycles;   // the cycle each beat left, from start_cycle
  std::optional<std::uint64_t> done_cycle;  // the cycle of done_o, from start_cycle
};

template <typename Model>
class VectorLaneHarness {
 public:
  explicit VectorLaneHarness(Model& model) : m_model(model) {
    idle_inputs();
    m_model.rst_ni = 0;
    edge();
    edge();
    m_model.rst_ni = 1;
  }

  // Elements per cycle as verilated, from the port width.
  static constexpr std::uint32_t kElems =
      std::extent_v<std::remove_reference_t<decltype(Model::a_i)>>;
  std::uint32_t model_elems() const { return kElems; }

  // Runs `instructions` back to back and waits until all are done; `drain_limit` bounds the
  // wait for the last done_o (a missing done is reported by a result without done_cycle).
  std::vector<VectorLaneResult> run(const std::vector<VectorLaneInstruction>& instructions,
                                    std::uint64_t drain_limit = 100000) {
    std::vector<VectorLaneResult> results(instructions.size());
    m_results = &results;
    m_done = 0;
    for (std::size_t i = 0; i < instructions.size(); ++i) {
      const VectorLaneInstruction& ins = instructions[i];
      const std::size_t n = ins.a.size();
      if (n == 0 || (!ins.reduce && ins.b.size() != n))
        throw std::invalid_argument(
            "vector_lane: an instruction needs N >= 1 elements in a (and b)");
      while (!m_model.ready_o)
        cycle();
      results[i].start_cycle = m_cycle;
      for (std::size_t first = 0; first < n; first += kElems) {
        m_model.start_i = first == 0;
        m_model.op_i = static_cast<std::uint8_t>(ins.op);
        m_model.reduce_i = ins.reduce;
        m_model.n_i = static_cast<std::uint32_t>(n);
        m_model.in_valid_i = 1;
        for (std::uint32_t w = 0; w < kElems; ++w) {
          const std::size_t j = first + w;
          m_model.a_i[w] = j < n ? ins.a[j] : 0;
          m_model.b_i[w] = j < n && !ins.reduce ? ins.b[j] : 0;
        }
        cycle();
      }
      idle_inputs();
    }
    for (std::uint64_t i = 0; i <= drain_limit && m_done < results.size(); ++i)
      cycle();
    m_results = nullptr;
    return results;
  }

  std::uint64_t cycle_count() const { return m_cycle; }

 private:
  void idle_inputs() {
    m_model.start_i = 0;
    m_model.in_valid_i = 0;
  }

  // Records what leaves the lane in the current cycle.
  void sample() {
    if (m_results == nullptr || m_done >= m_results->size()) return;
    VectorLaneResult& r = (*m_results)[m_done];
    if (m_model.y_valid_o) {
      for (std::uint32_t w = 0; w < kElems; ++w)
        r.values.push_back(static_cast<std::uint32_t>(m_model.y_o[w]));
      r.beat_cycles.push_back(m_cycle - r.start_cycle);
    }
    if (m_model.done_o) {
      r.done_cycle = m_cycle - r.start_cycle;
      ++m_done;
    }
  }

  // Ends the current cycle: outputs sampled, inputs as set, one rising edge.
  void cycle() {
    sample();
    edge();
    ++m_cycle;
  }

  void edge() {
    m_model.clk_i = 1;
    m_model.eval();
    m_model.clk_i = 0;
    m_model.eval();
  }

  Model& m_model;
  std::vector<VectorLaneResult>* m_results = nullptr;
  std::size_t m_done = 0;
  std::uint64_t m_cycle = 0;
};

}  // namespace trnsim::cosim
