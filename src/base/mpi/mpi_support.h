// SPDX-License-Identifier: Apache-2.0
// What every MPI-using module needs once: MPI error codes as Status, "was this process started
// by an MPI launcher", and MPI initialisation for a command-line run. Built only when MPI is
// found (target trainscope::base_mpi); modules without MPI never include it.
// Thread safety: call from the thread that owns MPI (MPI_THREAD_FUNNELED).
#pragma once

#include "base/status.h"

namespace trainscope {

// Wraps an MPI return code: OK, or kInternal naming the call and MPI's error string.
Status MpiStatus(int code, const char* call);

// True when the process was started by mpirun/mpiexec (Open MPI, PMIx, Hydra or Slurm).
bool LaunchedByMpiLauncher();

// MPI_Init_thread(FUNNELED) unless MPI is initialised already; when it initialises, MPI_Finalize
// is registered to run at exit (skipped if the program finalised MPI itself). Fails when the
// library cannot give FUNNELED.
Status InitMpiOnce(int* argc = nullptr, char*** argv = nullptr);

}  // namespace trainscope
