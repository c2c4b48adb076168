# SPDX-License-Identifier: Apache-2.0
# Minder detection-call and training benchmarks.
ts_bench(NAME minder_bench SRCS ${CMAKE_CURRENT_LIST_DIR}/minder_bench.cc DEPS trainscope::minder)
# One `minder detect` command end to end on a 1,024-machine CSV.gz against `zcat` of the same file.
ts_bench(NAME minder_call_bench SRCS ${CMAKE_CURRENT_LIST_DIR}/minder_call_bench.cc
  DEPS trainscope::minder trainscope::ingest trainscope::model fmt::fmt ZLIB::ZLIB)
if(TARGET minder_call_bench)
  target_compile_definitions(minder_call_bench PRIVATE TS_TRAINSCOPE_BIN="$<TARGET_FILE:trainscope>")
  add_dependencies(minder_call_bench trainscope)
endif()
