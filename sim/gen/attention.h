// `trnsim gen attention`: flash-attention forward, O = softmax(Q K^T * scale [+ mask]) V per
// head, as a trace.
//
// Tensors (2-D, heads stacked along the rows; d = head dim, L = query length, Lk = key
// length):
//   QT [H*d, L]   Q transposed: head h's rows h*d .. h*d+d-1, one row per head-dim index, so a
//                 query tile loads with the head dim on partitions (the contraction of Q K^T);
//   KT [H*d, Lk]  K transposed, likewise;
//   V  [H*Lk, d]  head h's rows h*Lk .., one key per row: a key chunk loads with keys on
//                 partitions (the contraction of P V);
//   O  [H*L, d]   the output, one query per row.
// None of them needs a transpose on chip; only P (queries on partitions, as the softmax needs
// it) is transposed for P V, by the tensor engine.
//
// Per head and tile of T query rows (T = partitions), the keys are walked in blocks of up to
// one PSUM bank of fp32 (512 keys on trn2), with an online softmax:
//   S = Q K^T (pe, one bank); causal: the block that holds the diagonal is copied to SBUF
//   (dve) and its last chunk masked with affine_select fill=-inf (pool); blocks wholly above
//   the diagonal are not emitted;
//   rm = rowmax(S) (dve); nm = min(-scale*rm, nm_prev) (pool), the negated scaled running max;
//   corr = exp(nm - nm_prev) (act); P = exp(scale*S + nm) with accum= the row sums rs (act);
//   P^T by pe transposes of each chunk of T keys, copied PSUM -> SBUF (dve);
//   l = l*corr + rs (pool); O_acc *= corr (dve, in the PSUM bank that accumulates O);
//   O_acc += P^T chunk^T V chunk (pe);
// and after the last block O = O_acc / l (dve), stored in the dtype.
// Query tiles go in pairs that share each K/V block load. Each (tile, block) step is emitted
// in four parts, rescale(g-1), front(g+k), P^T(g), P V(g-1), with k = 1 .. 3 steps in flight
// as PSUM banks allow, so the tensor engine's Q K^T of the next steps overlaps the chain
// row max -> exp of this one, and it never waits on a round trip through another engine for
// work it has just done (docs/generators.md).
// Heads are spread over cores round-robin. Every buffer reuse is guarded by the phase protocol
// of program_builder.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "io/npy.h"
#include "isa/isa.h"
#include "trace/program.h"

namespace trnsim::gen {

struct AttentionOptions {
  std::uint64_t seq = 0;         // L, query length
  std::uint64_t kv_seq = 0;      // Lk, key length; 0: the same as seq
  std::uint64_t head_dim = 128;  // d
  std::uint64_t heads = 1;       // H
  std::uint32_t cores = 1;       // heads spread round-robin over this many cores
  // Key k attends to query q only when k <= q + (Lk - L): the queries are the last L of the
  // Lk positions (Lk = L in self-attention; decode's new tokens after a KV cache).
  bool causal = false;
  isa::DType dtype = isa::DType::kBf16;  // Q, K, V, P and O: bf16 or fp32
  std::optional<double> scale;           // default 1/sqrt(d)
  std::uint64_t seed = 1;                // QT: seed, KT: seed + 1, V: seed + 2
  // V laid out by token, [Lk, H*d]: head h's values are columns h*d .. h*d+d-1, as a
  // projection X Wv produces them (instead of V [H*Lk, d]).
  bool v_by_token = false;
  // O written transposed, OT [H*d, L] (instead of O [H*L, d]): head h's rows h*d .., one
  // column per query, transposed by the tensor engine; the layout a following projection
  // O Wo takes as its stationary operand. Needs d <= the PE's columns.
  bool transposed_out = false;
};

struct AttentionPlan {
  AttentionOptions options;
  std::uint64_t kv_seq = 0;
  double scale = 0;
  std::uint32_t tile = 0;        // T: query rows per tile and keys per chunk
  std::uint32_t dk = 0;          // head-dim rows per Q K^T contraction step
  std::uint32_t block = 0;       // keys per block (a multiple of T)
  std::uint32_t kv_slots = 0;    // K/V block buffers in rotation
  std::uint32_t skew = 0;        // blocks whose front is emitted before an earlier back
  std::uint32_t step_slots = 0;  // per-block buffers (P, P^T, statistics) in rotation
  std::uint32_t group = 0;       // query tiles sharing each K/V block load
  std::uint32_t tile_slots = 0;  // per-tile buffers (Q, l, nm, O) in rotation
  std::uint32_t s_banks = 0;     // PSUM banks for S, P^T and O, in rotation
  std::uint32_t pt_banks = 0;
  std::uint32_t o_banks = 0;
  std::uint64_t sbuf_bytes = 0;           // per partition
  std::vector<std::uint8_t> load_queues;  // K and V chunks, in turn
  std::uint8_t q_queue = 0;               // Q tiles
  std::uint8_t store_queue = 0;           // O tiles
};

// Validates the options against `cfg` and chooses tiles, buffers and queues. Throws
// trnsim::InputError (file "gen attention", line 0) naming the problem.
AttentionPlan plan_attention(const AttentionOptions& options, const config::SystemConfig& cfg);

// The trace of plan_attention(options, cfg); deterministic.
trace::Program attention(const AttentionOptions& options, const config::SystemConfig& cfg);

// One line describing the plan, for `--verbose`.
std::string describe(const AttentionPlan& plan);

// FLOPs of the two matmuls that the result needs (4 L Lk d per head, only the kept
// query-key pairs when causal), the tensor engine's compute bound's numerator.
double attention_flops(const AttentionOptions& options);

// The expected O [H*L, d], computed in double from the same random inputs as the trace's
// init=random tensors (docs/numerics.md), rounded once to the dtype.
io::Array attention_reference(const AttentionOptions& options);

}  // namespace trnsim::gen
