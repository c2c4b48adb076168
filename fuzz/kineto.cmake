# SPDX-License-Identifier: Apache-2.0
# Fuzzer for the Kineto trace reader. Seeds: the valid fixtures (tests/data/kineto); the bad
# inputs (tests/data/bad) are replayed as a second test in g++ builds.
ts_fuzzer(NAME kineto_reader_fuzzer SRCS ${CMAKE_CURRENT_LIST_DIR}/kineto_reader_fuzzer.cc
          DEPS trainscope::ingest trainscope::model CORPUS ${CMAKE_SOURCE_DIR}/tests/data/kineto)
if(NOT TS_FUZZ)
  add_test(NAME kineto_reader_fuzzer_replay_bad
           COMMAND kineto_reader_fuzzer ${CMAKE_SOURCE_DIR}/tests/data/bad)
  set_tests_properties(kineto_reader_fuzzer_replay_bad PROPERTIES LABELS fast)
endif()
