// SPDX-License-Identifier: Apache-2.0
// Times one Minder detection call (15 min, 7 metrics, shipped models, every channel scored, as
// bench/minder_bench.cc) on a synthetic job of N machines with the distances split over the MPI
// processes: `mpirun -np P minder_mpi_detect_time N [seconds] [threads]`. Rank 0 prints the wall
// time (slowest process), CPU seconds summed over the processes, the distance share, and, with
// one process, the same call without a backend (threaded, each pair once) for comparison.
#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "base/check.h"
#include "base/cpu_time.h"
#include "base/mpi/communicator.h"
#include "minder/detector.h"
#include "minder/mpi/mpi_backend.h"
#include "minder/synth.h"

namespace trainscope::minder::mpi {
namespace {

template <typename T>
T Checked(Result<T> result) {
  TS_CHECK(result.ok(), "{}", result.error().ToString());
  return *std::move(result);
}

// Wall (max over processes) and CPU (sum) of one Detect call; alerts into *alerts.
void TimeDetect(const MpiCommunicator& world, const Grid& grid, const ModelSet& models,
                const DetectOptions& options, double* wall, double* cpu, size_t* alerts) {
  const Status barrier = world.Barrier();
  TS_CHECK(barrier.ok(), "{}", barrier.ToString());
  const double t0 = MPI_Wtime(), c0 = ProcessCpuSeconds();
  const Detection det = Checked(Detect(grid, &models, options));
  const double wall_here = MPI_Wtime() - t0, cpu_here = ProcessCpuSeconds() - c0;
  *alerts = det.alerts.size();
  *wall = Checked(world.ReduceMax(wall_here));
  *cpu = Checked(world.ReduceSum(cpu_here));
}

int Main(int argc, char** argv) {
  const int machines = argc > 1 ? std::atoi(argv[1]) : 256;
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 900;
  const int threads = argc > 3 ? std::atoi(argv[3]) : 1;
  Result<ModelSet> models = ModelSet::Load(DefaultModelsDir());
  TS_CHECK(models.ok(), "shipped models: {}", models.error().ToString());
  model::MetricTable table;
  SynthesizeJob(SynthJobOptions{.machines = machines, .seconds = seconds, .seed = 9}, &table);
  Result<Grid> grid = BuildGrid(table, GridOptions{}, nullptr);
  TS_CHECK(grid.ok(), "{}", grid.error().ToString());
  table = model::MetricTable();
  Result<std::unique_ptr<MpiDistanceBackend>> backend = MpiDistanceBackend::Create(MPI_COMM_WORLD, threads);
  TS_CHECK(backend.ok(), "{}", backend.error().ToString());
  DetectOptions options;
  options.first_channel_decides = false;  // every channel scored: the worst case of one call
  options.threads = threads;
  options.distance_backend = backend->get();
  double wall = 0, cpu = 0;
  size_t alerts = 0;
  const MpiCommunicator world = Checked(MpiCommunicator::Borrow(MPI_COMM_WORLD));
  TimeDetect(world, *grid, *models, options, &wall, &cpu, &alerts);
  const double distance_max = Checked(world.ReduceMax((*backend)->seconds()));
  const int ranks = (*backend)->process_count();
  if ((*backend)->is_root()) {
    std::printf("N=%d, %d s, %d process(es) x %d thread(s): detect %.2f s wall, %.2f CPU-s, "
                "distances %.2f s wall, %zu alert(s)\n",
                machines, seconds, ranks, threads, wall, cpu, distance_max, alerts);
  }
  if (ranks == 1) {
    options.distance_backend = nullptr;
    TimeDetect(world, *grid, *models, options, &wall, &cpu, &alerts);
    std::printf("N=%d, %d s, no backend, %d thread(s): detect %.2f s wall, %.2f CPU-s, %zu alert(s)\n",
                machines, seconds, threads, wall, cpu, alerts);
  }
  return 0;
}

}  // namespace
}  // namespace trainscope::minder::mpi

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  const int rc = trainscope::minder::mpi::Main(argc, argv);
  MPI_Finalize();
  return rc;
}
