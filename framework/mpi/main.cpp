// racesim-mpi: one run over the ranks of an MPI job (docs/cluster.md).
//
//   mpirun -np N racesim-mpi run CONFIG --out DIR [--force] [--no-trajectories] [--jobs J]
//
// Every rank loads the config. The run's work units (racesim/run/journal.hpp) are cut into
// blocks, more blocks than ranks, which rank 0 hands out one at a time to whichever rank is free
// (a dynamic balance: Monte Carlo samples differ in cost). A rank runs a block as a shard does
// and sends its journal to rank 0, which replays every block in the run's order into the
// results-directory writer: the same code as `racesim merge`, so the directory is the one the
// run in one process writes, timing aside. Rank 0 alone writes, atomically, at the end; a rank
// that fails or dies fails the job, and nothing is written.
//
// Exit codes as racesim's: 0 success, 1 invalid config, 2 usage, 3 run-time failure (a block
// that failed on some rank), 128 + signal when interrupted (mpirun's SIGTERM when a rank died).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "racesim/racesim.hpp"
#include "work_queue.hpp"

namespace fs = std::filesystem;
using namespace racesim;

namespace {

constexpr int exit_ok = 0, exit_config = 1, exit_usage = 2, exit_runtime = 3;

struct Options {
    std::string config, out;
    std::vector<std::string> plugin_paths;
    bool force = false, no_trajectories = false, quiet = false;
    std::size_t jobs = 1;    ///< threads per rank
    std::size_t blocks = 0;  ///< 0: 8 per rank, at most one per unit
    std::size_t max_samples = ExperimentLimits{}.max_samples;
};

/// Blocks of the run's `units` for `ranks` ranks: 8 per rank, so that a rank that finishes
/// early takes another, at most one per unit.
std::size_t block_count(const Options& o, std::size_t units, int ranks) {
    const std::size_t want = o.blocks ? o.blocks : 8 * static_cast<std::size_t>(ranks);
    return std::max<std::size_t>(1, std::min(want, units));
}

int run(const Options& o, const mpi::Environment& env) {
    const bool root = env.rank() == 0;
    SessionOptions so;
    so.plugin_paths.assign(o.plugin_paths.begin(), o.plugin_paths.end());
    if (root && !o.quiet)
        so.log = [](LogLevel level, const std::string& text) {
            if (level != LogLevel::debug) std::cerr << "racesim-mpi: " << text << '\n';
        };
    const Session session(std::move(so));
    std::optional<Experiment> ex;
    try {
        LoadOptions lo;
        if (o.no_trajectories) lo.max_rows = std::numeric_limits<std::size_t>::max();
        lo.max_samples = o.max_samples;
        ex = session.load(o.config, lo);
    } catch (const LoadError& e) {
        if (root) e.diagnostics.print(std::cerr);  // every rank finds the same: one says it
        return exit_config;
    }
    RunOptions ro;
    ro.jobs = o.jobs;
    ro.trajectories = o.no_trajectories ? Trajectories::drop : Trajectories::automatic;
    const std::size_t units = Session::work_units(*ex);
    const std::size_t blocks = block_count(o, units, env.size());
    const fs::path out = o.out.empty() ? fs::path("results") / ex->name : fs::path(o.out);

    // Rank 0 refuses an output it may not write before anyone computes.
    std::optional<ResultsWriter> writer;
    int refused = 0;
    if (root) try {
            writer.emplace(*ex, out, o.force);
        } catch (const RunError& e) {
            std::cerr << "racesim-mpi: error: " << e.what() << '\n';
            refused = 1;
        }
    if (mpi::broadcast_flag(refused)) return exit_runtime;

    mpi::TaskFailure failure;
    failure.task = blocks;
    const std::vector<std::string> journals = mpi::run_tasks(
        blocks, [&](std::size_t b) { return session.run_units(*ex, ro, shard_range(units, b + 1, blocks)); }, &failure);
    if (!root) return exit_ok;
    if (failure.task < blocks) {
        const UnitRange r = shard_range(units, failure.task + 1, blocks);
        std::cerr << "racesim-mpi: error: rank " << failure.rank << ", units " << r.first << " to " << r.last - 1
                  << " of " << units << ": " << failure.message << "\nracesim-mpi: no results were written\n";
        return exit_runtime;
    }
    session.replay(*ex, ro, journals, *writer);
    print_table(writer->report(), std::cout);
    // What `racesim run` warns about, with -q too (docs/numerics.md, "Conditioning of a time to target").
    for (const auto& s : writer->report().listed)
        for (const auto& w : conditioning_warnings(s)) std::cerr << "racesim-mpi: warning: " << w << '\n';
    if (!o.quiet)
        std::cerr << "racesim-mpi: " << units << " units in " << blocks << " blocks over " << env.size()
                  << " ranks; results written to " << out.string() << '\n';
    return exit_ok;
}

}  // namespace

int main(int argc, char** argv) {
    std::optional<mpi::Environment> env;
    try {
        env.emplace(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "racesim-mpi: error: " << e.what() << '\n';
        return exit_runtime;
    }
    CLI::App app{"racesim-mpi: one racesim run over the ranks of an MPI job (docs/cluster.md)", "racesim-mpi"};
    app.require_subcommand(1);
    Options o;
    CLI::App* cmd = app.add_subcommand("run", "Run CONFIG over every rank; rank 0 writes the results directory");
    cmd->add_option("config", o.config, "Experiment config (YAML)")->required();
    cmd->add_option("--out,-o", o.out, "Results directory (default: results/<experiment name>)");
    cmd->add_flag("--force,-f", o.force, "Replace an existing results directory");
    cmd->add_flag("--no-trajectories", o.no_trajectories, "Write no per-scenario CSVs (summary and tables only)");
    cmd->add_option("--jobs,-j", o.jobs, "Threads per rank (default 1: the ranks are the parallelism)")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1024}));
    cmd->add_option("--blocks", o.blocks, "Blocks of work handed out (default: 8 per rank)")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--plugin-path", o.plugin_paths, "Extra plugin directory (repeatable)");
    cmd->add_option("--max-samples", o.max_samples,
                    "Refuse a config that asks for more Monte Carlo samples than this (default 10000000)")
        ->check(CLI::PositiveNumber);
    cmd->add_flag("--quiet,-q", o.quiet, "Print only errors and the results table");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = env->rank() == 0 ? app.exit(e) : (e.get_exit_code() == 0 ? 0 : exit_usage);
        return rc == 0 ? exit_ok : exit_usage;
    }
    install_interrupt_handlers();
    int rc = exit_runtime;
    try {
        rc = run(o, *env);
    } catch (const Interrupted& e) {
        std::cerr << "racesim-mpi: rank " << env->rank() << ": " << e.what()
                  << ": stopped (a rank failed, or the job was cancelled); no results were written\n";
        std::_Exit(128 + e.signal);  // mpirun is ending the job: no MPI_Finalize to wait in
    } catch (const std::exception& e) {
        std::cerr << "racesim-mpi: rank " << env->rank() << ": error: " << e.what() << '\n';
        mpi::Environment::abort(exit_runtime);  // the other ranks would wait for this one
    }
    return rc;
}
