# SPDX-License-Identifier: Apache-2.0
# `plan`'s "Will Flux-style fusion pay?" lines take each TP GEMM's rows from the tokens of one
# microbatch on one context-parallel rank: 2048 for gpt3-175b (seq 2048, CP 1); for the Wan 2.1
# DiT preset (37,440 tokens, CP 4, no seq_len) 9,360 - it printed "m 0 ... No prediction".
include(${CMAKE_CURRENT_LIST_DIR}/expect_rc.cmake)
expect_rc(0 plan --preset gpt3-175b)
if(NOT last_out MATCHES "attention QKV \\(AG\\+GEMM\\) m=2048 n=36864 k=12288")
  message(FATAL_ERROR "gpt3-175b: no QKV row with m=2048:\n${last_out}")
endif()
expect_rc(0 plan --preset val-wan21-14b-h100-128)
if(last_out MATCHES "No prediction")
  message(FATAL_ERROR "Wan 2.1: fusion advice has no prediction:\n${last_out}")
endif()
if(NOT last_out MATCHES "MLP down \\(GEMM\\+RS\\) m=9360 n=5120 k=13824")
  message(FATAL_ERROR "Wan 2.1: no MLP down row with m=9360:\n${last_out}")
endif()
