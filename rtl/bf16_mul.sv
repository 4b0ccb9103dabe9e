// bfloat16 x bfloat16 -> binary32, combinational: fp_mul at the bfloat16 fraction width
// (fp_mul.sv explains why one parameterised multiplier serves both formats). The product
// of two 8-bit significands is exact in binary32; it rounds (to nearest even) only when it
// overflows or falls below the normal range.

// Waveforms show the units' inputs and outputs, not their internals (in an array of them,
// the internals would make most of the trace).
/* verilator tracing_off */
module bf16_mul (
  input  logic [15:0] a_i,
  input  logic [15:0] b_i,
  output logic [31:0] prod_o
);

  fp_mul #(
    .FracW(7)
  ) u_mul (
    .a_i   (a_i),
    .b_i   (b_i),
    .prod_o(prod_o)
  );

endmodule
