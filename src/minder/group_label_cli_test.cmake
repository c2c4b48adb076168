# SPDX-License-Identifier: Apache-2.0
# `trainscope minder detect --group-label role` (issue 15 item 3): peer groups from a label the
# series carry. On tests/data/metrics/role_label_query_range.json.gz (make_role_label.py: 3 roles
# of 6 machines at different levels, node-7 of stage1 stalled for 300 s) the groups are the
# roles and the stalled machine is named; --groups with --group-label is a usage error (exit 2);
# long CSV input has no labels (error). Run with -DTS_BIN=<trainscope> -DTS_DATA=<tests/data/metrics>.
include(${CMAKE_CURRENT_LIST_DIR}/../../tests/cli/expect_rc.cmake)
set(F ${TS_DATA}/role_label_query_range.json.gz)

expect_rc(0 --json minder detect ${F} --group-label role --last 0 --continuity 60)
string(JSON verdict GET "${last_out}" verdict)
string(JSON machine GET "${last_out}" alerts 0 machine)
string(JSON n_alerts LENGTH "${last_out}" alerts)
if(NOT verdict STREQUAL "faulty" OR NOT machine STREQUAL "node-7" OR NOT n_alerts EQUAL 1)
  message(FATAL_ERROR "--group-label role: verdict '${verdict}', ${n_alerts} alert(s), first '${machine}'\n${last_out}")
endif()
string(JSON n_groups LENGTH "${last_out}" groups)
if(NOT n_groups EQUAL 3)
  message(FATAL_ERROR "--group-label role: ${n_groups} groups, want 3\n${last_out}")
endif()
foreach(i 0 1 2)
  string(JSON label GET "${last_out}" groups ${i} label)
  string(JSON size GET "${last_out}" groups ${i} size)
  if(NOT label STREQUAL "stage${i}" OR NOT size EQUAL 6)
    message(FATAL_ERROR "--group-label role: group ${i} is '${label}' of ${size}, want stage${i} of 6\n${last_out}")
  endif()
endforeach()
# The label does not split the metric: the channels are the mapped names only.
string(JSON channels GET "${last_out}" channels_tried)
if(channels MATCHES "role")
  message(FATAL_ERROR "--group-label role: the label stayed in a metric key: ${channels}")
endif()

# Replay takes the flag too.
expect_rc(0 --json minder replay ${F} --group-label role --continuity 60 --every 300 --pull 600)

# A label no series carries is an error; --groups / --no-groups with it are usage errors.
expect_rc(3 minder detect ${F} --group-label rack --last 0)
if(NOT last_err MATCHES "no series")
  message(FATAL_ERROR "--group-label rack: want 'no series':\n${last_err}")
endif()
expect_rc(2 minder detect ${F} --group-label role --groups ${TS_DATA}/roce_nic.csv --last 0)
expect_rc(2 minder detect ${F} --group-label role --no-groups --last 0)
expect_rc(3 minder detect ${TS_DATA}/roce_nic.csv --group-label role --last 0)
if(NOT last_err MATCHES "long CSV carries no labels")
  message(FATAL_ERROR "CSV with --group-label: want 'long CSV carries no labels':\n${last_err}")
endif()
