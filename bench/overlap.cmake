# SPDX-License-Identifier: Apache-2.0
# Overlap (Flux) benchmark: ranks as threads, all methods in one run, ratios as counters.
# The full MPI benchmark is `mpirun -np 2 trainscope overlap bench` (bench/overlap_grid.sh).
ts_bench(NAME overlap_bench SRCS ${CMAKE_CURRENT_SOURCE_DIR}/overlap_bench.cc
         DEPS trainscope::overlap)
