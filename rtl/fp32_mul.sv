// IEEE-754 binary32 multiplication, combinational, round to nearest even: fp_mul at the
// binary32 fraction width (fp_mul.sv explains the conventions).

// Waveforms show the units' inputs and outputs, not their internals (in an array of them,
// the internals would make most of the trace).
/* verilator tracing_off */
module fp32_mul (
  input  logic [31:0] a_i,
  input  logic [31:0] b_i,
  output logic [31:0] prod_o
);

  fp_mul #(
    .FracW(23)
  ) u_mul (
    .a_i   (a_i),
    .b_i   (b_i),
    .prod_o(prod_o)
  );

endmodule
