// Normalise, round to nearest even and pack an exact intermediate into IEEE-754 binary32:
// the one rounding step shared by fp32_add and fp_mul, so both round the same way.
//
// The value is (-1)^sign_i * sig_i[W-1].sig_i[W-2:0] * 2^(exp_i - 127), plus a nonzero
// amount below the last bit of sig_i when sticky_i is set (sticky_i only ever stands for
// bits below a nonzero sig_i). sig_i may have leading zeros; exp_i may be far outside the
// binary32 range in either direction.
//
// Results below the normal range come out subnormal (no flush to zero) and round once, at
// the subnormal's last bit; results that round to 2^128 or more come out as infinity. A
// zero sig_i gives a zero of sign_i: the callers decide the sign of exact zeros.
//
// Rounding adds the round-up bit to {exponent, fraction} as one number, so a carry out of
// the fraction moves a subnormal into the normal range and the largest normal into
// infinity without a separate case.

// Waveforms show the units' inputs and outputs, not their internals (in an array of them,
// the internals would make most of the trace).
/* verilator tracing_off */
module fp32_round #(
  parameter int unsigned W = 26
) (
  input  logic               sign_i,
  input  logic signed [11:0] exp_i,
  input  logic [W-1:0]       sig_i,
  input  logic               sticky_i,
  output logic [31:0]        result_o
);

  // Fraction (23), guard (1) and at least one sticky bit below the leading bit.
  localparam int unsigned Wi = (W < 26) ? 26 : W;

  logic [Wi-1:0]      sig_w;
  logic [Wi-1:0]      sig_n;
  logic [Wi-1:0]      sig_d;
  logic [Wi-1:0]      lost_mask;
  logic signed [12:0] exp_n;
  logic [12:0]        shift_d;
  logic [7:0]         exp_field;
  logic [22:0]        frac;
  logic               guard;
  logic               sticky;
  logic               round_up;
  logic [30:0]        magnitude;
  int unsigned        lzc;

  assign sig_w = Wi'(sig_i) << (Wi - W);

  // Leading zeros of the significand.
  always_comb begin
    lzc = Wi;
    for (int i = 0; i < int'(Wi); i++) begin
      if (sig_w[i]) lzc = Wi - 1 - i;
    end
  end

  always_comb begin
    // Normalise: leading one at the top, the exponent follows.
    sig_n = sig_w << lzc;
    exp_n = 13'(exp_i) - 13'(lzc);

    // Below the normal range the exponent field is 0 and the significand moves right until
    // its exponent is the subnormals' 2^-126; what falls off counts as sticky.
    if (exp_n >= 1) begin
      shift_d   = '0;
      exp_field = (exp_n >= 255) ? 8'hFF : exp_n[7:0];
    end else begin
      shift_d   = 13'(13'sd1 - exp_n);
      exp_field = '0;
    end
    sig_d     = sig_n >> shift_d;
    lost_mask = ~({Wi{1'b1}} << shift_d);

    frac     = sig_d[Wi-2 -: 23];
    guard    = sig_d[Wi-25];
    sticky   = sticky_i | (|sig_d[Wi-26:0]) | (|(sig_n & lost_mask));
    round_up = guard & (sticky | frac[0]);

    magnitude = {exp_field, frac} + 31'(round_up);
    if (sig_w == '0) begin
      result_o = {sign_i, 31'b0};
    end else if (exp_n >= 255) begin
      result_o = {sign_i, 8'hFF, 23'b0};
    end else begin
      result_o = {sign_i, magnitude};
    end
  end

endmodule
