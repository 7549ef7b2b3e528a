#include "racesim/core/worker.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <new>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include "racesim/core/interrupt.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define RACESIM_WORKER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RACESIM_WORKER_ASAN 1
#endif
#endif

namespace racesim {

namespace {

constexpr std::size_t max_plugins = 256;
/// One slot per thread: the most threads a run uses (1024) and a few more.
constexpr std::size_t max_slots = 1100;

struct PluginRecord {
    char kind[16];
    char type[128];
    char library[1024];
};

/// Copies `s` into `dst` (NUL-terminated), abridged with "..." when it does not fit.
void put(char* dst, std::size_t n, std::string_view s) noexcept {
    if (s.size() < n) {
        std::memcpy(dst, s.data(), s.size());
        dst[s.size()] = '\0';
        return;
    }
    std::memcpy(dst, s.data(), n - 4);
    std::memcpy(dst + n - 4, "...", 4);
}

/// A NUL-terminated copy of a fixed-size field of the mapping.
std::string get(const char* src, std::size_t n) {
    return std::string(src, strnlen(src, n));
}

std::int64_t now_ns() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

/// A file descriptor, closed on destruction.
class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    [[nodiscard]] int get() const { return fd_; }

private:
    int fd_;
};

/// Resident memory of process `pid` in bytes (0 when unknown).
std::uint64_t resident_bytes(pid_t pid) {
    const std::string path = "/proc/" + std::to_string(pid) + "/statm";
    const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return 0;
    char buf[128];
    const ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
    if (n <= 0) return 0;
    buf[n] = '\0';
    unsigned long long size = 0, resident = 0;
    if (std::sscanf(buf, "%llu %llu", &size, &resident) != 2) return 0;
    return static_cast<std::uint64_t>(resident) * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

std::string signal_name(int sig) {
    const char* abbrev = sigabbrev_np(sig);
    return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

std::string signal_reason(int sig) {
    switch (sig) {
        case SIGSEGV:
            return "a segmentation fault: an invalid memory access, or a stack overflow";
        case SIGBUS:
            return "a bus error: an invalid memory access";
        case SIGFPE:
            return "an arithmetic fault";
        case SIGILL:
            return "an illegal instruction";
        case SIGABRT:
            return "abort(): a failed assertion, or an exception that nothing caught";
        case SIGKILL:
            return "killed from outside racesim, perhaps by the kernel's out-of-memory killer";
        default: {
            const char* s = strsignal(sig);
            return s ? s : "an unknown signal";
        }
    }
}

std::string mebibytes(std::uint64_t bytes) {
    const double mib = static_cast<double>(bytes) / (1024.0 * 1024.0);
    char buf[64];
    std::snprintf(buf, sizeof buf, mib < 10 ? "%.1f MiB" : "%.0f MiB", mib);
    return buf;
}

}  // namespace

/// A trivial type: the zero-filled anonymous mapping is its initial state (no constructor
/// writes it, so only the pages used are ever allocated).
struct WorkerTrace::Shared {
    std::uint32_t completed;
    std::int32_t exit_code;
    std::uint32_t plugins;
    std::uint32_t load_step;
    char loading[1024];
    char output[4096];
    PluginRecord plugin[max_plugins];
    TraceSlot slots[max_slots];
};

const char* to_string(PluginCall call) noexcept {
    switch (call) {
        case PluginCall::none:
            return "";
        case PluginCall::construct:
            return "its factory (while being constructed)";
        case PluginCall::log_value:
            return "log_value()";
        case PluginCall::breakpoints:
            return "breakpoints()";
        case PluginCall::depends_on_state:
            return "depends_on_state()";
        case PluginCall::loss:
            return "loss()";
        case PluginCall::log_compute_for_loss:
            return "log_compute_for_loss()";
        case PluginCall::auxiliary:
            return "auxiliary()";
        case PluginCall::auxiliary_values:
            return "auxiliary_values()";
        case PluginCall::log_compute_ratio:
            return "log_compute_ratio()";
        case PluginCall::time_to_log_compute_ratio:
            return "time_to_log_compute_ratio()";
        case PluginCall::log_compute_ratio_limit:
            return "log_compute_ratio_limit()";
    }
    return "a call";
}

WorkerTrace::WorkerTrace() {
    void* p = ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap (worker trace)");
    static_assert(std::is_trivial_v<Shared>);
    shared_ = new (p) Shared;  // default-initialised: nothing written
}

WorkerTrace::~WorkerTrace() {
    static_assert(std::is_trivially_destructible_v<Shared>);
    ::munmap(shared_, sizeof(Shared));
}

std::uint32_t WorkerTrace::add_plugin(const char* kind, const std::string& type,
                                      const std::filesystem::path& library) noexcept {
    const std::uint32_t id =
        std::atomic_ref<std::uint32_t>(shared_->plugins).fetch_add(1, std::memory_order_relaxed) + 1;
    if (id > max_plugins) return 0;
    PluginRecord& r = shared_->plugin[id - 1];
    put(r.kind, sizeof r.kind, kind);
    put(r.type, sizeof r.type, type);
    put(r.library, sizeof r.library, library.native());
    return id;
}

void WorkerTrace::loading(const std::filesystem::path& library, LoadStep step) noexcept {
    if (step != LoadStep::none) put(shared_->loading, sizeof shared_->loading, library.native());
    trace_store(shared_->load_step, static_cast<std::uint32_t>(step));
}

TraceSlot* WorkerTrace::slot() noexcept {
    const auto me = static_cast<std::uint64_t>(::pthread_self());
    std::uint64_t h = me * 0x9E3779B97F4A7C15ull;
    h ^= h >> 29;
    for (std::size_t i = 0; i < max_slots; ++i) {
        TraceSlot& s = shared_->slots[(h + i) % max_slots];
        std::atomic_ref<std::uint64_t> ref(s.owner);
        std::uint64_t owner = ref.load(std::memory_order_relaxed);
        if (owner == me) return &s;
        if (owner == 0 && ref.compare_exchange_strong(owner, me, std::memory_order_relaxed)) return &s;
    }
    return nullptr;
}

std::shared_ptr<const void> WorkerTrace::scenario(const std::string& name) {
    TraceSlot* s = slot();
    if (!s) return nullptr;
    if (std::atomic_ref<std::uint32_t>(s->depth).fetch_add(1, std::memory_order_relaxed) == 0) {
        std::atomic_ref<std::uint32_t>(s->seq).fetch_add(1, std::memory_order_relaxed);
        put(s->scenario, sizeof s->scenario, name);
        std::atomic_ref<std::uint32_t>(s->seq).fetch_add(1, std::memory_order_relaxed);
        trace_store(s->started, now_ns());
    }
    return std::shared_ptr<const void>(s, [](TraceSlot* t) {
        if (std::atomic_ref<std::uint32_t>(t->depth).fetch_sub(1, std::memory_order_relaxed) == 1)
            trace_store(t->started, std::int64_t{0});
    });
}

void WorkerTrace::output(const std::filesystem::path& dir) noexcept {
    put(shared_->output, sizeof shared_->output, dir.native());
}

void WorkerTrace::complete(int exit_code) noexcept {
    trace_store(shared_->exit_code, std::int32_t{exit_code});
    std::atomic_ref<std::uint32_t>(shared_->completed).store(1, std::memory_order_release);
}

bool WorkerTrace::completed() const noexcept {
    return std::atomic_ref<std::uint32_t>(shared_->completed).load(std::memory_order_acquire) != 0;
}

int WorkerTrace::exit_code() const noexcept {
    return trace_load(shared_->exit_code);
}

std::filesystem::path WorkerTrace::output() const {
    return get(shared_->output, sizeof shared_->output);
}

std::filesystem::path WorkerTrace::loading_library() const {
    if (trace_load(shared_->load_step) == 0) return {};
    return get(shared_->loading, sizeof shared_->loading);
}

long WorkerTrace::overdue(double seconds) const noexcept {
    const std::int64_t now = now_ns();
    const auto limit = static_cast<std::int64_t>(seconds * 1e9);
    for (std::size_t i = 0; i < max_slots; ++i) {
        const TraceSlot& s = shared_->slots[i];
        if (trace_load(s.owner) == 0) continue;
        const std::int64_t t = trace_load(s.started);
        if (t != 0 && now - t > limit) return static_cast<long>(i);
    }
    return -1;
}

std::string WorkerTrace::where(long slot) const {
    const Shared& sh = *shared_;
    auto plugin = [&](std::uint32_t id) -> std::string {
        if (id == 0 || id > max_plugins || id > trace_load(sh.plugins)) return "a plugin";
        const PluginRecord& r = sh.plugin[id - 1];
        return get(r.kind, sizeof r.kind) + " plugin '" + get(r.type, sizeof r.type) + "' (library " +
               get(r.library, sizeof r.library) + ")";
    };
    auto describe = [&](const TraceSlot& s) {
        std::string out;
        if (trace_load(s.started) != 0) {
            out = "scenario '" + get(s.scenario, sizeof s.scenario) + "'";
            if (trace_load(s.seq) % 2) out += " (name being written)";
        }
        const std::uint32_t a = trace_load(s.active);
        if (a != 0) {
            if (!out.empty()) out += ": ";
            out += plugin(a >> 8) + " in " + to_string(static_cast<PluginCall>(a & 0xff));
        } else if (!out.empty()) {
            out += " (in racesim's own code, not in a plugin call)";
        }
        return out;
    };
    if (slot >= 0 && static_cast<std::size_t>(slot) < max_slots) return describe(sh.slots[slot]);
    if (const auto step = static_cast<LoadStep>(trace_load(sh.load_step)); step != LoadStep::none) {
        const std::string lib = "plugin library " + get(sh.loading, sizeof sh.loading);
        switch (step) {
            case LoadStep::open:
                return lib + ", while being loaded (dlopen runs its static initialisers)";
            case LoadStep::manifest:
                return lib + ", while its manifest was read";
            case LoadStep::list_types:
                return lib + ", in its entry function (listing its types)";
            case LoadStep::none:
                break;
        }
    }
    std::vector<std::string> in_call, in_scenario;
    for (const TraceSlot& s : sh.slots) {
        if (trace_load(s.owner) == 0) continue;
        if (trace_load(s.active) != 0)
            in_call.push_back(describe(s));
        else if (trace_load(s.started) != 0)
            in_scenario.push_back(describe(s));
    }
    const std::vector<std::string>& found = in_call.empty() ? in_scenario : in_call;
    if (found.empty()) return {};
    std::string out = found.front();
    const std::size_t shown = std::min<std::size_t>(found.size(), 4);
    for (std::size_t i = 1; i < shown; ++i) out += (i + 1 == shown ? "; or " : "; ") + found[i];
    if (found.size() > shown) out += "; or one of " + std::to_string(found.size() - shown) + " more threads";
    if (found.size() > 1) out = "one of " + std::to_string(found.size()) + " threads: " + out;
    return out;
}

Worker::Worker(WorkerTrace& trace, WorkerLimits limits) : trace_(trace), limits_(limits) {}

Worker::~Worker() {
    if (child_ || pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int st = 0;
    while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
}

bool Worker::start() {
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);  // nothing buffered may be written twice
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork (plugin worker)");
    if (pid > 0) {
        pid_ = pid;
        return false;
    }
    child_ = true;
    // The worker never outlives its supervisor (SIGKILL of racesim kills both).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::raise(SIGKILL);
#ifndef RACESIM_WORKER_ASAN
    if (limits_.memory_limit > 0) {
        const rlimit rl{limits_.memory_limit, limits_.memory_limit};
        ::setrlimit(RLIMIT_DATA, &rl);
    }
#endif
    return true;
}

WorkerEnd Worker::wait() {
    WorkerEnd end;
    if (child_ || pid_ <= 0) throw std::logic_error("Worker::wait: no worker started by this process");
#ifdef SYS_pidfd_open
    const Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0)));
#else
    const Fd pidfd(-1);
#endif
    using clock = std::chrono::steady_clock;
    int forwarded = 0;
    bool killed = false;
    clock::time_point kill_at{};
    WorkerEnd::Kind stop = WorkerEnd::Kind::completed;  // completed: not stopped by the supervisor
    for (;;) {
        int st = 0;
        const pid_t r = ::waitpid(pid_, &st, WNOHANG);
        if (r == pid_) {
            pid_ = -1;
            if (WIFEXITED(st) && trace_.completed()) {
                end.kind = WorkerEnd::Kind::completed;
                end.code = WEXITSTATUS(st);
            } else if (stop != WorkerEnd::Kind::completed) {
                end.kind = stop;
            } else if (forwarded) {
                end.kind = WorkerEnd::Kind::interrupted;
                end.signal = forwarded;
            } else if (WIFEXITED(st)) {
                end.kind = WorkerEnd::Kind::exited;
                end.status = WEXITSTATUS(st);
            } else {
                end.kind = WorkerEnd::Kind::signalled;
                end.signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
            }
            return end;
        }
        if (r < 0 && errno != EINTR) {  // not our child any more: cannot happen
            end.kind = WorkerEnd::Kind::signalled;
            pid_ = -1;
            return end;
        }
        const auto now = clock::now();
        if (const int sig = interrupt_signal(); sig && !forwarded) {
            forwarded = sig;
            // The terminal sends Ctrl-C to the whole foreground process group, worker included.
            if (!interrupt_from_terminal()) ::kill(pid_, sig);
            kill_at = now + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(limits_.grace));
        }
        if (!killed && forwarded && now >= kill_at) {
            ::kill(pid_, SIGKILL);
            killed = end.killed = true;
        }
        if (!killed && !forwarded && limits_.scenario_timeout > 0) {
            if (const long s = trace_.overdue(limits_.scenario_timeout); s >= 0) {
                ::kill(pid_, SIGKILL);
                killed = true;
                stop = WorkerEnd::Kind::timeout;
                end.slot = s;
            }
        }
        if (!killed && !forwarded && limits_.memory_limit > 0) {
            if (const std::uint64_t rss = resident_bytes(pid_); rss > limits_.memory_limit) {
                ::kill(pid_, SIGKILL);
                killed = true;
                stop = WorkerEnd::Kind::memory;
                end.rss = rss;
            }
        }
        pollfd p{pidfd.get(), POLLIN, 0};
        ::poll(&p, pidfd.get() >= 0 ? 1 : 0, 20);  // wakes when the worker ends, or on a signal
    }
}

std::string Worker::describe(const WorkerEnd& end) const {
    const std::string where = trace_.where(end.kind == WorkerEnd::Kind::timeout ? end.slot : -1);
    const std::string at = where.empty() ? "" : where + ": ";
    auto limit = [&] { return mebibytes(limits_.memory_limit); };
    switch (end.kind) {
        case WorkerEnd::Kind::completed:
            return {};
        case WorkerEnd::Kind::exited:
            return at + "the worker process running the plugins exited (status " + std::to_string(end.status) +
                   ") without finishing its command: plugin code called exit() (a plugin must not end the "
                   "process), or a sanitizer ended it after a report, or something outside racesim did";
        case WorkerEnd::Kind::signalled: {
            std::string s = at + "the worker process running the plugins was killed by " + signal_name(end.signal) +
                            " (" + signal_reason(end.signal) + ")";
            if (limits_.memory_limit > 0 && (end.signal == SIGABRT || end.signal == SIGKILL || end.signal == SIGSEGV))
                s += "; it may have reached its memory limit of " + limit() + " (--memory-limit)";
            return s;
        }
        case WorkerEnd::Kind::timeout: {
            char secs[32];
            std::snprintf(secs, sizeof secs, "%g", limits_.scenario_timeout);
            return at + "the scenario ran for more than " + secs +
                   " s (--scenario-timeout): the worker process running the plugins was stopped";
        }
        case WorkerEnd::Kind::memory:
            return at + "the worker process running the plugins used " + mebibytes(end.rss) +
                   ", more than its memory limit of " + limit() + " (--memory-limit): it was stopped";
        case WorkerEnd::Kind::interrupted:
            return where.empty() || !end.killed
                       ? std::string()
                       : "the worker did not stop within " + std::to_string(static_cast<int>(limits_.grace * 1000)) +
                             " ms (" + where + "): killed";
    }
    return {};
}

std::string Worker::cause(const WorkerEnd& end) {
    if (end.kind == WorkerEnd::Kind::exited)
        return "exited (status " + std::to_string(end.status) + ") without finishing its command";
    if (end.kind == WorkerEnd::Kind::signalled)
        return "was killed by " + signal_name(end.signal) + " (" + signal_reason(end.signal) + ")";
    return {};
}

std::uint64_t parse_memory_size(const std::string& text) noexcept {
    std::size_t i = 0;
    std::uint64_t v = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
        const std::uint64_t d = static_cast<std::uint64_t>(text[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return 0;
        v = v * 10 + d;
        ++i;
    }
    if (i == 0) return 0;
    std::string_view rest = std::string_view(text).substr(i);
    unsigned shift = 0;
    if (!rest.empty()) {
        switch (rest.front()) {
            case 'k':
            case 'K':
                shift = 10;
                break;
            case 'm':
            case 'M':
                shift = 20;
                break;
            case 'g':
            case 'G':
                shift = 30;
                break;
            case 't':
            case 'T':
                shift = 40;
                break;
            case 'b':
            case 'B':
                break;
            default:
                return 0;
        }
        if (shift) rest.remove_prefix(1);
        if (!(rest.empty() || rest == "B" || rest == "b" || (shift && (rest == "iB" || rest == "ib")))) return 0;
    }
    if (shift && v > (UINT64_MAX >> shift)) return 0;
    return v << shift;
}

}  // namespace racesim
