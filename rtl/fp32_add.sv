// IEEE-754 binary32 addition, combinational, round to nearest even.
//
// Subnormals are supported as inputs and results (no flush to zero). Any NaN input, and
// inf + (-inf), give the canonical quiet NaN 7FC00000 (NaN payloads are not propagated).
// An exact zero sum of operands of opposite signs is +0; (-0) + (-0) is -0.
//
// The operand of larger magnitude is `big_op`, the other `small_op`. small_op's significand
// is aligned to big_op's with three bits below big_op's last bit (guard, round, sticky): an
// alignment by up to three places is exact. A larger one shifts bits out; they are replaced
// by one sticky bit at the bottom. Then small_op < 1/8 of big_op's last place, so the sum
// needs at most one place of normalisation to the left, and the exact and the sticky sum
// lie in the same open interval between two multiples of the guard's weight (the exact one
// is never on a boundary, the sticky one is odd): they round alike. fp32_round normalises
// and rounds the sum.

// Waveforms show the units' inputs and outputs, not their internals (in an array of them,
// the internals would make most of the trace).
/* verilator tracing_off */
module fp32_add (
  input  logic [31:0] a_i,
  input  logic [31:0] b_i,
  output logic [31:0] sum_o
);

  localparam logic [31:0] CanonicalNaN = 32'h7FC00000;
  // Width of the aligned significands: carry, hidden bit, 23 fraction bits, guard, round
  // and sticky.
  localparam int unsigned SumW = 28;

  logic        a_nan, b_nan, a_inf, b_inf;
  logic        swap;
  logic [31:0] big_op, small_op;
  logic [7:0]  exp_big, exp_small;
  logic [7:0]  exp_diff;
  logic [SumW-1:0] sig_big, sig_small, small_aligned, small_lost_mask;
  logic            small_sticky;
  logic [SumW-1:0] sum;
  logic            subtract;
  logic [31:0]     rounded;

  assign a_nan = (a_i[30:23] == 8'hFF) && (a_i[22:0] != '0);
  assign b_nan = (b_i[30:23] == 8'hFF) && (b_i[22:0] != '0);
  assign a_inf = (a_i[30:23] == 8'hFF) && (a_i[22:0] == '0);
  assign b_inf = (b_i[30:23] == 8'hFF) && (b_i[22:0] == '0);

  // Magnitudes compare as unsigned integers of their 31 low bits.
  assign swap  = b_i[30:0] > a_i[30:0];
  assign big_op   = swap ? b_i : a_i;
  assign small_op = swap ? a_i : b_i;

  // Subnormals have exponent field 0 but scale like exponent 1, without the hidden bit.
  assign exp_big   = (big_op[30:23] == '0) ? 8'd1 : big_op[30:23];
  assign exp_small = (small_op[30:23] == '0) ? 8'd1 : small_op[30:23];
  assign exp_diff  = exp_big - exp_small;

  assign sig_big   = {1'b0, big_op[30:23] != '0, big_op[22:0], 3'b0};
  assign sig_small = {1'b0, small_op[30:23] != '0, small_op[22:0], 3'b0};

  assign small_lost_mask = ~({SumW{1'b1}} << exp_diff);
  assign small_sticky    = |(sig_small & small_lost_mask);
  assign small_aligned   = (sig_small >> exp_diff) | SumW'(small_sticky);

  assign subtract = big_op[31] ^ small_op[31];
  assign sum      = subtract ? sig_big - small_aligned : sig_big + small_aligned;

  // sum's top bit weighs 2^(exp_big - 127 + 1).
  fp32_round #(
    .W(SumW)
  ) u_round (
    .sign_i  (big_op[31]),
    .exp_i   (12'(exp_big) + 12'sd1),
    .sig_i   (sum),
    .sticky_i(1'b0),
    .result_o(rounded)
  );

  always_comb begin
    if (a_nan || b_nan || (a_inf && b_inf && (a_i[31] != b_i[31]))) begin
      sum_o = CanonicalNaN;
    end else if (a_inf) begin
      sum_o = a_i;
    end else if (b_inf) begin
      sum_o = b_i;
    end else if (sum == '0) begin
      // Exact zero: -0 only when both operands are -0 (round to nearest even).
      sum_o = {a_i[31] & b_i[31], 31'b0};
    end else begin
      sum_o = rounded;
    end
  end

endmodule
