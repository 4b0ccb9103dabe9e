// Where each declared tensor lives in its chip's HBM.
//
// The static checker uses this to report tensors that overlap or do not fit; the timing
// model uses the same function to turn tensor slices into HBM addresses, so both agree on
// every byte. The placement is a pure function of the program's tensor declarations (in
// declaration order) and the HBM parameters: the same trace always gets the same layout.
//
// Placement rule, per chip:
//  1. A tensor declared with `at=ADDR` lives at ADDR (no alignment is imposed on it).
//  2. Every other tensor, in declaration order, goes at the lowest multiple of
//     `hbm.interleave_bytes` that is at or after the end of the previous such tensor of that
//     chip (the first one starts at 0) and that overlaps no `at=` tensor of that chip; a
//     tensor that would overlap one is moved past it. Aligning to the interleave keeps every
//     tensor's first byte on the first channel of an interleave unit, so a tensor's channel
//     mapping does not depend on its neighbours. Gaps left in front of an `at=` tensor are
//     not back-filled by later tensors: the cursor only moves forward, which keeps the rule
//     simple to state and to reproduce by hand.
// Not modelled: alignment requirements of `at=` addresses, and allocation at run time.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/diagnostic.h"
#include "config/config.h"
#include "trace/program.h"

namespace trnsim::trace {

// The size of a tensor in bytes, saturating at UINT64_MAX instead of wrapping for absurd
// shapes (four dimensions of up to 2^32-1 elements each can exceed 2^64).
std::uint64_t tensor_bytes(const TensorDecl& tensor);

// Returns the HBM byte address of every tensor of `program`, indexed like
// Program::tensors, following the placement rule above. When `diags` is given, appends one
// error per problem, on the tensor's `.tensor` line: two `at=` tensors of a chip that
// overlap, an `at=` tensor that ends beyond `hbm.capacity_bytes`, the tensors of a chip
// needing more bytes in total than the capacity (once per chip), and a tensor that cannot
// be placed below the capacity. A tensor that does not fit still gets the address it would
// have had. `source` is the trace text, for the source line under each message; may be
// empty.
std::vector<std::uint64_t> assign_tensor_addresses(const Program& program,
                                                   const config::HbmParams& hbm,
                                                   DiagnosticList* diags,
                                                   std::string_view source = {});

// The parts of a `.tensor NAME LOCATION ... at=ADDR` line a diagnostic can point at.
enum class TensorField : std::uint8_t { kName, kLocation, kAddress };

// The 1-based column of `field` in the `.tensor` declaration on `line` of `source`; 1 when
// the source is empty or the field is not found (a generated program).
std::uint32_t tensor_field_column(std::string_view source, std::uint32_t line, TensorField field);

}  // namespace trnsim::trace
