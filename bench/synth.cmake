# SPDX-License-Identifier: Apache-2.0
# Synthesis: bytes and time per rank-step of a Kineto detail window against simulating alone.
ts_bench(NAME synth_bench SRCS ${CMAKE_CURRENT_LIST_DIR}/synth_bench.cc DEPS trainscope::workload)
