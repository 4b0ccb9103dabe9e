#include "sysc/dma/dma_engines.h"

#include <algorithm>

#include "sysc/common/clock.h"
#include "sysc/memory/address_map.h"

namespace trnsim::sysc {

using sc_core::sc_time;

namespace {
bool g_lockstep_allowed = true;
}  // namespace

void DmaEngines::allow_lockstep(bool allowed) {
  g_lockstep_allowed = allowed;
}

void DmaEngines::init_queues(Engine& e) const {
  e.head.assign(m_params.queues, kNone);
  e.tail.assign(m_params.queues, kNone);
  e.count.assign(m_params.queues, 0);
}

DmaEngines::DmaEngines(sc_core::sc_module_name name, const config::DmaParams& params)
    : sc_module(name),
      socket("socket"),
      m_params(params),
      m_engines(params.engines),
      m_ns_per_byte(1.0 / params.engine_bandwidth_gb_s) {  // GB/s == bytes/ns
  for (Engine& e : m_engines)
    init_queues(e);
  init_queues(m_shared);
  m_lockstep = g_lockstep_allowed;
  SC_METHOD(dispatch);
  sensitive << m_wake;
  dont_initialize();
}

sc_time DmaEngines::busy_total() const {
  sc_time total = sc_core::SC_ZERO_TIME;
  for (const Engine& e : m_engines)
    total += e.busy;
  return total;
}

bool DmaEngines::can_accept(const std::vector<DmaSlice>& slices, std::uint8_t queue) const {
  if (m_lockstep) return m_shared.count[queue] < m_params.queue_depth;
  return std::all_of(slices.begin(), slices.end(), [&](const DmaSlice& s) {
    return m_engines[s.engine].count[queue] < m_params.queue_depth;
  });
}

bool DmaEngines::symmetric(const std::vector<DmaSlice>& slices, std::size_t engines) {
  if (slices.size() != engines) return false;
  const DmaSlice& a = slices[0];
  for (std::size_t i = 0; i < slices.size(); ++i) {
    const DmaSlice& b = slices[i];
    if (b.engine != i || b.src.rows != a.src.rows || b.src.row_bytes != a.src.row_bytes ||
        b.dst.rows != a.dst.rows || b.dst.row_bytes != a.dst.row_bytes || b.runs != a.runs) {
      return false;
    }
  }
  return true;
}

void DmaEngines::leave_lockstep() {
  m_lockstep = false;
  for (const std::uint32_t q : m_shared.active) {
    for (std::uint32_t slot = m_shared.head[q]; slot != kNone; slot = m_shared.next[slot]) {
      const DmaJob& j = m_shared.pool[slot];
      for (std::uint32_t i = 0; i < j.slices; ++i)
        push(m_engines[j.slice[i].engine],
             DmaJob{&j.slice[i], j.ready, j.owner, j.instruction, j.queue});
    }
  }
  for (Engine& e : m_engines)
    e.next_queue = m_shared.next_queue;  // free_at is kept per engine all along
  m_shared = Engine{};
  init_queues(m_shared);
}

void DmaEngines::try_lockstep(const sc_time& now) {
  if (m_lockstep || !g_lockstep_allowed) return;
  for (const Engine& e : m_engines) {
    if (!e.active.empty() || e.sending || e.free_at > now ||
        e.next_queue != m_engines[0].next_queue)
      return;
  }
  m_lockstep = true;
  m_shared.next_queue = m_engines[0].next_queue;
  m_shared.free_at = now;
}

void DmaEngines::enqueue(const std::vector<DmaSlice>& slices, const sc_time& ready,
                         DmaJobOwner* owner, std::uint32_t instruction, std::uint8_t queue) {
  try_lockstep(sc_core::sc_time_stamp());
  if (m_lockstep && symmetric(slices, m_engines.size()) && !remote(slices[0].dst)) {
    push(m_shared, DmaJob{slices.data(), ready, owner, instruction, queue,
                          static_cast<std::uint32_t>(slices.size())});
  } else {
    if (m_lockstep) leave_lockstep();
    for (const DmaSlice& s : slices)
      push(m_engines[s.engine], DmaJob{&s, ready, owner, instruction, queue});
  }
  // One wake-up for all: an engine still busy then is looked at again when it frees up.
  const sc_time now = sc_core::sc_time_stamp();
  const sc_time at = m_lockstep ? std::max(ready, m_shared.free_at) : ready;
  m_wake.notify(at > now ? at - now : sc_core::SC_ZERO_TIME);
}

void DmaEngines::push(Engine& e, DmaJob job) {
  const std::uint32_t q = job.queue;
  std::uint32_t slot;
  if (e.free_slots.empty()) {
    slot = static_cast<std::uint32_t>(e.pool.size());
    e.pool.push_back(std::move(job));
    e.next.push_back(kNone);
  } else {
    slot = e.free_slots.back();
    e.free_slots.pop_back();
    e.pool[slot] = std::move(job);
    e.next[slot] = kNone;
  }
  if (e.head[q] == kNone) {
    if (e.active.empty() || e.pool[slot].ready < e.head_ready) e.head_ready = e.pool[slot].ready;
    e.head[q] = slot;
    e.active.insert(std::lower_bound(e.active.begin(), e.active.end(), q), q);
  } else {
    e.next[e.tail[q]] = slot;
  }
  e.tail[q] = slot;
  e.count[q]++;
}

void DmaEngines::update_head_ready(Engine& e) {
  for (std::size_t i = 0; i < e.active.size(); ++i) {
    const sc_time& ready = e.pool[e.head[e.active[i]]].ready;
    if (i == 0 || ready < e.head_ready) e.head_ready = ready;
  }
}

bool DmaEngines::pick(Engine& e, const sc_time& now, DmaJob& job) {
  if (e.active.empty() || e.head_ready > now) return false;
  // Round-robin: among the queues whose head is ready, the first at or after next_queue,
  // cyclically.
  const std::size_t n = e.active.size();
  const auto first = static_cast<std::size_t>(
      std::lower_bound(e.active.begin(), e.active.end(), e.next_queue) - e.active.begin());
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t at = first + i < n ? first + i : first + i - n;
    const std::uint32_t q = e.active[at];
    const std::uint32_t slot = e.head[q];
    if (e.pool[slot].ready > now) continue;
    job = std::move(e.pool[slot]);
    e.head[q] = e.next[slot];
    if (e.head[q] == kNone) e.active.erase(e.active.begin() + static_cast<std::ptrdiff_t>(at));
    e.count[q]--;
    e.free_slots.push_back(slot);
    e.next_queue = q + 1u < e.head.size() ? q + 1u : 0;
    update_head_ready(e);
    return true;
  }
  return false;
}

namespace {

// Whether `next` continues the rows of `first` (which already covers `count` rows).
bool continues(const DmaRows& first, std::uint64_t count, const DmaRows& next) {
  return next.stride == first.stride && next.row_bytes == first.row_bytes &&
         next.address == first.address + static_cast<std::uint64_t>(
                                             first.stride * static_cast<std::int64_t>(count));
}

}  // namespace

void DmaEngines::dispatch() {
  const sc_time now = sc_core::sc_time_stamp();
  m_starting.clear();
  if (m_lockstep) {
    DmaJob job;
    if (m_shared.free_at <= now && pick(m_shared, now, job)) {
      for (std::uint32_t i = 0; i < job.slices; ++i) {
        DmaJob one = job;
        one.slice = &job.slice[i];
        one.slices = 1;
        m_starting.push_back(one);
      }
    }
  } else {
    for (Engine& e : m_engines) {
      DmaJob job;
      // An engine starts at most one job now: it is busy streaming it afterwards (a job
      // with nothing to stream frees it at once; the next is taken at the next wake-up).
      if (!e.sending && e.free_at <= now && pick(e, now, job)) m_starting.push_back(std::move(job));
    }
  }
  // Slices of one instruction starting together on neighbouring engines cover neighbouring
  // rows: they go to the memories as one transaction pair, which shares the bandwidth
  // between them rather than serving them one after the other.
  for (std::size_t first = 0; first < m_starting.size();) {
    const DmaJob& lead = m_starting[first];
    if (remote(lead.slice->dst)) {  // each engine feeds the network on its own
      start_remote(lead, now);
      ++first;
      continue;
    }
    DmaRows src = lead.slice->src;
    DmaRows dst = lead.slice->dst;
    std::size_t last = first + 1;
    for (; last < m_starting.size(); ++last) {
      const DmaJob& j = m_starting[last];
      if (j.owner != lead.owner || j.instruction != lead.instruction ||
          !continues(src, src.rows, j.slice->src) || !continues(dst, dst.rows, j.slice->dst)) {
        break;
      }
      src.rows += j.slice->src.rows;
      dst.rows += j.slice->dst.rows;
    }
    start(first, last, src, dst, now);
    first = last;
  }
  if (m_lockstep && !m_starting.empty()) m_shared.free_at = m_engines[0].free_at;
  if (!m_starting.empty()) m_space_freed.notify(sc_core::SC_ZERO_TIME);
  schedule(now);
}

void DmaEngines::schedule(const sc_time& now) {
  if (m_lockstep) {
    if (m_shared.active.empty()) return;
    const sc_time at = std::max(m_shared.head_ready, m_shared.free_at);
    m_wake.notify(at > now ? at - now : sc_core::SC_ZERO_TIME);
    return;
  }
  bool any = false;
  sc_time next;
  for (const Engine& e : m_engines) {
    if (e.active.empty() || e.sending) continue;
    const sc_time at = std::max(e.head_ready, e.free_at);
    if (!any || at < next) next = at;
    any = true;
  }
  if (any) m_wake.notify(next > now ? next - now : sc_core::SC_ZERO_TIME);
}

sc_time DmaEngines::transport(tlm::tlm_command command, const DmaRows& rows, const sc_time& now,
                              sc_time& done) {
  sc_time delay = sc_core::SC_ZERO_TIME;
  socket->b_transport(
      m_payload.prepare(command, rows.address, rows.bytes(), rows.rows, rows.stride, now), delay);
  done = now + delay;
  return std::max(now, m_payload.stream_end());
}

void DmaEngines::start(std::size_t first, std::size_t last, const DmaRows& src, const DmaRows& dst,
                       const sc_time& now) {
  sc_time read_done;
  sc_time write_done;
  // The write starts as data arrives: both sides stream at once.
  const sc_time read_streamed = transport(tlm::TLM_READ_COMMAND, src, now, read_done);
  const sc_time written_streamed = transport(tlm::TLM_WRITE_COMMAND, dst, now, write_done);
  const sc_time read_latency = read_done - read_streamed;
  const sc_time write_latency = write_done - written_streamed;

  m_done.resize(last - first);
  for (std::size_t i = first; i < last; ++i) {
    const DmaSlice& s = *m_starting[i].slice;
    Engine& e = m_engines[s.engine];
    DmaSliceDone& done = m_done[i - first];
    const std::uint64_t bytes = std::max(s.src.bytes(), s.dst.bytes());
    const DmaSliceDone* same = i > first ? &m_done[i - first - 1] : nullptr;
    const DmaSlice* previous = i > first ? m_starting[i - 1].slice : nullptr;
    if (same && previous->runs == s.runs && same->bytes == bytes) {
      done = *same;  // equal slices (the usual case) have equal times
    } else {
      const sc_time streaming = now + nanoseconds(static_cast<double>(bytes) * m_ns_per_byte +
                                                  s.runs * m_params.element_overhead_ns);
      done.start = now;
      done.bytes = bytes;
      done.free_at = std::max({streaming, read_streamed, written_streamed});
      // The last source byte comes back a read latency after the engine requested it, and
      // is written as it arrives: it lands a write latency later. (Data cannot be written
      // before it has been read, so the two latencies add.)
      done.read_done = std::max(streaming, read_streamed) + read_latency;
      done.end = std::max(done.read_done, written_streamed + read_latency) + write_latency;
      done.hbm_wait = seconds(done.free_at - streaming);
      done.streaming = streaming - now;
    }
    done.engine = s.engine;
    done.engine_wait = seconds(now - m_starting[i].ready);
    e.free_at = done.free_at;
    e.busy += done.streaming;
  }
  const DmaJob& lead = m_starting[first];
  lead.owner->slices_done(lead.instruction, m_done.data(), m_done.size());
}

void DmaEngines::attach_network(Network* network, std::uint32_t chip, std::uint32_t first_source) {
  m_network = network;
  m_chip = chip;
  m_first_source = first_source;
}

bool DmaEngines::remote(const DmaRows& rows) const {
  return m_network != nullptr && rows.bytes() > 0 && decode_address(rows.address).chip != m_chip;
}

void DmaEngines::start_remote(const DmaJob& job, const sc_time& now) {
  const DmaSlice& s = *job.slice;
  sc_time read_done;
  const sc_time read_streamed = transport(tlm::TLM_READ_COMMAND, s.src, now, read_done);
  const std::uint64_t bytes = s.dst.bytes();
  // The engine streams at its own rate (descriptor elements included) or the source's,
  // whichever is slower; the first byte can leave once it has been read.
  const double streaming_ns = static_cast<double>(std::max(s.src.bytes(), bytes)) * m_ns_per_byte +
                              s.runs * m_params.element_overhead_ns;
  const double source_ns = seconds(read_streamed - now) * 1e9;

  std::uint32_t tag;
  if (m_free_remote.empty()) {
    tag = static_cast<std::uint32_t>(m_remote.size());
    m_remote.emplace_back();
  } else {
    tag = m_free_remote.back();
    m_free_remote.pop_back();
  }
  RemoteJob& r = m_remote[tag];
  r.owner = job.owner;
  r.instruction = job.instruction;
  r.done = DmaSliceDone{};
  r.done.engine = s.engine;
  r.done.start = now;
  r.done.bytes = bytes;
  r.done.read_done = read_done;
  r.done.engine_wait = seconds(now - job.ready);
  r.streaming_ns = std::max(streaming_ns, source_ns);
  m_engines[s.engine].sending = true;

  RemoteWrite w;
  w.src_chip = m_chip;
  w.dst_chip = decode_address(s.dst.address).chip;
  w.source = m_first_source + s.engine;
  w.dst = s.dst;
  w.bytes = bytes;
  w.first_byte = now + (read_done - read_streamed);
  w.ns_per_byte = std::max(streaming_ns, source_ns) / static_cast<double>(bytes);
  w.client = this;
  w.tag = tag;
  m_network->write(w);
}

void DmaEngines::transfer_injected(std::uint64_t tag) {
  RemoteJob& r = m_remote[tag];
  const sc_time now = sc_core::sc_time_stamp();
  Engine& e = m_engines[r.done.engine];
  e.sending = false;
  e.free_at = now;
  e.busy += now - r.done.start;
  r.done.free_at = now;
  r.done.streaming = now - r.done.start;
  r.done.link_wait = std::max(0.0, seconds(r.done.streaming) - r.streaming_ns * 1e-9);
  // The engine reads its source as it streams it out.
  r.done.read_done = std::max(r.done.read_done, now);
  schedule(now);
}

void DmaEngines::transfer_landed(std::uint64_t tag, const sc_time& landed) {
  RemoteJob r = m_remote[tag];
  m_free_remote.push_back(static_cast<std::uint32_t>(tag));
  r.done.end = landed;
  r.owner->slices_done(r.instruction, &r.done, 1);
}

}  // namespace trnsim::sysc
