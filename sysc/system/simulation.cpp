#include "sysc/system/simulation.h"

#include <memory>
#include <set>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "common/diagnostic.h"
#include "sysc/chip/chip.h"
#include "sysc/common/clock.h"
#include "sysc/common/kernel.h"
#include "sysc/core/semaphores.h"
#include "sysc/link/network.h"

namespace trnsim::sysc {

namespace {

// The memories a program touches beyond its cores' own: the chips whose HBM it names, and
// the cores whose SBUF a DMA of another core names (`chipN.coreM.sbuf`).
struct NamedMemories {
  std::set<std::uint32_t> chips;
  std::set<std::pair<std::uint32_t, std::uint32_t>> sbufs;  // (chip, core)
};

NamedMemories named_memories(const trace::Program& program) {
  NamedMemories named;
  for (const auto& t : program.tensors)
    named.chips.insert(t.chip);
  for (const trace::Instruction& ins : program.instructions) {
    const trace::Arg* args = program.args_of(ins);
    for (std::uint32_t i = 0; i < ins.num_args; ++i) {
      if (args[i].kind != isa::ArgKind::kOperand) continue;
      const trace::Operand& op = program.operand(args[i].operand);
      if (op.form == trace::OperandForm::kHbmAddress && op.chip != trace::kNone)
        named.chips.insert(op.chip);
      if (op.memory() == isa::Memory::kSbuf && op.core != trace::kNone) {
        const trace::CoreId owner = op.owner(program.cores[ins.core_index].id);
        named.chips.insert(owner.chip);
        named.sbufs.emplace(owner.chip, owner.core);
      }
    }
  }
  return named;
}

// The chips a program touches: those with cores, and those whose memory it names.
std::set<std::uint32_t> chips_used(const trace::Program& program, const NamedMemories& named) {
  std::set<std::uint32_t> chips = named.chips;
  for (const auto& c : program.cores)
    chips.insert(c.id.chip);
  return chips;
}

// The top of the module hierarchy: the chips the program uses and, when the system has
// more than one chip, the network between them.
class System : public sc_core::sc_module {
 public:
  System(sc_core::sc_module_name name, EngineContext& ctx, const TensorAddresses& tensors)
      : sc_module(name) {
    const std::vector<trace::Stream> streams = ctx.program.streams();
    const NamedMemories named = named_memories(ctx.program);
    const std::set<std::uint32_t> chips = chips_used(ctx.program, named);
    if (ctx.cfg.system.chips > 1) {
      m_network = std::make_unique<Network>(
          "network", ctx.cfg, std::vector<std::uint32_t>(chips.begin(), chips.end()), &ctx.probe);
      ctx.network = m_network.get();
    }
    for (std::uint32_t chip : chips) {
      std::vector<std::uint32_t> sbuf_only;  // cores written into, without a section
      for (const auto& [c, core] : named.sbufs) {
        if (c == chip) sbuf_only.push_back(core);
      }
      m_chips.push_back(std::make_unique<Chip>(fmt::format("chip{}", chip).c_str(), ctx, chip,
                                               streams, tensors, sbuf_only));
      if (!m_network) continue;
      m_network->memory.bind(m_chips.back()->router().target);
      for (const auto& core : m_chips.back()->cores()) {
        const std::uint32_t id = ctx.program.cores[core->core_index()].id.core;
        core->dma().attach_network(m_network.get(), chip, id * core->dma().count());
      }
    }
  }
  const std::vector<std::unique_ptr<Chip>>& chips() const { return m_chips; }
  const Network* network() const { return m_network.get(); }

 private:
  std::unique_ptr<Network> m_network;
  std::vector<std::unique_ptr<Chip>> m_chips;
};

BlockedStream blocked_stream(const EngineBase& e, const trace::Program& p, const Semaphores& sems) {
  BlockedStream b;
  b.instruction = e.stream().instructions[e.position()];
  b.core_index = e.stream().core_index;
  b.engine = e.stream().engine;
  b.queue = e.stream().queue;
  const trace::Instruction& ins = p.instructions[b.instruction];
  const trace::SyncOp* syncs = p.syncs_of(ins);
  for (std::uint32_t i = 0; i < ins.num_syncs; ++i) {
    if (syncs[i].kind == trace::SyncKind::kWaitGe &&
        sems.value(syncs[i].semaphore) < syncs[i].value) {
      b.conditions.push_back({syncs[i].semaphore, syncs[i].value, sems.value(syncs[i].semaphore)});
    }
  }
  return b;
}

}  // namespace

bool check_supported(const trace::Program& program, DiagnosticList& diags) {
  const std::size_t before = diags.error_count();
  for (const trace::Instruction& ins : program.instructions) {
    if (ins.engine != isa::Engine::kDma) continue;
    const std::uint32_t chip = program.cores[ins.core_index].id.chip;
    const trace::Arg* args = program.args_of(ins);
    std::uint32_t operand = 0;  // 0: the destination, 1: the source
    for (std::uint32_t i = 0; i < ins.num_args; ++i) {
      if (args[i].kind != isa::ArgKind::kOperand) continue;
      const trace::Operand& op = program.operand(args[i].operand);
      const std::uint32_t target =
          op.form == trace::OperandForm::kTensorSlice ? program.tensors[op.tensor].chip
          : op.chip != trace::kNone ? op.chip  // chipN.hbm@.. or chipN.coreM.sbuf[..]
                                    : chip;
      if (operand++ == 1 && target != chip) {
        diags.error(program.file, ins.line, args[i].column,
                    fmt::format("chip {} reads the memory of chip {}: the network model carries "
                                "writes only; issue the copy on chip {} (a DMA queue of one "
                                "of its cores) to write into chip {}",
                                chip, target, target, chip));
      }
    }
  }
  return diags.error_count() == before;
}

SimulationResult simulate(const trace::Program& program, const config::SystemConfig& cfg,
                          const TensorAddresses& tensors,
                          const std::vector<events::Observer*>& observers,
                          double time_limit_seconds, const ModelHooks& hooks) {
  const ScopedKernel kernel;  // outlives the System below
  events::Probe probe;
  for (auto* o : observers)
    probe.attach(o);
  Semaphores semaphores(program.semaphores.size());
  EngineContext ctx{program, cfg, semaphores, probe, hooks.array_timing, nullptr};

  SimulationResult result;
  {
    System system("system", ctx, tensors);
    if (time_limit_seconds > 0) {
      sc_core::sc_start(nanoseconds(time_limit_seconds * 1e9));
      result.stopped_at_limit = sc_core::sc_pending_activity();
    } else {
      sc_core::sc_start();
    }
    restore_main_stack();
    result.seconds = sc_core::sc_time_stamp().to_seconds();
    result.completed = true;
    for (const auto& chip : system.chips()) {
      result.traffic.chips++;
      result.traffic.hbm_bytes_read += chip->hbm().bytes_read();
      result.traffic.hbm_bytes_written += chip->hbm().bytes_written();
      result.traffic.hbm_busy_seconds += chip->hbm().busy_total().to_seconds();
      for (const auto& core : chip->cores()) {
        result.traffic.dma_engine_busy_seconds += core->dma().busy_total().to_seconds();
        result.traffic.dma_engines += core->dma().count();
        for (const auto& e : core->engines()) {
          if (e->finished()) continue;
          result.completed = false;
          result.blocked.push_back(blocked_stream(*e, program, semaphores));
        }
      }
    }
    if (const Network* net = system.network()) {
      events::MemoryTraffic& t = result.traffic;
      const double cycle_seconds = 1e-9 / cfg.link.clock_ghz;
      t.link_ports = static_cast<std::uint32_t>(net->traffic().size());
      for (std::size_t p = 0; p < net->traffic().size(); ++p) {
        const PortTraffic& pt = net->traffic()[p];
        const double busy = static_cast<double>(pt.busy_cycles) * cycle_seconds;
        t.link_bytes += pt.bytes;
        t.link_packets += pt.packets;
        t.link_busy_seconds += busy;
        t.link_peak_bytes_per_s +=
            net->topology().ports()[p].links * cfg.link.bandwidth_gb_s * 1e9;  // GB/s
        if (busy > t.busiest_link_seconds) {
          t.busiest_link_seconds = busy;
          t.busiest_link = net->topology().ports()[p].name;
        }
      }
    }
    if (result.stopped_at_limit) result.completed = false;
    for (std::uint32_t s = 0; s < program.semaphores.size(); ++s) {
      result.final_semaphores.push_back(semaphores.value(s));
    }
  }
  probe.finish(result.seconds);
  return result;
}

}  // namespace trnsim::sysc
