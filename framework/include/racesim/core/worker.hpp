// Plugin code out of process: a supervised worker (docs/reliability.md, "Plugin faults").
//
// The command-line tool forks itself into a worker before it loads any plugin library (it is
// still single-threaded then); the worker runs the command as racesim always did, the
// supervisor (the original process) waits for it. A WorkerTrace is a small shared memory
// mapping, made before the fork, where the worker leaves a breadcrumb: the library being
// loaded, and per thread the scenario it runs, the plugin object being built or called and
// the call. The supervisor reads it to name the plugin, the call and the scenario of a fault
// (a signal, an exit without the completion handshake, a scenario over its time, memory over
// its limit), and to find a scenario over its time.
//
// The plugin host (Registry) and the model layer write the breadcrumb when a session is given
// a trace (SessionOptions::trace); without one (embedders, --in-process) nothing is recorded.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace racesim {

/// The calls into a plugin object that the breadcrumb names.
enum class PluginCall : std::uint8_t {
    none = 0,
    construct,  ///< its factory
    log_value,
    breakpoints,
    depends_on_state,
    loss,
    log_compute_for_loss,
    auxiliary,
    auxiliary_values,
    log_compute_ratio,
    time_to_log_compute_ratio,
    log_compute_ratio_limit,
};

/// "log_value()", "its factory", ...
const char* to_string(PluginCall call) noexcept;

/// What a library being loaded is doing (WorkerTrace::loading).
enum class LoadStep : std::uint8_t {
    none = 0,
    open,       ///< dlopen: its static initialisers run
    manifest,   ///< reading its manifest
    list_types  ///< calling its entry function
};

/// A relaxed atomic load of a field of the shared mapping (plain integers accessed through
/// std::atomic_ref, so that the mapping needs no construction: its pages stay untouched, hence
/// unallocated, until used).
template <class T>
T trace_load(const T& field) noexcept {
    return std::atomic_ref<T>(const_cast<T&>(field)).load(std::memory_order_relaxed);
}
template <class T>
void trace_store(T& field, T value) noexcept {
    std::atomic_ref<T>(field).store(value, std::memory_order_relaxed);
}

/// One thread's breadcrumb, in the shared mapping. Written by its thread only.
struct TraceSlot {
    alignas(8) std::uint64_t owner;   ///< the thread (pthread_self), 0: free
    std::uint32_t active;             ///< (plugin id << 8) | PluginCall; 0: not in a plugin call
    std::uint32_t depth;              ///< scenarios being built or run (nested: goal seek)
    alignas(8) std::int64_t started;  ///< ns (CLOCK_MONOTONIC) when its scenario began; 0: none
    std::uint32_t seq;                ///< odd while `scenario` is being written
    char scenario[236];

    /// Marks the thread as inside `call` of the plugin `id` (WorkerTrace::add_plugin).
    void enter(std::uint32_t id, PluginCall call) noexcept {
        trace_store(active, (id << 8) | static_cast<std::uint32_t>(call));
    }
    void leave() noexcept { trace_store(active, std::uint32_t{0}); }
};

/// RAII: a plugin call on a thread's slot (no-op without a slot). Two relaxed stores.
class TraceCall {
public:
    TraceCall(TraceSlot* slot, std::uint32_t id, PluginCall call) noexcept : slot_(slot) {
        if (slot_) slot_->enter(id, call);
    }
    ~TraceCall() {
        if (slot_) slot_->leave();
    }
    TraceCall(const TraceCall&) = delete;
    TraceCall& operator=(const TraceCall&) = delete;

private:
    TraceSlot* slot_;
};

/// The breadcrumb shared by the worker and its supervisor: an anonymous MAP_SHARED mapping,
/// unmapped on destruction. Made before the fork; both processes keep their own mapping of
/// the same pages.
class WorkerTrace {
public:
    WorkerTrace();  ///< throws std::system_error when the mapping cannot be made
    ~WorkerTrace();
    WorkerTrace(const WorkerTrace&) = delete;
    WorkerTrace& operator=(const WorkerTrace&) = delete;

    // --- written by the worker ---
    /// Registers a plugin type; returns its id for TraceSlot::enter (0 when the table is full:
    /// the breadcrumb then says "a plugin").
    std::uint32_t add_plugin(const char* kind, const std::string& type, const std::filesystem::path& library) noexcept;
    /// The library being loaded and the step (LoadStep::none: no longer loading).
    void loading(const std::filesystem::path& library, LoadStep step) noexcept;
    /// The calling thread's slot (nullptr when every slot is taken).
    [[nodiscard]] TraceSlot* slot() noexcept;
    /// The calling thread begins scenario `name` (its models are about to be built); the
    /// scenario ends on that thread when the returned token and its copies are gone. Nested
    /// scenarios (a goal seek's) count as the outermost. Its time runs from the outermost's start.
    [[nodiscard]] std::shared_ptr<const void> scenario(const std::string& name);
    /// Where `run` writes its results (the supervisor cleans up after a fault).
    void output(const std::filesystem::path& dir) noexcept;
    /// The completion handshake: the worker finished the command with this exit code.
    void complete(int exit_code) noexcept;

    // --- read by the supervisor ---
    [[nodiscard]] bool completed() const noexcept;
    [[nodiscard]] int exit_code() const noexcept;
    [[nodiscard]] std::filesystem::path output() const;
    /// The library the worker was loading, when it was (empty when it was not).
    [[nodiscard]] std::filesystem::path loading_library() const;
    /// The index of a slot whose scenario has run for more than `seconds`, or -1.
    [[nodiscard]] long overdue(double seconds) const noexcept;
    /// Where the worker was: the slot `slot` (or, when -1, the threads inside a plugin call,
    /// else inside a scenario, else the library being loaded), e.g. "scenario 'a': efficiency
    /// plugin 'x' (library p/x.so) in log_value()". Empty when there is nothing to say.
    [[nodiscard]] std::string where(long slot = -1) const;

    struct Shared;

private:
    Shared* shared_;
};

/// What the supervisor enforces.
struct WorkerLimits {
    double scenario_timeout = 0;     ///< seconds a scenario may run in the worker; 0: no limit
    std::uint64_t memory_limit = 0;  ///< bytes of memory the worker may use; 0: no limit
    double grace = 0.5;              ///< seconds between a forwarded SIGINT/SIGTERM and SIGKILL
};

/// How the worker ended.
struct WorkerEnd {
    enum class Kind {
        completed,   ///< the handshake: `code` is the command's exit code
        exited,      ///< exited (status `status`) without the handshake: a plugin called exit()
        signalled,   ///< killed by `signal` (a crash, or killed from outside)
        timeout,     ///< stopped: slot `slot`'s scenario ran over WorkerLimits::scenario_timeout
        memory,      ///< stopped: over WorkerLimits::memory_limit (`rss` bytes resident)
        interrupted  ///< ended after the supervisor got SIGINT/SIGTERM (`signal`)
    };
    Kind kind = Kind::completed;
    int code = 0;
    int status = 0;
    int signal = 0;
    long slot = -1;
    std::uint64_t rss = 0;
    bool killed = false;  ///< interrupted: the worker did not stop within the grace period
};

/// The worker process: fork(), supervision, and the child's reaping. Destroyed in the
/// supervisor while the worker still runs, it kills (SIGKILL) and reaps it.
class Worker {
public:
    Worker(WorkerTrace& trace, WorkerLimits limits);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    /// Forks. Returns true in the worker, which then runs the command and calls
    /// trace.complete(); false in the supervisor. Call it while the process is single-threaded.
    /// The worker dies with its supervisor (PR_SET_PDEATHSIG) and has the memory limit as
    /// RLIMIT_DATA (not under AddressSanitizer, whose shadow memory counts). Throws
    /// std::system_error when fork fails.
    bool start();

    /// Supervisor (after start() returned false; throws std::logic_error otherwise): waits for
    /// the worker to end. Forwards SIGINT/SIGTERM (as received by
    /// racesim's interrupt handlers, install_interrupt_handlers) unless the terminal sent it
    /// to the worker too, kills the worker `grace` seconds later if it is still running, and
    /// kills it over its limits.
    WorkerEnd wait();

    /// A one-line description of a fault (not for Kind::completed), without "racesim: error: ".
    [[nodiscard]] std::string describe(const WorkerEnd& end) const;
    /// How the worker ended, as a clause: "was killed by SIGSEGV (...)", "exited (status 0)
    /// without finishing its command".
    [[nodiscard]] static std::string cause(const WorkerEnd& end);

private:
    WorkerTrace& trace_;
    WorkerLimits limits_;
    pid_t pid_ = -1;
    bool child_ = false;
};

/// Parses a memory size: a number of bytes with an optional suffix K, M, G or T (powers of
/// 1024, an optional trailing "B" or "iB"), e.g. "512M", "2G". Returns 0 for anything else.
std::uint64_t parse_memory_size(const std::string& text) noexcept;

}  // namespace racesim
