// The run as a timeline: Chrome / Perfetto trace-event JSON (docs/timeline.md).
//
// TimelineRecorder listens to a run (an events::Observer) and keeps what falls inside a
// time window, up to a maximum number of events, so that a huge run still gives a file a
// viewer can load. At the end it lays the records out as:
//   - a process per chip (and one for the network's switch, if any);
//   - per core, a track per engine, the tensor engine split into its weight loads and its
//     matmuls, one per DMA queue and one per DMA engine; overlapping slices of one stream
//     (pipelined or outstanding instructions) go on extra lanes of that track;
//   - a track per link port, on the sending chip;
//   - flow arrows from the semaphore update that released a wait to the instruction that
//     waited;
//   - counters: HBM bandwidth per chip, PSUM banks holding live data and SBUF bytes holding
//     live data per core.
// The output is deterministic: identical runs give identical files.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include "config/config.h"
#include "events/observer.h"
#include "trace/program.h"

namespace trnsim::timeline {

struct TimelineOptions {
  double from = 0;                                      // seconds of simulated time
  double to = std::numeric_limits<double>::infinity();  // seconds
  std::size_t max_events = 1'000'000;  // slices, flows and link slices kept, in all
};

class TimelineRecorder : public events::Observer {
 public:
  // `trace_path` names the trace in each slice's `at` (FILE:LINE). `tensor_addresses`
  // places tensors in HBM (trace::assign_tensor_addresses), for the operands' footprints.
  TimelineRecorder(const trace::Program& program, const config::SystemConfig& cfg,
                   std::string trace_path, std::vector<std::uint64_t> tensor_addresses,
                   TimelineOptions options = {});

  void on_issue(const events::InstructionEvent& e) override;
  void on_complete(const events::InstructionEvent& e) override;
  void on_transfer(const events::TransferEvent& e) override;
  void on_post(const events::PostEvent& e) override;
  void on_link(const events::LinkEvent& e) override;
  void on_finish(double end_time) override;

  // The trace-event JSON ({"traceEvents": [...], ...}).
  void write(std::ostream& out) const;

  // Events left out because max_events was reached (0: the window is complete).
  std::size_t dropped() const { return m_dropped; }

 private:
  struct Slice {  // an instruction
    events::InstructionEvent ev;
  };
  struct Transfer {
    events::TransferEvent ev;
  };
  struct LinkSlice {  // back-to-back packets of one port, merged
    std::uint32_t port;
    std::int32_t from_chip;
    double start;
    double end;
    std::uint64_t bytes;
    std::uint32_t packets;
  };
  struct Post {
    std::uint32_t instruction;
    double time;
  };
  struct Flow {
    std::uint32_t from_instruction;  // the post's
    double time;                     // of the post
    std::uint32_t to_instruction;    // the waiter
    std::uint32_t semaphore;
  };

  using Emit = std::function<void(const std::string&)>;
  void write_counters(const Emit& emit) const;
  bool in_window(double start, double end) const;
  bool take();  // counts one event against max_events; false when over

  const trace::Program& m_program;
  const config::SystemConfig& m_cfg;
  std::string m_trace_path;
  std::vector<std::uint64_t> m_tensor_addresses;
  TimelineOptions m_options;
  double m_end = 0;
  std::size_t m_events = 0;
  std::size_t m_dropped = 0;

  std::vector<Slice> m_slices;
  std::vector<Transfer> m_transfers;
  std::vector<LinkSlice> m_links;
  std::vector<std::int64_t> m_open_link;   // per port: index into m_links of its last slice
  std::vector<std::string> m_port_names;   // per port, as first seen
  std::vector<std::vector<Post>> m_posts;  // per semaphore, in time order
  std::vector<Flow> m_flows;
};

}  // namespace trnsim::timeline
