#include "functional/memory.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>
#include <unistd.h>

#include "common/diagnostic.h"

namespace trnsim::functional {

namespace {

// The machine's physical memory: tensors that need more could only end in the kernel's
// out-of-memory killer, after minutes of filling them.
std::uint64_t physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_bytes = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page_bytes <= 0) return UINT64_MAX;  // unknown: no limit
  return static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page_bytes);
}

}  // namespace

Memory::Memory(const trace::Program& program, const config::SystemConfig& cfg,
               const std::vector<std::uint64_t>& tensor_addresses)
    : m_cfg(cfg) {
  const std::uint64_t machine = physical_memory_bytes();
  std::uint64_t total = 0;
  for (const trace::TensorDecl& decl : program.tensors) {
    total += decl.bytes();  // each at most 2^40 bytes (the parser's limit): no overflow
    if (total > machine) {
      constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
      throw InputError(program.file, decl.line, 1,
                       fmt::format("functional execution needs {:.1f} GiB for the tensors up to "
                                   "'{}', more than this machine's {:.1f} GiB of memory; run "
                                   "without --functional, or with smaller tensors",
                                   static_cast<double>(total) / kGiB, decl.name,
                                   static_cast<double>(machine) / kGiB));
    }
  }
  m_tensors.resize(program.tensors.size());
  for (std::uint32_t t = 0; t < program.tensors.size(); ++t) {
    const trace::TensorDecl& decl = program.tensors[t];
    m_tensors[t].assign(decl.bytes(), decl.init == trace::InitKind::kNone ? kPoison : std::byte{0});
    m_hbm[decl.chip].regions.push_back(
        {tensor_addresses[t], tensor_addresses[t] + decl.bytes(), t});
  }
  for (auto& [chip, hbm] : m_hbm) {
    std::sort(hbm.regions.begin(), hbm.regions.end(),
              [](const TensorRegion& a, const TensorRegion& b) { return a.begin < b.begin; });
  }
}

std::byte* Memory::partition(const trace::Footprint& f, std::uint32_t p) {
  Core& core = m_cores[(static_cast<std::uint64_t>(f.chip) << 32) | f.core];
  const bool sbuf = f.memory == isa::Memory::kSbuf;
  std::vector<std::byte>& bytes = sbuf ? core.sbuf : core.psum;
  const std::uint64_t per_partition =
      sbuf ? m_cfg.sbuf.bytes_per_partition : m_cfg.psum.banks * m_cfg.psum.bank_bytes;
  if (bytes.empty()) {
    const std::uint32_t partitions = sbuf ? m_cfg.sbuf.partitions : m_cfg.psum.partitions;
    bytes.assign(partitions * per_partition, kPoison);
  }
  return bytes.data() + p * per_partition;
}

// Calls fn(offset, bytes) for each contiguous run of one partition's pattern (offsets from
// f.base), in element order; the innermost dimension is one run when it is contiguous.
template <typename Fn>
void Memory::for_each_run(const trace::Footprint& f, Fn&& fn) {
  const std::uint32_t inner = f.ndims - 1;
  const bool contiguous = f.stride[inner] == static_cast<std::int64_t>(f.elem_bytes);
  const std::uint64_t run_bytes = contiguous ? f.size[inner] * f.elem_bytes : f.elem_bytes;
  const std::uint64_t runs_inner = contiguous ? 1 : f.size[inner];
  std::array<std::uint64_t, 1 + isa::kMaxPatternDims> index{};
  for (;;) {
    std::int64_t offset = 0;
    for (std::uint32_t d = 0; d < inner; ++d)
      offset += static_cast<std::int64_t>(index[d]) * f.stride[d];
    for (std::uint64_t i = 0; i < runs_inner; ++i)
      fn(offset + static_cast<std::int64_t>(i) * f.stride[inner], run_bytes);
    std::uint32_t d = inner;
    while (d > 0 && ++index[d - 1] == f.size[d - 1]) {
      index[d - 1] = 0;
      --d;
    }
    if (d == 0) return;
  }
}

void Memory::hbm_copy(std::uint32_t chip, std::uint64_t address, std::uint64_t bytes,
                      std::byte* out, const std::byte* in) {
  Hbm& hbm = m_hbm[chip];
  while (bytes > 0) {
    // The region holding `address`, or the first one after it.
    auto it = std::upper_bound(hbm.regions.begin(), hbm.regions.end(), address,
                               [](std::uint64_t a, const TensorRegion& r) { return a < r.end; });
    std::byte* target = nullptr;
    std::uint64_t chunk = bytes;
    if (it != hbm.regions.end() && it->begin <= address) {
      target = m_tensors[it->tensor].data() + (address - it->begin);
      chunk = std::min(chunk, it->end - address);
    } else {
      const std::uint64_t page_number = address / kPageBytes;
      const std::uint64_t in_page = address % kPageBytes;
      std::unique_ptr<Page>& page = hbm.pages[page_number];
      if (!page) {
        page = std::make_unique<Page>();
        page->fill(kPoison);
      }
      target = page->data() + in_page;
      chunk = std::min(chunk, kPageBytes - in_page);
      if (it != hbm.regions.end()) chunk = std::min(chunk, it->begin - address);
    }
    if (in != nullptr) {
      std::memcpy(target, in, chunk);
      in += chunk;
    } else {
      std::memcpy(out, target, chunk);
      out += chunk;
    }
    address += chunk;
    bytes -= chunk;
  }
}

void Memory::gather(const trace::Footprint& f, std::span<std::byte> out) {
  transfer(f, out.data(), nullptr);
}

void Memory::scatter(const trace::Footprint& f, std::span<const std::byte> in) {
  transfer(f, nullptr, in.data());
}

void Memory::transfer(const trace::Footprint& f, std::byte* out, const std::byte* in) {
  // Exactly one of out and in is given; it advances through the packed element bytes.
  const auto move = [&](std::byte* place, std::uint64_t bytes) {
    if (in != nullptr) {
      std::memcpy(place, in, bytes);
      in += bytes;
    } else {
      std::memcpy(out, place, bytes);
      out += bytes;
    }
  };
  if (f.memory == isa::Memory::kHbm) {
    for_each_run(f, [&](std::int64_t offset, std::uint64_t bytes) {
      hbm_copy(f.chip, static_cast<std::uint64_t>(f.base + offset), bytes, out, in);
      if (in != nullptr) in += bytes;
      if (out != nullptr) out += bytes;
    });
    return;
  }
  for (std::uint32_t p = f.p0; p < f.p1; ++p) {
    std::byte* part = partition(f, p) + f.base;
    for_each_run(f, [&](std::int64_t offset, std::uint64_t bytes) { move(part + offset, bytes); });
  }
}

}  // namespace trnsim::functional
