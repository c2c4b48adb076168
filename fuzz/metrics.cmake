# SPDX-License-Identifier: Apache-2.0
# Fuzz targets of the metric readers (long CSV, Prometheus query_range JSON, text exposition);
# each also runs the Minder pre-processing on what it read.
foreach(reader csv prom_json prom_text)
  ts_fuzzer(NAME metrics_${reader}_fuzzer SRCS ${CMAKE_CURRENT_LIST_DIR}/metrics_fuzzer.cc
            DEPS trainscope::ingest trainscope::minder
            CORPUS ${CMAKE_CURRENT_LIST_DIR}/metrics_${reader}_corpus)
endforeach()
target_compile_definitions(metrics_csv_fuzzer PRIVATE TS_FUZZ_READER=0)
target_compile_definitions(metrics_prom_json_fuzzer PRIVATE TS_FUZZ_READER=1)
target_compile_definitions(metrics_prom_text_fuzzer PRIVATE TS_FUZZ_READER=2)
