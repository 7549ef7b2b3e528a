// The worker process (racesim/core/worker.hpp): the breadcrumb, the completion handshake, and
// how the supervisor tells the worker's ends apart and names where it was. Each test that needs
// a worker forks one that does a single thing and never returns into the test framework.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "racesim/core/interrupt.hpp"
#include "racesim/core/worker.hpp"

using Catch::Matchers::Contains;
using racesim::LoadStep;
using racesim::PluginCall;
using racesim::Worker;
using racesim::WorkerEnd;
using racesim::WorkerLimits;
using racesim::WorkerTrace;

namespace {

/// In a worker: the default actions of the signals that Catch handles (its handlers, inherited
/// through fork, would report the worker's end as a failure of the test).
void default_signals() {
    for (const int sig : {SIGABRT, SIGTERM, SIGINT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) std::signal(sig, SIG_DFL);
}

/// Forks a worker that runs `body` (which must end the process); returns how it ended and the
/// supervisor's description of it.
template <class F>
WorkerEnd run_worker(WorkerTrace& trace, const WorkerLimits& limits, F body, std::string& described) {
    Worker w(trace, limits);
    if (w.start()) {
        default_signals();
        body();
        std::_Exit(99);  // never back into Catch
    }
    const WorkerEnd end = w.wait();
    described = w.describe(end);
    return end;
}

}  // namespace

TEST_CASE("parse_memory_size reads bytes with K, M, G, T suffixes and refuses the rest") {
    using racesim::parse_memory_size;
    CHECK(parse_memory_size("512M") == (std::uint64_t{512} << 20));
    CHECK(parse_memory_size("2G") == (std::uint64_t{2} << 30));
    CHECK(parse_memory_size("2g") == (std::uint64_t{2} << 30));
    CHECK(parse_memory_size("64MiB") == (std::uint64_t{64} << 20));
    CHECK(parse_memory_size("1T") == (std::uint64_t{1} << 40));
    CHECK(parse_memory_size("1048576") == 1048576);
    CHECK(parse_memory_size("100B") == 100);
    for (const char* bad : {"", "M", "1.5G", "12Q", "-1G", "1 G", "1GG", "99999999999999999999", "17179869184T"})
        CHECK(parse_memory_size(bad) == 0);
}

TEST_CASE("the breadcrumb: scenarios nest, end with their last token, and name the plugin call") {
    WorkerTrace trace;
    CHECK(trace.where().empty());
    CHECK(trace.overdue(0) == -1);
    const std::uint32_t id = trace.add_plugin("efficiency", "my-type", "plugins/my.so");
    REQUIRE(id != 0);
    {
        auto outer = trace.scenario("outer");
        {
            auto inner = trace.scenario("inner");  // a goal seek's: counts as the outer
            CHECK(trace.overdue(0) >= 0);
        }
        CHECK(trace.overdue(0) >= 0);
        CHECK(trace.overdue(3600) == -1);
        CHECK(trace.where() == "scenario 'outer' (in racesim's own code, not in a plugin call)");
        {
            const racesim::TraceCall call(trace.slot(), id, PluginCall::log_value);
            CHECK(trace.where() ==
                  "scenario 'outer': efficiency plugin 'my-type' (library plugins/my.so) in log_value()");
        }
        CHECK_THAT(trace.where(), Contains("not in a plugin call"));
    }
    CHECK(trace.overdue(0) == -1);  // no scenario running
    CHECK(trace.where().empty());
    trace.loading("plugins/other.so", LoadStep::open);
    CHECK(trace.loading_library() == "plugins/other.so");
    CHECK(trace.where() == "plugin library plugins/other.so, while being loaded (dlopen runs its static initialisers)");
    trace.loading("plugins/other.so", LoadStep::none);
    CHECK(trace.loading_library().empty());
}

TEST_CASE("the completion handshake: the worker's exit code, and an exit without it is a fault") {
    WorkerTrace trace;
    std::string what;
    WorkerEnd end = run_worker(
        trace, {},
        [&] {
            trace.complete(5);
            std::_Exit(5);
        },
        what);
    CHECK(end.kind == WorkerEnd::Kind::completed);
    CHECK(end.code == 5);
    CHECK(what.empty());

    WorkerTrace trace2;
    end = run_worker(
        trace2, {}, [] { std::_Exit(0); }, what);  // exit(0) without the handshake
    CHECK(end.kind == WorkerEnd::Kind::exited);
    CHECK(end.status == 0);
    CHECK_THAT(what, Contains("exited (status 0) without finishing its command"));
}

TEST_CASE("a worker killed by a signal inside a plugin call is named by scenario, plugin and call") {
    WorkerTrace trace;
    std::string what;
    const WorkerEnd end = run_worker(
        trace, {},
        [&] {
            const std::uint32_t id = trace.add_plugin("loss", "crashing", "lib/crashing.so");
            auto token = trace.scenario("victim");
            trace.slot()->enter(id, PluginCall::loss);
            std::abort();
        },
        what);
    CHECK(end.kind == WorkerEnd::Kind::signalled);
    CHECK(end.signal == SIGABRT);
    CHECK(what ==
          "scenario 'victim': loss plugin 'crashing' (library lib/crashing.so) in loss(): the worker process running "
          "the plugins was killed by SIGABRT (abort(): a failed assertion, or an exception that nothing caught)");
}

TEST_CASE("a scenario over the time limit is stopped and named") {
    WorkerTrace trace;
    std::string what;
    WorkerLimits limits;
    limits.scenario_timeout = 0.2;
    const auto t0 = std::chrono::steady_clock::now();
    const WorkerEnd end = run_worker(
        trace, limits,
        [&] {
            auto token = trace.scenario("slow");
            for (;;) ::pause();
        },
        what);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    CHECK(end.kind == WorkerEnd::Kind::timeout);
    CHECK(what ==
          "scenario 'slow' (in racesim's own code, not in a plugin call): the scenario ran for more than 0.2 s "
          "(--scenario-timeout): the worker process running the plugins was stopped");
    CHECK(seconds < 5);
}

TEST_CASE("a worker over the memory limit is stopped (RLIMIT_DATA, or the supervisor's watch)") {
    WorkerTrace trace;
    std::string what;
    WorkerLimits limits;
    limits.memory_limit = std::uint64_t{128} << 20;
    const WorkerEnd end = run_worker(
        trace, limits,
        [] {
            std::vector<std::unique_ptr<char[]>> kept;
            try {
                for (;;) {
                    constexpr std::size_t block = std::size_t{16} << 20;
                    kept.emplace_back(new char[block]);
                    std::memset(kept.back().get(), 1, block);
                }
            } catch (const std::bad_alloc&) {
                std::_Exit(42);  // RLIMIT_DATA refused it
            }
        },
        what);
    INFO(what);
    const bool refused = end.kind == WorkerEnd::Kind::exited && end.status == 42;
    const bool stopped = end.kind == WorkerEnd::Kind::memory && end.rss > limits.memory_limit;
    CHECK((refused || stopped));
    if (stopped) CHECK_THAT(what, Contains("more than its memory limit of 128 MiB"));
}

TEST_CASE("SIGTERM received by the supervisor is forwarded to the worker") {
    WorkerTrace trace;
    std::string what;
    // SIGTERM blocked across the fork, so that it reaches the worker only once the worker has
    // its default action back.
    sigset_t term, old;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigprocmask(SIG_BLOCK, &term, &old);
    Worker w(trace, {});
    if (w.start()) {
        default_signals();
        sigprocmask(SIG_UNBLOCK, &term, nullptr);
        for (;;) ::pause();  // the default action of SIGTERM ends it
    }
    sigprocmask(SIG_SETMASK, &old, nullptr);
    racesim::request_interrupt(SIGTERM);  // as if racesim's handler had received it
    const WorkerEnd end = w.wait();
    racesim::clear_interrupt();
    CHECK(end.kind == WorkerEnd::Kind::interrupted);
    CHECK(end.signal == SIGTERM);
    CHECK_FALSE(end.killed);  // ended by the forwarded signal, not by the SIGKILL after the grace period
}
