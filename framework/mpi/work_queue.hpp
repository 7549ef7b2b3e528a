// Dynamic work sharing over MPI ranks for racesim-mpi: tasks 0..n-1 handed out one at a time to
// whichever rank asks next (Monte Carlo samples differ in cost, so a static split would wait for
// the slowest), every result gathered on rank 0. Rank 0 works too: its main thread is the
// coordinator and alone calls MPI (MPI_THREAD_FUNNELED), a thread of its own runs tasks.
//
// Only racesim-mpi links MPI; the racesim binary and the library do not.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace racesim::mpi {

/// MPI_Init_thread (funneled) and MPI_Finalize, as a scope. Errors return (MPI_ERRORS_RETURN)
/// instead of aborting inside the library, so that racesim-mpi can say what failed.
class Environment {
public:
    Environment(int& argc, char**& argv);
    ~Environment();
    Environment(const Environment&) = delete;
    Environment& operator=(const Environment&) = delete;

    [[nodiscard]] int rank() const { return rank_; }
    [[nodiscard]] int size() const { return size_; }
    /// Ends the whole job with `code` (MPI_Abort): for a failure one rank cannot recover from.
    [[noreturn]] static void abort(int code);

private:
    int rank_ = 0, size_ = 1;
};

/// Rank 0's `flag` on every rank (MPI_Bcast): whether rank 0 found a reason to stop before
/// the work starts. Collective.
bool broadcast_flag(int flag);

/// A task that failed, as rank 0 reports it.
struct TaskFailure {
    int rank = 0;
    std::size_t task = 0;
    std::string message;
};

/// Runs tasks 0..n-1 over every rank of MPI_COMM_WORLD, each exactly once, `work(k)` returning
/// its result as bytes. Collective: every rank calls it. On rank 0 returns the n results in
/// task order; on the other ranks an empty vector. When a task throws, no new task is handed
/// out, every rank stops after its current one, and rank 0 returns with `failure` set (its
/// results then incomplete); the other ranks learn nothing of it and return empty.
std::vector<std::string> run_tasks(std::size_t n, const std::function<std::string(std::size_t)>& work,
                                   TaskFailure* failure);

}  // namespace racesim::mpi
