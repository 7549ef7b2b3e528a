// racesim::mpi::run_tasks under mpirun (tests/mpi/CMakeLists.txt runs it with 3 ranks):
//   test_work_queue          every task runs exactly once, its result reaches rank 0 in task
//                            order, and every rank takes a share (dynamic hand-out);
//   test_work_queue fail     tasks that throw on the other ranks: the first is reported on rank 0
//                            with its rank, task and message, and the job ends normally.
// Exit 0 when rank 0 finds all of that, 1 otherwise (a plain program: Catch2 has no MPI runner).
#include <chrono>
#include <cstdio>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

#include "work_queue.hpp"

int main(int argc, char** argv) {
    racesim::mpi::Environment env(argc, argv);
    const bool fail = argc > 1 && std::string(argv[1]) == "fail";
    const std::size_t n = 60;
    const int me = env.rank();
    auto work = [&](std::size_t k) -> std::string {
        // Uneven costs, as Monte Carlo samples have: a few slow tasks early.
        std::this_thread::sleep_for(std::chrono::milliseconds(k % 7 == 0 ? 20 : 2));
        if (fail && me != 0) throw std::runtime_error("task " + std::to_string(k) + " refused");
        return std::to_string(k * k) + "@" + std::to_string(me);
    };
    racesim::mpi::TaskFailure failure;
    failure.task = n;
    const auto results = racesim::mpi::run_tasks(n, work, &failure);
    if (me != 0) return 0;
    int bad = 0;
    auto expect = [&](bool ok, const std::string& what) {
        if (!ok) {
            std::fprintf(stderr, "FAILED: %s\n", what.c_str());
            ++bad;
        }
    };
    if (fail) {
        // Every task of the other ranks throws: the first one they got is reported.
        expect(failure.task < n, "a failure is reported");
        expect(failure.rank != 0, "the failure comes from another rank");
        expect(failure.message == "task " + std::to_string(failure.task) + " refused",
               "the message is the exception's: " + failure.message);
        expect(results.at(failure.task).empty(), "the failed task has no result");
    } else {
        expect(results.size() == n, "n results");
        std::set<std::string> ranks;
        for (std::size_t k = 0; k < n && k < results.size(); ++k) {
            const auto at = results[k].find('@');
            expect(at != std::string::npos && results[k].substr(0, at) == std::to_string(k * k),
                   "result " + std::to_string(k) + " is its own: " + results[k]);
            if (at != std::string::npos) ranks.insert(results[k].substr(at + 1));
        }
        expect(static_cast<int>(ranks.size()) == env.size(),
               "every rank took a share: " + std::to_string(ranks.size()) + " of " + std::to_string(env.size()));
    }
    if (bad == 0) std::printf("work queue: %s over %d ranks: ok\n", fail ? "failure" : "60 tasks", env.size());
    return bad == 0 ? 0 : 1;
}
