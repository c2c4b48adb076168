# SPDX-License-Identifier: Apache-2.0
# What-if straggler analysis benchmarks (bench/whatif_bench.cc).
ts_bench(NAME whatif_bench SRCS ${CMAKE_CURRENT_LIST_DIR}/whatif_bench.cc
  DEPS trainscope::whatif trainscope::ingest trainscope::graph)
