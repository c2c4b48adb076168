// SPDX-License-Identifier: Apache-2.0
// ParallelFor: runs fn(index) for index in [0, count) on up to `threads` std::threads, handing
// out indices dynamically (work items may differ a lot in size, e.g. rank files).
// fn must be thread-safe across distinct indices. threads <= 0 means hardware concurrency.
#pragma once

#include <cstddef>
#include <functional>

namespace trainscope {

int DefaultThreadCount();
void ParallelFor(size_t count, int threads, const std::function<void(size_t)>& fn);

}  // namespace trainscope
