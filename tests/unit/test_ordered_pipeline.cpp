// The parallel runs' engine (racesim/run/ordered_pipeline.hpp): results handed over in index
// order whatever the number of threads, the first failure by index, and each result freed once,
// by the thread that made it (glibc's malloc serialises frees across threads).
#include <tbb/info.h>
#include <tbb/task_arena.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "racesim/run/ordered_pipeline.hpp"

namespace {

/// What the results of one call did: made, freed, freed by a thread other than their maker.
struct Ledger {
    std::atomic<long> made{0}, freed{0}, freed_elsewhere{0};
};

/// A result that counts itself; a moved-from one is empty and counts nothing.
class Counted {
public:
    Counted(std::size_t i, Ledger& ledger) : index_(i), ledger_(&ledger), maker_(std::this_thread::get_id()) {
        ++ledger.made;
    }
    Counted(Counted&& o) noexcept : index_(o.index_), ledger_(o.ledger_), maker_(o.maker_) { o.ledger_ = nullptr; }
    Counted& operator=(Counted&&) = delete;
    Counted(const Counted&) = delete;
    Counted& operator=(const Counted&) = delete;
    ~Counted() {
        if (!ledger_) return;
        ++ledger_->freed;
        if (std::this_thread::get_id() != maker_) ++ledger_->freed_elsewhere;
    }
    [[nodiscard]] std::size_t index() const { return index_; }

private:
    std::size_t index_;
    Ledger* ledger_;
    std::thread::id maker_;
};

struct Outcome {
    std::vector<std::size_t> delivered;
    std::string error;  ///< what was thrown, if anything
    std::size_t finished = 0;
};

/// Runs n items on `threads` threads; item `fail_at` (if < n) throws.
Outcome run(std::size_t n, int threads, Ledger& ledger, std::size_t fail_at = SIZE_MAX) {
    Outcome out;
    std::atomic<std::size_t> finished{0};
    tbb::task_arena arena(threads);
    try {
        arena.execute([&] {
            racesim::detail::ordered_parallel<Counted>(
                n,
                [&](std::size_t i) {
                    if (i == fail_at) throw std::runtime_error("item " + std::to_string(i) + " failed");
                    volatile double x = 0;  // a little work, so that the threads overlap
                    for (int k = 0; k < 200; ++k) x = x + static_cast<double>(k);
                    return Counted(i, ledger);
                },
                [&](const Counted& r) { out.delivered.push_back(r.index()); },
                [&](std::size_t) { return std::current_exception(); }, [&](std::size_t k) { finished += k; });
        });
    } catch (const std::runtime_error& e) {
        out.error = e.what();
    }
    out.finished = finished;
    return out;
}

}  // namespace

TEST_CASE("ordered_parallel hands results over in index order on any number of threads", "[pipeline]") {
    // 1, 2 and every core (an arena wider than the machine only makes oneTBB warn).
    for (const int threads : {1, 2, tbb::info::default_concurrency()}) {
        for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{5000}}) {
            Ledger ledger;
            const Outcome o = run(n, threads, ledger);
            INFO("threads " << threads << ", n " << n);
            REQUIRE(o.error.empty());
            REQUIRE(o.delivered.size() == n);
            for (std::size_t i = 0; i < n; ++i) REQUIRE(o.delivered[i] == i);
            CHECK(o.finished == n);
            CHECK(ledger.made == static_cast<long>(n));
            CHECK(ledger.freed == ledger.made);  // every result freed once, none kept
        }
    }
}

TEST_CASE("ordered_parallel stops at the first failure by index", "[pipeline]") {
    for (const int threads : {1, 2}) {
        Ledger ledger;
        const Outcome o = run(3000, threads, ledger, 1234);
        INFO("threads " << threads);
        CHECK(o.error == "item 1234 failed");
        REQUIRE(o.delivered.size() == 1234);  // everything before it, nothing after
        for (std::size_t i = 0; i < o.delivered.size(); ++i) REQUIRE(o.delivered[i] == i);
        CHECK(ledger.freed == ledger.made);
    }
}

TEST_CASE("ordered_parallel frees each result on the thread that made it", "[pipeline]") {
    // Whichever thread delivers a batch, its results go back to their maker, who frees them
    // before its next piece of work. Only the batches still waiting when the pipeline ends are
    // freed by the calling thread: at most the pipeline's tokens (4 per thread) of the largest
    // batches (n / (16 * threads) results each, at most 256). Without the hand-back about half
    // of all results are freed by the other thread.
    const int threads = 2;
    const std::size_t n = 40000;
    const std::size_t batch = n / (16 * threads) < 256 ? n / (16 * threads) : 256;
    const std::size_t bound = 4 * static_cast<std::size_t>(threads) * batch;
    Ledger ledger;
    const Outcome o = run(n, threads, ledger);
    REQUIRE(o.error.empty());
    REQUIRE(o.delivered.size() == n);
    CHECK(ledger.freed == static_cast<long>(n));
    CHECK(ledger.freed_elsewhere <= static_cast<long>(bound));
}
