# SPDX-License-Identifier: Apache-2.0
# Op-table CSV reader + Megatron dependency model + what-if analysis on arbitrary bytes.
ts_fuzzer(NAME optable_fuzzer SRCS ${CMAKE_CURRENT_LIST_DIR}/optable_fuzzer.cc
  DEPS trainscope::ingest trainscope::whatif CORPUS ${CMAKE_CURRENT_LIST_DIR}/optable_corpus)
