#include "trace/hbm_layout.h"

#include <algorithm>
#include <limits>
#include <map>

#include <fmt/format.h>

#include "trace/lexer.h"

namespace trnsim::trace {

namespace {

constexpr std::uint64_t kMaxU64 = std::numeric_limits<std::uint64_t>::max();

std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
  std::uint64_t sum = 0;
  return __builtin_add_overflow(a, b, &sum) ? kMaxU64 : sum;
}

std::uint64_t saturating_mul(std::uint64_t a, std::uint64_t b) {
  std::uint64_t product = 0;
  return __builtin_mul_overflow(a, b, &product) ? kMaxU64 : product;
}

std::uint64_t align_up(std::uint64_t value, std::uint64_t alignment) {
  std::uint64_t rem = value % alignment;
  return rem == 0 ? value : saturating_add(value, alignment - rem);
}

// A tensor's byte interval [begin, end) in its chip's HBM.
struct Placed {
  std::uint32_t tensor = 0;  // index into Program::tensors
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};

// Lays out the tensors of one chip and reports its problems.
class ChipLayout {
 public:
  ChipLayout(const Program& program, const config::HbmParams& hbm, DiagnosticList* diags,
             std::string_view source, std::vector<std::uint64_t>& addresses)
      : m_program(program),
        m_hbm(hbm),
        m_diags(diags),
        m_source(source),
        m_addresses(addresses),
        m_alignment(std::max<std::uint64_t>(hbm.interleave_bytes, 1)) {}

  void run(std::uint32_t chip, const std::vector<std::uint32_t>& tensors) {
    m_total_reported = check_total(chip, tensors);
    std::vector<Placed> fixed;
    for (std::uint32_t index : tensors) {
      const TensorDecl& t = m_program.tensors[index];
      if (t.has_address) fixed.push_back(place_fixed(index));
    }
    std::sort(fixed.begin(), fixed.end(), [](const Placed& a, const Placed& b) {
      return a.begin != b.begin ? a.begin < b.begin : a.tensor < b.tensor;
    });
    check_overlaps(fixed);
    std::uint64_t cursor = 0;
    for (std::uint32_t index : tensors) {
      if (!m_program.tensors[index].has_address) cursor = place_packed(chip, index, cursor, fixed);
    }
  }

 private:
  void error(const TensorDecl& t, TensorField field, std::string message) {
    if (m_diags == nullptr || m_diags->full()) return;
    m_diags->error(m_program.file, t.line, tensor_field_column(m_source, t.line, field),
                   std::move(message), std::string(line_of(m_source, t.line)));
  }

  // The whole chip's demand against the capacity, reported once at the tensor whose
  // declaration crosses it. Returns true when it was reported.
  bool check_total(std::uint32_t chip, const std::vector<std::uint32_t>& tensors) {
    std::uint64_t total = 0;
    const TensorDecl* crossing = nullptr;
    for (std::uint32_t index : tensors) {
      total = saturating_add(total, tensor_bytes(m_program.tensors[index]));
      if (crossing == nullptr && total > m_hbm.capacity_bytes) crossing = &m_program.tensors[index];
    }
    if (crossing == nullptr) return false;
    error(*crossing, TensorField::kName,
          fmt::format("tensors on chip {} need {} bytes in all, HBM has {} bytes", chip, total,
                      m_hbm.capacity_bytes));
    return true;
  }

  Placed place_fixed(std::uint32_t index) {
    const TensorDecl& t = m_program.tensors[index];
    Placed p{index, t.address, saturating_add(t.address, tensor_bytes(t))};
    m_addresses[index] = t.address;
    if (p.end > m_hbm.capacity_bytes) {
      error(t, TensorField::kAddress,
            fmt::format("tensor '{}' at {:#x} ({} bytes) ends beyond the HBM capacity of {} bytes",
                        t.name, t.address, tensor_bytes(t), m_hbm.capacity_bytes));
    }
    return p;
  }

  // `fixed` is sorted by address. Each tensor that starts inside an earlier-starting one is
  // reported once, against the earlier tensor that reaches furthest.
  void check_overlaps(const std::vector<Placed>& fixed) {
    const Placed* reach = nullptr;
    for (const Placed& p : fixed) {
      if (reach != nullptr && p.begin < reach->end) {
        // Report on the later declaration: the earlier one was fine when it was written.
        const Placed& later = p.tensor > reach->tensor ? p : *reach;
        const Placed& earlier = p.tensor > reach->tensor ? *reach : p;
        const TensorDecl& a = m_program.tensors[later.tensor];
        const TensorDecl& b = m_program.tensors[earlier.tensor];
        error(a, TensorField::kAddress,
              fmt::format("tensor '{}' at {:#x} ({} bytes) overlaps tensor '{}' at {:#x} ({} "
                          "bytes, line {})",
                          a.name, a.address, tensor_bytes(a), b.name, b.address, tensor_bytes(b),
                          b.line));
      }
      if (reach == nullptr || p.end > reach->end) reach = &p;
    }
  }

  // Places one tensor without `at=` at or after `cursor`; returns the new cursor.
  std::uint64_t place_packed(std::uint32_t chip, std::uint32_t index, std::uint64_t cursor,
                             const std::vector<Placed>& fixed) {
    const TensorDecl& t = m_program.tensors[index];
    const std::uint64_t bytes = tensor_bytes(t);
    std::uint64_t address = align_up(cursor, m_alignment);
    for (const Placed& f : fixed) {
      if (f.end <= address) continue;
      if (f.begin >= saturating_add(address, bytes)) break;  // sorted: the rest start later
      address = align_up(f.end, m_alignment);
    }
    m_addresses[index] = address;
    const std::uint64_t end = saturating_add(address, bytes);
    if (end > m_hbm.capacity_bytes && !m_total_reported) {
      error(t, TensorField::kName,
            fmt::format("tensor '{}' ({} bytes) does not fit in the HBM of chip {}: the first "
                        "free address is {:#x}, HBM has {} bytes",
                        t.name, bytes, chip, address, m_hbm.capacity_bytes));
    }
    return end;
  }

  const Program& m_program;
  const config::HbmParams& m_hbm;
  DiagnosticList* m_diags;
  std::string_view m_source;
  std::vector<std::uint64_t>& m_addresses;
  std::uint64_t m_alignment;
  bool m_total_reported = false;
};

}  // namespace

std::uint64_t tensor_bytes(const TensorDecl& tensor) {
  std::uint64_t bytes = isa::dtype_bytes(tensor.dtype);
  for (std::uint64_t extent : tensor.shape)
    bytes = saturating_mul(bytes, extent);
  return bytes;
}

std::vector<std::uint64_t> assign_tensor_addresses(const Program& program,
                                                   const config::HbmParams& hbm,
                                                   DiagnosticList* diags, std::string_view source) {
  std::vector<std::uint64_t> addresses(program.tensors.size(), 0);
  // Chips in ascending order, tensors in declaration order within each.
  std::map<std::uint32_t, std::vector<std::uint32_t>> by_chip;
  for (std::uint32_t i = 0; i < program.tensors.size(); ++i) {
    by_chip[program.tensors[i].chip].push_back(i);
  }
  for (const auto& [chip, tensors] : by_chip) {
    ChipLayout(program, hbm, diags, source, addresses).run(chip, tensors);
  }
  return addresses;
}

std::uint32_t tensor_field_column(std::string_view source, std::uint32_t line, TensorField field) {
  std::vector<Token> tokens;
  lex_line(line_of(source, line), tokens);
  // `.` `tensor` NAME LOCATION ...
  constexpr std::size_t kNameToken = 2;
  constexpr std::size_t kLocationToken = 3;
  switch (field) {
    case TensorField::kName:
    case TensorField::kLocation: {
      std::size_t at = field == TensorField::kName ? kNameToken : kLocationToken;
      if (at < tokens.size() && tokens[at].kind == TokenKind::kName) return tokens[at].column;
      break;
    }
    case TensorField::kAddress:
      for (std::size_t i = 0; i + 2 < tokens.size(); ++i) {
        if (tokens[i].is_name("at") && tokens[i + 1].is("=")) return tokens[i + 2].column;
      }
      break;
  }
  return 1;
}

}  // namespace trnsim::trace
