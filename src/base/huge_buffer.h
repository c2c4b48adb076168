// SPDX-License-Identifier: Apache-2.0
// Large-array helpers. On the VMs we run on, the first touch of fresh memory costs 10-20 us per
// 4 KiB page, more than parsing the bytes that go into it. So big arrays ask for transparent huge
// pages (madvise(MADV_HUGEPAGE)) and hot buffers are reused rather than reallocated.
// Thread safety: none (plain containers).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

namespace trainscope {

// Advises the kernel to back [ptr, ptr+bytes) with huge pages; no-op for small ranges.
void AdviseHugePages(void* ptr, size_t bytes);

// Keeps freed memory in the process for the rest of its life (glibc: no trimming below 512 MB,
// blocks up to 256 MB from the heap instead of their own mappings), so a buffer freed by one stage
// (a decompressed input, BPTT temporaries) is reused by the next instead of being handed back to
// the kernel and faulted in again. Process-wide, once; for commands that run one job and exit.
void KeepFreedMemory();

// std::allocator replacement that 2 MiB-aligns large blocks and asks for huge pages.
template <typename T>
struct HugePageAllocator {
  using value_type = T;
  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) {}  // NOLINT

  T* allocate(size_t n) {
    size_t bytes = n * sizeof(T);
    if (bytes < kHugeThreshold) return static_cast<T*>(::operator new(bytes));
    size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
    void* p = std::aligned_alloc(kHugePage, rounded);
    if (p == nullptr) throw std::bad_alloc();
    AdviseHugePages(p, rounded);
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t n) {
    if (n * sizeof(T) < kHugeThreshold) {
      ::operator delete(p);
    } else {
      std::free(p);
    }
  }
  template <typename U>
  bool operator==(const HugePageAllocator<U>&) const { return true; }

  static constexpr size_t kHugePage = size_t{2} << 20;
  static constexpr size_t kHugeThreshold = size_t{4} << 20;
};

// A column: std::vector on huge pages when it grows large.
template <typename T>
using Column = std::vector<T, HugePageAllocator<T>>;

// A reusable byte buffer with `padding` readable bytes past its capacity (simdjson needs 64).
class PaddedBuffer {
 public:
  explicit PaddedBuffer(size_t padding = 64) : padding_(padding) {}
  // Ensures capacity() >= bytes, keeping the first `keep` bytes.
  void Reserve(size_t bytes, size_t keep = 0);
  char* data() { return data_.get(); }
  const char* data() const { return data_.get(); }
  size_t capacity() const { return capacity_; }
  size_t padding() const { return padding_; }

 private:
  struct FreeDeleter {
    void operator()(char* p) const { std::free(p); }
  };
  std::unique_ptr<char, FreeDeleter> data_;
  size_t capacity_ = 0;
  size_t padding_;
};

}  // namespace trainscope
