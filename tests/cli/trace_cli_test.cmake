# SPDX-License-Identifier: Apache-2.0
# `trainscope trace` and `trainscope demo` at the CLI level: exit codes, the one-line error
# naming file and place, --strict, and the public --json keys. Run with -DTS_BIN=<trainscope>
# -DTS_BAD=<tests/data/bad> -DTS_KINETO=<tests/data/kineto> -DTS_TMP=<scratch dir>.
include(${CMAKE_CURRENT_LIST_DIR}/expect_rc.cmake)

function(expect_error expected_regex)
  expect_rc(3 ${ARGN})
  if(NOT last_err MATCHES "${expected_regex}")
    message(FATAL_ERROR "trainscope ${ARGN}: stderr does not match '${expected_regex}':\n${last_err}")
  endif()
  string(REGEX MATCHALL "\n" lines "${last_err}")
  list(LENGTH lines line_count)
  if(NOT line_count EQUAL 1)
    message(FATAL_ERROR "trainscope ${ARGN}: expected one error line, got:\n${last_err}")
  endif()
endfunction()

# Bad inputs: exit 3, one line naming the file and the place.
expect_error("error: .*bad/truncated.json: byte 5000: unexpected end of input inside traceEvents after 31 complete events \\(the last ends at byte 4842"
             trace info ${TS_BAD}/truncated.json)
expect_error("error: .*bad/empty.json: byte 0: empty file" trace info ${TS_BAD}/empty.json)
expect_error("error: .*bad/corrupt.json.gz: .*corrupt gzip data" trace info ${TS_BAD}/corrupt.json.gz)
expect_error("error: .*bad/missing_comma.json: byte 156: traceEvents element 1"
             trace info ${TS_BAD}/missing_comma.json)
expect_error("error: .*duplicate_ranks/b.json: duplicate rank 1"
             trace info ${TS_BAD}/duplicate_ranks)
expect_error("error: .*other_job/rank-1.json: world_size 8 differs"
             trace export --perfetto ${TS_TMP}/never.json ${TS_BAD}/other_job)
expect_error("error: .*no-such-file.json: no such file or directory"
             trace info ${TS_BAD}/no-such-file.json)
# Issue 21 item 3: the place is where the fault is (bytes counted by make_bad_inputs.py).
expect_error("error: .*bad/invalid_utf8_name.json: event 1 \\(byte 157\\): invalid UTF-8 at byte 201\n"
             trace info ${TS_BAD}/invalid_utf8_name.json)
expect_error("error: .*bad/nul_in_string.json: event 1 \\(byte 157\\): a control byte that JSON requires escaped at byte 199 \\(.x00\\)"
             trace info ${TS_BAD}/nul_in_string.json)
expect_error("error: .*bad/world_size_zero.json: distributedInfo.world_size is 0"
             trace info ${TS_BAD}/world_size_zero.json)
expect_error("error: .*bad/rank_negative.json: contradictory distributedInfo: rank -1 is outside world_size 2"
             trace info ${TS_BAD}/rank_negative.json)
expect_error("error: .*bad/rank_huge.json: distributedInfo.rank is 1e\\+20, expected a whole number"
             trace info ${TS_BAD}/rank_huge.json)
expect_error("error: .*bad/trace_events_null.json: byte 16: \"traceEvents\" must be an array, found 'n'"
             trace info ${TS_BAD}/trace_events_null.json)
expect_error("error: .*bad/unterminated_string.json: byte 95: unexpected end of input inside traceEvents after 0 complete events \\(file truncated"
             trace info ${TS_BAD}/unterminated_string.json)
expect_error("error: .*bad/open_array.json: byte 17: unexpected end of input inside traceEvents"
             trace check ${TS_BAD}/open_array.json)
expect_error("error: .*bad/top_level_string.json: byte 0: expected a JSON object or array, found '\"'"
             trace info ${TS_BAD}/top_level_string.json)
expect_error("error: .*bad/gzip_of_garbage.json.gz: byte 0: expected a JSON object or array, found '.x00'"
             trace info ${TS_BAD}/gzip_of_garbage.json.gz)
expect_error("error: .*bad/gzip_empty_member.json.gz: byte 0: empty file"
             trace export --perfetto ${TS_TMP}/never.json ${TS_BAD}/gzip_empty_member.json.gz)
expect_error("error: .*bad/empty_dir: no Kineto trace files in it"
             trace info ${TS_BAD}/empty_dir)
expect_error("error: .*bad/invalid_utf8_name.json: event 1 \\(byte 157\\): invalid UTF-8 at byte 201"
             whatif ${TS_BAD}/invalid_utf8_name.json)
# An export over its own input, or into the input folder as a .json the next read takes for a
# rank, is refused and leaves the trace as it was.
file(REMOVE_RECURSE ${TS_TMP}/own)
file(MAKE_DIRECTORY ${TS_TMP}/own)
file(COPY ${TS_KINETO}/demo/rank-0.json DESTINATION ${TS_TMP}/own)
file(SIZE ${TS_TMP}/own/rank-0.json own_size)
expect_error("error: --perfetto .*own/rank-0.json: is the input itself"
             trace export --perfetto ${TS_TMP}/own/rank-0.json ${TS_TMP}/own/rank-0.json)
expect_error("error: --perfetto .*own/rank-0.json: is the input itself"
             whatif --perfetto ${TS_TMP}/own/rank-0.json ${TS_TMP}/own/rank-0.json)
expect_error("error: --perfetto .*own/job.json: inside the input folder"
             trace export --perfetto ${TS_TMP}/own/job.json ${TS_TMP}/own)
file(SIZE ${TS_TMP}/own/rank-0.json own_size_after)
if(NOT own_size EQUAL own_size_after OR EXISTS ${TS_TMP}/own/job.json)
  message(FATAL_ERROR "a refused export changed ${TS_TMP}/own")
endif()
if(EXISTS ${TS_TMP}/never.json)
  message(FATAL_ERROR "a failed export left ${TS_TMP}/never.json")
endif()
# Deep nesting in args (5000 levels) is read, not a crash: exit 0.
expect_rc(0 trace info ${TS_BAD}/deep_nesting.json)

# A documented recovery: exit 0 with the warning shown; --strict turns it into exit 3.
expect_rc(0 trace info ${TS_BAD}/negative_dur.json)
if(NOT last_out MATCHES "data_loss.*event 1 \\(byte 157\\): negative \"dur\" \\(-5 us\\); event skipped")
  message(FATAL_ERROR "negative_dur warning not shown:\n${last_out}")
endif()
expect_error("error: .*negative_dur.json: event 1 \\(byte 157\\): negative \"dur\".*--strict"
             --strict trace info ${TS_BAD}/negative_dur.json)

# --json keys are a public interface.
expect_rc(0 --json trace info ${TS_KINETO}/demo)
string(JSON world_size GET "${last_out}" world_size)
string(JSON rank1 GET "${last_out}" ranks 1 rank)
string(JSON kernels GET "${last_out}" ranks 1 kernels)
string(JSON collectives GET "${last_out}" ranks 1 collectives)
string(JSON events GET "${last_out}" ranks 1 events)
string(JSON steps GET "${last_out}" ranks 1 steps)
# The demo rank: per step 12 compute kernels + 1 all_reduce kernel, 2 steps (make_demo_trace.py).
if(NOT world_size EQUAL 4 OR NOT rank1 EQUAL 1 OR NOT kernels EQUAL 26 OR NOT collectives EQUAL 2
   OR NOT steps STREQUAL "[ 1, 2 ]")
  message(FATAL_ERROR "unexpected trace info --json: ${last_out}")
endif()

# Demo: writes the Perfetto trace where asked, says where.
file(REMOVE_RECURSE ${TS_TMP}/demo)
expect_rc(0 demo --out ${TS_TMP}/demo)
if(NOT EXISTS ${TS_TMP}/demo/trace.perfetto.json OR NOT last_out MATCHES "trace.perfetto.json")
  message(FATAL_ERROR "demo did not write its Perfetto trace:\n${last_out}")
endif()
# Its what-if trace holds the 3 slowest-centred steps of 40 by default: a size the Perfetto UI
# loads in a browser (137 MB with every step).
# Its report's assumptions state one layout (the demo's CP 1, not also CP 2) and no word from the
# project's working notes.
file(READ ${TS_TMP}/demo/report.html demo_html)
if(demo_html MATCHES "brief" OR demo_html MATCHES "cp2" OR NOT demo_html MATCHES "tp1 ep8 pp8 vpp2 cp1")
  message(FATAL_ERROR "demo report assumptions: 'brief' or a second CP in ${TS_TMP}/demo/report.html")
endif()
file(SIZE ${TS_TMP}/demo/whatif.perfetto.json whatif_size)
if(whatif_size GREATER 30000000)
  message(FATAL_ERROR "demo whatif.perfetto.json is ${whatif_size} bytes")
endif()
file(READ ${TS_TMP}/demo/trace.perfetto.json perfetto)
string(JSON first_ph GET "${perfetto}" traceEvents 0 ph)
string(JSON process GET "${perfetto}" traceEvents 0 args name)
# The demo exports its own job's node0001 (ranks 8-15, rank 13 straggling).
if(NOT first_ph STREQUAL "M" OR NOT process STREQUAL "rank 8")
  message(FATAL_ERROR "unexpected Perfetto trace start: ${first_ph} ${process}")
endif()
expect_rc(0 --json demo --out ${TS_TMP}/demo)
string(JSON demo_world GET "${last_out}" trace world_size)
string(JSON demo_rank0 GET "${last_out}" trace ranks 0 rank)
if(NOT demo_world EQUAL 64 OR NOT demo_rank0 EQUAL 8)
  message(FATAL_ERROR "demo --json: ${last_out}")
endif()
