# SPDX-License-Identifier: Apache-2.0
# What-if straggler analysis benchmarks (bench/whatif_bench.cc).
ts_bench(NAME whatif_bench SRCS ${CMAKE_CURRENT_LIST_DIR}/whatif_bench.cc
  DEPS trainscope::whatif trainscope::ingest trainscope::graph fmt::fmt)
# BM_WhatIfVsArtifact runs the built CLI against the authors' pipeline (artifact_pipeline.py).
target_compile_definitions(whatif_bench PRIVATE
  TS_TRAINSCOPE_BIN="$<TARGET_FILE:trainscope>"
  TS_ARTIFACT_DRIVER="${CMAKE_CURRENT_LIST_DIR}/artifact_pipeline.py")
add_dependencies(whatif_bench trainscope)

# Scale-out over MPI processes (bench/whatif_scaleout.cc): `mpirun -np N whatif_scaleout`.
if(TARGET trainscope_whatif_mpi)
  add_executable(whatif_scaleout ${CMAKE_CURRENT_LIST_DIR}/whatif_scaleout.cc)
  target_compile_options(whatif_scaleout PRIVATE ${TS_WARNING_FLAGS})
  target_link_libraries(whatif_scaleout PRIVATE trainscope_whatif_mpi)
  # Runs at all (tiny job, 2 processes): prints the figures, checks nothing else.
  add_test(NAME whatif_scaleout_np2
           COMMAND ${TS_MPIEXEC} --oversubscribe --allow-run-as-root -np 2
                   $<TARGET_FILE:whatif_scaleout> 8 4 2 4 1)
  set_tests_properties(whatif_scaleout_np2 PROPERTIES LABELS "mpi;bench" TIMEOUT 120
    ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1")
endif()
