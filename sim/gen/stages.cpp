#include "gen/stages.h"

#include <algorithm>
#include <set>
#include <stdexcept>
#include <tuple>

#include <fmt/format.h>

#include "gen/compose.h"

namespace trnsim::gen {

// Why a chain is race-free and deadlock-free under any timing.
//
// Within a stage: its own protocol, unchanged. Its semaphores are renamed apart from every
// other stage's, and the chain only adds waits for earlier stages and posts to semaphores of
// its own (fence, hbm_*), so a stage's instructions see the same conditions as alone.
//
// On-chip memory of core c. Let N_m be the number of instructions of stages before m on
// core c; each of them posts fence(c) += 1 when it completes. The first instruction of each
// stream of stage m on core c waits fence(c) >= N_m. Until some instruction of stage m (or
// later) on core c has completed, only instructions of earlier stages have posted, so that
// wait holds only once all N_m of them have completed; and no instruction of stage m or later
// on core c can complete before some stream head of stage m has issued, because streams
// issue in program order and later stages come later in every stream. So every access of
// stage m to core c's SBUF and PSUM starts after every earlier stage's access there ended.
// A DMA posts when its transfer has landed, so this also orders core c's own HBM accesses.
//
// HBM between cores. For a tensor T and cores c != c2, an access of stage i on c posts
// hbm_T(c2) += 1 when some later stage m accesses T on c2 and one of the two writes. The
// first instruction of each stream of stage m on c2 that accesses T waits until hbm_T(c2)
// has the posts of every stage before m; by the argument above (these semaphores, too, are
// posted only by earlier stages until stage m runs), all those accesses have completed, and
// later ones in the same stream follow in program order.
//
// Deadlock. Every added wait of stage m counts instructions of stages before m only. Stage
// 0 runs as alone. If all stages before m complete, every added wait of stage m holds, and
// stage m runs as alone (its instructions sit after the earlier stages' in every stream);
// by induction every stage completes.

namespace {

[[noreturn]] void fail(const std::string& message) {
  throw std::logic_error("gen stages: " + message);
}

struct CoreKey {
  std::uint32_t chip = 0, core = 0;
  auto tie() const { return std::tie(chip, core); }
  bool operator<(const CoreKey& o) const { return tie() < o.tie(); }
};

struct StreamKey {
  CoreKey core;
  isa::Engine engine = isa::Engine::kSync;
  std::uint8_t queue = 0;
  auto tie() const { return std::tie(core.chip, core.core, engine, queue); }
  bool operator<(const StreamKey& o) const { return tie() < o.tie(); }
};

struct Access {
  std::string tensor;  // the chain's name
  bool write = false;
};

struct InsInfo {
  StreamKey stream;
  std::vector<Access> accesses;
};

// Reads and writes of tensors per stage and core.
struct Use {
  bool read = false, write = false;
};

std::vector<InsInfo> analyse(const trace::Program& p,
                             const std::map<std::string, std::string>& bind) {
  auto chain_name = [&](std::uint32_t tensor) {
    const std::string& name = p.tensors[tensor].name;
    const auto b = bind.find(name);
    return b == bind.end() ? name : b->second;
  };
  std::vector<InsInfo> out;
  out.reserve(p.instructions.size());
  for (const trace::Instruction& ins : p.instructions) {
    InsInfo info;
    const trace::CoreId id = p.cores[ins.core_index].id;
    info.stream = {{id.chip, id.core},
                   ins.engine,
                   ins.engine == isa::Engine::kDma ? ins.queue : std::uint8_t{0}};
    std::size_t position = 0;
    for (const trace::Arg* a = p.args_of(ins); a != p.args_of(ins) + ins.num_args; ++a) {
      const bool positional = a->key == isa::Attr::kNone;
      if (a->kind == isa::ArgKind::kOperand) {
        const trace::Operand& op = p.operand(a->operand);
        if (op.tensor != trace::kNone) {
          // The destination (position 0) is written; copy_add also reads it.
          const bool dst = positional && position == 0;
          if (dst) info.accesses.push_back({chain_name(op.tensor), true});
          if (!dst || ins.opcode == isa::Opcode::kCopyAdd)
            info.accesses.push_back({chain_name(op.tensor), false});
        }
      }
      if (positional) ++position;
    }
    out.push_back(std::move(info));
  }
  return out;
}

trace::SyncOp sync(std::uint32_t semaphore, std::int64_t value, trace::SyncKind kind) {
  trace::SyncOp s;
  s.semaphore = semaphore;
  s.value = value;
  s.kind = kind;
  return s;
}

}  // namespace

trace::Program StageChain::build(std::vector<StageInfo>* info) const {
  trace::Program out;
  out.file = m_file;
  for (const trace::TensorDecl& t : m_tensors)
    out.add_tensor(t);

  // Stages with their semaphores renamed apart and bound tensors widened.
  std::vector<trace::Program> programs;
  std::set<std::string> names;
  for (const Stage& stage : m_stages) {
    if (!names.insert(stage.name).second)
      fail(fmt::format("two stages are named '{}'", stage.name));
    trace::Program p = stage.program;
    for (trace::SemaphoreDecl& s : p.semaphores)
      s.name += "_" + stage.name;
    for (const auto& [from, to] : stage.bind) {
      const std::uint32_t t = p.find_tensor(from);
      const std::uint32_t u = out.find_tensor(to);
      if (t == trace::kNone || u == trace::kNone) {
        fail(fmt::format("stage '{}' binds '{}' to '{}', and one of them does not exist",
                         stage.name, from, to));
      }
      trace::TensorDecl& mine = p.tensors[t];
      const trace::TensorDecl& theirs = out.tensors[u];
      if (mine.shape == theirs.shape) continue;
      bool fits = mine.dtype == theirs.dtype && mine.shape.size() == theirs.shape.size();
      for (std::size_t d = 0; fits && d < mine.shape.size(); ++d)
        fits = mine.shape[d] <= theirs.shape[d];
      for (const trace::Operand& op : p.operands)
        fits = fits && (op.tensor != t || op.ndims == mine.shape.size());
      if (!fits) {
        fail(
            fmt::format("stage '{}' binds '{}' to '{}', which is not a larger tensor of the same "
                        "dtype that the stage names only by slices",
                        stage.name, from, to));
      }
      mine.shape = theirs.shape;
    }
    programs.push_back(std::move(p));
  }

  const std::size_t n = programs.size();
  std::vector<std::vector<InsInfo>> infos;
  for (std::size_t i = 0; i < n; ++i)
    infos.push_back(analyse(programs[i], m_stages[i].bind));

  // Instructions per stage and core, and each tensor's uses per stage and core.
  std::vector<std::map<CoreKey, std::int64_t>> count(n);
  std::vector<std::map<std::string, std::map<CoreKey, Use>>> uses(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (const InsInfo& x : infos[i]) {
      ++count[i][x.stream.core];
      for (const Access& a : x.accesses) {
        Use& u = uses[i][a.tensor][x.stream.core];
        (a.write ? u.write : u.read) = true;
      }
    }
  }
  // Whether stages after i have instructions on core c.
  auto later_on = [&](std::size_t i, const CoreKey& c) {
    for (std::size_t m = i + 1; m < n; ++m)
      if (count[m].count(c)) return true;
    return false;
  };
  // later[i][tensor][core]: whether stages after i access the tensor on the core (read),
  // and whether one of them writes it (write).
  std::vector<std::map<std::string, std::map<CoreKey, Use>>> later(n);
  for (std::size_t i = n; i-- > 1;) {
    later[i - 1] = later[i];
    for (const auto& [tensor, cores] : uses[i]) {
      for (const auto& [c, u] : cores) {
        Use& l = later[i - 1][tensor][c];
        l.read = true;
        l.write = l.write || u.write;
      }
    }
  }

  // The chain's semaphores: a fence per core used by two stages, hbm_<T> per tensor and
  // core that waits for other cores.
  std::map<CoreKey, std::uint32_t> fence;
  std::map<std::pair<std::string, CoreKey>, std::uint32_t> hbm;
  auto core_index = [&](const CoreKey& c) { return out.core_index({c.chip, c.core}); };
  for (std::size_t i = 0; i < n; ++i) {
    for (const auto& [c, k] : count[i]) {
      if (!fence.count(c) && later_on(i, c))
        fence[c] = out.add_semaphore({"fence", core_index(c), 0, 0});
    }
  }
  // Extra syncs per stage and instruction: waits first, then posts.
  std::vector<std::vector<std::vector<trace::SyncOp>>> waits(n), posts(n);
  std::map<std::pair<std::string, CoreKey>, std::int64_t> hbm_posts;  // so far
  std::map<CoreKey, std::int64_t> fence_posts;                        // so far
  std::vector<StageInfo> stage_info(n);
  for (std::size_t i = 0; i < n; ++i) {
    waits[i].resize(infos[i].size());
    posts[i].resize(infos[i].size());
    stage_info[i].name = m_stages[i].name;
    stage_info[i].instructions = static_cast<std::uint32_t>(infos[i].size());
    std::set<StreamKey> started;
    std::set<std::pair<StreamKey, std::string>> waited;
    for (std::size_t k = 0; k < infos[i].size(); ++k) {
      const InsInfo& x = infos[i][k];
      const CoreKey& c = x.stream.core;
      if (started.insert(x.stream).second && fence_posts[c] > 0) {
        waits[i][k].push_back(sync(fence.at(c), fence_posts[c], trace::SyncKind::kWaitGe));
        ++stage_info[i].fence_waits;
      }
      bool hbm_wait = false;
      for (const Access& a : x.accesses) {
        const auto key = std::make_pair(a.tensor, c);
        const auto h = hbm_posts.find(key);
        if (h != hbm_posts.end() && h->second > 0 && waited.insert({x.stream, a.tensor}).second) {
          waits[i][k].push_back(sync(hbm.at(key), h->second, trace::SyncKind::kWaitGe));
          hbm_wait = true;
        }
      }
      stage_info[i].hbm_waits += hbm_wait ? 1 : 0;
    }
    // Posts, counted after this stage's waits were taken.
    for (std::size_t k = 0; k < infos[i].size(); ++k) {
      const InsInfo& x = infos[i][k];
      const CoreKey& c = x.stream.core;
      if (later_on(i, c)) {
        posts[i][k].push_back(sync(fence.at(c), 1, trace::SyncKind::kPostAdd));
        ++fence_posts[c];
      }
      // An access is posted to every other core on which a later stage accesses the
      // tensor, when one of the two writes.
      std::set<std::pair<std::string, CoreKey>> posted;
      for (const Access& a : x.accesses) {
        const auto t = later[i].find(a.tensor);
        if (t == later[i].end()) continue;
        for (const auto& [c2, u] : t->second) {
          if (c2.chip == c.chip && c2.core == c.core) continue;
          const auto key = std::make_pair(a.tensor, c2);
          if (!(a.write || u.write) || !posted.insert(key).second) continue;
          if (!hbm.count(key))
            hbm[key] = out.add_semaphore({"hbm_" + a.tensor, core_index(c2), 0, 0});
          posts[i][k].push_back(sync(hbm[key], 1, trace::SyncKind::kPostAdd));
          ++hbm_posts[key];
        }
      }
    }
  }

  for (std::size_t i = 0; i < n; ++i) {
    AppendOptions a;
    a.bind = m_stages[i].bind;
    a.edit_syncs = [&, i](std::uint32_t k, std::vector<trace::SyncOp>& syncs) {
      syncs.insert(syncs.begin(), waits[i][k].begin(), waits[i][k].end());
      syncs.insert(syncs.end(), posts[i][k].begin(), posts[i][k].end());
    };
    stage_info[i].first_instruction = static_cast<std::uint32_t>(out.instructions.size());
    append(out, programs[i], a);
  }
  if (info) *info = std::move(stage_info);
  return out;
}

}  // namespace trnsim::gen
