# SPDX-License-Identifier: Apache-2.0
# Fuzzer for the Kineto trace reader. Seeds: the valid fixtures (tests/data/kineto); the bad
# inputs (tests/data/bad) are replayed as a second test in g++ builds.
# libFuzzer build (clang-14; the -include works around its missing std::source_location):
#   CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DTS_FUZZ=ON -DTS_BUILD_BENCH=OFF \
#     -DTS_MPI=OFF -DTS_CUDA=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
#     "-DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link,address,undefined -include $PWD/fuzz/kineto_clang14_compat.h"
#   cmake --build build-fuzz --target kineto_reader_fuzzer
#   build-fuzz/fuzz/kineto_reader_fuzzer -max_total_time=600 CORPUS_DIR tests/data/kineto tests/data/bad
ts_fuzzer(NAME kineto_reader_fuzzer SRCS ${CMAKE_CURRENT_LIST_DIR}/kineto_reader_fuzzer.cc
          DEPS trainscope::ingest trainscope::model CORPUS ${CMAKE_SOURCE_DIR}/tests/data/kineto)
if(NOT TS_FUZZ)
  add_test(NAME kineto_reader_fuzzer_replay_bad
           COMMAND kineto_reader_fuzzer ${CMAKE_SOURCE_DIR}/tests/data/bad)
  set_tests_properties(kineto_reader_fuzzer_replay_bad PROPERTIES LABELS fast)
endif()
