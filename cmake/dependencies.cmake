# SPDX-License-Identifier: Apache-2.0
# Every dependency comes from Debian 12 packages (scripts/install-deps.sh installs them).
find_package(Threads REQUIRED)
find_package(ZLIB REQUIRED)
# ISA-L (libisal-dev): gzip inflate for trace and metric input, 2-4x zlib's speed.
find_package(PkgConfig REQUIRED)
pkg_check_modules(ISAL REQUIRED IMPORTED_TARGET libisal)
find_package(simdjson REQUIRED)
find_package(fmt REQUIRED)
find_package(CLI11 REQUIRED)
find_package(GTest REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(Eigen3 REQUIRED NO_MODULE)
if(TS_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()

# OpenBLAS (Debian libopenblas-dev): headers at build time; the library is loaded with dlopen by
# src/overlap/blas.cc on the first GEMM (libopenblas.so.0 from libopenblas0 at run time), so the
# commands that run no GEMM do not pay its constructor (CPU detection, a spinning thread per core).
find_library(TS_OPENBLAS_LIB NAMES openblas REQUIRED)  # checks the package is there
find_path(TS_OPENBLAS_INCLUDE NAMES cblas.h PATH_SUFFIXES openblas openblas-pthread
          HINTS /usr/include/x86_64-linux-gnu REQUIRED)
add_library(ts_openblas_headers INTERFACE)
target_include_directories(ts_openblas_headers SYSTEM INTERFACE ${TS_OPENBLAS_INCLUDE})

set(TS_HAVE_MPI OFF)
if(TS_MPI)
  find_package(MPI COMPONENTS CXX)
  if(MPI_CXX_FOUND)
    set(TS_HAVE_MPI ON)
    find_program(TS_MPIEXEC NAMES mpirun mpiexec)
  endif()
endif()

set(TS_HAVE_CUDA OFF)
if(TS_CUDA AND NOT TS_SANITIZE AND NOT TS_FUZZ)
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    set(TS_HAVE_CUDA ON)
  endif()
endif()
message(STATUS "trainscope: MPI=${TS_HAVE_MPI} CUDA=${TS_HAVE_CUDA} sanitize=${TS_SANITIZE}")
