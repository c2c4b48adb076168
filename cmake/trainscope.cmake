# SPDX-License-Identifier: Apache-2.0
# Helpers that declare trainscope targets the same way everywhere
# (in the spirit of Abseil's absl_cc_library).

# Install layout (bin/, share/trainscope/): cmake/packaging.cmake and the install() rules.
include(GNUInstallDirs)

set(TS_WARNING_FLAGS -Wall -Wextra -Wshadow -Wconversion -Wno-sign-conversion)
if(TS_WERROR)
  list(APPEND TS_WARNING_FLAGS -Werror)
endif()

if(TS_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
if(TS_DCHECK)
  add_compile_definitions(TS_ENABLE_DCHECK=1)
endif()

set(TS_DATA_DIR "${CMAKE_SOURCE_DIR}/../shared/data" CACHE PATH "Shared real data sets")
set(TS_TEST_DATA_DIR "${CMAKE_SOURCE_DIR}/tests/data")

# ts_library(NAME <name> SRCS <files> [DEPS <targets>] [PRIVATE_DEPS <targets>])
# Defines trainscope_<name> with alias trainscope::<name>.
function(ts_library)
  cmake_parse_arguments(TS "" "NAME" "SRCS;DEPS;PRIVATE_DEPS" ${ARGN})
  set(target trainscope_${TS_NAME})
  add_library(${target} STATIC ${TS_SRCS})
  add_library(trainscope::${TS_NAME} ALIAS ${target})
  target_include_directories(${target} PUBLIC ${CMAKE_SOURCE_DIR}/src)
  target_compile_options(${target} PRIVATE ${TS_WARNING_FLAGS})
  target_link_libraries(${target} PUBLIC ${TS_DEPS} PRIVATE ${TS_PRIVATE_DEPS})
endfunction()

# ts_test(NAME <name> SRCS <files> [DEPS <targets>] [LABELS <labels>] [ARGS <args>])
# Labels: fast (default), slow, data (needs ../shared/data), gpu, mpi.
function(ts_test)
  cmake_parse_arguments(TS "" "NAME" "SRCS;DEPS;LABELS;ARGS" ${ARGN})
  if(NOT TS_LABELS)
    set(TS_LABELS fast)
  endif()
  # The sanitizer build runs the fast suite only (scripts/test.sh): building the data, slow and
  # GPU tests there would cost CI minutes and run nothing.
  if(TS_SANITIZE AND NOT "fast" IN_LIST TS_LABELS)
    return()
  endif()
  add_executable(${TS_NAME} ${TS_SRCS})
  target_compile_options(${TS_NAME} PRIVATE ${TS_WARNING_FLAGS})
  target_link_libraries(${TS_NAME} PRIVATE ${TS_DEPS} trainscope_test_support GTest::gtest
                        GTest::gtest_main)
  target_compile_definitions(${TS_NAME} PRIVATE
    TS_DATA_DIR="${TS_DATA_DIR}" TS_TEST_DATA_DIR="${TS_TEST_DATA_DIR}")
  add_test(NAME ${TS_NAME} COMMAND ${TS_NAME} ${TS_ARGS})
  # Exit code 77 = skipped (e.g. shared data or GPU absent).
  set_tests_properties(${TS_NAME} PROPERTIES LABELS "${TS_LABELS}" SKIP_RETURN_CODE 77)
endfunction()

# ts_bench(NAME <name> SRCS <files> [DEPS <targets>])
function(ts_bench)
  cmake_parse_arguments(TS "" "NAME" "SRCS;DEPS" ${ARGN})
  if(NOT TS_BUILD_BENCH)
    return()
  endif()
  add_executable(${TS_NAME} ${TS_SRCS})
  target_compile_options(${TS_NAME} PRIVATE ${TS_WARNING_FLAGS})
  target_link_libraries(${TS_NAME} PRIVATE ${TS_DEPS} benchmark::benchmark)
  target_compile_definitions(${TS_NAME} PRIVATE TS_DATA_DIR="${TS_DATA_DIR}")
  # Smoke run only: CI checks that the benchmark still works, not its speed.
  add_test(NAME ${TS_NAME}_smoke COMMAND ${TS_NAME} --benchmark_min_time=0.01
           --benchmark_filter=Smoke)
  set_tests_properties(${TS_NAME}_smoke PROPERTIES LABELS "bench" SKIP_RETURN_CODE 77)
endfunction()

# ts_fuzzer(NAME <name> SRCS <files> [DEPS <targets>] CORPUS <dir>)
# With TS_FUZZ (clang): a libFuzzer binary. Otherwise: a replay driver that runs every file
# of the corpus through the target as a test.
function(ts_fuzzer)
  cmake_parse_arguments(TS "" "NAME;CORPUS" "SRCS;DEPS" ${ARGN})
  add_executable(${TS_NAME} ${TS_SRCS})
  target_link_libraries(${TS_NAME} PRIVATE ${TS_DEPS})
  if(TS_FUZZ)
    target_compile_options(${TS_NAME} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${TS_NAME} PRIVATE -fsanitize=fuzzer,address,undefined)
  else()
    target_sources(${TS_NAME} PRIVATE ${CMAKE_SOURCE_DIR}/fuzz/replay_main.cc)
    add_test(NAME ${TS_NAME}_replay COMMAND ${TS_NAME} ${TS_CORPUS})
    set_tests_properties(${TS_NAME}_replay PROPERTIES LABELS "fast")
  endif()
endfunction()
