# SPDX-License-Identifier: Apache-2.0
# CLI conventions: --version and --help exit 0, usage errors exit 2 with a message.
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
