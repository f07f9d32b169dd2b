// Cache-line-aligned storage for kernel operands.
//
// The SIMD kernels read packed weights with full-width unaligned loads (VMOVDQU64) and write outputs the same
// way. Unaligned loads are correct at any address, but a 64-byte load or store that starts 16 bytes into a
// cache line touches two lines: on this project's Zen 5, packed weights at the 16-byte alignment a
// std::vector gets from malloc made the binary convs 3-10 % slower than at a 64-byte boundary
// (bench/bconv_bench.cc, same run). The session's arena is aligned the same way (session.cc).
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace bnnkit::kernels {

inline constexpr size_t kCacheLine = 64;

template <class T>
struct AlignedAllocator {
  using value_type = T;
  AlignedAllocator() noexcept = default;
  template <class U>
  AlignedAllocator(const AlignedAllocator<U>& /*other*/) noexcept {}
  T* allocate(size_t n) {
    return static_cast<T*>(::operator new (n * sizeof(T), std::align_val_t{kCacheLine}));
  }
  void deallocate(T* p, size_t /*n*/) noexcept { ::operator delete (p, std::align_val_t{kCacheLine}); }
  template <class U>
  bool operator==(const AlignedAllocator<U>& /*other*/) const noexcept {
    return true;
  }
};

// A std::vector whose data() is 64-byte aligned.
template <class T>
using AlignedVector = std::vector<T, AlignedAllocator<T>>;

}  // namespace bnnkit::kernels
