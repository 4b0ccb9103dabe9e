// One direction of a credit flow-controlled link: the sender with its credit counter and
// serializer, the wire, the receive buffer, and the credits' way back.
//
// The timing (B, F, W, C below) is given at run time on the cfg_*_i ports, held stable
// from reset on, and must fit the capacities set by the parameters. The cross-check feeds
// them from the config through sysc::link_cycles, the same function the SystemC model
// (sysc/link/credit_link.h) uses; the parameters only size the storage.
//
// Handshakes, all signals sampled at the rising edge of clk_i:
//  - Sender: in_valid_i / in_ready_o / in_data_i. A flit starts in the cycle both are
//    high. in_ready_o needs a credit and a free serializer.
//  - Consumer: out_valid_o / out_ready_i / out_data_o, the head of the receive buffer. The
//    flit leaves in the cycle both are high.
//  - arrived_o / arrived_data_o: high in the first cycle a flit is in the receive buffer
//    (an observation port for the cross-check; it drives nothing).
//
// Cycles (sysc/link/link_timing.h derives the same rules):
//  - flit i starts in cycle s_i = max(offer_i, s_{i-1} + F, credit_i): in_ready_o is low
//    for the F - 1 cycles after a start (the serializer) and while credits_q is zero;
//  - the flit enters the delay line (serialization and wire) at the end of cycle s_i and
//    leaves it F + W - 1 cycles later, into the buffer at the end of cycle s_i + F + W - 1:
//    it is in the buffer, and on out_valid_o if it is the head, from cycle s_i + F + W;
//  - when it leaves the buffer in cycle d_i, a credit token enters the return delay line,
//    leaves it C cycles later (in the same cycle if C = 0), and is counted at the end of
//    cycle d_i + C: the sender can spend it from cycle d_i + C + 1.
// The round trip of a credit is F + W + C + 1 cycles; B credits keep the link busy when
// B * F covers it.
//
// Left out: packet framing, CRC and replay, lane striping, several virtual channels,
// batched credit return.

module link_port #(
  parameter int unsigned FlitWidth       = 64,  // bits per flit
  parameter int unsigned MaxCredits      = 16,  // receive buffer slots built; B <= MaxCredits
  parameter int unsigned MaxFlitCycles   = 8,   // F <= MaxFlitCycles
  parameter int unsigned MaxWireCycles   = 32,  // W <= MaxWireCycles
  parameter int unsigned MaxCreditCycles = 32,  // C <= MaxCreditCycles
  localparam int unsigned CreditW = $clog2(MaxCredits + 1),
  localparam int unsigned FlitCycW = $clog2(MaxFlitCycles + 1),
  localparam int unsigned WireCycW = $clog2(MaxWireCycles + 1),
  localparam int unsigned CreditCycW = $clog2(MaxCreditCycles + 1)
) (
  input  logic clk_i,
  input  logic rst_ni,

  // Timing, from the config; stable from reset on.
  input  logic [CreditW-1:0]    cfg_credits_i,        // B >= 1
  input  logic [FlitCycW-1:0]   cfg_flit_cycles_i,    // F >= 1
  input  logic [WireCycW-1:0]   cfg_wire_cycles_i,    // W >= 0
  input  logic [CreditCycW-1:0] cfg_credit_cycles_i,  // C >= 0

  // Sender.
  input  logic                 in_valid_i,
  output logic                 in_ready_o,
  input  logic [FlitWidth-1:0] in_data_i,

  // Consumer.
  output logic                 out_valid_o,
  input  logic                 out_ready_i,
  output logic [FlitWidth-1:0] out_data_o,

  // Observation: a flit entered the receive buffer.
  output logic                 arrived_o,
  output logic [FlitWidth-1:0] arrived_data_o
);

  // The delay line holds serialization and wire: F + W - 1 cycles at most.
  localparam int unsigned MaxDelay = MaxFlitCycles + MaxWireCycles - 1;
  localparam int unsigned DelayW   = $clog2(MaxDelay + 1);
  localparam int unsigned PtrW     = (MaxCredits > 1) ? $clog2(MaxCredits) : 1;

  logic send;
  logic take;
  logic credit_back;

  ///////////////////
  // Sender        //
  ///////////////////

  logic [CreditW-1:0]  credits_q, credits_d;
  logic [FlitCycW-1:0] ser_busy_q, ser_busy_d;  // cycles the serializer still needs

  assign in_ready_o = (credits_q != '0) && (ser_busy_q == '0);
  assign send       = in_valid_i && in_ready_o;

  always_comb begin
    credits_d = credits_q;
    if (send)        credits_d = credits_d - CreditW'(1);
    if (credit_back) credits_d = credits_d + CreditW'(1);
  end

  assign ser_busy_d = send ? cfg_flit_cycles_i - FlitCycW'(1) :
                      (ser_busy_q != '0) ? ser_busy_q - FlitCycW'(1) : '0;

  // The credit count starts at B: the receive buffer is empty after reset.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      credits_q  <= cfg_credits_i;
      ser_busy_q <= '0;
    end else begin
      credits_q  <= credits_d;
      ser_busy_q <= ser_busy_d;
    end
  end

  ///////////////////
  // Wire          //
  ///////////////////

  // Serialization and wire as one delay line of F + W - 1 cycles with a tap per length.
  logic [DelayW-1:0]    delay;
  logic                 wire_valid_q [MaxDelay];
  logic [FlitWidth-1:0] wire_data_q  [MaxDelay];
  logic                 rx_valid;
  logic [FlitWidth-1:0] rx_data;

  assign delay = DelayW'(cfg_flit_cycles_i) + DelayW'(cfg_wire_cycles_i) - DelayW'(1);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int unsigned k = 0; k < MaxDelay; k++) begin
        wire_valid_q[k] <= 1'b0;
      end
    end else begin
      wire_valid_q[0] <= send;
      for (int unsigned k = 1; k < MaxDelay; k++) begin
        wire_valid_q[k] <= wire_valid_q[k-1];
      end
    end
  end

  // Data needs no reset: it is qualified by the valid bits.
  always_ff @(posedge clk_i) begin
    wire_data_q[0] <= in_data_i;
    for (int unsigned k = 1; k < MaxDelay; k++) begin
      wire_data_q[k] <= wire_data_q[k-1];
    end
  end

  // The tap: a multiplexer over the stages, so any index width is fine.
  always_comb begin
    rx_valid = send;
    rx_data  = in_data_i;
    for (int unsigned k = 0; k < MaxDelay; k++) begin
      if (32'(delay) == k + 1) begin
        rx_valid = wire_valid_q[k];
        rx_data  = wire_data_q[k];
      end
    end
  end

  ///////////////////
  // Receive buffer //
  ///////////////////

  logic [FlitWidth-1:0] buf_q [MaxCredits];
  logic [PtrW-1:0]      wr_ptr_q, rd_ptr_q;
  logic [CreditW-1:0]   count_q;

  function automatic logic [PtrW-1:0] next_ptr(logic [PtrW-1:0] ptr);
    return (32'(ptr) == MaxCredits - 1) ? '0 : ptr + PtrW'(1);
  endfunction

  assign out_valid_o = count_q != '0;
  assign out_data_o  = buf_q[rd_ptr_q];
  assign take        = out_valid_o && out_ready_i;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wr_ptr_q <= '0;
      rd_ptr_q <= '0;
      count_q  <= '0;
    end else begin
      if (rx_valid) wr_ptr_q <= next_ptr(wr_ptr_q);
      if (take)     rd_ptr_q <= next_ptr(rd_ptr_q);
      count_q <= count_q + CreditW'(rx_valid) - CreditW'(take);
    end
  end

  always_ff @(posedge clk_i) begin
    if (rx_valid) buf_q[wr_ptr_q] <= rx_data;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      arrived_o <= 1'b0;
    end else begin
      arrived_o <= rx_valid;
    end
  end

  always_ff @(posedge clk_i) begin
    arrived_data_o <= rx_data;
  end

  ///////////////////
  // Credit return //
  ///////////////////

  // One token per flit taken, C cycles on the way back.
  logic credit_q [MaxCreditCycles];

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int unsigned k = 0; k < MaxCreditCycles; k++) begin
        credit_q[k] <= 1'b0;
      end
    end else begin
      credit_q[0] <= take;
      for (int unsigned k = 1; k < MaxCreditCycles; k++) begin
        credit_q[k] <= credit_q[k-1];
      end
    end
  end

  always_comb begin
    credit_back = take;
    for (int unsigned k = 0; k < MaxCreditCycles; k++) begin
      if (32'(cfg_credit_cycles_i) == k + 1) credit_back = credit_q[k];
    end
  end

  ///////////////////
  // Assertions    //
  ///////////////////

  if (FlitWidth < 1 || MaxCredits < 1 || MaxFlitCycles < 1 || MaxWireCycles < 1 ||
      MaxCreditCycles < 1) begin : g_param_check
    $error("link_port needs every parameter >= 1");
  end

  // Checked on the clock like the registers, with the same asynchronous reset (see
  // pe_array.sv for why not `disable iff`).
  always_ff @(posedge clk_i or negedge rst_ni) begin : p_assertions
    if (rst_ni) begin
      CfgCredits: assert (cfg_credits_i >= CreditW'(1) && 32'(cfg_credits_i) <= MaxCredits)
        else $error("link_port: cfg_credits_i %0d outside 1..%0d", cfg_credits_i, MaxCredits);
      CfgFlitCycles: assert (cfg_flit_cycles_i >= FlitCycW'(1) &&
                             32'(cfg_flit_cycles_i) <= MaxFlitCycles)
        else $error("link_port: cfg_flit_cycles_i %0d outside 1..%0d", cfg_flit_cycles_i,
                    MaxFlitCycles);
      CfgWireCycles: assert (32'(cfg_wire_cycles_i) <= MaxWireCycles)
        else $error("link_port: cfg_wire_cycles_i %0d above %0d", cfg_wire_cycles_i,
                    MaxWireCycles);
      CfgCreditCycles: assert (32'(cfg_credit_cycles_i) <= MaxCreditCycles)
        else $error("link_port: cfg_credit_cycles_i %0d above %0d", cfg_credit_cycles_i,
                    MaxCreditCycles);
      // The sender never holds more credits than the receiver has slots.
      CreditsAboveB: assert (credits_q <= cfg_credits_i)
        else $error("link_port: %0d credits, more than B = %0d", credits_q, cfg_credits_i);
      // A flit arrives only into a free slot: credits make overflow impossible.
      BufferOverflow: assert (!(rx_valid && count_q == cfg_credits_i && !take))
        else $error("link_port: flit arrived at a full receive buffer");
      BufferAboveB: assert (count_q <= cfg_credits_i)
        else $error("link_port: %0d flits buffered, more than B = %0d", count_q, cfg_credits_i);
    end
  end

endmodule
