# SPDX-License-Identifier: Apache-2.0
# Minder detection-call and training benchmarks.
ts_bench(NAME minder_bench SRCS ${CMAKE_CURRENT_LIST_DIR}/minder_bench.cc DEPS trainscope::minder)
