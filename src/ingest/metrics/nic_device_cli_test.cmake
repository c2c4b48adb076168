# SPDX-License-Identifier: Apache-2.0
# Issue 15 items 1 and 6 through the CLI: a NIC named in a long CSV is the device of a
# `metric[min]` alert (JSON "device"/"device_kind", no "gpu" key; text "(nic NAME)"), and
# `--metric` wants one name per file. Run with -DTS_BIN=<trainscope> -DTS_DATA=<tests/data/metrics>.
include(${CMAKE_CURRENT_LIST_DIR}/../../../tests/cli/expect_rc.cmake)

set(nic_args minder detect ${TS_DATA}/nic_fault.csv.gz --raw-names --last 0 --metrics rdma_tx_MBps[min])
expect_rc(0 --json ${nic_args})
string(JSON machine GET "${last_out}" alerts 0 machine)
string(JSON device GET "${last_out}" alerts 0 device)
string(JSON kind GET "${last_out}" alerts 0 device_kind)
string(JSON gpu ERROR_VARIABLE no_gpu GET "${last_out}" alerts 0 gpu)
if(NOT machine STREQUAL "node-3" OR NOT device STREQUAL "ens18np0" OR NOT kind STREQUAL "nic" OR NOT no_gpu)
  message(FATAL_ERROR "NIC alert: machine '${machine}' device '${device}' kind '${kind}' gpu '${gpu}':\n${last_out}")
endif()
expect_rc(0 ${nic_args})
if(NOT last_out MATCHES "ALERT machine node-3 metric rdma_tx_MBps\\[min\\] \\(nic ens18np0\\)")
  message(FATAL_ERROR "text alert does not name the NIC:\n${last_out}")
endif()

expect_rc(3 minder detect ${TS_DATA}/avg_tensor_active.json ${TS_DATA}/sum_rate_nvlink.json --metric one)
if(NOT last_err MATCHES "1 name\\(s\\) for series without __name__ \\(--metric\\) for 2 file\\(s\\)")
  message(FATAL_ERROR "--metric count not checked:\n${last_err}")
endif()
