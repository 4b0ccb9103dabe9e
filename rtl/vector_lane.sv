// One lane (one partition) of the vector engine: element-wise add, mul, max, min of two fp32
// streams, or the stream reduction (add, mul, max, min) of one, at ELEMS elements per cycle,
// with the engine's minimum initiation interval and pipeline depth.
//
// Parameters come from the config's `vector` section (rtl/CMakeLists.txt reads them):
// ELEMS = elements_per_cycle.fp32 (a whole number; the rate 1/k would need a hold counter
// per beat and no preset uses it), MIN_II = min_issue_interval_cycles, LATENCY =
// fixed_latency_cycles. ACC_STAGES is the depth of the reduction's adder loop (below); it
// changes the summation order, never the timing.
//
// Handshake, all signals sampled at the rising edge of clk_i:
//  - An instruction starts in a cycle with ready_o high: start_i with op_i, reduce_i and
//    n_i (elements, >= 1), together with its first beat. in_valid_i carries one beat of
//    ELEMS elements (a_i, and b_i for element-wise ops) per cycle, densely, for
//    B = ceil(n_i / ELEMS) cycles; the SRAM port delivers the stream (its access start and
//    its stride penalty are outside the lane). Slots beyond n_i in the last beat are
//    ignored.
//  - Element-wise results: y_valid_o with y_o, one beat per input beat, in order.
//  - done_o: the instruction is complete. For a reduction, y_valid_o is high in the same
//    cycle and y_o[0] holds the result.
//
// Timing, counting the start cycle as cycle 0 (sysc::compute_cycles with cost 1.0, a dense
// stream and access_start = 0):
//  - occupancy OCC = max(MIN_II, B): the next instruction may start in cycle OCC (ready_o);
//  - the beat presented in cycle b leaves in cycle b + 1 + LATENCY: one cycle for the
//    element-wise operation (registered into the output pipeline), LATENCY more stages;
//    that is the latency of an instruction of (b + 1) * ELEMS elements without MIN_II;
//  - done_o in cycle OCC + LATENCY: a token launched in the last occupancy cycle
//    (OCC - 1) through LATENCY + 1 stages. With B < MIN_II the data leave before done_o:
//    the lane stays reserved for MIN_II cycles whatever the stream's length.
//
// Reduction. A pipelined fp32 adder cannot take its own result as an operand in the next
// cycle, so each slot w keeps ACC_STAGES interleaved partial sums in a ring of registers
// (the adder's pipeline stages, retimed): the beat presented in cycle b meets the partial
// sum of beat b - ACC_STAGES and pushes the new one into the ring. After the last beat
// (b = B - 1) ring position k (k = 0 newest) of slot w holds the partial over the beats b
// with (B - 1 - b) mod ACC_STAGES = k, in stream order, started from the op's identity
// (-0, +1, -inf, +inf). In cycle OCC the ELEMS * ACC_STAGES partials, indexed
// q = k * ELEMS + w, enter a pairwise tree, (q0 op q1), (q2 op q3), ..., an odd last one
// passing through, one registered level per cycle. The final level enters the output
// pipeline at the stage that makes the result leave with done_o in cycle OCC + LATENCY;
// this needs LATENCY >= the tree depth. The operand order of every op is (earlier, later),
// as in the functional executor's alu(op, acc, x).
//
// max/min follow the functional executor: a NaN operand gives the canonical NaN 7FC00000,
// otherwise max(a, b) = a > b ? a : b (so max(+0, -0) = -0: ties return the second
// operand). add and mul are fp32_add and fp32_mul: round to nearest even, subnormals kept,
// every NaN result canonical.
//
// Left out: other dtypes and the faster bf16 classes, the other ALU functions, operands
// from two memories at once (the slow tensor_tensor class is an SRAM port rate, outside the
// lane), and reductions over more than the innermost axis.

module vector_lane #(
  parameter int unsigned ELEMS      = 2,
  parameter int unsigned MIN_II     = 64,
  parameter int unsigned LATENCY    = 64,
  parameter int unsigned ACC_STAGES = 4,
  parameter int unsigned NW         = 32
) (
  input  logic clk_i,
  input  logic rst_ni,

  // Instruction start, with its first beat.
  input  logic          start_i,
  input  logic [1:0]    op_i,      // 0 add, 1 mul, 2 max, 3 min
  input  logic          reduce_i,  // reduce a_i's stream instead of combining a_i and b_i
  input  logic [NW-1:0] n_i,

  // Operand beats.
  input  logic        in_valid_i,
  input  logic [31:0] a_i [ELEMS],
  input  logic [31:0] b_i [ELEMS],

  output logic        ready_o,
  output logic        y_valid_o,
  output logic [31:0] y_o [ELEMS],
  output logic        done_o
);

  localparam logic [1:0] OpAdd = 2'd0;
  localparam logic [1:0] OpMul = 2'd1;
  localparam logic [1:0] OpMax = 2'd2;

  localparam logic [31:0] CanonicalNaN = 32'h7FC00000;

  // The reduction tree over Parts partial sums, Levels registered levels.
  localparam int unsigned Parts  = ELEMS * ACC_STAGES;
  localparam int unsigned Levels = $clog2(Parts);

  // Nodes at tree level l (level 0: the partials).
  function automatic int unsigned level_nodes(int unsigned l);
    int unsigned n = Parts;
    for (int unsigned i = 0; i < l; i++) begin
      n = (n + 1) / 2;
    end
    return n;
  endfunction

  function automatic logic is_nan(logic [30:0] magnitude);
    return magnitude[30:23] == 8'hFF && magnitude[22:0] != '0;
  endfunction

  // a > b in IEEE order for non-NaN operands: -0 and +0 are equal.
  function automatic logic greater(logic [31:0] a, logic [31:0] b);
    if (a[30:0] == '0 && b[30:0] == '0) return 1'b0;
    if (a[31] != b[31]) return b[31];
    return a[31] ? (a[30:0] < b[30:0]) : (a[30:0] > b[30:0]);
  endfunction

  // The op's result from its operands and the two arithmetic units' outputs.
  function automatic logic [31:0] select(logic [1:0] op, logic [31:0] x, logic [31:0] y,
                                         logic [31:0] sum, logic [31:0] prod);
    unique case (op)
      OpAdd:   return sum;
      OpMul:   return prod;
      OpMax:   return is_nan(x[30:0]) || is_nan(y[30:0]) ? CanonicalNaN : (greater(x, y) ? x : y);
      default: return is_nan(x[30:0]) || is_nan(y[30:0]) ? CanonicalNaN : (greater(y, x) ? x : y);
    endcase
  endfunction

  // The value that leaves any operand of `op` unchanged (up to NaN canonicalisation).
  function automatic logic [31:0] identity(logic [1:0] op);
    unique case (op)
      OpAdd:   return 32'h8000_0000;  // -0: x + (-0) = x, also for x = +0
      OpMul:   return 32'h3F80_0000;  // +1
      OpMax:   return 32'hFF80_0000;  // -inf
      default: return 32'h7F80_0000;  // +inf
    endcase
  endfunction

  ///////////////////
  // Control       //
  ///////////////////

  logic [NW-1:0] busy_q;      // occupancy cycles left after the current one
  logic [NW-1:0] left_q;      // elements still to come in later beats
  logic [1:0]    op_q;
  logic          reduce_q;
  logic          red_pend_q;  // a reduction waits for its occupancy to end

  logic [1:0]    op;
  logic          reduce;
  logic [NW-1:0] left;
  logic [NW:0]   beats;
  logic [NW:0]   occupancy;
  logic          last_busy_cycle;
  logic          tree_start;

  // The current beat's instruction: the one starting now, or the one in progress.
  assign op     = start_i ? op_i : op_q;
  assign reduce = start_i ? reduce_i : reduce_q;
  assign left   = start_i ? n_i : left_q;

  assign beats     = ({1'b0, n_i} + (NW+1)'(ELEMS - 1)) / (NW+1)'(ELEMS);
  assign occupancy = beats > (NW+1)'(MIN_II) ? beats : (NW+1)'(MIN_II);

  assign ready_o         = busy_q == '0;
  assign last_busy_cycle = start_i ? occupancy == (NW+1)'(1) : busy_q == NW'(1);
  // The partials are final once the occupancy has ended; a reduction starting in this
  // cycle only writes the ring at its end.
  assign tree_start      = red_pend_q && ready_o;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      busy_q     <= '0;
      left_q     <= '0;
      op_q       <= OpAdd;
      reduce_q   <= 1'b0;
      red_pend_q <= 1'b0;
    end else begin
      if (start_i) begin
        busy_q   <= NW'(occupancy - (NW+1)'(1));
        op_q     <= op_i;
        reduce_q <= reduce_i;
      end else if (busy_q != '0) begin
        busy_q <= busy_q - NW'(1);
      end
      if (in_valid_i) begin
        left_q <= left > NW'(ELEMS) ? left - NW'(ELEMS) : '0;
      end
      if (start_i) begin
        red_pend_q <= reduce_i;
      end else if (tree_start) begin
        red_pend_q <= 1'b0;
      end
    end
  end

  ///////////////////
  // Slots         //
  ///////////////////

  // Per slot, one adder and one multiplier: the element-wise op on (a, b), or the ring's
  // step on (partial, a).
  logic [31:0] ring_q   [ELEMS][ACC_STAGES];
  logic [31:0] slot_res [ELEMS];

  for (genvar w = 0; w < ELEMS; w++) begin : g_slot
    logic        valid;
    logic [31:0] feedback, x, y, sum, prod, res;

    assign valid    = in_valid_i && left > NW'(w);
    // A reduction's first ACC_STAGES beats meet the identity: the ring is cleared at start.
    assign feedback = start_i ? identity(op) : ring_q[w][ACC_STAGES-1];
    assign x        = reduce ? feedback : a_i[w];
    assign y        = reduce ? a_i[w] : b_i[w];

    fp32_add u_add (.a_i(x), .b_i(y), .sum_o(sum));
    fp32_mul u_mul (.a_i(x), .b_i(y), .prod_o(prod));

    assign res         = select(op, x, y, sum, prod);
    assign slot_res[w] = res;

    always_ff @(posedge clk_i) begin
      if (in_valid_i && reduce) begin
        ring_q[w][0] <= valid ? res : feedback;
        for (int unsigned k = 1; k < ACC_STAGES; k++) begin
          ring_q[w][k] <= start_i ? identity(op) : ring_q[w][k-1];
        end
      end
    end
  end

  ///////////////////
  // Tree          //
  ///////////////////

  // tree_d[l]: level l's values (combinational); tree_q[l]: registered, read by level l + 1
  // (index 0 of the registers is unused: level 1 reads the ring directly).
  // split_var: level l + 1 reads level l of the same array, which is no loop.
  logic [31:0] tree_d    [Levels+1][Parts] /* verilator split_var */;
  logic [31:0] tree_q    [Levels+1][Parts];
  logic [1:0]  tree_op   [Levels+1] /* verilator split_var */;
  logic [1:0]  tree_op_q [Levels+1];
  logic        tree_vld  [Levels+1] /* verilator split_var */;
  logic        tree_vld_q[Levels+1];

  for (genvar q = 0; q < Parts; q++) begin : g_parts
    assign tree_d[0][q] = ring_q[q % ELEMS][q / ELEMS];
  end
  assign tree_op[0]  = op_q;
  assign tree_vld[0] = tree_start;

  for (genvar l = 1; l <= Levels; l++) begin : g_level
    localparam int unsigned Inputs = level_nodes(l - 1);
    // Level 1 reads the ring in the cycle the tree starts; later levels their registers.
    logic [31:0] in_val [Inputs];
    if (l == 1) begin : g_first
      for (genvar i = 0; i < Inputs; i++) begin : g_in
        assign in_val[i] = tree_d[0][i];
      end
      assign tree_op[l]  = tree_op[0];
      assign tree_vld[l] = tree_vld[0];
    end else begin : g_later
      for (genvar i = 0; i < Inputs; i++) begin : g_in
        assign in_val[i] = tree_q[l-1][i];
      end
      assign tree_op[l]  = tree_op_q[l-1];
      assign tree_vld[l] = tree_vld_q[l-1];
    end

    for (genvar i = 0; i < Parts; i++) begin : g_node
      if (2 * i + 1 < Inputs) begin : g_op
        logic [31:0] sum, prod;
        fp32_add u_add (.a_i(in_val[2*i]), .b_i(in_val[2*i+1]), .sum_o(sum));
        fp32_mul u_mul (.a_i(in_val[2*i]), .b_i(in_val[2*i+1]), .prod_o(prod));
        assign tree_d[l][i] = select(tree_op[l], in_val[2*i], in_val[2*i+1], sum, prod);
      end else if (2 * i < Inputs) begin : g_pass
        assign tree_d[l][i] = in_val[2*i];
      end else begin : g_none
        assign tree_d[l][i] = '0;
      end
    end

    always_ff @(posedge clk_i) begin
      tree_q[l]    <= tree_d[l];
      tree_op_q[l] <= tree_op[l];
    end
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        tree_vld_q[l] <= 1'b0;
      end else begin
        tree_vld_q[l] <= tree_vld[l];
      end
    end
  end

  ///////////////////
  // Output        //
  ///////////////////

  // Stage j (0-based) holds a beat presented j + 1 cycles ago; stage LATENCY drives y_o. The
  // tree's last level, computed Levels - 1 cycles after the tree started, enters stage
  // Levels, so the reduction leaves LATENCY cycles after the tree started, with done_o.
  localparam int unsigned TreeStage = Levels;

  logic [LATENCY:0] out_vld_q;
  logic [31:0]      out_q [LATENCY+1][ELEMS];
  logic [LATENCY:0] done_q;

  always_ff @(posedge clk_i) begin
    out_q[0] <= slot_res;
    for (int unsigned j = 1; j <= LATENCY; j++) begin
      if (j == TreeStage && tree_vld[Levels]) begin
        for (int unsigned w = 0; w < ELEMS; w++) begin
          out_q[j][w] <= w == 0 ? tree_d[Levels][0] : '0;
        end
      end else begin
        out_q[j] <= out_q[j-1];
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      out_vld_q <= '0;
      done_q    <= '0;
    end else begin
      out_vld_q <= {out_vld_q[LATENCY-1:0], in_valid_i && !reduce};
      if (tree_vld[Levels]) begin
        out_vld_q[TreeStage] <= 1'b1;
      end
      done_q <= {done_q[LATENCY-1:0], last_busy_cycle};
    end
  end

  assign y_valid_o = out_vld_q[LATENCY];
  assign y_o       = out_q[LATENCY];
  assign done_o    = done_q[LATENCY];

  ///////////////////
  // Assertions    //
  ///////////////////

  if (ELEMS < 1 || MIN_II < 1) begin : g_param_rate
    $error("vector_lane needs ELEMS >= 1 and MIN_II >= 1");
  end
  if (ACC_STAGES < 2 || Levels < 1) begin : g_param_acc
    $error("vector_lane needs ACC_STAGES >= 2");
  end
  if (LATENCY < Levels) begin : g_param_latency
    $error("vector_lane: the reduction tree needs LATENCY >= $clog2(ELEMS * ACC_STAGES)");
  end

  // Checked on the clock like the registers, with the same asynchronous reset (see
  // pe_array.sv).
  always_ff @(posedge clk_i or negedge rst_ni) begin : p_assertions
    if (rst_ni) begin
      StartWhileBusy: assert (!start_i || ready_o)
        else $error("vector_lane: start while the previous instruction occupies the lane");
      StartWithoutBeat: assert (!start_i || in_valid_i)
        else $error("vector_lane: start_i without its first beat");
      NoElements: assert (!start_i || n_i != '0)
        else $error("vector_lane: an instruction of zero elements");
      // The stream is dense: the occupancy is counted in cycles, not beats.
      BeatOutsideStream: assert (!in_valid_i || start_i || left_q != '0)
        else $error("vector_lane: a beat beyond the instruction's elements");
      GapInStream: assert (start_i || left_q == '0 || in_valid_i)
        else $error("vector_lane: a gap in the operand stream");
    end
  end

endmodule
