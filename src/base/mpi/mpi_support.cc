// SPDX-License-Identifier: Apache-2.0
// MPI status, launcher detection and initialisation (see mpi_support.h).
#include "base/mpi/mpi_support.h"

#include <mpi.h>

#include <cstdlib>
#include <string>

namespace trainscope {
namespace {

void FinalizeMpiAtExit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

}  // namespace

Status MpiStatus(int code, const char* call) {
  if (code == MPI_SUCCESS) return OkStatus();
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  return InternalError("{} failed: {}", call, std::string(text, static_cast<size_t>(length)));
}

bool LaunchedByMpiLauncher() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "SLURM_NTASKS"}) {
    if (std::getenv(name) != nullptr) return true;
  }
  return false;
}

Status InitMpiOnce(int* argc, char*** argv) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) return OkStatus();
  int provided = 0;
  TS_RETURN_IF_ERROR(
      MpiStatus(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread"));
  std::atexit(FinalizeMpiAtExit);
  if (provided < MPI_THREAD_FUNNELED) {
    return InternalError("MPI provides thread level {} < MPI_THREAD_FUNNELED", provided);
  }
  return OkStatus();
}

}  // namespace trainscope
