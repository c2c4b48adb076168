# SPDX-License-Identifier: Apache-2.0
# Install extras and the Debian package. `cmake --install <build> [--prefix P]` puts
#   P/bin/trainscope, P/share/trainscope/models/minder/ (src/minder), P/share/doc/trainscope/,
#   and where pybind11 was found the Python module in P/lib/python3.X/dist-packages (src/python);
# the binary finds its data relative to itself (base/data_dir.h). `cpack -G DEB` in the build
# folder builds trainscope_<version>_<arch>.deb installing under /usr; its Depends are the
# Debian packages of the shared libraries the binary links, from dpkg-shlibdeps (dpkg-dev,
# pulled in by build-essential), or the Debian 12 list below without it.
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs
        FILES_MATCHING PATTERN "*.md")

set(CPACK_PACKAGE_NAME trainscope)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "trainscope")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Find and remove what slows down and breaks large-model training on GPU clusters")
string(CONCAT CPACK_PACKAGE_DESCRIPTION
    "Straggler what-if analysis of multi-rank PyTorch-profiler traces, faulty-machine detection "
    "from per-second metrics (Minder), Flux-style GEMM + collective overlap and training-job "
    "planning, in one command-line tool.")
set(CPACK_PACKAGE_CONTACT "trainscope maintainers <trainscope@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
# OpenBLAS is loaded with dlopen on the first GEMM (overlap/blas.cc): no tool sees it in the
# binary, so it is named here (libopenblas0 pulls in Debian's pthread build).
set(TS_DEB_DLOPENED "libopenblas0")
find_program(TS_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(TS_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "${TS_DEB_DLOPENED}")  # shlibdeps' list is appended
else()
  # Debian 12 packages of what `ldd trainscope` lists (what dpkg-shlibdeps finds there).
  set(TS_DEB_DEPENDS
      "libc6, libstdc++6, libgcc-s1, libfmt9, libsimdjson14, zlib1g, libyaml-cpp0.7, "
      "libsnappy1v5, libisal2, libcurl4, ${TS_DEB_DLOPENED}")
  string(CONCAT CPACK_DEBIAN_PACKAGE_DEPENDS ${TS_DEB_DEPENDS})
  if(TS_HAVE_MPI)
    string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS ", libopenmpi3")
  endif()
endif()
if(TS_HAVE_MPI)
  # mpirun, for the README's `mpirun -np N trainscope ...` lines.
  set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "openmpi-bin")
endif()
if(TS_HAVE_PYTHON)
  # The Python module (src/python) imports NumPy; pandas only for to_pandas().
  set(CPACK_DEBIAN_PACKAGE_SUGGESTS "python3, python3-numpy, python3-pandas")
endif()
include(CPack)
