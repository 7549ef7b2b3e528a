// The compiled part of racesim's Python package (`racesim._racesim`): sessions, loading, runs,
// and the results of a run as columns (numpy arrays that view the C++ buffers where they can).
// It uses the embedding API (racesim/racesim.hpp) and nothing else of the host. The Python
// layer (framework/python/racesim/) builds the pandas DataFrames and the exceptions.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "models.hpp"
#include "racesim/plugin/math.hpp"
#include "racesim/racesim.hpp"

namespace py = pybind11;
namespace fs = std::filesystem;
using namespace racesim;

namespace {

/// A session shared by the experiments and results made with it (they refer to its libraries).
struct PySession {
    std::shared_ptr<Session> session;
    bool python_models = false;  ///< has types written in Python
};

/// A loaded experiment and the session it refers to.
struct PyExperiment {
    std::shared_ptr<Session> session;
    std::shared_ptr<const Experiment> experiment;
    bool python_models = false;
};

/// A finished run: everything in memory. Owns what its numpy views point into.
struct PyRun {
    std::shared_ptr<Session> session;
    std::shared_ptr<const Experiment> experiment;
    RunResult result;
};

// ---- errors -----------------------------------------------------------------------------

py::object errors_module() {
    return py::module_::import("racesim._errors");
}

py::list diagnostics_list(const Diagnostics& ds) {
    py::object Diagnostic = errors_module().attr("Diagnostic");
    py::object Note = errors_module().attr("Note");
    py::list out;
    for (const auto& d : ds.errors()) {
        py::list notes;
        for (const auto& n : d.notes)
            notes.append(Note(n.text, n.mark.file, n.mark.line, n.mark.column, n.mark.key_path));
        out.append(Diagnostic(d.mark.file, d.mark.line, d.mark.column, d.message, notes, d.mark.key_path, d.code,
                              to_string(d.mark)));
    }
    return out;
}

void raise(const char* cls, py::object value) {
    PyErr_SetObject(errors_module().attr(cls).ptr(), value.ptr());
}

/// Maps racesim's exceptions onto the package's (racesim._errors).
void translate(std::exception_ptr p) {
    try {
        if (p) std::rethrow_exception(p);
    } catch (const LoadError& e) {
        if (e.refused.empty()) {  // nothing was refused: a plain invalid config
            py::object err = errors_module().attr("ConfigError")(diagnostics_list(e.diagnostics));
            PyErr_SetObject(errors_module().attr("ConfigError").ptr(), err.ptr());
            return;
        }
        py::list refused;
        for (const auto& r : e.refused) refused.append(py::make_tuple(r.path.string(), r.reason));
        py::object err =
            errors_module().attr("LoadError")(diagnostics_list(e.diagnostics), refused, e.installation_fault());
        PyErr_SetObject(errors_module().attr("LoadError").ptr(), err.ptr());
    } catch (const ConfigError& e) {
        py::object err = errors_module().attr("ConfigError")(diagnostics_list(e.diagnostics));
        PyErr_SetObject(errors_module().attr("ConfigError").ptr(), err.ptr());
    } catch (const PluginError& e) {
        py::object time = e.time ? py::object(py::float_(*e.time)) : py::object(py::none());
        py::object err = errors_module().attr("PluginError")(describe(e), e.plugin, e.kind, e.scenario, time,
                                                             e.library.string(), e.key);
        PyErr_SetObject(errors_module().attr("PluginError").ptr(), err.ptr());
    } catch (const RunError& e) {
        raise("RunError", py::str(e.what()));
    } catch (const Interrupted& e) {
        PyErr_SetString(PyExc_KeyboardInterrupt, e.what());
    } catch (const PluginPathError& e) {
        raise("PluginPathError", py::str(e.what()));
    } catch (const UnknownTypeError& e) {
        py::object err = errors_module().attr("UnknownTypeError")(e.what(), e.suggestion);
        PyErr_SetObject(errors_module().attr("UnknownTypeError").ptr(), err.ptr());
    }
}

// ---- sessions and loading ---------------------------------------------------------------

PySession make_session(const std::vector<std::string>& plugin_paths, bool environment, const py::dict& models) {
    SessionOptions so;
    so.plugin_paths.assign(plugin_paths.begin(), plugin_paths.end());
    so.environment = environment;
    so.types_origin = "<python>";
    for (auto item : models) {
        auto ds = python::python_descriptors(py::str(item.first), py::reinterpret_borrow<py::object>(item.second));
        for (auto& d : ds) so.types.push_back(std::move(d));
    }
    const bool python_models = !so.types.empty();
    return PySession{std::make_shared<Session>(std::move(so)), python_models};
}

py::list plugins(const PySession& s) {
    PluginListing list;
    {
        py::gil_scoped_release release;
        list = s.session->plugins();
    }
    py::list out;
    for (const auto& t : list.types) {
        py::dict d;
        d["kind"] = plugin::to_string(t.kind);
        d["type"] = t.type;
        d["summary"] = t.summary;
        d["library"] = t.library.string();
        out.append(d);
    }
    return out;
}

// ---- running ----------------------------------------------------------------------------

/// Hands every result to a results directory and keeps it in memory, as the CLI's writer
/// plus a CollectingSink. The directory is committed (end) before the memory result is final.
class TeeSink final : public RunSink {
public:
    TeeSink(RunSink& a, RunSink& b) : a_(a), b_(b) {}
    void begin(const RunInfo& i) override {
        a_.begin(i);
        b_.begin(i);
    }
    void scenario(const ScenarioResult& r) override {
        a_.scenario(r);
        b_.scenario(r);
    }
    void take_scenario(ScenarioResult&& r) override {  // the second sink may keep it
        a_.scenario(r);
        b_.take_scenario(std::move(r));
    }
    void sample(const ScenarioSpec& sc, std::size_t i, const std::vector<double>& x,
                const std::vector<double>& t) override {
        a_.sample(sc, i, x, t);
        b_.sample(sc, i, x, t);
    }
    void sweep_rows(const SweepRows& r) override {
        a_.sweep_rows(r);
        b_.sweep_rows(r);
    }
    void monte_carlo(const MonteCarloResult& mc) override {
        a_.monte_carlo(mc);
        b_.monte_carlo(mc);
    }
    void comparison(const Comparison& c) override {
        a_.comparison(c);
        b_.comparison(c);
    }
    void end(const RunSummary& s) override {
        a_.end(s);
        b_.end(s);
    }

private:
    RunSink &a_, &b_;
};

/// The threads runs execute on, kept for reuse: a thread per run would leave per-thread state
/// behind in oneTBB and the C library each time (the process's RSS grew by several MB over
/// 1,000 small runs). A run takes an idle thread or, when every one is busy (runs in several
/// Python threads at once), a new one. Never destroyed: the threads wait until the process ends.
class RunThreads {
public:
    static RunThreads& instance() {
        static RunThreads* pool = new RunThreads();  // leaked on purpose: no join at exit
        return *pool;
    }
    void submit(std::function<void()> task) {
        std::lock_guard<std::mutex> lock(mutex_);
        tasks_.push_back(std::move(task));
        ++busy_;
        // Every queued task needs an idle thread of its own (a woken thread leaves idle_ only
        // when it takes a task), else a new one.
        if (tasks_.size() > idle_)
            std::thread([this] { work(); }).detach();
        else
            wake_.notify_one();
    }
    /// Waits (without the GIL) until no task is queued or running.
    void wait_idle() {
        std::unique_lock<std::mutex> lock(mutex_);
        done_.wait(lock, [this] { return busy_ == 0; });
    }

private:
    void work() {
        std::unique_lock<std::mutex> lock(mutex_);
        for (;;) {
            ++idle_;
            wake_.wait(lock, [this] { return !tasks_.empty(); });
            --idle_;
            std::function<void()> task = std::move(tasks_.front());
            tasks_.pop_front();
            lock.unlock();
            task();
            task = nullptr;  // what it owns may hold Python objects: released without the lock
            lock.lock();
            if (--busy_ == 0) done_.notify_all();
        }
    }
    std::mutex mutex_;
    std::condition_variable wake_, done_;
    std::deque<std::function<void()>> tasks_;
    std::size_t idle_ = 0, busy_ = 0;
};

/// At interpreter exit (atexit, before finalization): stops the runs still going (in other
/// threads, or a validation abandoned on Ctrl-C), refuses further calls into Python models and
/// waits for the run threads to finish, so that none of them touches Python while it shuts
/// down (a thread that asks for the GIL then is ended by the interpreter: std::terminate).
void shutdown() {
    python::set_exiting();
    py::gil_scoped_release release;
    request_interrupt(SIGINT);
    RunThreads::instance().wait_idle();
    clear_interrupt();
}

/// How often the waiting thread looks for Python's signals (KeyboardInterrupt).
constexpr auto signal_poll = std::chrono::milliseconds(20);

/// Waits for `done` with the GIL released, looking for Python's signals every signal_poll;
/// returns false as soon as a signal handler raised (KeyboardInterrupt: the Python error is
/// set), without waiting further.
bool wait_for(std::future<void>& done) {
    py::gil_scoped_release release;
    while (done.wait_for(signal_poll) != std::future_status::ready) {
        py::gil_scoped_acquire gil;
        if (PyErr_CheckSignals() != 0) return false;
    }
    return true;
}

/// Loads a config on a run thread. Validation has no safe points to stop at: on Ctrl-C this
/// raises KeyboardInterrupt at once and lets the load finish on its own (it owns what it uses),
/// its result discarded.
PyExperiment load(const PySession& s, const std::string& how, const std::string& what, const std::string& name,
                  const std::string& base_dir) {
    struct State {
        std::shared_ptr<Session> session;
        LoadOptions options;
        std::string how, what;
        nlohmann::ordered_json tree;
        std::optional<Experiment> ex;
    };
    auto st = std::make_shared<State>();
    st->session = s.session;
    st->options.name = name;
    st->options.base_dir = base_dir;
    st->how = how;
    if (how == "tree") {
        try {
            st->tree = nlohmann::ordered_json::parse(what);
        } catch (const std::exception& e) {
            throw std::invalid_argument(std::string("the config tree is not JSON-serialisable: ") + e.what());
        }
    } else {
        st->what = what;
    }
    auto task = std::make_shared<std::packaged_task<void()>>([st] {
        if (st->how == "tree")
            st->ex.emplace(st->session->load_tree(st->tree, st->options));
        else if (st->how == "text")
            st->ex.emplace(st->session->load_text(st->what, st->options));
        else
            st->ex.emplace(st->session->load(fs::path(st->what), st->options));
    });
    std::future<void> done = task->get_future();
    RunThreads::instance().submit([task] { (*task)(); });
    if (!wait_for(done)) throw py::error_already_set();
    done.get();  // rethrows ConfigError
    return PyExperiment{s.session, std::make_shared<const Experiment>(std::move(*st->ex)), s.python_models};
}

/// Runs `ex` on a worker thread while this thread, with the GIL released between looks,
/// checks Python's signal handlers: on KeyboardInterrupt (or any exception a handler raises)
/// it asks the run to stop at its next safe point (racesim::request_interrupt), waits for it to
/// unwind (a results directory is then not written), and raises that exception.
std::shared_ptr<PyRun> do_run(const PyExperiment& e, std::size_t jobs, const std::string& out, bool force,
                              const py::object& progress) {
    auto run = std::make_shared<PyRun>();
    run->session = e.session;
    run->experiment = e.experiment;
    RunOptions ro;
    // Python models run on the run's own thread only: every call holds the GIL, so more threads
    // gain nothing, and oneTBB's workers come and go (their Python thread states could not be
    // released safely, models.cpp).
    ro.jobs = e.python_models ? 1 : jobs;
    std::shared_ptr<py::object> on_progress;
    if (!progress.is_none()) {
        on_progress = std::shared_ptr<py::object>(new py::object(progress), [](py::object* p) {
            py::gil_scoped_acquire gil;
            delete p;
        });
        ro.progress = [on_progress](std::size_t done, std::size_t total) {
            py::gil_scoped_acquire gil;
            try {
                (*on_progress)(done, total);
            } catch (py::error_already_set& err) {
                err.discard_as_unraisable("racesim progress callback");
            }
        };
    }
    const Session& session = *e.session;
    const Experiment& ex = *e.experiment;
    std::optional<ResultsWriter> writer;
    if (!out.empty()) {
        py::gil_scoped_release release;
        writer.emplace(ex, fs::path(out), force);  // refused before anything runs, as the CLI does
    }
    auto work = [&]() {
        if (!writer) {
            run->result = session.run(ex, ro);
            return;
        }
        CollectingSink mem;
        TeeSink tee(*writer, mem);
        (void)session.run(ex, ro, tee);
        run->result = mem.take();
    };
    auto task = std::make_shared<std::packaged_task<void()>>(work);
    std::future<void> done = task->get_future();
    bool interrupted = false;
    RunThreads::instance().submit([task] { (*task)(); });
    if (!wait_for(done)) {
        interrupted = true;
        py::gil_scoped_release release;
        request_interrupt(SIGINT);
        done.wait();
        clear_interrupt();
    }
    if (interrupted) {
        try {
            done.get();
        } catch (...) {  // the run's Interrupted (or whatever it was doing): the signal wins
        }
        writer.reset();  // an uncommitted directory is removed
        throw py::error_already_set();
    }
    try {
        done.get();
    } catch (const Interrupted&) {  // another thread's KeyboardInterrupt stopped this run too
        writer.reset();
        clear_interrupt();
        throw;
    }
    return run;
}

// ---- results as columns -----------------------------------------------------------------

/// A read-only numpy view of `v`, kept alive by `owner` (the PyRun).
py::array view(const std::vector<double>& v, const py::object& owner) {
    if (v.empty()) return py::array_t<double>(0);
    py::array a(py::dtype::of<double>(), {v.size()}, {sizeof(double)}, v.data(), owner);
    py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
    return a;
}

/// Column j of an n x d row-major block, as a strided read-only view.
py::array column_view(const std::vector<double>& block, std::size_t n, std::size_t d, std::size_t j,
                      const py::object& owner) {
    if (n == 0) return py::array_t<double>(0);
    py::array a(py::dtype::of<double>(), {n}, {d * sizeof(double)}, block.data() + j, owner);
    py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
    return a;
}

py::object opt(const std::optional<double>& v) {
    return v ? py::object(py::float_(*v)) : py::object(py::none());
}

double nan_if_none(const std::optional<double>& v) {
    return v ? *v : std::numeric_limits<double>::quiet_NaN();
}

std::string label_of(const TargetSpec& t) {
    return (t.kind == TargetSpec::Kind::loss ? "loss=" : "R=") + plugin::math::format(t.value);
}

const char* kind_of(const TargetSpec& t) {
    return t.kind == TargetSpec::Kind::loss ? "loss" : "relative";
}

py::object value_object(const plugin::Value& v) {
    if (const auto* d = std::get_if<double>(&v)) return py::float_(*d);
    if (const auto* i = std::get_if<std::int64_t>(&v)) return py::int_(*i);
    if (const auto* b = std::get_if<bool>(&v)) return py::bool_(*b);
    if (const auto* s = std::get_if<std::string>(&v)) return py::str(*s);
    return py::cast(std::get<plugin::Table>(v));
}

std::string summary_json_text(const PyRun& r) {
    return summary_json(run_report(r.result)).dump();
}

py::list scenario_names(const PyRun& r) {
    py::list out;
    for (const auto& s : r.result.scenarios) out.append(s.spec->name);
    return out;
}

/// Scenario i's trajectory: (columns, names), every column a view of the C++ vector.
py::dict trajectory(const py::object& self, std::size_t i) {
    const PyRun& r = self.cast<const PyRun&>();
    if (i >= r.result.scenarios.size()) throw py::index_error("no scenario " + std::to_string(i));
    const ScenarioResult& s = r.result.scenarios[i];
    const Trajectory& tr = s.trajectory;
    py::dict out;
    out["t"] = view(tr.t, self);
    if (const auto& y0 = s.spec->start_year) {  // the date of t, as in the CSV: computed, not a view
        py::array_t<double> year(static_cast<py::ssize_t>(tr.t.size()));
        auto w = year.mutable_unchecked<1>();
        for (std::size_t k = 0; k < tr.t.size(); ++k) w(static_cast<py::ssize_t>(k)) = *y0 + tr.t[k];
        out["year"] = year;
    }
    out["C"] = view(tr.C, self);
    if (tr.has_algorithms()) {  // as in the CSV: A and C_physical after C (effective compute)
        out["A"] = view(tr.A, self);
        out["C_physical"] = view(tr.C_physical, self);
    }
    out["E"] = view(tr.E, self);
    out["P"] = view(tr.P, self);
    out["L"] = view(tr.L, self);
    out["R"] = view(tr.R, self);
    if (tr.has_reference()) {
        out["R_ref"] = view(tr.R_ref, self);
        out["rel_err"] = view(tr.rel_err, self);
    }
    for (std::size_t k = 0; k < tr.aux.size() && k < s.auxiliary.size(); ++k)
        out[py::str(s.auxiliary[k].name)] = view(tr.aux[k], self);
    return out;
}

py::dict scenario_info(const PyRun& r, std::size_t i) {
    const ScenarioResult& s = r.result.scenarios.at(i);
    py::dict d;
    d["name"] = s.spec->name;
    d["origin"] = s.spec->origin;
    d["index"] = s.index;
    d["C0"] = s.C0;
    d["L_C0"] = s.L_C0;
    d["horizon"] = s.spec->horizon;
    d["max_rel_err"] = opt(s.max_rel_err);
    d["max_rel_err_time"] = opt(s.max_rel_err_time);
    d["wall_seconds"] = s.wall_seconds;
    py::list aux;
    for (const auto& q : s.auxiliary) aux.append(py::make_tuple(q.name, q.unit, q.doc));
    d["auxiliary"] = aux;
    return d;
}

/// One row per (scenario, target).
py::dict table_targets(const PyRun& r) {
    py::list scenario, label, kind, value, loss, relative, reached, unreachable, at_start, time, reference_time,
        rel_err, condition, error_estimate;
    for (const auto& s : r.result.scenarios)
        for (const auto& t : s.targets) {
            scenario.append(s.spec->name);
            label.append(label_of(t.spec));
            kind.append(kind_of(t.spec));
            value.append(t.spec.value);
            loss.append(t.loss);
            relative.append(t.relative);
            reached.append(t.reached);
            unreachable.append(t.unreachable);
            at_start.append(t.at_start);
            time.append(nan_if_none(t.time));
            reference_time.append(nan_if_none(t.reference_time));
            rel_err.append(nan_if_none(t.time_rel_err));
            condition.append(nan_if_none(t.condition));
            error_estimate.append(nan_if_none(t.time_error_estimate));
        }
    py::dict d;
    d["scenario"] = scenario;
    d["target"] = label;
    d["kind"] = kind;
    d["value"] = value;
    d["loss"] = loss;
    d["relative"] = relative;
    d["reached"] = reached;
    d["unreachable"] = unreachable;
    d["at_start"] = at_start;
    d["time"] = time;
    d["reference_time"] = reference_time;
    d["time_rel_err"] = rel_err;
    d["condition"] = condition;
    d["time_error_estimate"] = error_estimate;
    return d;
}

/// What `racesim run` warns about (racesim::conditioning_warnings), every scenario's lines in
/// order, for the Python package to raise as warnings.
py::list run_conditioning_warnings(const PyRun& r) {
    py::list out;
    for (const auto& s : r.result.scenarios)
        for (const auto& w : conditioning_warnings(s)) out.append(w);
    return out;
}

/// Every swept scenario, one row per (scenario, target): the swept values as typed columns
/// (keys "param:<path>"), then the target's outcome. Scenarios run one by one and rows of a
/// vectorised sweep alike. None when the experiment sweeps nothing.
py::object table_sweep(const PyRun& r) {
    bool any = false;
    for (const auto& sc : r.experiment->scenarios) any = any || bool(sc.sweep_plan);
    if (!any) return py::none();
    py::list scenario, origin, label, kind, value, reached, unreachable, time, reference_time;
    std::vector<std::string> paths;
    std::vector<py::list> columns;
    std::size_t rows = 0;
    auto column = [&](const std::string& path) -> py::list& {
        for (std::size_t j = 0; j < paths.size(); ++j)
            if (paths[j] == path) return columns[j];
        paths.push_back(path);
        columns.emplace_back();
        for (std::size_t k = 0; k < rows; ++k) columns.back().append(py::none());
        return columns.back();
    };
    auto pad = [&] {
        ++rows;
        for (auto& c : columns)
            while (py::len(c) < rows) c.append(py::none());
    };
    auto emit_scenario = [&](const ScenarioResult& s) {
        for (const auto& t : s.targets) {
            scenario.append(s.spec->name);
            origin.append(s.spec->origin);
            label.append(label_of(t.spec));
            kind.append(kind_of(t.spec));
            value.append(t.spec.value);
            reached.append(t.reached);
            unreachable.append(t.unreachable);
            time.append(nan_if_none(t.time));
            reference_time.append(nan_if_none(t.reference_time));
            for (const auto& a : s.spec->sweep) column(a.path).append(value_object(a.value));
            pad();
        }
    };
    auto emit_rows = [&](const SweepRows& sr) {
        const ScenarioSpec& sc = *sr.declared;
        for (std::size_t i = 0; i < sr.n; ++i)
            for (std::size_t k = 0; k < sc.targets.size(); ++k) {
                const double t = sr.times[k][i];
                scenario.append(sc.sweep_plan->name(sc.name, sr.k0 + i));
                origin.append(sc.name);
                label.append(label_of(sc.targets[k]));
                kind.append(kind_of(sc.targets[k]));
                value.append(sc.targets[k].value);
                reached.append(std::isfinite(t));
                unreachable.append(std::isnan(t));
                time.append(std::isfinite(t) ? t : std::numeric_limits<double>::quiet_NaN());
                reference_time.append(std::isfinite(t) ? t : std::numeric_limits<double>::quiet_NaN());
                for (std::size_t j = 0; j < sc.sweep_plan->axes.size(); ++j)
                    column(sc.sweep_plan->axes[j].path).append(sr.values[j][i]);
                pad();
            }
    };
    std::size_t b = 0;
    const auto& rr = r.result;
    for (const auto& s : rr.scenarios) {
        for (; b < rr.sweep_rows.size() && rr.sweep_rows[b].first < s.index; ++b) emit_rows(rr.sweep_rows[b]);
        if (!s.spec->sweep.empty()) emit_scenario(s);
    }
    for (; b < rr.sweep_rows.size(); ++b) emit_rows(rr.sweep_rows[b]);
    py::dict d;
    d["scenario"] = scenario;
    d["origin"] = origin;
    for (std::size_t j = 0; j < paths.size(); ++j) d[py::str("param:" + paths[j])] = columns[j];
    d["target"] = label;
    d["kind"] = kind;
    d["value"] = value;
    d["reached"] = reached;
    d["unreachable"] = unreachable;
    d["time"] = time;
    d["reference_time"] = reference_time;
    return d;
}

py::object table_solve(const PyRun& r) {
    py::list scenario, parameter, lo, hi, at, target, found, value, g_lo, g_hi, bracket_lo, bracket_hi, evaluations,
        time_check, message;
    const auto* rows = rows_of<SolveResult>(r.result.tables);
    for (const SolveResult& v : rows ? *rows : std::vector<SolveResult>{}) {
        scenario.append(v.scenario);
        parameter.append(v.spec.path);
        lo.append(v.spec.lo);
        hi.append(v.spec.hi);
        at.append(v.spec.at);
        target.append(v.target);
        found.append(v.found);
        value.append(v.found ? v.value : std::numeric_limits<double>::quiet_NaN());
        g_lo.append(v.g_lo);
        g_hi.append(v.g_hi);
        bracket_lo.append(v.lo);
        bracket_hi.append(v.hi);
        evaluations.append(v.evaluations);
        time_check.append(nan_if_none(v.time));
        message.append(v.message);
    }
    if (py::len(scenario) == 0) return py::none();
    py::dict d;
    d["scenario"] = scenario;
    d["parameter"] = parameter;
    d["lo"] = lo;
    d["hi"] = hi;
    d["at"] = at;
    d["target"] = target;
    d["found"] = found;
    d["value"] = value;
    d["g_lo"] = g_lo;
    d["g_hi"] = g_hi;
    d["bracket_lo"] = bracket_lo;
    d["bracket_hi"] = bracket_hi;
    d["simulations"] = evaluations;
    d["time_check"] = time_check;
    d["message"] = message;
    return d;
}

/// An analysis module's table (`name`: "sensitivity" for sensitivity.csv) as columns, the
/// columns its TableDef declares; None when the run has no row of it. Numbers: float, NaN when
/// empty; integers: int; text and words: str.
py::object analysis_table(const PyRun& r, const std::string& name) {
    for (const auto& t : r.result.tables) {
        const TableDef& def = t->table();
        if (def.name != name) continue;
        if (t->size() == 0) return py::none();
        std::vector<py::list> cols(def.columns.size());
        std::vector<Cell> cells;
        for (std::size_t i = 0; i < t->size(); ++i) {
            t->cells(i, cells);
            for (std::size_t k = 0; k < cells.size() && k < cols.size(); ++k) {
                const Cell& c = cells[k];
                if (const auto* x = std::get_if<double>(&c))
                    cols[k].append(*x);
                else if (const auto* n = std::get_if<std::int64_t>(&c))
                    cols[k].append(*n);
                else if (const auto* text = std::get_if<std::string>(&c))
                    cols[k].append(*text);
                else if (def.columns[k].kind == CellKind::number)
                    cols[k].append(std::numeric_limits<double>::quiet_NaN());
                else
                    cols[k].append(py::none());
            }
        }
        py::dict d;
        for (std::size_t k = 0; k < cols.size(); ++k) d[py::str(std::string(def.columns[k].name))] = cols[k];
        return d;
    }
    return py::none();
}

/// Per Monte Carlo scenario: its name, sampled paths, target labels, the draws (n x d view)
/// and the time to each target per sample (views; +inf: not reached by the horizon).
py::list table_samples(const py::object& self) {
    const PyRun& r = self.cast<const PyRun&>();
    py::list out;
    for (const auto& mc : r.result.monte_carlo) {
        const SampleSpec& sp = *find_analysis<SampleSpec>(*mc.spec);
        const std::size_t d = sp.paths.size(), n = d ? mc.draws.size() / d : 0;
        py::dict e;
        e["scenario"] = mc.spec->name;
        e["n"] = n;
        e["paths"] = sp.paths;
        py::list labels, times;
        for (std::size_t k = 0; k < mc.spec->targets.size(); ++k) labels.append(label_of(mc.spec->targets[k]));
        for (const auto& t : mc.times) times.append(view(t, self));
        e["targets"] = labels;
        e["times"] = times;
        py::array draws =
            n ? py::array(py::dtype::of<double>(), {n, d}, {d * sizeof(double), sizeof(double)}, mc.draws.data(), self)
              : py::array_t<double>(std::vector<py::ssize_t>{0, static_cast<py::ssize_t>(d)});
        if (n) py::detail::array_proxy(draws.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
        e["draws"] = draws;
        py::list columns;
        for (std::size_t j = 0; j < d; ++j) columns.append(column_view(mc.draws, n, d, j, self));
        e["columns"] = columns;
        out.append(e);
    }
    return out;
}

/// The Monte Carlo statistics: one row per (scenario, target, quantile).
py::object table_monte_carlo(const PyRun& r) {
    if (r.result.monte_carlo.empty()) return py::none();
    py::list scenario, target, n, reached, p, time, mean;
    py::list by_scenario, by_target, by_date, by_probability;
    for (const auto& mc : r.result.monte_carlo)
        for (const auto& st : mc.stats) {
            for (const auto& [q, t] : st.quantiles) {
                scenario.append(mc.spec->name);
                target.append(st.target);
                n.append(st.n);
                reached.append(st.reached);
                p.append(q);
                time.append(t ? *t : std::numeric_limits<double>::infinity());
                mean.append(nan_if_none(st.mean_if_reached));
            }
            for (const auto& [date, prob] : st.reached_by) {
                by_scenario.append(mc.spec->name);
                by_target.append(st.target);
                by_date.append(date);
                by_probability.append(prob);
            }
        }
    py::dict q, b;
    q["scenario"] = scenario;
    q["target"] = target;
    q["n"] = n;
    q["reached"] = reached;
    q["p"] = p;
    q["time"] = time;
    q["mean_if_reached"] = mean;
    b["scenario"] = by_scenario;
    b["target"] = by_target;
    b["date"] = by_date;
    b["probability"] = by_probability;
    return py::make_tuple(q, b);
}

py::list table_comparisons(const PyRun& r) {
    py::list out;
    for (const auto& c : r.result.comparisons) {
        py::dict d;
        d["a"] = c.a;
        d["b"] = c.b;
        py::list t, Ca, Cb, Ra, Rb;
        for (const auto& row : c.rows) {
            t.append(row.t);
            Ca.append(row.C_a);
            Cb.append(row.C_b);
            Ra.append(row.R_a);
            Rb.append(row.R_b);
        }
        d["t"] = t;
        d["C_a"] = Ca;
        d["C_b"] = Cb;
        d["R_a"] = Ra;
        d["R_b"] = Rb;
        out.append(d);
    }
    return out;
}

}  // namespace

PYBIND11_MODULE(_racesim, m) {
    m.doc() = "racesim's compiled core (use the `racesim` package)";
    py::register_exception_translator(&translate);
    m.def("version", &racesim::version);
    m.def("_shutdown", &shutdown, "called at exit (racesim/__init__.py registers it with atexit)");
    m.def("plugin_api_version", &racesim::plugin_api_version);

    py::class_<PySession>(m, "Session")
        .def(py::init(&make_session), py::arg("plugin_paths"), py::arg("environment") = true,
             py::arg("models") = py::dict())
        .def("load", &load, py::arg("how"), py::arg("what"), py::arg("name") = "", py::arg("base_dir") = "")
        .def("plugins", &plugins)
        .def("describe_json",
             [](const PySession& s, const std::string& type) {
                 std::string text;
                 {
                     py::gil_scoped_release release;
                     text = s.session->describe_json(type).dump();
                 }
                 return text;
             })
        .def("describe", [](const PySession& s, const std::string& type, const std::string& format) {
            const DescribeFormat f = format == "markdown" ? DescribeFormat::markdown : DescribeFormat::text;
            py::gil_scoped_release release;
            return s.session->describe(type, f);
        });

    py::class_<PyExperiment>(m, "Experiment")
        .def_property_readonly("name", [](const PyExperiment& e) { return e.experiment->name; })
        .def_property_readonly("file", [](const PyExperiment& e) { return e.experiment->file.string(); })
        .def_property_readonly("scenario_count",
                               [](const PyExperiment& e) { return Session::scenario_count(*e.experiment); })
        .def("run", &do_run, py::arg("jobs") = 0, py::arg("out") = "", py::arg("force") = false,
             py::arg("progress") = py::none());

    py::class_<PyRun, std::shared_ptr<PyRun>>(m, "Run")
        .def("summary_json", &summary_json_text)
        .def("scenario_names", &scenario_names)
        .def("scenario_info", &scenario_info)
        .def("trajectory", &trajectory)
        .def("targets", &table_targets)
        .def("conditioning_warnings", &run_conditioning_warnings)
        .def("sweep", &table_sweep)
        .def("solve", &table_solve)
        .def("sensitivity", [](const PyRun& r) { return analysis_table(r, "sensitivity"); })
        .def("analysis_table", &analysis_table)
        .def("samples", &table_samples)
        .def("monte_carlo", &table_monte_carlo)
        .def("comparisons", &table_comparisons)
        .def_property_readonly("trajectories_kept", [](const PyRun& r) { return r.result.trajectories; })
        .def_property_readonly("wall_seconds", [](const PyRun& r) { return r.result.wall_seconds; });
}
