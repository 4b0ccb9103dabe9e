// `trnsim gen llama-layer`: one Llama-style decoder layer (multi-head attention without GQA,
// no RoPE) as a trace, prefill or decode:
//
//   H1 = rmsnorm(X) * g1;  Q = H1 Wq, K = H1 Wk, V = H1 Wv;  A = attention(Q, K, V)
//   X2 = X + A Wo;  H2 = rmsnorm(X2) * g2;  OUT = X2 + (silu(H2 Wg) * (H2 Wu)) Wd
//
// X and OUT are [T, D] (tokens x hidden), the weights [D, D], [D, F] and [F, D] as they
// multiply from the right, heads of d = D / NH columns side by side.
//
// The layer is a sequence of kernels joined through HBM (stages.h): each stage is one
// existing generator's program, its tensors bound to the layer's, and it starts once the
// earlier stages are done on its core. The layouts meet without any transpose in HBM:
//   norm1  rmsnorm --transposed: H1T [D, T]
//   q, k   gemm AT=Wq (Wk), B=H1T: QT, KT [D, T] = attention's QT and KT (head h's rows
//          h*d ..)
//   v      gemm AT=H1T, B=Wv: V [T, D], read by attention in its token-major layout
//   attn   attention, causal, O written transposed: OT [D, T]
//   wo     gemm AT=OT, B=Wo: AO [T, D]
//   res1   DMA copy X2 = X, then copy_add X2 += AO (HBM to HBM)
//   norm2  rmsnorm --transposed of X2: H2T [D, T] = the MLP's XT
//   mlp    SwiGLU MLP: Y [T, D]
//   res2   DMA copy OUT = X2, then copy_add OUT += Y
// Decode: the T new tokens attend over a KV cache of S earlier tokens plus themselves. The
// cache tensors KT_cache [D, S + Tp] and V_cache [S + Tp, D] (Tp: T padded to a tile, see
// LlamaPlan) hold random earlier keys and values; the k and v stages write the new tokens'
// K^T and V (KT_new, V_new), which DMA copies put into the cache's columns (rows) S ..
// S + T - 1 before attention reads the cache, with its queries at positions S ...
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"
#include "gen/stages.h"
#include "io/npy.h"
#include "isa/isa.h"
#include "trace/program.h"

namespace trnsim::gen {

struct LlamaOptions {
  std::uint64_t tokens = 0;  // T: the prompt (prefill) or the new tokens (decode)
  std::uint64_t hidden = 0;  // D
  std::uint64_t heads = 0;   // NH; the head dim is D / NH
  std::uint64_t ffn = 0;     // F
  bool decode = false;
  std::uint64_t cache = 0;               // S: decode only, earlier tokens in the KV cache
  isa::DType dtype = isa::DType::kBf16;  // every tensor: bf16 or fp32
  std::uint32_t cores = 1;               // for the GEMMs, attention and the MLP
  double eps = 1e-5;                     // of both RMS norms
  std::uint64_t seed = 1;                // see llama_inputs()
  // Emit only the first this many stages (0: all), to measure each stage's share of the
  // time by difference; OUT is then not written.
  std::uint32_t stages = 0;
};

// The names of the stages, in order (12 for prefill, 14 for decode).
std::vector<std::string> llama_stage_names(const LlamaOptions& options);

// The layer's random tensors, in this order: X, g1, Wq, Wk, Wv, Wo, g2, Wg, Wu, Wd, and for
// decode KT_cache, V_cache. Tensor i has seed + i.
std::vector<std::string> llama_inputs(const LlamaOptions& options);

// The attention's scale: 1/sqrt(d) as usual, divided by D/3. The weights are uniform in
// [-1, 1) (variance 1/3), where a trained layer's have a variance of about 1/D, so Q and K
// come out sqrt(D/3) times too large each; without the correction the scores would spread
// over hundreds and the softmax would pick one key, which makes the result hinge on the
// last bit of a score. The trace's timing does not depend on it.
double llama_attention_scale(const LlamaOptions& options);

struct LlamaPlan {
  LlamaOptions options;
  std::uint64_t head_dim = 0;
  // Attention works on whole tiles of queries and keys (the partitions, 128 on trn2), so the
  // layer pads the tokens to Tp for it: QT, KT, OT [D, Tp] and V [Tp, D] hold the T tokens
  // in their first columns (rows) and zeros after; the padded queries see only padding or
  // real keys, and their outputs are never read (the Wo GEMM takes OT's first T columns).
  std::uint64_t padded = 0;  // Tp, T rounded up to a whole tile
  std::uint64_t kv_seq = 0;  // keys of attention: Tp (prefill) or S + Tp (decode)
  // One line per stage: its name and the generator's description.
  std::vector<std::string> stages;
};

// Validates the options (throws trnsim::InputError, file "gen llama-layer", naming the
// problem, also for a stage's generator refusing its part) and describes the stages.
LlamaPlan plan_llama(const LlamaOptions& options, const config::SystemConfig& cfg);

// The trace; `info`, when given, receives where each stage went. Deterministic.
trace::Program llama_layer(const LlamaOptions& options, const config::SystemConfig& cfg,
                           std::vector<StageInfo>* info = nullptr);

std::string describe(const LlamaPlan& plan);

// The expected OUT [T, D], computed in double from the same random inputs, each stage
// exactly and rounded once to the dtype where the trace stores it in HBM (H1T, Q, K, V, the
// attention output, A Wo, X2, H2T, the MLP's h and Y, OUT), so that errors do not compound
// from stage to stage in the comparison.
io::Array llama_reference(const LlamaOptions& options, const config::SystemConfig& cfg);

}  // namespace trnsim::gen
