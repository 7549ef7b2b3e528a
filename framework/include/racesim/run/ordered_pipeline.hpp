// Parallel work handed over in order: the pattern behind streamed runs. Work items i = 0..n-1
// run in parallel in batches of consecutive indices (oneTBB parallel_pipeline); their results
// are delivered one at a time, in index order, as soon as every earlier one has been. At most
// a few batches are in flight, so memory does not grow with n, and what is delivered does not
// depend on the number of threads.
#pragma once

#include <tbb/concurrent_queue.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <memory>
#include <vector>

namespace racesim::detail {

/// Runs `work(i)` (returning a Result) for every i in [0, n) and calls `deliver(result)` in
/// order of i, from one thread at a time. When `work(i)` throws, the results before i are
/// delivered, then the exception (passed through `annotate(i)`, which is called inside the
/// catch block and returns the exception_ptr to throw) is rethrown: the first failure by index,
/// whatever the schedule. `done(k)` is called after each k finished items.
template <class Result, class Work, class Deliver, class Annotate, class Done>
void ordered_parallel(std::size_t n, Work&& work, Deliver&& deliver, Annotate&& annotate, Done&& done) {
    struct Batch {
        std::size_t begin = 0, end = 0;
        std::vector<Result> results;
        std::exception_ptr error;  ///< the first failure in the batch; results stop before it
        int maker = -1;            ///< the arena slot of the thread that made the results, if known
    };
    using Ptr = std::shared_ptr<Batch>;
    const auto threads = static_cast<std::size_t>(std::max(1, tbb::this_task_arena::max_concurrency()));
    const std::size_t tokens = 4 * threads;
    // Enough batches to keep every thread busy, few enough that handing over stays cheap.
    const std::size_t batch = std::clamp<std::size_t>(n / (4 * tokens), 1, 256);
    std::size_t next = 0;
    // A failure is never thrown through the pipeline: oneTBB would cancel it and drop the
    // batches in flight without destroying them. It is kept, the input stops, the batches in
    // flight drain without work, and it is thrown once the pipeline has finished.
    std::exception_ptr failure;
    std::atomic<bool> failed{false};
    // Each thread frees the results it made. Results own many small blocks (a sweep point's
    // spec, trajectory and targets: tens of them), and glibc's malloc frees a block made by
    // another thread under that thread's arena lock: freed by whichever thread delivered them,
    // the threads queued on each other's locks (thousands of futex waits in a 100,000-point
    // sweep on two threads). A delivered batch goes back to its maker, who frees it before its
    // next piece of work; what is left when the pipeline ends is freed with `delivered`.
    std::vector<tbb::concurrent_queue<Ptr>> delivered(threads);
    auto slot = [threads] {
        const int k = tbb::this_task_arena::current_thread_index();
        return k >= 0 && static_cast<std::size_t>(k) < threads ? k : -1;
    };

    auto input = [&](tbb::flow_control& fc) -> Ptr {
        if (next >= n || failed.load()) {
            fc.stop();
            return nullptr;
        }
        auto b = std::make_shared<Batch>();
        b->begin = next;
        b->end = next = std::min(n, next + batch);
        return b;
    };
    auto compute = [&](Ptr b) {
        b->maker = slot();
        if (b->maker >= 0)
            for (Ptr old; delivered[static_cast<std::size_t>(b->maker)].try_pop(old);) old.reset();
        if (failed.load()) return b;
        b->results.reserve(b->end - b->begin);
        std::size_t finished = 0;
        for (std::size_t i = b->begin; i < b->end; ++i) {
            try {
                b->results.push_back(work(i));
            } catch (...) {
                b->error = annotate(i);
                break;
            }
            ++finished;
        }
        done(finished);
        return b;
    };
    auto hand_over = [&](Ptr b) {
        if (failure) return b;  // a batch after the first failure: dropped
        try {
            for (auto& r : b->results) deliver(r);
        } catch (...) {
            failure = std::current_exception();
        }
        if (!failure && b->error) failure = b->error;
        if (failure) failed = true;
        return b;
    };
    // Not in hand_over, which is serial: what deliver() left of the results is freed by their
    // maker, here when this thread made them, else in its next compute().
    auto release = [&](Ptr b) {
        if (b->maker >= 0 && b->maker != slot()) delivered[static_cast<std::size_t>(b->maker)].push(std::move(b));
    };
    tbb::parallel_pipeline(tokens, tbb::make_filter<void, Ptr>(tbb::filter_mode::serial_in_order, input) &
                                       tbb::make_filter<Ptr, Ptr>(tbb::filter_mode::parallel, compute) &
                                       tbb::make_filter<Ptr, Ptr>(tbb::filter_mode::serial_in_order, hand_over) &
                                       tbb::make_filter<Ptr, void>(tbb::filter_mode::parallel, release));
    if (failure) std::rethrow_exception(failure);
}

}  // namespace racesim::detail
