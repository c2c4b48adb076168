# SPDX-License-Identifier: Apache-2.0
# Fuzz targets of the YAML readers: job configs (parsed, validated and planned) and op-table
# meta files. Seeds: the shipped presets and the meta fixtures.
ts_fuzzer(NAME config_yaml_fuzzer SRCS ${CMAKE_CURRENT_LIST_DIR}/config_fuzzer.cc
          DEPS trainscope::workload CORPUS ${CMAKE_CURRENT_LIST_DIR}/config_corpus)
ts_fuzzer(NAME optable_meta_fuzzer SRCS ${CMAKE_CURRENT_LIST_DIR}/config_fuzzer.cc
          DEPS trainscope::ingest CORPUS ${CMAKE_CURRENT_LIST_DIR}/optable_meta_corpus)
target_compile_definitions(config_yaml_fuzzer PRIVATE TS_FUZZ_READER=0)
target_compile_definitions(optable_meta_fuzzer PRIVATE TS_FUZZ_READER=1)
