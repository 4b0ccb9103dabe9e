// One DMA engine with QUEUES hardware queues: turns descriptors (rows of row_bytes at a source
// and a destination stride) into beats on a byte-addressed memory port, and signals when
// each descriptor has landed.
//
// It implements the timing of sysc::DmaEngines (sysc/dma/dma_engines.h) in cycles. The
// clock is chosen so that one beat of BEAT_BYTES per cycle is the engine bandwidth
// (period = BEAT_BYTES / dma.engine_bandwidth_gb_s ns); the cross-check refuses configs
// whose other times are not whole cycles of that clock.
//
// Interfaces, all sampled at the rising edge of clk_i:
//  - Descriptor queues: desc_valid_i / desc_ready_o with the descriptor fields and the queue
//    (desc_queue_i), QUEUES (dma.queues) of QUEUE_DEPTH entries (dma.queue_depth); a
//    descriptor is taken in the cycle its queue frees a slot. Each entry remembers the cycle
//    it arrived: it may start start_cycles_i later (the DMA start latency,
//    max(dma.start_latency_ns, dma.descriptor_ns) as sysc::DmaQueue computes it). The
//    engine serves the queues round-robin and each in order, as sysc::DmaEngines: of the
//    queues whose head may start, the first at or after the one after its last pick.
//  - Memory read: rd_req_valid_o with a byte address and a length of 1 .. BEAT_BYTES; the
//    memory answers with rd_rsp_valid_i and the bytes in lanes 0 .. len - 1, a fixed number
//    of cycles later, in order. It always accepts (no back-pressure: the memory is assumed
//    fast enough not to throttle, as in the cross-check's SystemC memory).
//  - Memory write: wr_valid_o with address, length and data, answered in order by
//    wr_rsp_valid_i a fixed number of cycles later, when the bytes have landed.
//  - job_start_o: the engine takes the head of queue job_queue_o (the SystemC job's
//    `start`); read_done_o: the job's last source beat arrived (`read_done`); done_o: its
//    last destination beat landed (`end`, see below). One pulse each per descriptor, the
//    last two in the order the descriptors started.
//
// Timing of a descriptor of R rows of B bytes that starts in cycle t (t >= arrival +
// start_cycles_i, and the engine free):
//  - each row costs overhead_cycles_i (dma.element_overhead_ns: a row is one descriptor
//    element) and then ceil(B / BEAT_BYTES) read beats, one per cycle; the engine streams
//    for S = R * (overhead + ceil(B / BEAT_BYTES)) cycles, t .. t + S - 1, and takes its next
//    descriptor in cycle t + S. SystemC: streaming = R * B / bandwidth + R * overhead,
//    free_at = start + streaming. Equal when BEAT_BYTES divides B; otherwise the partial last
//    beat of each row costs a whole cycle, which the bytes / bandwidth formula does not see.
//  - the last read beat (cycle t + S - 1) returns L cycles later, read_done_o in cycle
//    t + S - 1 + L, i.e. done by time t + S + L = SystemC's read_done (streaming + latency).
//  - each returned beat is written in the cycle it arrives; the last lands L cycles later,
//    done_o in cycle t + S - 1 + 2L, done by time t + S + 2L = SystemC's end (read_done plus
//    the write latency: a byte is written once it has been read).
//
// Abstracted: the memory port is byte-addressed and takes unaligned beats, so there is no
// realignment shifter and a row of B bytes is ceil(B / BEAT_BYTES) beats wherever it
// starts; no dtype conversion (source and destination rows have the same length); one
// engine (an instruction is not sliced over several).

module dma_engine #(
  parameter int unsigned BEAT_BYTES  = 16,
  parameter int unsigned QUEUES      = 1,
  parameter int unsigned QUEUE_DEPTH = 4,
  // Largest memory latency in cycles: sizes the buffers of beats in flight.
  parameter int unsigned MAX_LATENCY = 127,
  localparam int unsigned QW         = (QUEUES > 1) ? $clog2(QUEUES) : 1
) (
  input  logic clk_i,
  input  logic rst_ni,

  // Run-time timing, in cycles, from the config.
  input  logic [31:0] start_cycles_i,
  input  logic [31:0] overhead_cycles_i,

  // Descriptor queue.
  input  logic          desc_valid_i,
  output logic          desc_ready_o,    // for desc_queue_i
  input  logic [QW-1:0] desc_queue_i,
  input  logic [63:0]   desc_src_i,
  input  logic [63:0]   desc_dst_i,
  input  logic [63:0]   desc_src_stride_i,  // two's complement: rows may go downwards
  input  logic [63:0]   desc_dst_stride_i,
  input  logic [31:0]   desc_row_bytes_i,   // >= 1
  input  logic [31:0]   desc_rows_i,        // >= 1

  // Memory read port.
  output logic                            rd_req_valid_o,
  output logic [63:0]                     rd_req_addr_o,
  output logic [$clog2(BEAT_BYTES+1)-1:0] rd_req_len_o,
  input  logic                            rd_rsp_valid_i,
  input  logic [8*BEAT_BYTES-1:0]         rd_rsp_data_i,

  // Memory write port.
  output logic                            wr_valid_o,
  output logic [63:0]                     wr_addr_o,
  output logic [$clog2(BEAT_BYTES+1)-1:0] wr_len_o,
  output logic [8*BEAT_BYTES-1:0]         wr_data_o,
  input  logic                            wr_rsp_valid_i,

  // Per-descriptor events.
  output logic          job_start_o,
  output logic [QW-1:0] job_queue_o,  // the queue job_start_o took it from
  output logic          read_done_o,
  output logic          done_o,
  output logic          idle_o
);

  localparam int unsigned LenW = $clog2(BEAT_BYTES + 1);
  // Beats in flight on one port: one issued per cycle, each answered MAX_LATENCY later.
  localparam int unsigned InFlight = MAX_LATENCY + 1;

  typedef struct packed {
    logic [63:0] src;
    logic [63:0] dst;
    logic [63:0] src_stride;
    logic [63:0] dst_stride;
    logic [31:0] row_bytes;
    logic [31:0] rows;
    logic [31:0] arrival;  // cycle the descriptor entered the queue
  } desc_t;

  // A read beat in flight: where its bytes go.
  typedef struct packed {
    logic [63:0]     dst;
    logic [LenW-1:0] len;
    logic            last;  // the job's last beat
  } beat_t;

  ///////////////////
  // Cycle counter //
  ///////////////////

  // Only differences are used, so wrapping is harmless while a descriptor waits less than
  // 2^32 cycles.
  logic [31:0] now_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) now_q <= '0;
    else         now_q <= now_q + 1;
  end

  ///////////////////
  // Queues        //
  ///////////////////

  desc_t         desc_in, head;
  desc_t         q_head  [QUEUES];
  logic          q_empty [QUEUES];
  logic          q_full  [QUEUES];
  logic          q_ready [QUEUES];  // queue q has a descriptor whose start latency is over
  logic          q_pop   [QUEUES];
  logic          q_push  [QUEUES];
  logic          any_ready;
  logic          start;  // the engine takes the picked queue's head this cycle
  logic [QW-1:0] pick, next_q_q;

  assign desc_in.src        = desc_src_i;
  assign desc_in.dst        = desc_dst_i;
  assign desc_in.src_stride = desc_src_stride_i;
  assign desc_in.dst_stride = desc_dst_stride_i;
  assign desc_in.row_bytes  = desc_row_bytes_i;
  assign desc_in.rows       = desc_rows_i;
  assign desc_in.arrival    = now_q;
  assign desc_ready_o = !q_full[desc_queue_i] || q_pop[desc_queue_i];

  for (genvar q = 0; q < QUEUES; q++) begin : g_queue
    assign q_push[q]  = desc_valid_i && desc_ready_o && (32'(desc_queue_i) == q);
    assign q_pop[q]   = start && (32'(pick) == q);
    assign q_ready[q] = !q_empty[q] && (now_q - q_head[q].arrival >= start_cycles_i);

    dma_fifo #(
      .Width($bits(desc_t)),
      .Depth(QUEUE_DEPTH)
    ) u_queue (
      .clk_i,
      .rst_ni,
      .push_i  (q_push[q]),
      .wdata_i (desc_in),
      .pop_i   (q_pop[q]),
      .rdata_o (q_head[q]),
      .empty_o (q_empty[q]),
      .full_o  (q_full[q])
    );
  end

  // Round-robin, as sysc::DmaEngines picks: among the queues whose head may start, the
  // first at or after next_q_q, cyclically; the one after the pick is first next time.
  always_comb begin
    any_ready = 1'b0;
    pick      = '0;
    for (int unsigned i = 0; i < QUEUES; i++) begin
      automatic logic [QW-1:0] q = QW'((32'(next_q_q) + i) % QUEUES);
      if (!any_ready && q_ready[q]) begin
        any_ready = 1'b1;
        pick      = q;
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      next_q_q <= '0;
    end else if (start) begin
      next_q_q <= (32'(pick) == QUEUES - 1) ? '0 : pick + 1'b1;
    end
  end

  assign head        = q_head[pick];
  assign job_queue_o = pick;

  ///////////////////
  // Engine        //
  ///////////////////

  // The job being streamed: the current row's first source and destination bytes, the
  // offset of the next beat in the row, rows still to do (this one included) and overhead
  // cycles still to spend before this row's beats.
  logic        busy_q;
  logic [63:0] src_q, dst_q, src_stride_q, dst_stride_q;
  logic [31:0] row_bytes_q, off_q, rows_left_q, oh_left_q;

  // The state this cycle works from: the head descriptor in the cycle it starts (the engine
  // streams from its first cycle), the registers otherwise.
  logic        active;
  logic [63:0] cur_src, cur_dst, cur_src_stride, cur_dst_stride;
  logic [31:0] cur_row_bytes, cur_off, cur_rows_left, cur_oh_left;

  assign start  = !busy_q && any_ready;
  assign active = busy_q || start;

  assign cur_src        = start ? head.src        : src_q;
  assign cur_dst        = start ? head.dst        : dst_q;
  assign cur_src_stride = start ? head.src_stride : src_stride_q;
  assign cur_dst_stride = start ? head.dst_stride : dst_stride_q;
  assign cur_row_bytes  = start ? head.row_bytes  : row_bytes_q;
  assign cur_off        = start ? '0              : off_q;
  assign cur_rows_left  = start ? head.rows       : rows_left_q;
  assign cur_oh_left    = start ? overhead_cycles_i : oh_left_q;

  logic [31:0]     remaining;
  logic            beat, row_end, job_end;
  logic [LenW-1:0] beat_len;

  assign beat      = active && (cur_oh_left == '0);
  assign remaining = cur_row_bytes - cur_off;
  assign row_end   = remaining <= BEAT_BYTES;
  assign beat_len  = row_end ? LenW'(remaining) : LenW'(BEAT_BYTES);
  assign job_end   = beat && row_end && (cur_rows_left == 32'd1);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      busy_q <= 1'b0;
    end else if (active) begin
      busy_q <= !job_end;
    end
  end

  always_ff @(posedge clk_i) begin
    if (active) begin
      src_stride_q <= cur_src_stride;
      dst_stride_q <= cur_dst_stride;
      row_bytes_q  <= cur_row_bytes;
      src_q        <= cur_src;
      dst_q        <= cur_dst;
      off_q        <= cur_off;
      rows_left_q  <= cur_rows_left;
      oh_left_q    <= cur_oh_left;
      if (!beat) begin
        // The descriptor element's fixed cost, before its bytes.
        oh_left_q <= cur_oh_left - 1;
      end else if (row_end) begin
        // Next row: its overhead first.
        src_q       <= cur_src + cur_src_stride;
        dst_q       <= cur_dst + cur_dst_stride;
        off_q       <= '0;
        rows_left_q <= cur_rows_left - 1;
        oh_left_q   <= overhead_cycles_i;
      end else begin
        off_q <= cur_off + BEAT_BYTES;
      end
    end
  end

  assign job_start_o    = start;
  assign rd_req_valid_o = beat;
  assign rd_req_addr_o  = cur_src + 64'(cur_off);
  assign rd_req_len_o   = beat_len;

  ///////////////////
  // Read to write //
  ///////////////////

  // Reads are answered in order after a fixed latency: the beats in flight wait in a FIFO
  // for their data, which is written in the cycle it arrives.
  beat_t rd_in, rd_head;
  logic  rd_empty, rd_full;

  assign rd_in.dst  = cur_dst + 64'(cur_off);
  assign rd_in.len  = beat_len;
  assign rd_in.last = job_end;

  dma_fifo #(
    .Width($bits(beat_t)),
    .Depth(InFlight)
  ) u_reads (
    .clk_i,
    .rst_ni,
    .push_i  (beat),
    .wdata_i (rd_in),
    .pop_i   (rd_rsp_valid_i),
    .rdata_o (rd_head),
    .empty_o (rd_empty),
    .full_o  (rd_full)
  );

  assign wr_valid_o  = rd_rsp_valid_i;
  assign wr_addr_o   = rd_head.dst;
  assign wr_len_o    = rd_head.len;
  assign wr_data_o   = rd_rsp_data_i;
  assign read_done_o = rd_rsp_valid_i && rd_head.last;

  // Writes are acknowledged in order: the job is done with its last beat's response.
  logic wr_head_last, wr_empty, wr_full;

  dma_fifo #(
    .Width(1),
    .Depth(InFlight)
  ) u_writes (
    .clk_i,
    .rst_ni,
    .push_i  (wr_valid_o),
    .wdata_i (rd_head.last),
    .pop_i   (wr_rsp_valid_i),
    .rdata_o (wr_head_last),
    .empty_o (wr_empty),
    .full_o  (wr_full)
  );

  assign done_o = wr_rsp_valid_i && wr_head_last;
  logic queues_empty;
  always_comb begin
    queues_empty = 1'b1;
    for (int unsigned q = 0; q < QUEUES; q++) queues_empty &= q_empty[q];
  end

  assign idle_o = !busy_q && queues_empty && rd_empty && wr_empty;

  ///////////////////
  // Assertions    //
  ///////////////////

  if (BEAT_BYTES < 1 || QUEUES < 1 || QUEUE_DEPTH < 1 || MAX_LATENCY < 1) begin : g_param_check
    $error("dma_engine needs BEAT_BYTES, QUEUES, QUEUE_DEPTH and MAX_LATENCY >= 1");
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin : p_assertions
    if (rst_ni) begin
      NoSuchQueue: assert (!(desc_valid_i && 32'(desc_queue_i) >= QUEUES))
        else $error("dma_engine: descriptor for a queue that does not exist");
      // The picked descriptor's start latency is over.
      EarlyStart: assert (!(start && (now_q - head.arrival < start_cycles_i)))
        else $error("dma_engine: descriptor started before its start latency");
      // An empty descriptor would never produce the beat that completes it.
      EmptyDescriptor: assert (!(desc_valid_i && desc_ready_o &&
                                 (desc_rows_i == '0 || desc_row_bytes_i == '0)))
        else $error("dma_engine: descriptor with no rows or no bytes");
      // More beats in flight than the buffers hold: the memory is slower than MAX_LATENCY.
      ReadsOverflow: assert (!(beat && rd_full && !rd_rsp_valid_i))
        else $error("dma_engine: read latency above MAX_LATENCY");
      WritesOverflow: assert (!(wr_valid_o && wr_full && !wr_rsp_valid_i))
        else $error("dma_engine: write latency above MAX_LATENCY");
      // Every response answers a request.
      StrayReadResponse: assert (!(rd_rsp_valid_i && rd_empty))
        else $error("dma_engine: read response without a request");
      StrayWriteResponse: assert (!(wr_rsp_valid_i && wr_empty))
        else $error("dma_engine: write response without a request");
    end
  end

endmodule
