// SPDX-License-Identifier: Apache-2.0
// main() of the GoogleTest programs run under mpirun (label mpi): MPI with MPI_THREAD_FUNNELED,
// only rank 0 prints, and a failure on any rank fails every rank's exit code.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstdio>

// A test program may define this to be skipped: called once MPI is initialised, it returns the
// exit code (77: ctest's SKIP_RETURN_CODE), the same on every rank, or -1 to run the tests.
extern "C" int TsMpiTestSkipCode(int argc, char** argv) __attribute__((weak));

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  int provided = 0;
  if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS ||
      provided < MPI_THREAD_FUNNELED) {
    std::fprintf(stderr, "MPI_Init_thread failed (thread level %d)\n", provided);
    return 1;
  }
  if (TsMpiTestSkipCode != nullptr) {
    if (const int skip = TsMpiTestSkipCode(argc, argv); skip >= 0) {
      MPI_Finalize();
      return skip;
    }
  }
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  int failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
  int any_failed = 0;
  MPI_Allreduce(&failed, &any_failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (failed) std::fprintf(stderr, "rank %d: tests failed\n", rank);
  MPI_Finalize();
  return any_failed;
}
