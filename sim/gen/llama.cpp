#include "gen/llama.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "common/diagnostic.h"
#include "functional/random_init.h"
#include "gen/attention.h"
#include "gen/compose.h"
#include "gen/gemm.h"
#include "gen/mlp.h"
#include "gen/norms.h"
#include "gen/program_builder.h"
#include "numerics/numerics.h"

namespace trnsim::gen {

namespace {

constexpr const char* kFile = "gen llama-layer";

[[noreturn]] void fail(std::string message) {
  throw InputError(kFile, 0, 0, std::move(message));
}

// Runs `f`, reporting a stage generator's InputError as one of the layer naming the stage.
template <typename F>
auto in_stage(std::string_view stage, F f) {
  return as_part_of(kFile, fmt::format("stage '{}'", stage), f);
}

GemmOptions gemm_options(const LlamaOptions& o, std::uint64_t m, std::uint64_t n) {
  GemmOptions g;
  g.m = m;
  g.n = n;
  g.k = o.hidden;
  g.dtype = o.dtype;
  g.out_dtype = o.dtype;
  g.cores = o.cores;
  return g;
}

NormOptions norm_options(const LlamaOptions& o) {
  NormOptions n;
  n.kind = NormKind::kRmsNorm;
  n.rows = o.tokens;
  n.cols = o.hidden;
  n.dtype = o.dtype;
  n.eps = o.eps;
  n.transposed = true;
  return n;
}

AttentionOptions attention_options(const LlamaOptions& o, std::uint64_t padded,
                                   std::uint64_t kv_seq) {
  AttentionOptions a;
  a.seq = padded;
  a.kv_seq = kv_seq;
  a.head_dim = o.hidden / o.heads;
  a.heads = o.heads;
  a.cores = o.cores;
  a.causal = true;
  a.dtype = o.dtype;
  a.scale = llama_attention_scale(o);
  a.v_by_token = true;
  a.transposed_out = true;
  return a;
}

MlpOptions mlp_options(const LlamaOptions& o) {
  MlpOptions m;
  m.tokens = o.tokens;
  m.hidden = o.hidden;
  m.ffn = o.ffn;
  m.dtype = o.dtype;
  m.out_dtype = o.dtype;
  m.cores = o.cores;
  return m;
}

// DMA copies (or copy_adds) of SRC [rows, cols] into DST [dst_rows, dst_cols] at (row0,
// col0), HBM to HBM, a block of rows per DMA spread over the queues.
trace::Program hbm_copy(const config::SystemConfig& cfg, isa::DType dtype, std::uint64_t rows,
                        std::uint64_t cols, std::uint64_t dst_rows, std::uint64_t dst_cols,
                        std::uint64_t row0, std::uint64_t col0, bool add) {
  ProgramBuilder b(kFile);
  auto tensor = [&](std::string name, std::uint64_t r, std::uint64_t c) {
    trace::TensorDecl t;
    t.name = std::move(name);
    t.dtype = dtype;
    t.shape = {r, c};
    return b.add_tensor(std::move(t));
  };
  const std::uint32_t src = tensor("SRC", rows, cols);
  const std::uint32_t dst = tensor("DST", dst_rows, dst_cols);
  b.begin_core({0, 0});
  // Blocks of as many rows as a tile has partitions: the size the other stages move.
  const std::uint64_t block = std::max<std::uint32_t>(1, cfg.sbuf.partitions);
  const std::uint32_t queues = std::clamp<std::uint32_t>(cfg.dma.queues, 1, 256);
  std::uint32_t turn = 0;
  for (std::uint64_t r = 0; r < rows; r += block) {
    const std::uint64_t e = std::min(rows, r + block);
    b.emit({isa::Engine::kDma, static_cast<std::uint8_t>(turn++ % queues)},
           add ? isa::Opcode::kCopyAdd : isa::Opcode::kCopy,
           {b.operand(b.slice(dst, row0 + r, row0 + e, col0, col0 + cols)),
            b.operand(b.slice(src, r, e, 0, cols))},
           {{}, {}});
  }
  return b.take();
}

void validate(const LlamaOptions& o, const config::SystemConfig& cfg) {
  if (o.tokens == 0 || o.hidden == 0 || o.heads == 0 || o.ffn == 0) {
    fail(fmt::format("tokens, hidden, heads and ffn must be at least 1, got T={} D={} NH={} F={}",
                     o.tokens, o.hidden, o.heads, o.ffn));
  }
  if (o.hidden % o.heads != 0) {
    fail(fmt::format("--hidden {} does not split into {} heads: D must be a multiple of --heads",
                     o.hidden, o.heads));
  }
  if (o.dtype != isa::DType::kBf16 && o.dtype != isa::DType::kFp32) {
    fail(fmt::format("dtype {} is not supported (one of: bf16, fp32)", isa::dtype_name(o.dtype)));
  }
  if (!o.decode && o.cache != 0) fail("--cache needs --decode (a KV cache is read only by decode)");
  if (o.decode && o.cache == 0) fail("--decode needs --cache S >= 1, the earlier tokens");
  if (o.cores == 0 || o.cores > cfg.chip.cores) {
    fail(fmt::format("--cores {} is out of range: config '{}' has {} cores per chip", o.cores,
                     cfg.name, cfg.chip.cores));
  }
}

std::vector<double> random_input(const LlamaOptions& o, std::uint64_t index, std::uint64_t rows,
                                 std::uint64_t cols) {
  trace::TensorDecl t;
  t.dtype = o.dtype;
  t.shape = {rows, cols};
  t.init = trace::InitKind::kRandom;
  t.seed = o.seed + index;
  t.dist = trace::Distribution::kUniform;
  const std::vector<float> v = functional::random_tensor(t);
  return {v.begin(), v.end()};
}

}  // namespace

double llama_attention_scale(const LlamaOptions& o) {
  const double d = static_cast<double>(o.hidden);
  return 3.0 / (d * std::sqrt(static_cast<double>(o.hidden / o.heads)));
}

std::vector<std::string> llama_stage_names(const LlamaOptions& o) {
  std::vector<std::string> names{"norm1", "q", "k", "v"};
  if (o.decode) {
    names.emplace_back("kcache");
    names.emplace_back("vcache");
  }
  for (const char* n : {"attn", "wo", "x2", "res1", "norm2", "mlp", "out", "res2"})
    names.emplace_back(n);
  return names;
}

std::vector<std::string> llama_inputs(const LlamaOptions& o) {
  std::vector<std::string> names{"X", "g1", "Wq", "Wk", "Wv", "Wo", "g2", "Wg", "Wu", "Wd"};
  if (o.decode) {
    names.emplace_back("KT_cache");
    names.emplace_back("V_cache");
  }
  return names;
}

LlamaPlan plan_llama(const LlamaOptions& options, const config::SystemConfig& cfg) {
  validate(options, cfg);
  LlamaPlan plan;
  plan.options = options;
  const LlamaOptions& o = plan.options;
  plan.head_dim = o.hidden / o.heads;
  // Attention's tile (gen attention's rule): queries per tile and keys per chunk.
  const std::uint64_t tile =
      std::min({cfg.sbuf.partitions, cfg.psum.partitions, cfg.tensor.rows, cfg.tensor.cols});
  if (tile == 0) fail(fmt::format("config '{}' has no partitions", cfg.name));
  plan.padded = (o.tokens + tile - 1) / tile * tile;
  if (o.decode && o.cache % tile != 0) {
    fail(
        fmt::format("--cache {} must be a multiple of {} (a tile of keys on config '{}'): the "
                    "new tokens' keys start a tile of the cache",
                    o.cache, tile, cfg.name));
  }
  plan.kv_seq = o.cache + plan.padded;
  const std::uint64_t t = o.tokens, d = o.hidden;
  auto line = [&](std::string_view name, std::string text) {
    while (!text.empty() && text.back() == '\n')
      text.pop_back();
    // The generator's further lines, indented under the stage's.
    for (std::size_t at = text.find('\n'); at != std::string::npos; at = text.find('\n', at + 1))
      text.insert(at + 1, "    ");
    plan.stages.push_back(fmt::format("{}: {}", name, text));
  };
  line("norm1", in_stage("norm1", [&] { return describe(plan_norm(norm_options(o), cfg)); }));
  line("q, k", in_stage("q", [&] { return describe(plan_gemm(gemm_options(o, d, t), cfg)); }));
  line("v, wo", in_stage("v", [&] { return describe(plan_gemm(gemm_options(o, t, d), cfg)); }));
  line("attn", in_stage("attn", [&] {
         return describe(plan_attention(attention_options(o, plan.padded, plan.kv_seq), cfg));
       }));
  line("mlp", in_stage("mlp", [&] { return describe(plan_mlp(mlp_options(o), cfg)); }));
  return plan;
}

trace::Program llama_layer(const LlamaOptions& options, const config::SystemConfig& cfg,
                           std::vector<StageInfo>* info) {
  const LlamaPlan plan = plan_llama(options, cfg);
  const LlamaOptions& o = plan.options;
  const std::uint64_t t = o.tokens, tp = plan.padded, d = o.hidden, f = o.ffn, s = o.cache,
                      lk = plan.kv_seq;

  StageChain chain(kFile);
  // The stages, up to the requested number.
  std::uint32_t added = 0;
  auto add_stage = [&](Stage stage) {
    if (o.stages == 0 || added < o.stages) chain.add(std::move(stage));
    ++added;
  };
  auto tensor = [&](std::string name, std::uint64_t rows, std::uint64_t cols) {
    trace::TensorDecl decl;
    decl.name = std::move(name);
    decl.dtype = o.dtype;
    decl.shape = {rows, cols};
    return decl;
  };
  // Inputs: uniform in [-1, 1), so that the products of a few hundred terms stay moderate
  // and attention's softmax is not one-hot (docs/generators.md).
  const std::vector<std::string> inputs = llama_inputs(o);
  auto input = [&](std::string name, std::uint64_t rows, std::uint64_t cols) {
    trace::TensorDecl decl = tensor(name, rows, cols);
    decl.init = trace::InitKind::kRandom;
    decl.seed = o.seed + (std::find(inputs.begin(), inputs.end(), name) - inputs.begin());
    decl.dist = trace::Distribution::kUniform;
    chain.add_tensor(std::move(decl));
  };
  input("X", t, d);
  input("g1", 1, d);
  for (const char* w : {"Wq", "Wk", "Wv", "Wo"})
    input(w, d, d);
  input("g2", 1, d);
  input("Wg", d, f);
  input("Wu", d, f);
  input("Wd", f, d);
  if (o.decode) {
    input("KT_cache", d, lk);
    input("V_cache", lk, d);
  }
  // Intermediates, zeros until written; OUT is the layer's output.
  for (const char* n : {"H1T", "H2T"})
    chain.add_tensor(tensor(n, d, t));
  for (const char* n : {"QT", "OT"})
    chain.add_tensor(tensor(n, d, tp));
  for (const char* n : {"AO", "X2", "Y"})
    chain.add_tensor(tensor(n, t, d));
  if (o.decode) {
    chain.add_tensor(tensor("KT_new", d, t));
    chain.add_tensor(tensor("V_new", t, d));
  } else {
    chain.add_tensor(tensor("KT", d, tp));
    chain.add_tensor(tensor("V", tp, d));
  }
  trace::TensorDecl out = tensor("OUT", t, d);
  out.output = true;
  chain.add_tensor(std::move(out));

  auto gemm_stage = [&](std::string name, std::uint64_t m, std::uint64_t n, std::string at,
                        std::string b, std::string c) {
    add_stage({std::move(name),
               gemm(gemm_options(o, m, n), cfg),
               {{"AT", std::move(at)}, {"B", std::move(b)}, {"C", std::move(c)}}});
  };
  auto copy_stage = [&](std::string name, std::string src, std::string dst, bool add,
                        std::uint64_t rows, std::uint64_t cols, std::uint64_t dst_rows,
                        std::uint64_t dst_cols, std::uint64_t row0, std::uint64_t col0) {
    add_stage({std::move(name),
               hbm_copy(cfg, o.dtype, rows, cols, dst_rows, dst_cols, row0, col0, add),
               {{"SRC", std::move(src)}, {"DST", std::move(dst)}}});
  };
  auto norm_stage = [&](std::string name, std::string x, std::string g, std::string yt) {
    add_stage({std::move(name),
               norm(norm_options(o), cfg),
               {{"X", std::move(x)}, {"gamma", std::move(g)}, {"YT", std::move(yt)}}});
  };

  norm_stage("norm1", "X", "g1", "H1T");
  gemm_stage("q", d, t, "Wq", "H1T", "QT");
  gemm_stage("k", d, t, "Wk", "H1T", o.decode ? "KT_new" : "KT");
  gemm_stage("v", t, d, "H1T", "Wv", o.decode ? "V_new" : "V");
  if (o.decode) {
    copy_stage("kcache", "KT_new", "KT_cache", false, d, t, d, lk, 0, s);
    copy_stage("vcache", "V_new", "V_cache", false, t, d, lk, d, s, 0);
  }
  add_stage({"attn",
             attention(attention_options(o, tp, lk), cfg),
             {{"QT", "QT"},
              {"KT", o.decode ? "KT_cache" : "KT"},
              {"V", o.decode ? "V_cache" : "V"},
              {"OT", "OT"}}});
  gemm_stage("wo", t, d, "OT", "Wo", "AO");
  copy_stage("x2", "X", "X2", false, t, d, t, d, 0, 0);
  copy_stage("res1", "AO", "X2", true, t, d, t, d, 0, 0);
  norm_stage("norm2", "X2", "g2", "H2T");
  add_stage({"mlp",
             mlp(mlp_options(o), cfg),
             {{"XT", "H2T"}, {"Wg", "Wg"}, {"Wu", "Wu"}, {"Wd", "Wd"}, {"Y", "Y"}}});
  copy_stage("out", "X2", "OUT", false, t, d, t, d, 0, 0);
  copy_stage("res2", "Y", "OUT", true, t, d, t, d, 0, 0);
  return chain.build(info);
}

std::string describe(const LlamaPlan& plan) {
  const LlamaOptions& o = plan.options;
  std::string out = fmt::format(
      "llama-layer {} T={} (attention padded to {}) D={} NH={} (head dim {}) F={}{} {}, {} "
      "core(s), stages joined through HBM:\n",
      o.decode ? "decode" : "prefill", o.tokens, plan.padded, o.hidden, o.heads, plan.head_dim,
      o.ffn, o.decode ? fmt::format(" S={}", o.cache) : "", isa::dtype_name(o.dtype), o.cores);
  for (const std::string& s : plan.stages)
    out += "  " + s + "\n";
  return out;
}

io::Array llama_reference(const LlamaOptions& o, const config::SystemConfig& cfg) {
  const LlamaPlan plan = plan_llama(o, cfg);
  const std::uint64_t t = o.tokens, d = o.hidden, f = o.ffn, nh = o.heads, hd = d / nh;
  // The cache tensors are [D, S + Tp] and [S + Tp, D]; the new tokens' keys follow the S
  // earlier ones.
  const std::uint64_t s = o.cache, lk = s + t, cache_cols = plan.kv_seq;
  auto round = [&](std::vector<double>& v) {
    for (double& x : v)
      x = numerics::round_to(o.dtype, static_cast<float>(x));
  };
  // C [m, n] = A [m, k] B [k, n], exact, rounded to the dtype.
  auto matmul = [&](const std::vector<double>& a, const std::vector<double>& b, std::uint64_t m,
                    std::uint64_t k, std::uint64_t n) {
    std::vector<double> c(m * n, 0.0);
    for (std::uint64_t i = 0; i < m; ++i)
      for (std::uint64_t kk = 0; kk < k; ++kk) {
        const double x = a[i * k + kk];
        for (std::uint64_t j = 0; j < n; ++j)
          c[i * n + j] += x * b[kk * n + j];
      }
    round(c);
    return c;
  };
  auto rmsnorm = [&](const std::vector<double>& x, const std::vector<double>& g) {
    std::vector<double> y(t * d);
    for (std::uint64_t r = 0; r < t; ++r) {
      double squares = 0;
      for (std::uint64_t c = 0; c < d; ++c)
        squares += x[r * d + c] * x[r * d + c];
      const double inv = 1.0 / std::sqrt(squares / static_cast<double>(d) + o.eps);
      for (std::uint64_t c = 0; c < d; ++c)
        y[r * d + c] = x[r * d + c] * inv * g[c];
    }
    round(y);
    return y;
  };
  auto add = [&](const std::vector<double>& a, const std::vector<double>& b) {
    std::vector<double> c(a.size());
    for (std::size_t i = 0; i < a.size(); ++i)
      c[i] = a[i] + b[i];
    round(c);
    return c;
  };
  std::uint64_t index = 0;
  auto next = [&](std::uint64_t rows, std::uint64_t cols) {
    return random_input(o, index++, rows, cols);
  };
  const std::vector<double> x = next(t, d), g1 = next(1, d), wq = next(d, d), wk = next(d, d),
                            wv = next(d, d), wo = next(d, d), g2 = next(1, d), wg = next(d, f),
                            wu = next(d, f), wd = next(f, d);
  const std::vector<double> h1 = rmsnorm(x, g1);
  const std::vector<double> q = matmul(h1, wq, t, d, d);
  std::vector<double> k = matmul(h1, wk, t, d, d), v = matmul(h1, wv, t, d, d);
  if (o.decode) {
    // Cache rows: the earlier tokens' keys (KT_cache's columns) and values, then the new.
    const std::vector<double> kt_cache = next(d, cache_cols), v_cache = next(cache_cols, d);
    std::vector<double> kc(lk * d), vc(lk * d);
    for (std::uint64_t j = 0; j < lk; ++j)
      for (std::uint64_t c = 0; c < d; ++c) {
        kc[j * d + c] = j < s ? kt_cache[c * cache_cols + j] : k[(j - s) * d + c];
        vc[j * d + c] = j < s ? v_cache[j * d + c] : v[(j - s) * d + c];
      }
    k = std::move(kc);
    v = std::move(vc);
  }
  // Causal: token i sits at position s + i and attends to keys 0 .. s + i.
  const double scale = llama_attention_scale(o);
  std::vector<double> a(t * d);
  std::vector<double> p(lk);
  for (std::uint64_t h = 0; h < nh; ++h)
    for (std::uint64_t i = 0; i < t; ++i) {
      const std::uint64_t keys = s + i + 1;
      double max = -INFINITY;
      for (std::uint64_t j = 0; j < keys; ++j) {
        double dot = 0;
        for (std::uint64_t c = 0; c < hd; ++c)
          dot += q[i * d + h * hd + c] * k[j * d + h * hd + c];
        p[j] = dot * scale;
        max = std::max(max, p[j]);
      }
      double sum = 0;
      for (std::uint64_t j = 0; j < keys; ++j) {
        p[j] = std::exp(p[j] - max);
        sum += p[j];
      }
      for (std::uint64_t c = 0; c < hd; ++c) {
        double acc = 0;
        for (std::uint64_t j = 0; j < keys; ++j)
          acc += p[j] * v[j * d + h * hd + c];
        a[i * d + h * hd + c] = acc / sum;
      }
    }
  round(a);
  const std::vector<double> x2 = add(x, matmul(a, wo, t, d, d));
  const std::vector<double> h2 = rmsnorm(x2, g2);
  // h = silu(gate) * up from the exact products, rounded once (as the MLP stores it).
  std::vector<double> hid(t * f, 0.0);
  for (std::uint64_t r = 0; r < t; ++r)
    for (std::uint64_t j = 0; j < f; ++j) {
      double g = 0, u = 0;
      for (std::uint64_t c = 0; c < d; ++c) {
        g += h2[r * d + c] * wg[c * f + j];
        u += h2[r * d + c] * wu[c * f + j];
      }
      hid[r * f + j] = g / (1.0 + std::exp(-g)) * u;
    }
  round(hid);
  const std::vector<double> out = add(x2, matmul(hid, wd, t, f, d));
  const std::vector<float> rounded(out.begin(), out.end());
  return io::make_array(o.dtype, {t, d}, rounded);
}

}  // namespace trnsim::gen
