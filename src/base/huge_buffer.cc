// SPDX-License-Identifier: Apache-2.0
// Huge-page advice and padded buffers.
#include "base/huge_buffer.h"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <mutex>

namespace trainscope {

void AdviseHugePages(void* ptr, size_t bytes) {
#ifdef MADV_HUGEPAGE
  constexpr uintptr_t kPage = uintptr_t{2} << 20;
  auto begin = reinterpret_cast<uintptr_t>(ptr);
  uintptr_t aligned = (begin + kPage - 1) & ~(kPage - 1);
  if (bytes < kPage || aligned >= begin + bytes) return;
  size_t len = (begin + bytes - aligned) & ~(kPage - 1);
  if (len > 0) ::madvise(reinterpret_cast<void*>(aligned), len, MADV_HUGEPAGE);
#else
  (void)ptr;
  (void)bytes;
#endif
}

namespace {

// The first allocation after M_TOP_PAD grows the main heap by 64 MB; asking for huge pages on that
// region turns ~16k page faults per 64 MB into ~32 (a 30 MB what-if run spends most of its system
// time in faults otherwise). Later brk growth forms a new mapping without the advice; fine, the
// first 64 MB covers the commands that are short enough for faults to matter.
void AdviseHeapHugePages() {
  // Larger than what is left of the heap that static initialisers started, so the heap grows by
  // the top pad now and the advised range is the fresh one.
  void* probe = std::malloc(size_t{1} << 20);
  if (probe == nullptr) return;
  auto* heap_end = static_cast<char*>(sbrk(0));
  auto* start = static_cast<char*>(probe);
  if (heap_end > start) AdviseHugePages(start, static_cast<size_t>(heap_end - start));
  std::free(probe);
}

}  // namespace

void KeepFreedMemory() {
  static std::once_flag once;
  std::call_once(once, [] {
#ifdef M_TRIM_THRESHOLD
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    mallopt(M_TOP_PAD, 64 << 20);
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    AdviseHeapHugePages();
#endif
  });
}

void PaddedBuffer::Reserve(size_t bytes, size_t keep) {
  if (bytes <= capacity_) return;
  size_t new_capacity = std::max(bytes, capacity_ + capacity_ / 2);
  // Buffers of a huge page or more start on a huge-page boundary, so all of them can use one.
  constexpr size_t kHugePage = size_t{2} << 20;
  const size_t align = new_capacity >= kHugePage ? kHugePage : 64;
  size_t alloc = (new_capacity + padding_ + align - 1) / align * align;
  char* p = static_cast<char*>(std::aligned_alloc(align, alloc));
  if (p == nullptr) throw std::bad_alloc();
  AdviseHugePages(p, alloc);
  if (keep > 0) std::memcpy(p, data_.get(), keep);
  std::memset(p + new_capacity, 0, alloc - new_capacity);
  data_.reset(p);
  capacity_ = new_capacity;
}

}  // namespace trainscope
