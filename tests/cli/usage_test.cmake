# SPDX-License-Identifier: Apache-2.0
# CLI conventions: --version and --help exit 0, usage errors exit 2 with a message naming the
# command and suggesting the nearest names; global flags in every --help; --json everywhere.
# Usage: cmake -DTS_BIN=trainscope -DTS_TMP=scratch-folder -P usage_test.cmake
include(${CMAKE_CURRENT_LIST_DIR}/expect_rc.cmake)

expect_rc(0 --version)
if(NOT last_out MATCHES "^trainscope [0-9]+\\.[0-9]+\\.[0-9]+")
  message(FATAL_ERROR "--version printed: ${last_out}")
endif()
expect_rc(0 --help)
if(NOT last_out MATCHES "plan -> synth -> whatif -> minder -> overlap -> report")
  message(FATAL_ERROR "--help does not show the loop: ${last_out}")
endif()
expect_rc(2 no-such-command)
expect_rc(2)
expect_rc(2 --threads -3 --help-not-a-flag)

# Issue 21 item 4. expect_err(<code> <regex> <args>...): exit code and a stderr pattern.
function(expect_err expected pattern)
  expect_rc(${expected} ${ARGN})
  if(NOT last_err MATCHES "${pattern}")
    message(FATAL_ERROR "trainscope ${ARGN}: stderr does not match '${pattern}':\n${last_err}")
  endif()
  if(last_err MATCHES "[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]")
    message(FATAL_ERROR "trainscope ${ARGN}: a 20+ digit number in the message:\n${last_err}")
  endif()
  set(last_out "${last_out}" PARENT_SCOPE)
endfunction()

# Unknown commands and flags: exit 2, the nearest names suggested, the command named.
expect_err(2 "trainscope: error: unknown command 'whatfi' \\(did you mean whatif\\?\\)" whatfi x)
expect_err(2 "unknown command 'diag' \\(did you mean diagnostics\\?\\)" diag)
# A misspelled preset gets the nearest name; one far from all gets the list.
expect_err(3 "unknown preset 'seed15v' \\(did you mean seed15vl\\?\\)" plan --preset seed15v)
expect_err(3 "unknown preset 'zzz' \\(known: gpt3-175b, " plan --preset zzz)
expect_err(2 "unknown command 'detec' for 'trainscope minder' \\(did you mean detect\\?\\)" minder detec x)
expect_err(2 "unknown flag '--topp' for 'trainscope whatif' \\(did you mean --top\\?\\)" whatif --topp 3 x)
expect_err(2 "unknown flag '--perfeto' for 'trainscope whatif' \\(did you mean --perfetto\\?\\)" whatif --perfeto=a.json x)
expect_err(2 "unknown flag '--jsn' for 'trainscope plan' \\(did you mean --json\\?\\)" plan --jsn --preset seed15vl)
expect_err(2 "unknown flag '--bogus' for 'trainscope plan'\nRun 'trainscope plan --help'" plan --preset seed15vl --bogus)
expect_err(2 "unexpected argument 'b' for 'trainscope whatif'" whatif a b)
expect_err(2 "missing command: give one of demo, plan, workload, whatif, minder" )
expect_err(2 "missing command for 'trainscope minder': give one of detect, replay" minder)

# Bounded numbers: the bounds, never CLI11's range up to DBL_MAX; nan refused.
expect_err(2 "--top: must be a whole number >= 1, got 0" whatif --top 0 x)
expect_err(2 "--top: must be a whole number >= 1, got -2" plan --preset gpt3-175b --sweep tp=2,4 --top -2)
expect_err(2 "--threads: must be a whole number in \\[0, 1024\\], got 5000" --threads 5000 plan --preset seed15vl)
expect_err(2 "--threshold: must be a number > 0, got nan" minder detect --threshold nan x.csv)
expect_err(2 "--straggling-threshold: must be a number in \\[1, 100\\], got inf" whatif --straggling-threshold inf x)
expect_err(2 "--steps: must be a whole number in \\[4, 400\\], got 2" demo --steps 2)
expect_err(2 "--reps: must be a whole number in \\[1, 1000\\], got 0" overlap bench --reps 0)
expect_err(2 "--examples: must be a whole number >= 0, got -1" trace check --examples -1 x)

# The global flags in every command's --help.
foreach(cmd "demo" "plan" "workload" "workload synth" "whatif" "minder" "minder detect" "minder replay"
            "minder train" "minder inject" "minder eval" "overlap" "overlap bench" "overlap predict"
            "report" "trace" "trace info" "trace check" "trace export" "diagnostics")
  separate_arguments(words UNIX_COMMAND "${cmd}")
  expect_rc(0 ${words} --help)
  foreach(flag "--json" "-q,--quiet" "--strict" "--threads INT")
    string(FIND "${last_out}" "Global options (before or after the command):" at_group)
    string(FIND "${last_out}" "${flag}" at_flag)
    if(at_group LESS 0 OR at_flag LESS at_group)
      message(FATAL_ERROR "trainscope ${cmd} --help lacks ${flag} under the global options:\n${last_out}")
    endif()
  endforeach()
endforeach()

# --json everywhere: one JSON document on stdout.
expect_rc(0 plan --list-presets --json)
string(JSON first GET "${last_out}" presets 0 name)
string(JSON description GET "${last_out}" presets 0 description)
if(first STREQUAL "" OR description STREQUAL "")
  message(FATAL_ERROR "plan --list-presets --json: ${last_out}")
endif()
expect_rc(0 --json --version)
string(JSON version GET "${last_out}" version)
expect_rc(0 --json diagnostics --markdown)
string(JSON markdown GET "${last_out}" markdown)
if(NOT markdown MATCHES "^# Diagnostics")
  message(FATAL_ERROR "--json diagnostics --markdown: ${last_out}")
endif()

# minder eval: a data folder that is not there says so (not "no *.csv.gz traces"), also for the
# default path relative to a working directory outside the checkout.
expect_err(3 "--exathlon ${TS_TMP}/none: folder does not exist \\(as given" minder eval --exathlon ${TS_TMP}/none)
file(MAKE_DIRECTORY ${TS_TMP}/a/b/c)
execute_process(COMMAND ${TS_BIN} minder eval WORKING_DIRECTORY ${TS_TMP}/a/b/c
                RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_QUIET)
if(NOT rc EQUAL 3 OR NOT err MATCHES "--exathlon ../shared/data/metrics/exathlon-spark4/traces: folder does not exist \\(the default, relative to the working directory ${TS_TMP}/a/b/c; give --exathlon DIR, or --exathlon '' to leave that data set out\\)")
  message(FATAL_ERROR "minder eval outside the checkout: exit ${rc}\n${err}")
endif()

# A result that cannot be written is a failure: stdout on a full disk (/dev/full) exits 3 with
# the reason, not 0 (issue 21 item 2).
if(EXISTS /dev/full)
  execute_process(COMMAND ${TS_BIN} plan --preset gpt3-175b --json OUTPUT_FILE /dev/full
                  RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 3 OR NOT err MATCHES "writing to standard output failed: No space left on device")
    message(FATAL_ERROR "plan --json > /dev/full: exit ${rc}\n${err}")
  endif()
endif()

# report writes all or nothing and never through a symlink already in its folder (a
# report.html -> ../victim.txt link overwrote the file outside; a failed report left an empty
# folder).
file(REMOVE_RECURSE ${TS_TMP}/rep)
file(MAKE_DIRECTORY ${TS_TMP}/rep/out)
file(WRITE ${TS_TMP}/rep/victim.txt "victim\n")
file(CREATE_LINK ../victim.txt ${TS_TMP}/rep/out/report.html SYMBOLIC)
expect_rc(0 -q report --preset gpt3-175b --out ${TS_TMP}/rep/out)
file(READ ${TS_TMP}/rep/victim.txt victim)
if(NOT victim STREQUAL "victim\n" OR IS_SYMLINK ${TS_TMP}/rep/out/report.html
   OR NOT EXISTS ${TS_TMP}/rep/out/report.html)
  message(FATAL_ERROR "report wrote through the symlink or wrote no report.html: '${victim}'")
endif()
expect_rc(3 -q report --preset no-such-preset --out ${TS_TMP}/rep/never)
if(EXISTS ${TS_TMP}/rep/never)
  message(FATAL_ERROR "a failed report left ${TS_TMP}/rep/never behind")
endif()

# An output folder holding files the command does not write is refused (exit 3, the folder
# untouched) unless --force; earlier outputs of the command are replaced with a note (issue 21
# item 2).
file(REMOVE_RECURSE ${TS_TMP}/mixed)
file(MAKE_DIRECTORY ${TS_TMP}/mixed)
file(WRITE ${TS_TMP}/mixed/notes.txt "mine\n")
expect_err(3 "${TS_TMP}/mixed: the output folder already holds files this command does not write \\('notes.txt'\\); give a new or empty folder, or --force" report --preset gpt3-175b --out ${TS_TMP}/mixed)
file(GLOB mixed RELATIVE ${TS_TMP}/mixed ${TS_TMP}/mixed/*)
if(NOT mixed STREQUAL "notes.txt")
  message(FATAL_ERROR "a refused report wrote into the folder: ${mixed}")
endif()
expect_err(3 "mixed: the output folder already holds files this command does not write \\('notes.txt'\\)" demo --steps 4 --out ${TS_TMP}/mixed)
expect_rc(0 report --preset gpt3-175b --out ${TS_TMP}/mixed --force)
expect_err(0 "note: replaced the earlier report.html in ${TS_TMP}/mixed" report --preset gpt3-175b --out ${TS_TMP}/mixed --force)
file(READ ${TS_TMP}/mixed/notes.txt notes)
if(NOT notes STREQUAL "mine\n" OR NOT EXISTS ${TS_TMP}/mixed/report.html)
  message(FATAL_ERROR "report --force: notes.txt '${notes}', report.html missing?")
endif()

# workload synth: refused before any work, written all or nothing (a failed run leaves the folder
# as it was and no staging folder), and a rerun replaces the earlier run's files, so no rank file
# of an earlier, larger job stays behind.
set(synth_config ${CMAKE_CURRENT_LIST_DIR}/../data/workload/small_pipeline.yaml)
file(REMOVE_RECURSE ${TS_TMP}/synth)
file(MAKE_DIRECTORY ${TS_TMP}/synth/out)
file(WRITE ${TS_TMP}/synth/out/notes.txt "mine\n")
expect_err(3 "out: the output folder already holds files this command does not write \\('notes.txt'\\)" -q workload synth ${synth_config} --steps 2 --out ${TS_TMP}/synth/out)
file(REMOVE ${TS_TMP}/synth/out/notes.txt)
expect_rc(0 -q workload synth ${synth_config} --steps 2 --kernels none --out ${TS_TMP}/synth/out)
file(WRITE ${TS_TMP}/synth/out/rank-99.json "{}")
file(READ ${TS_TMP}/synth/out/labels.csv labels_before)
expect_err(3 "--inject straggler: rank 999 outside" -q workload synth ${synth_config} --steps 3 --kernels none --inject straggler:rank=999,factor=2 --out ${TS_TMP}/synth/out)
file(READ ${TS_TMP}/synth/out/labels.csv labels_after)
file(GLOB staging ${TS_TMP}/synth/.out.*)
if(NOT labels_after STREQUAL labels_before OR NOT EXISTS ${TS_TMP}/synth/out/rank-99.json OR staging)
  message(FATAL_ERROR "a failed synth changed its folder or left '${staging}' behind")
endif()
expect_err(0 "note: replaced the earlier labels.csv, meta-small-pipeline.yaml, metrics.csv.gz, rank-99.json and 1 more in" workload synth ${synth_config} --steps 2 --kernels none --out ${TS_TMP}/synth/out)
file(GLOB synth_files RELATIVE ${TS_TMP}/synth/out ${TS_TMP}/synth/out/*)
list(SORT synth_files)
if(NOT synth_files STREQUAL "labels.csv;meta-small-pipeline.yaml;metrics.csv.gz;trace-small-pipeline.csv.gz")
  message(FATAL_ERROR "workload synth rerun left: ${synth_files}")
endif()

# minder train: a model folder holds models; refused before training when it holds other files.
file(REMOVE_RECURSE ${TS_TMP}/models)
file(MAKE_DIRECTORY ${TS_TMP}/models)
file(WRITE ${TS_TMP}/models/notes.txt "mine\n")
expect_err(3 "models: the output folder already holds files this command does not write \\('notes.txt'\\)" minder train --synthetic-jobs 1 --out ${TS_TMP}/models)

# Bad command lines and inputs at the CLI (issue 21 item 3): exit code, the place and the reason.
set(nan_inf ${CMAKE_CURRENT_LIST_DIR}/../data/minder/bad/bad_nan_inf.csv)
execute_process(COMMAND ${TS_BIN} minder detect --machines "" ${nan_inf} RESULT_VARIABLE rc
                ERROR_VARIABLE err OUTPUT_QUIET)  # "" stays an argument here, not through ARGN
if(NOT rc EQUAL 2 OR NOT err MATCHES "--machines: an empty machine name")
  message(FATAL_ERROR "minder detect --machines '': exit ${rc}\n${err}")
endif()
expect_err(2 "--machines: 1 required" minder detect ${nan_inf} --machines=)
# A list flag takes one comma-separated value: the metric file after it stays the input.
expect_err(0 "data_loss: machine_absent \\(m9, 1 x\\)" minder detect --machines m0,m1,m2,m3,m9 ${nan_inf} --last 0 --continuity 5)
expect_err(3 "error: ${TS_TMP}: a folder, not a regular file" minder detect ${TS_TMP})
expect_err(3 "error: /dev/null: a character device, not a regular file" trace info /dev/null)
expect_err(3 "error: ${TS_TMP}/nosuch.csv: no such file or directory" report --metrics ${TS_TMP}/nosuch.csv --out ${TS_TMP}/nosuch-report)
if(EXISTS ${TS_TMP}/nosuch-report)
  message(FATAL_ERROR "a failed report left ${TS_TMP}/nosuch-report")
endif()
expect_err(3 "--inject 'bogus:rank=1': unknown fault 'bogus' \\(straggler, slow_stage" workload synth --preset seaweed7b --steps 2 --out ${TS_TMP}/never-synth --inject bogus:rank=1)
expect_err(3 "--inject 'straggler:rank=x': 'x' is not a non-negative number" workload synth --preset seaweed7b --steps 2 --out ${TS_TMP}/never-synth --inject straggler:rank=x)
if(EXISTS ${TS_TMP}/never-synth)
  message(FATAL_ERROR "a failed synth left ${TS_TMP}/never-synth")
endif()

# A folder with neither input names both (it said only "no Kineto trace files").
expect_err(3 "empty_dir: no Kineto trace files in it .*; and no op table either \\(trace-\\*\\.csv"
           whatif ${CMAKE_CURRENT_LIST_DIR}/../data/bad/empty_dir)
