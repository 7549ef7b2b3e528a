#include "work_queue.hpp"

#include <mpi.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstring>
#include <exception>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include "racesim/core/interrupt.hpp"

namespace racesim::mpi {

namespace {

// Messages between rank 0 (the coordinator) and the other ranks.
constexpr int tag_ready = 1;   ///< worker -> 0: give me a task (empty)
constexpr int tag_result = 2;  ///< worker -> 0: [u64 task][result bytes]; also asks for the next
constexpr int tag_failed = 3;  ///< worker -> 0: [u64 task][message]; also asks for the next
constexpr int tag_task = 4;    ///< 0 -> worker: u64 task, or `stop`
constexpr std::uint64_t stop = UINT64_MAX;

void check(int rc, const char* what) {
    if (rc == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, text, &len);
    throw std::runtime_error(std::string(what) + ": " + std::string(text, static_cast<std::size_t>(len)));
}

std::string framed(std::uint64_t task, const std::string& bytes) {
    std::string out(sizeof task, '\0');
    std::memcpy(out.data(), &task, sizeof task);
    out += bytes;
    return out;
}

void send_bytes(const std::string& bytes, int tag) {
    check(MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, 0, tag, MPI_COMM_WORLD), "MPI_Send");
}

std::string message_of(std::exception_ptr e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& x) {
        return x.what();
    } catch (...) {
        return "an exception that is not a std::exception";
    }
}

/// A rank other than 0: asks for tasks until told to stop.
void work_for_coordinator(const std::function<std::string(std::size_t)>& work) {
    std::string out;
    int tag = tag_ready;
    for (;;) {
        send_bytes(out, tag);
        std::uint64_t task = 0;
        check(MPI_Recv(&task, 1, MPI_UINT64_T, 0, tag_task, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "MPI_Recv");
        if (task == stop) return;
        try {
            out = framed(task, work(static_cast<std::size_t>(task)));
            tag = tag_result;
            if (out.size() > static_cast<std::size_t>(INT_MAX))
                throw std::runtime_error("its result of " + std::to_string(out.size()) +
                                         " bytes is over MPI's message limit of 2 GiB: split the work into more tasks");
        } catch (...) {
            out = framed(task, message_of(std::current_exception()));
            tag = tag_failed;
        }
    }
}

}  // namespace

Environment::Environment(int& argc, char**& argv) {
    int provided = 0;
    check(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    if (provided < MPI_THREAD_FUNNELED) {
        MPI_Finalize();
        throw std::runtime_error("the MPI library offers no thread support (MPI_THREAD_FUNNELED is needed)");
    }
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

Environment::~Environment() {
    MPI_Finalize();
}

void Environment::abort(int code) {
    MPI_Abort(MPI_COMM_WORLD, code);
    std::terminate();  // MPI_Abort does not return
}

bool broadcast_flag(int flag) {
    check(MPI_Bcast(&flag, 1, MPI_INT, 0, MPI_COMM_WORLD), "MPI_Bcast");
    return flag != 0;
}

std::vector<std::string> run_tasks(std::size_t n, const std::function<std::string(std::size_t)>& work,
                                   TaskFailure* failure) {
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (rank != 0) {
        work_for_coordinator(work);
        return {};
    }

    std::vector<std::string> results(n);
    std::mutex m;  // guards results and failed_task
    std::optional<TaskFailure> failed_task;
    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    auto take = [&]() -> std::optional<std::size_t> {
        if (failed || interrupt_signal() != 0) return std::nullopt;
        const std::size_t k = next++;
        if (k >= n) return std::nullopt;
        return k;
    };
    auto fail = [&](TaskFailure f) {
        const std::lock_guard lock(m);
        if (!failed_task) failed_task = std::move(f);
        failed = true;
    };

    // Rank 0's own share, in a thread that makes no MPI call.
    std::thread local([&] {
        while (const auto k = take()) {
            try {
                std::string r = work(*k);
                const std::lock_guard lock(m);
                results[*k] = std::move(r);
            } catch (...) {
                fail({0, *k, message_of(std::current_exception())});
            }
        }
    });

    // The coordinator: answers each message with the next task, until every rank was stopped.
    // It polls (with a short sleep) rather than blocking in MPI_Recv, whose busy wait would take
    // a core from the ranks that compute on this node.
    int active = size - 1;
    std::string buf;
    try {
        while (active > 0) {
            MPI_Status st;
            int flag = 0;
            check(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st), "MPI_Iprobe");
            if (!flag) {
                if (interrupt_signal() != 0) throw Interrupted(interrupt_signal());
                std::this_thread::sleep_for(std::chrono::microseconds(200));
                continue;
            }
            int count = 0;
            MPI_Get_count(&st, MPI_BYTE, &count);
            buf.assign(static_cast<std::size_t>(count), '\0');
            check(MPI_Recv(buf.data(), count, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
                  "MPI_Recv");
            if (st.MPI_TAG == tag_result || st.MPI_TAG == tag_failed) {
                std::uint64_t task = 0;
                std::memcpy(&task, buf.data(), sizeof task);
                if (st.MPI_TAG == tag_result) {
                    const std::lock_guard lock(m);
                    results.at(static_cast<std::size_t>(task)) = buf.substr(sizeof task);
                } else {
                    fail({st.MPI_SOURCE, static_cast<std::size_t>(task), buf.substr(sizeof task)});
                }
            }
            const auto k = take();
            const std::uint64_t reply = k ? static_cast<std::uint64_t>(*k) : stop;
            check(MPI_Send(&reply, 1, MPI_UINT64_T, st.MPI_SOURCE, tag_task, MPI_COMM_WORLD), "MPI_Send");
            if (!k) --active;
        }
    } catch (...) {
        failed = true;  // the local thread stops after its task
        local.join();
        throw;
    }
    local.join();
    if (interrupt_signal() != 0) throw Interrupted(interrupt_signal());
    if (failed_task) {
        if (!failure)
            throw std::runtime_error("task " + std::to_string(failed_task->task) + " failed on rank " +
                                     std::to_string(failed_task->rank) + ": " + failed_task->message);
        *failure = *failed_task;
    }
    return results;
}

}  // namespace racesim::mpi
