// `trnsim gen allreduce|allgather|reducescatter|alltoall`: collective communication over
// several chips as one trace, one section per chip (`chip c core K`), moved by that core's
// DMA queues with HBM -> HBM `copy` and `copy_add` whose destination is another chip's HBM.
//
// Every chip c holds an input X<c> and an output Y<c> (marked `output`) in its own HBM, as
// two-dimensional tensors [rows, cols] whose rows are split into equal chunks. Steps are
// ordered only by semaphores: a sender waits on semaphores of its own core that the other
// chips post remotely, always from a DMA that wrote to this chip or from an instruction of
// the posting chip that completed after the data it announces. collectives.cpp states, next
// to the code, which post orders which access, so the trace is race-free under any timing.
//
// Chip numbering on a torus [x, y] or [x, y, z]: chip = x + X * (y + Y * z), x fastest.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"
#include "io/npy.h"
#include "isa/isa.h"
#include "trace/program.h"

namespace trnsim::gen {

enum class Collective : std::uint8_t { kAllReduce, kAllGather, kReduceScatter, kAllToAll };
enum class CollectiveAlgo : std::uint8_t { kDefault, kRing, kTree, k2d, kDirect };

std::string_view collective_name(Collective c);
std::string_view algo_name(CollectiveAlgo a);

struct CollectiveOptions {
  Collective collective = Collective::kAllReduce;
  CollectiveAlgo algo = CollectiveAlgo::kDefault;  // ring, or direct for alltoall
  std::uint32_t chips = 0;                         // 0: the config's system.chips
  // Bytes of the full buffer of one chip: X and Y of allreduce and alltoall, X of
  // reducescatter (whose Y is one chip's 1/chips share), Y of allgather (whose X is one
  // share).
  std::uint64_t bytes = 0;
  isa::DType dtype = isa::DType::kFp32;
  std::uint32_t core = 0;  // the core of every chip whose DMA queues move the data
  std::uint64_t seed = 1;  // X<c> uses seed + c
  // allreduce only: Y<c> holds the input (random from seed + c) and is reduced in place,
  // with no X<c> and no initial copy, as in-place collective libraries do.
  bool in_place = false;
  // 2d: the chip grid, x chips per row ring and y per column ring (0: from the torus).
  std::uint32_t grid_x = 0;
  std::uint32_t grid_y = 0;
  // Elements per row of the tensors; 0 chooses rows of a few KiB. A caller whose buffer
  // already has a shape (e.g. a matrix it shares with another generator) gives its width;
  // one shard (bytes / chips, or all for tree) must then be whole rows.
  std::uint64_t cols = 0;
};

// A cyclic order of chips 0..n-1 for ring algorithms in which consecutive chips (and the
// last and the first) are physical neighbours where the topology allows it: 0..n-1 on a
// ring, a switch or an edge list (and whenever n is not the config's chip count); on a 2D
// or 3D torus of n chips a boustrophedon (snake) over the torus coordinates with an even
// dimension outermost, so the last chip is a wrap-link neighbour of the first. When every
// dimension is odd the snake is still a path of neighbours but its closing hop is not.
std::vector<std::uint32_t> ring_order(const config::TopologyParams& topology,
                                      std::uint32_t config_chips, std::uint32_t n);

// The snake over a box of the given sizes (dims[0] fastest in the returned linear index
// lin = i0 + d0 * (i1 + d1 * i2)): consecutive entries differ by one in one coordinate.
std::vector<std::uint32_t> snake_order(const std::vector<std::uint32_t>& dims);

// The reduction tree of `tree` allreduce, rooted at chip 0: the parent of every chip
// (trace::kNone for the root) and its children in order. On a torus of all the config's
// chips, a chain along x from chip 0 and a chain down each column (snake over the other
// dimensions); on a ring of all its chips, two chains from chip 0, one each way; otherwise
// a balanced binary tree in heap order. At most two children per chip; on a torus or ring
// every edge is one link.
struct Tree {
  std::vector<std::uint32_t> parent;
  std::vector<std::vector<std::uint32_t>> children;
};
Tree reduction_tree(const config::TopologyParams& topology, std::uint32_t config_chips,
                    std::uint32_t n);

// What plan_collective() chose: the tensor shape and a line per pass, for --verbose.
struct CollectivePlan {
  CollectiveOptions options;  // chips and algo filled in
  std::uint64_t rows = 0;     // of the full buffer
  std::uint64_t cols = 0;
  std::uint64_t shards = 1;        // the buffer is split into this many equal row blocks
  std::vector<std::string> steps;  // human-readable, one line each
};

// Validates the options against the config and describes what will be emitted. Throws
// trnsim::InputError (file "gen <collective>", line 0) naming the problem.
CollectivePlan plan_collective(const CollectiveOptions& options, const config::SystemConfig& cfg);

// The trace. Deterministic: the same options and config give the same program.
trace::Program collective(const CollectiveOptions& options, const config::SystemConfig& cfg);

// The expected Y<c> of every chip, computed in double from the same random inputs and
// rounded to the dtype (index = chip).
std::vector<io::Array> collective_reference(const CollectiveOptions& options,
                                            const config::SystemConfig& cfg);

// The plan as text, for `--verbose`.
std::string describe(const CollectivePlan& plan);

}  // namespace trnsim::gen
