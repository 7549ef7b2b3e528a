// Parallel work handed over in order: the pattern behind streamed runs. Work items i = 0..n-1
// run in parallel in batches of consecutive indices (oneTBB parallel_pipeline); their results
// are delivered one at a time, in index order, as soon as every earlier one has been. At most
// a few batches are in flight, so memory does not grow with n, and what is delivered does not
// depend on the number of threads.
#pragma once

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
    };
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
    using Ptr = std::shared_ptr<Batch>;
    tbb::parallel_pipeline(
        tokens, tbb::make_filter<void, Ptr>(tbb::filter_mode::serial_in_order, [&](tbb::flow_control& fc) -> Ptr {
                    if (next >= n || failed.load()) {
                        fc.stop();
                        return nullptr;
                    }
                    auto b = std::make_shared<Batch>();
                    b->begin = next;
                    b->end = next = std::min(n, next + batch);
                    return b;
                }) & tbb::make_filter<Ptr, Ptr>(tbb::filter_mode::parallel, [&](Ptr b) {
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
                }) & tbb::make_filter<Ptr, void>(tbb::filter_mode::serial_in_order, [&](Ptr b) {
                    if (failure) return;  // a batch after the first failure: dropped
                    try {
                        for (auto& r : b->results) deliver(r);
                    } catch (...) {
                        failure = std::current_exception();
                    }
                    if (!failure && b->error) failure = b->error;
                    if (failure) failed = true;
                }));
    if (failure) std::rethrow_exception(failure);
}

}  // namespace racesim::detail
