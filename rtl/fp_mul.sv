// IEEE-754 multiplication of two operands with an 8-bit exponent (bias 127) and FracW
// fraction bits, giving a binary32 product rounded to nearest even. FracW = 23 is binary32
// (fp32_mul), FracW = 7 is bfloat16 (bf16_mul).
//
// One parameterised module for both formats instead of a bf16 multiplier of its own: the
// two share exponent range, special values and rounding, and differ only in significand
// width, so a dedicated copy would repeat all of that logic. The parameter keeps the bf16
// multiplier narrow: its significand product is 8 x 8 bits, not 24 x 24. For bf16 that
// 16-bit product fits the binary32 significand, so it is exact unless the result overflows
// or falls below the normal range; fp32_round then rounds it like any other.
//
// Subnormals are supported as inputs and results (no flush to zero). Any NaN input, and
// 0 x inf, give the canonical quiet NaN 7FC00000. The sign is the xor of the signs, zeros
// and infinities included.

// Waveforms show the units' inputs and outputs, not their internals (in an array of them,
// the internals would make most of the trace).
/* verilator tracing_off */
module fp_mul #(
  parameter int unsigned FracW = 23
) (
  input  logic [FracW+8:0] a_i,
  input  logic [FracW+8:0] b_i,
  output logic [31:0]      prod_o
);

  localparam logic [31:0] CanonicalNaN = 32'h7FC00000;
  localparam int unsigned SigW = FracW + 1;
  localparam int unsigned ProdW = 2 * SigW;

  logic [7:0]       exp_a, exp_b;
  logic [FracW-1:0] frac_a, frac_b;
  logic             sign;
  logic             a_nan, b_nan, a_inf, b_inf, a_zero, b_zero;
  logic [SigW-1:0]  sig_a, sig_b;
  logic [ProdW-1:0] prod;
  logic signed [11:0] exp_prod;
  logic [7:0]       scale_a, scale_b;
  logic [31:0]      rounded;

  assign exp_a  = a_i[FracW+7:FracW];
  assign exp_b  = b_i[FracW+7:FracW];
  assign frac_a = a_i[FracW-1:0];
  assign frac_b = b_i[FracW-1:0];
  assign sign   = a_i[FracW+8] ^ b_i[FracW+8];

  assign a_nan  = (exp_a == 8'hFF) && (frac_a != '0);
  assign b_nan  = (exp_b == 8'hFF) && (frac_b != '0);
  assign a_inf  = (exp_a == 8'hFF) && (frac_a == '0);
  assign b_inf  = (exp_b == 8'hFF) && (frac_b == '0);
  assign a_zero = (exp_a == '0) && (frac_a == '0);
  assign b_zero = (exp_b == '0) && (frac_b == '0);

  // Subnormals scale like exponent 1, without the hidden bit.
  assign sig_a = {exp_a != '0, frac_a};
  assign sig_b = {exp_b != '0, frac_b};
  assign prod  = ProdW'(sig_a) * ProdW'(sig_b);

  // prod = sig_a * sig_b has two integer bits: its top bit weighs
  // 2^(ea - 127) * 2^(eb - 127) * 2, i.e. 2^(ea + eb - 127 + 1 - 127).
  assign scale_a  = (exp_a == '0) ? 8'd1 : exp_a;
  assign scale_b  = (exp_b == '0) ? 8'd1 : exp_b;
  assign exp_prod = 12'(scale_a) + 12'(scale_b) - 12'sd126;

  fp32_round #(
    .W(ProdW)
  ) u_round (
    .sign_i  (sign),
    .exp_i   (exp_prod),
    .sig_i   (prod),
    .sticky_i(1'b0),
    .result_o(rounded)
  );

  always_comb begin
    if (a_nan || b_nan || (a_inf && b_zero) || (b_inf && a_zero)) begin
      prod_o = CanonicalNaN;
    end else if (a_inf || b_inf) begin
      prod_o = {sign, 8'hFF, 23'b0};
    end else begin
      // A zero operand gives a zero significand product: fp32_round returns a signed zero.
      prod_o = rounded;
    end
  end

endmodule
