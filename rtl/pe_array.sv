// Weight-stationary systolic PE array of the tensor engine: ROWS x COLS processing
// elements, int8 x int8 products accumulated in int32, or bf16 x bf16 products accumulated
// in fp32, chosen per matmul at run time.
//
// PE (r, c) holds the stationary weight w[r][c]. Moving vectors (one int8 per row) enter
// from the left, row r delayed r cycles (the skew), and travel right one PE per cycle;
// partial sums travel down one PE per cycle, so the sum for moving vector t and column c
// leaves the bottom row as sum_r x_t[r] * w[r][c]. Column c is then delayed COLS - 1 - c
// cycles (the deskew) so that all COLS results of one vector leave together.
//
// Handshake, all signals sampled at the rising edge of clk_i:
//  - Weight load (foreground): K <= ROWS rows, one per cycle with w_valid_i, last row of
//    the stationary tile first. Each row shifts the stored rows one PE down, so after K
//    cycles row k of the tile sits in PE row k. The first row of a load (w_valid_i after a
//    cycle without) also clears the rows below, so rows K .. ROWS - 1 hold zero weights.
//    Illegal while busy_o (asserted below).
//  - Moving vectors: x_valid_i with x_i, one vector per cycle, x_last_i on the last, and
//    bf16_i: the vector and the weights are bf16 (else int8, in the low byte of each
//    16-bit element). bf16_i must not change within a matmul (asserted below); it travels
//    through the array with the vector, so each PE multiplies in the vector's format.
//    Rows at or beyond K must carry zero.
//  - Results: y_valid_o with y_o (COLS words: int32, or fp32 bits in bf16 mode) once per
//    moving vector, in order; y_last_o marks the result of the x_last_i vector: the matmul
//    is done.
//  - busy_o: a moving vector still needs the stored weights; a new load may start in the
//    cycle y_last_o is high.
//
// Latency, counting the cycle of the first weight row as cycle 0 (the same derivation as
// tests/sysc/test_tensor_timing.cpp, extended to K loaded rows and T moving vectors):
//  - the K weight rows take cycles 0 .. K - 1;
//  - vector t is presented in cycle K + t (t = 0 .. T - 1); its row-0 element is used
//    by PE (0, 0) in that same cycle (no input register on row 0);
//  - PE (r, c) uses it in cycle K + t + r + c and registers the partial sum at the end of
//    that cycle; PE (ROWS - 1, COLS - 1) does so in cycle K + t + ROWS + COLS - 2;
//  - the deskewed result is on y_o in the next cycle, K + t + ROWS + COLS - 1;
//  - the last vector (t = T - 1) leaves in cycle K + T + ROWS + COLS - 2, which for a full
//    fold (K = ROWS) is the textbook 2R + C + T - 2 of sysc::matmul_cycles:
//    weight_load (K) + flow (T) + fill_drain (ROWS + COLS - 2) + psum_write (0).
//
// Accumulation in bf16 mode: PE (r, c) rounds x[r] * w[r][c] to fp32 (bf16_mul: exact
// unless it overflows or underflows) and adds it to the partial sum from above with
// fp32_add (round to nearest even), so column c's result is
//   (((+0 + p[0][c]) + p[1][c]) + ...) + p[ROWS-1][c],  p[r][c] = fp32(x[r] * w[r][c]),
// row 0 first, in that order, each addition rounded; rows at or beyond K add +0 * +0 = +0,
// which leaves any sum unchanged (a sum starting from +0 is never -0).
//
// Left out: the shadow weight buffer of the background load (sysc models it as a faster,
// overlapped load), PSUM accumulation into banks, and fp32 moving data (streamed at a
// quarter rate by the real array).

module pe_array #(
  parameter int unsigned ROWS = 8,
  parameter int unsigned COLS = 8
) (
  input  logic clk_i,
  input  logic rst_ni,

  // Weight load: one stationary row per cycle (int8 in the low byte, or bf16).
  input  logic        w_valid_i,
  input  logic [15:0] w_row_i [COLS],

  // Moving vectors: one per cycle, unskewed, with their format.
  input  logic        x_valid_i,
  input  logic        x_last_i,
  input  logic        bf16_i,
  input  logic [15:0] x_i [ROWS],

  // Results: one row of COLS sums per moving vector, deskewed (int32 or fp32 bits).
  output logic        y_valid_o,
  output logic        y_last_o,
  output logic [31:0] y_o [COLS],

  output logic busy_o
);

  // The datapath types: a moving element with its vector's format travels right, a 32-bit
  // sum (int32 or fp32 bits) travels down. One array serves both formats, as in hardware:
  // weight registers wide enough for bf16, 32-bit accumulators. Only the multiply-
  // accumulate in the PE loop looks at the format; the skew, the systolic movement, the
  // deskew and the control do not.
  typedef logic [15:0] weight_t;
  typedef struct packed {
    logic        bf16;
    logic [15:0] bits;
  } in_t;
  typedef logic [31:0] acc_t;

  // Cycles from a moving vector's presentation to its result on y_o.
  localparam int unsigned Latency = ROWS + COLS - 1;

  ///////////////////
  // Input skew    //
  ///////////////////

  // Row r of the moving vector reaches PE (r, 0) r cycles after it is presented.
  in_t x_skewed [ROWS];

  for (genvar r = 0; r < ROWS; r++) begin : g_skew
    if (r == 0) begin : g_direct
      assign x_skewed[r] = '{bf16: bf16_i, bits: x_i[r]};
    end else begin : g_delay
      in_t skew_q [r];
      always_ff @(posedge clk_i) begin
        skew_q[0] <= '{bf16: bf16_i, bits: x_i[r]};
        for (int unsigned k = 1; k < r; k++) begin
          skew_q[k] <= skew_q[k-1];
        end
      end
      assign x_skewed[r] = skew_q[r-1];
    end
  end

  ///////////////////
  // PE grid       //
  ///////////////////

  weight_t w_q    [ROWS][COLS];
  in_t     x_q    [ROWS][COLS];
  acc_t    psum_q [ROWS][COLS];

  // The first row of a load: the rows below are cleared, so that rows beyond the tile's K
  // hold zero weights (a stale bf16 infinity or NaN times a zero input would be NaN).
  logic w_valid_q;
  logic w_first;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      w_valid_q <= 1'b0;
    end else begin
      w_valid_q <= w_valid_i;
    end
  end

  assign w_first = w_valid_i & ~w_valid_q;

  for (genvar r = 0; r < ROWS; r++) begin : g_row
    for (genvar c = 0; c < COLS; c++) begin : g_col
      in_t  x_in;
      acc_t psum_in;
      acc_t sum_int;
      acc_t prod_fp;
      acc_t sum_fp;

      assign x_in    = (c == 0) ? x_skewed[r] : x_q[r][c-1];
      assign psum_in = (r == 0) ? '0 : psum_q[r-1][c];

      // Weight shift register: rows enter at the top and move one PE down per load cycle.
      always_ff @(posedge clk_i) begin
        if (w_valid_i) begin
          if (r == 0) begin
            w_q[r][c] <= w_row_i[c];
          end else begin
            w_q[r][c] <= w_first ? '0 : w_q[r-1][c];
          end
        end
      end

      // The multiply-accumulate, in the format the moving element carries.
      assign sum_int = psum_in + acc_t'($signed(x_in.bits[7:0])) *
                                 acc_t'($signed(w_q[r][c][7:0]));

      bf16_mul u_mul (
        .a_i   (x_in.bits),
        .b_i   (w_q[r][c]),
        .prod_o(prod_fp)
      );

      fp32_add u_add (
        .a_i  (psum_in),
        .b_i  (prod_fp),
        .sum_o(sum_fp)
      );

      always_ff @(posedge clk_i) begin
        x_q[r][c]    <= x_in;
        psum_q[r][c] <= x_in.bf16 ? sum_fp : sum_int;
      end
    end
  end

  ///////////////////
  // Output deskew //
  ///////////////////

  // Column c leaves the bottom row c cycles before column COLS - 1: delay it COLS - 1 - c.
  for (genvar c = 0; c < COLS; c++) begin : g_deskew
    if (c == COLS - 1) begin : g_direct
      assign y_o[c] = psum_q[ROWS-1][c];
    end else begin : g_delay
      acc_t deskew_q [COLS-1-c];
      always_ff @(posedge clk_i) begin
        deskew_q[0] <= psum_q[ROWS-1][c];
        for (int unsigned k = 1; k < COLS - 1 - c; k++) begin
          deskew_q[k] <= deskew_q[k-1];
        end
      end
      assign y_o[c] = deskew_q[COLS-2-c];
    end
  end

  ///////////////////
  // Control       //
  ///////////////////

  // valid_q[k] and last_q[k]: a vector presented k + 1 cycles ago; its result is on y_o
  // once it reaches the end of the pipeline.
  logic [Latency-1:0] valid_q;
  logic [Latency-1:0] last_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      valid_q <= '0;
      last_q  <= '0;
    end else begin
      valid_q <= {valid_q[Latency-2:0], x_valid_i};
      last_q  <= {last_q[Latency-2:0], x_valid_i & x_last_i};
    end
  end

  assign y_valid_o = valid_q[Latency-1];
  assign y_last_o  = last_q[Latency-1];
  // Vectors before the last stage still meet weights in the array (PE (ROWS-1, COLS-1)
  // uses them one cycle before the result leaves).
  assign busy_o    = |valid_q[Latency-2:0];

  ///////////////////
  // Assertions    //
  ///////////////////

  // The previous vector's format, and whether its matmul continues.
  logic bf16_q;
  logic in_matmul_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      bf16_q      <= 1'b0;
      in_matmul_q <= 1'b0;
    end else if (x_valid_i) begin
      bf16_q      <= bf16_i;
      in_matmul_q <= ~x_last_i;
    end
  end

  if (ROWS < 2 || COLS < 2) begin : g_param_check
    $error("pe_array needs ROWS >= 2 and COLS >= 2");
  end

  // Checked on the clock like the registers, with the same asynchronous reset: an assertion
  // with `disable iff (!rst_ni)` would use rst_ni synchronously too (SYNCASYNCNET).
  always_ff @(posedge clk_i or negedge rst_ni) begin : p_assertions
    if (rst_ni) begin
      // A foreground load must not overwrite weights that vectors in flight still use.
      WeightLoadWhileBusy: assert (!(w_valid_i && (busy_o || x_valid_i)))
        else $error("pe_array: weight load while moving vectors are in flight");
      // x_last_i belongs to a vector.
      LastWithoutValid: assert (!x_last_i || x_valid_i)
        else $error("pe_array: x_last_i without x_valid_i");
      // One matmul, one format: its weights were loaded for it.
      FormatChangeInMatmul: assert (!(x_valid_i && in_matmul_q && bf16_i != bf16_q))
        else $error("pe_array: bf16_i changed within a matmul");
    end
  end

endmodule
