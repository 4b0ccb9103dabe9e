// The bytes functional execution works on: each core's SBUF and PSUM and each chip's HBM.
//
// SBUF and PSUM are one array per core (partitions x bytes per partition), allocated the
// first time the core touches them. HBM is, per chip, each declared tensor's bytes at its
// address plus 64 KiB pages, allocated on first touch, for raw `hbm@` addresses outside
// every tensor. Memory nobody has written holds poison: every byte 0xff, which reads as NaN
// in every float dtype and as -1 (255 for uint8) in the integers.
//
// Accesses are trace::Footprints (statically checked to lie inside their memory); the
// bytes of an access are packed in element order: partition by partition, each partition's
// pattern innermost dimension fastest.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "trace/footprint.h"
#include "trace/program.h"

namespace trnsim::functional {

inline constexpr std::byte kPoison{0xff};

class Memory {
 public:
  Memory(const trace::Program& program, const config::SystemConfig& cfg,
         const std::vector<std::uint64_t>& tensor_addresses);

  // The bytes of tensor `index` (row-major, its dtype).
  std::span<std::byte> tensor(std::uint32_t index) { return m_tensors[index]; }
  std::span<const std::byte> tensor(std::uint32_t index) const { return m_tensors[index]; }

  // Copies the bytes of `f` out to `out` (f's partitions x elements x elem_bytes) or in from
  // `in`.
  void gather(const trace::Footprint& f, std::span<std::byte> out);
  void scatter(const trace::Footprint& f, std::span<const std::byte> in);

 private:
  struct Core {
    std::vector<std::byte> sbuf;
    std::vector<std::byte> psum;
  };
  struct TensorRegion {
    std::uint64_t begin;
    std::uint64_t end;
    std::uint32_t tensor;
  };
  static constexpr std::uint64_t kPageBytes = 64 * 1024;
  using Page = std::array<std::byte, kPageBytes>;
  struct Hbm {
    std::vector<TensorRegion> regions;                               // sorted by address, disjoint
    std::unordered_map<std::uint64_t, std::unique_ptr<Page>> pages;  // by page number
  };

  void transfer(const trace::Footprint& f, std::byte* out, const std::byte* in);
  // The first byte of partition `p` of the SBUF or PSUM that `f` names.
  std::byte* partition(const trace::Footprint& f, std::uint32_t p);
  // Copies `bytes` bytes of `chip`'s HBM from `address` into `out`, or from `in` into it
  // (exactly one of the two is given).
  void hbm_copy(std::uint32_t chip, std::uint64_t address, std::uint64_t bytes, std::byte* out,
                const std::byte* in);
  template <typename Fn>
  void for_each_run(const trace::Footprint& f, Fn&& fn);

  const config::SystemConfig& m_cfg;
  std::vector<std::vector<std::byte>> m_tensors;
  std::unordered_map<std::uint64_t, Core> m_cores;  // by (chip << 32 | core)
  std::unordered_map<std::uint32_t, Hbm> m_hbm;     // by chip
};

}  // namespace trnsim::functional
