// Functional execution: the tensors hold real data and every instruction applies its data
// effect while the timing model runs it, so a schedule with a race computes the wrong
// answer that hardware would.
//
// An instruction reads its inputs and computes its results when it issues (on_issue) and
// writes them when it completes (on_complete), at the simulated times of the timing model.
// Accumulating writes (matmul acc=accumulate into PSUM, DMA copy_add) add to what their
// destination holds when they write it, as the PSUM's and the DMA's adders do. A stream runs
// in order: when an instruction issues, the writes still pending from earlier instructions
// of its own stream land first, so it sees them (as the race detector assumes). What each
// opcode computes, in which precision, and how tensors are initialised is specified in
// docs/numerics.md; the opcodes themselves in docs/trace-format.md.
//
// Fidelity: values and rounding follow the documented rules exactly; how a real engine
// orders its internal arithmetic (beyond the documented accumulation orders) and the exact
// bits of its transcendental functions are not modelled.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "events/observer.h"
#include "functional/memory.h"
#include "io/npy.h"
#include "trace/footprint.h"
#include "trace/program.h"

namespace trnsim::functional {

class FunctionalExecutor : public events::Observer {
 public:
  // Allocates the tensors and fills them with their initial contents. Throws InputError
  // on the tensor's trace line when an init file cannot be read or does not match the
  // tensor's shape: construct it before simulating, never inside the simulation.
  // `tensor_addresses`: trace::assign_tensor_addresses. All three must outlive it.
  FunctionalExecutor(const trace::Program& program, const config::SystemConfig& cfg,
                     const std::vector<std::uint64_t>& tensor_addresses);

  void on_issue(const events::InstructionEvent& ev) override;
  void on_complete(const events::InstructionEvent& ev) override;

  // The current contents of tensor `index`, with its shape and dtype.
  io::Array tensor_array(std::uint32_t index) const;
  // The current values of tensor `index` as fp32, row-major.
  std::vector<float> tensor_values(std::uint32_t index) const;

 private:
  // A result waiting for its instruction to complete: bytes to store, or fp32 values to add
  // to the destination's (accumulating writes).
  struct PendingWrite {
    trace::Footprint where;
    isa::DType dtype = isa::DType::kFp32;
    std::vector<std::byte> bytes;
    std::vector<float> addend;
  };
  using Writes = std::vector<PendingWrite>;

  // An on-chip operand's values as fp32, partition by partition.
  struct Tile {
    std::uint32_t partitions = 0;
    std::uint64_t free = 0;  // elements per partition
    std::vector<float> values;
    float& at(std::uint32_t p, std::uint64_t i) { return values[p * free + i]; }
    const float& at(std::uint32_t p, std::uint64_t i) const { return values[p * free + i]; }
  };

  void initialise(std::uint32_t tensor);
  void apply(std::uint32_t instruction);
  void execute(const trace::Instruction& ins, Writes& out);

  const trace::Operand& operand(const trace::Arg& arg) const;
  trace::Footprint where(const trace::Instruction& ins, const trace::Arg& arg) const;
  std::vector<float> read(const trace::Instruction& ins, const trace::Arg& arg);
  std::vector<std::byte> read_bytes(const trace::Footprint& f);
  // The positional operand at `position`.
  Tile read_tile(const trace::Instruction& ins, std::size_t position);
  // One value per partition of the destination: an immediate, or a [P,1] operand.
  std::vector<float> per_partition(const trace::Instruction& ins, const trace::Arg* arg,
                                   std::uint32_t partitions, float fallback);
  void store(const trace::Instruction& ins, const trace::Arg& dst, const std::vector<float>& values,
             Writes& out) const;

  void matmul(const trace::Instruction& ins, Writes& out);
  void transpose(const trace::Instruction& ins, Writes& out);
  void activation(const trace::Instruction& ins, Writes& out);
  void tensor_tensor(const trace::Instruction& ins, Writes& out);
  void tensor_scalar(const trace::Instruction& ins, Writes& out);
  void tensor_reduce(const trace::Instruction& ins, Writes& out);
  void transpose32(const trace::Instruction& ins, Writes& out);
  void tensor_copy(const trace::Instruction& ins, Writes& out);
  void memset(const trace::Instruction& ins, Writes& out);
  void bn_stats(const trace::Instruction& ins, Writes& out);
  void bn_aggr(const trace::Instruction& ins, Writes& out);
  void statistics(const trace::Instruction& ins, bool aggregate, Writes& out);
  void iota(const trace::Instruction& ins, Writes& out);
  void affine_select(const trace::Instruction& ins, Writes& out);
  void partition_reduce(const trace::Instruction& ins, Writes& out);
  void copy(const trace::Instruction& ins, Writes& out);
  void copy_add(const trace::Instruction& ins, Writes& out);
  void dma(const trace::Instruction& ins, bool add, Writes& out);

  const trace::Program& m_program;
  const config::SystemConfig& m_cfg;
  const std::vector<std::uint64_t>& m_addresses;
  Memory m_memory;
  std::unordered_map<std::uint32_t, Writes> m_pending;  // by instruction index
  // Instructions with pending writes, in issue order, per stream (core, engine, queue).
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> m_in_flight;
};

}  // namespace trnsim::functional
