// A synchronous first-word-fall-through FIFO for dma_engine: the head is on rdata_o while
// empty_o is low, pop_i removes it at the clock edge. A push into a full FIFO is accepted
// only together with a pop (the caller's ready is !full_o || pop_i), so a queue that frees a
// slot takes a new entry in the same cycle, as the SystemC DMA queue does.

module dma_fifo #(
  parameter int unsigned Width = 8,
  parameter int unsigned Depth = 4
) (
  input  logic             clk_i,
  input  logic             rst_ni,

  input  logic             push_i,
  input  logic [Width-1:0] wdata_i,
  input  logic             pop_i,
  output logic [Width-1:0] rdata_o,
  output logic             empty_o,
  output logic             full_o
);

  localparam int unsigned PtrW = (Depth > 1) ? $clog2(Depth) : 1;
  localparam int unsigned CntW = $clog2(Depth + 1);

  logic [Width-1:0] mem_q [Depth];
  logic [PtrW-1:0]  rd_ptr_q, wr_ptr_q;
  logic [CntW-1:0]  count_q;

  // Pointers wrap at Depth, which need not be a power of two.
  function automatic logic [PtrW-1:0] next_ptr(logic [PtrW-1:0] ptr);
    return (32'(ptr) == Depth - 1) ? '0 : ptr + 1'b1;
  endfunction

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rd_ptr_q <= '0;
      wr_ptr_q <= '0;
      count_q  <= '0;
    end else begin
      if (push_i) wr_ptr_q <= next_ptr(wr_ptr_q);
      if (pop_i)  rd_ptr_q <= next_ptr(rd_ptr_q);
      count_q <= count_q + CntW'(push_i) - CntW'(pop_i);
    end
  end

  always_ff @(posedge clk_i) begin
    if (push_i) mem_q[wr_ptr_q] <= wdata_i;
  end

  assign rdata_o = mem_q[rd_ptr_q];
  assign empty_o = (count_q == '0);
  assign full_o  = (32'(count_q) == Depth);

  ///////////////////
  // Assertions    //
  ///////////////////

  always_ff @(posedge clk_i or negedge rst_ni) begin : p_assertions
    if (rst_ni) begin
      PopEmpty: assert (!(pop_i && empty_o))
        else $error("dma_fifo: pop from an empty FIFO");
      PushFull: assert (!(push_i && full_o && !pop_i))
        else $error("dma_fifo: push into a full FIFO");
    end
  end

endmodule
