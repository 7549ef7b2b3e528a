// The embedding API (racesim/racesim.hpp): a session owns the plugin search path and the
// registries it loads, one per distinct search path (a config's plugin_paths extend it).
#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <utility>

#include "racesim/analyses/builtin.hpp"
#include "racesim/config/describe_keys.hpp"
#include "racesim/config/json_schema.hpp"
#include "racesim/config/loader.hpp"
#include "racesim/config/scenario.hpp"
#include "racesim/config/tree.hpp"
#include "racesim/model/model.hpp"
#include "racesim/plugin/api.hpp"
#include "racesim/plugins/describe.hpp"
#include "racesim/plugins/registry.hpp"
#include "racesim/racesim.hpp"
#include "racesim/run/runner.hpp"

namespace fs = std::filesystem;

namespace racesim {

LoadError::LoadError(Diagnostics d, std::vector<Refusal> r) : ConfigError(std::move(d)), refused(std::move(r)) {}

bool LoadError::installation_fault() const {
    if (refused.empty()) return false;
    const auto& es = diagnostics.errors();
    return std::any_of(es.begin(), es.end(), [](const Diagnostic& d) { return d.code == "unknown-type"; });
}

PluginPathError::PluginPathError(fs::path p)
    : std::invalid_argument("plugin path '" + p.string() + "' is not a directory"), path(std::move(p)) {}

namespace {

/// The most threads a run asks oneTBB for: more than this only costs memory.
constexpr std::size_t max_jobs = 1024;

void say(const SessionOptions& o, LogLevel level, const std::string& text) {
    if (o.log) o.log(level, text);
}

}  // namespace

struct Session::Impl {
    SessionOptions options;
    /// The directories the user named (plugin_paths, RACESIM_PLUGIN_PATH): a config's
    /// plugin_paths may point into these or into its own directory tree, nowhere else.
    std::vector<fs::path> user_dirs;
    mutable std::mutex mutex;
    mutable std::map<std::vector<fs::path>, std::shared_ptr<const Registry>> registries;

    /// The registry of the session's search path extended by a config's plugin_paths, loaded
    /// on first use and kept for the session's lifetime.
    std::shared_ptr<const Registry> registry(const std::vector<fs::path>& from_config) const {
        for (const auto& p : options.plugin_paths) {
            std::error_code ec;
            if (!fs::is_directory(p, ec)) throw PluginPathError(p);
        }
        const std::vector<fs::path> path = plugin_search_path(options.plugin_paths, from_config, options.environment);
        std::lock_guard<std::mutex> lock(mutex);
        auto& slot = registries[path];
        if (!slot) {
            auto reg = std::make_shared<Registry>();
            reg->set_trace(options.trace);
            reg->set_skipped(options.skipped_libraries);
            for (const auto& d : options.types) reg->add_type(d, options.types_origin);
            reg->load_directories(path);
            for (const auto& w : reg->warnings()) say(options, LogLevel::warning, w);
            for (const auto& r : reg->refused())
                say(options, LogLevel::debug, "plugin library " + r.path.string() + " not loaded: it " + r.reason);
            say(options, LogLevel::debug, std::to_string(reg->entries().size()) + " plugin type(s) found");
            slot = std::move(reg);
        }
        return slot;
    }

    /// Validates a parsed document; `map` rewrites the positions of a tree's diagnostics.
    Experiment validate_document(const Document& doc, const LoadOptions& lo, const SourceMap* map) const {
        const std::string file = doc.path.string();
        auto fail = [&](Diagnostics d, std::vector<Refusal> refused) -> LoadError {
            return LoadError(map ? map->remap(d, file) : std::move(d), std::move(refused));
        };
        Diagnostics diags;
        const std::vector<fs::path> from_config = document_plugin_paths(doc, diags, user_dirs);
        if (!diags.empty()) throw fail(std::move(diags), {});
        const std::shared_ptr<const Registry> reg = registry(from_config);
        ExperimentLimits limits;
        limits.max_scenarios = lo.max_scenarios;
        limits.max_breakpoints = lo.max_breakpoints;
        limits.max_rows = lo.max_rows;
        limits.max_samples = lo.max_samples;
        std::optional<Experiment> ex =
            racesim::validate(doc, *reg, diags, limits, model_check(*reg, limits), builtin_analyses());
        if (!ex) throw fail(std::move(diags), reg->refused());
        ex->plugin_paths = from_config;
        // Not needed by this config, but broken: say so.
        for (const auto& r : reg->refused())
            say(options, LogLevel::warning, "plugin library " + r.path.string() + " not loaded: it " + r.reason);
        return std::move(*ex);
    }

    /// The registry of an experiment's search path, and the models built from it (which refer to it).
    struct Models {
        std::shared_ptr<const Registry> registry;
        ModelBuilder builder;
    };
    Models models(const Experiment& ex) const {
        std::shared_ptr<const Registry> reg = registry(ex.plugin_paths);
        const ModelBuilder builder(*reg, ex.limits.max_breakpoints);
        return {std::move(reg), builder};
    }

    /// The registry of the session's own search path.
    const Registry& base() const { return *registry({}); }
};

Session::Session(SessionOptions options) : impl_(std::make_unique<Impl>()) {
    impl_->user_dirs = options.plugin_paths;
    if (options.environment)
        for (auto& d : environment_plugin_dirs()) impl_->user_dirs.push_back(std::move(d));
    impl_->options = std::move(options);
}

Session::~Session() = default;

Experiment Session::load(const fs::path& file, const LoadOptions& options) const {
    Diagnostics diags;
    std::optional<Document> doc = parse_document(file, diags);
    if (!doc) throw LoadError(std::move(diags), {});
    return impl_->validate_document(*doc, options, nullptr);
}

Experiment Session::load_text(const std::string& yaml, const LoadOptions& options) const {
    const fs::path name = options.base_dir / (options.name.empty() ? "<text>" : options.name);
    Diagnostics diags;
    std::optional<Document> doc = parse_document_text(yaml, name, diags);
    if (!doc) throw LoadError(std::move(diags), {});
    return impl_->validate_document(*doc, options, nullptr);
}

Experiment Session::load_tree(const nlohmann::ordered_json& tree, const LoadOptions& options) const {
    const fs::path name = options.base_dir / (options.name.empty() ? "<tree>" : options.name);
    SourceMap map;
    const std::string text = tree_to_yaml(tree, map);
    Diagnostics diags;
    std::optional<Document> doc = parse_document_text(text, name, diags);
    if (!doc) throw LoadError(map.remap(diags, name.string()), {});
    return impl_->validate_document(*doc, options, &map);
}

std::size_t Session::scenario_count(const Experiment& ex) {
    return racesim::scenario_count(ex);
}

bool Session::keeps_trajectories(const Experiment& ex, const RunOptions& options) {
    switch (options.trajectories) {
        case Trajectories::keep:
            return true;
        case Trajectories::drop:
            return false;
        case Trajectories::automatic:
            break;
    }
    return ex.output.trajectories && racesim::scenario_count(ex) <= keep_trajectories_up_to;
}

namespace {

/// `work` in a oneTBB arena of `jobs` threads (0: every core).
template <class F>
auto with_jobs(std::size_t jobs_in, F&& work) {
    if (jobs_in == 0) return work();
    const int jobs = static_cast<int>(std::min(jobs_in, max_jobs));
    // More threads than cores: oneTBB keeps (cores - 1) workers unless its limit is raised.
    std::optional<tbb::global_control> more;
    if (jobs > tbb::info::default_concurrency())
        more.emplace(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(jobs));
    tbb::task_arena arena(jobs);
    return arena.execute(std::forward<F>(work));
}

}  // namespace

RunSummary Session::run(const Experiment& ex, const RunOptions& options, RunSink& sink) const {
    const bool keep = keeps_trajectories(ex, options);
    const Impl::Models loaded = impl_->models(ex);  // keeps the registry the models refer to
    const ModelBuilder& models = loaded.builder;
    return with_jobs(options.jobs, [&] { return run_experiment(models, ex, sink, options.progress, keep); });
}

std::size_t Session::work_units(const Experiment& ex) {
    return racesim::work_units(ex);
}

ShardManifest Session::run_shard(const Experiment& ex, const RunOptions& options, ShardSpec shard, const fs::path& dir,
                                 bool force, const std::string& config) const {
    const auto t0 = std::chrono::steady_clock::now();
    const bool keep = keeps_trajectories(ex, options);
    const Impl::Models loaded = impl_->models(ex);  // keeps the registry the models refer to
    const ModelBuilder& models = loaded.builder;
    const RunInfo info = run_info(models, ex, keep);
    ShardManifest m;
    m.version = plugin::racesim_version;
    m.config = config;
    m.config_sha256 = config_hash(ex);
    m.shard = shard;
    m.total = info.work_units;
    m.scenarios = info.scenarios;
    m.units = shard_range(m.total, shard.k, shard.n);
    m.trajectories = keep;
    m.plugins = info.plugins;
    ShardWriter out(dir, force, ex.file);  // refused before running, not after
    with_jobs(options.jobs, [&] {
        run_part(models, ex, m.units, out.journal(), options.progress, keep);
        return 0;
    });
    m.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    check_interrupt();  // the last point where an interrupt discards the shard
    out.commit(m);
    return m;
}

MergeResult Session::merge(const std::vector<fs::path>& shards, const fs::path& out, bool force,
                           const LoadOptions& load_options) const {
    const ShardSet set(shards);
    const ShardManifest& m = set.common();
    std::error_code ec;
    if (!fs::exists(m.config, ec))
        throw ShardError(set.dirs().front(), "was run with the config " + m.config +
                                                 ", which is not found from here: merge from the directory the "
                                                 "shards were run from");
    auto experiment = std::make_shared<const Experiment>(load(m.config, load_options));
    const Experiment& ex = *experiment;
    const Impl::Models loaded = impl_->models(ex);  // keeps the registry the models refer to
    const ModelBuilder& models = loaded.builder;
    set.check(ex, run_info(models, ex, m.trajectories));
    ResultsWriter writer(ex, out, force);
    JournalReader records = set.records();
    try {
        (void)replay_parts(models, ex, records, writer, m.trajectories);
    } catch (const JournalError& e) {
        throw ShardError({}, e.what());
    }
    return {std::move(experiment), writer.report()};
}

std::string Session::run_units(const Experiment& ex, const RunOptions& options, UnitRange units) const {
    const bool keep = keeps_trajectories(ex, options);
    const Impl::Models loaded = impl_->models(ex);  // keeps the registry the models refer to
    const ModelBuilder& models = loaded.builder;
    JournalWriter out;
    with_jobs(options.jobs, [&] {
        run_part(models, ex, units, out, options.progress, keep);
        return 0;
    });
    return out.take();
}

RunSummary Session::replay(const Experiment& ex, const RunOptions& options, const std::vector<std::string>& parts,
                           RunSink& sink) const {
    const bool keep = keeps_trajectories(ex, options);
    const Impl::Models loaded = impl_->models(ex);  // keeps the registry the models refer to
    const ModelBuilder& models = loaded.builder;
    JournalReader in = JournalReader::memory(&parts);
    return replay_parts(models, ex, in, sink, keep);
}

RunResult Session::run(const Experiment& ex, const RunOptions& options) const {
    CollectingSink sink;
    (void)run(ex, options, sink);
    return sink.take();
}

std::vector<ContractCheck> Session::check(const Experiment& ex) const {
    const Impl::Models loaded = impl_->models(ex);  // keeps the registry the models refer to
    const ModelBuilder& models = loaded.builder;
    std::vector<ContractCheck> out;
    for (const auto& sc : ex.scenarios) {
        const Model m = models.build(sc);
        out.push_back({sc.name, "efficiency '" + sc.efficiency.selection.type + "'",
                       check_rate_contract(*m.efficiency, sc.horizon, m.log_C0)});
        out.push_back(
            {sc.name, "power '" + sc.power.selection.type + "'", check_rate_contract(*m.power, sc.horizon, m.log_C0)});
        out.push_back({sc.name, "loss '" + sc.loss.selection.type + "'", check_loss_contract(*m.loss, m.log_C0)});
        if (m.algorithms)
            out.push_back({sc.name, "algorithms '" + sc.algorithms->selection.type + "'",
                           check_rate_contract(*m.algorithms, sc.horizon, m.log_C0)});
    }
    return out;
}

PluginListing Session::plugins() const {
    const Registry& reg = impl_->base();
    PluginListing out;
    for (const auto k : {plugin::Kind::efficiency, plugin::Kind::power, plugin::Kind::loss, plugin::Kind::reference,
                         plugin::Kind::algorithms})
        for (const auto& t : reg.types(k)) {
            const PluginEntry* e = reg.find(k, t);
            out.types.push_back({k, t, e->descriptor.summary, e->library->path});
        }
    out.refused = reg.refused();
    out.searched = reg.searched();
    return out;
}

namespace {

/// The entries of a type, in the registry's order; throws for an unknown type.
std::vector<const PluginEntry*> entries_of(const Registry& reg, const std::string& type) {
    std::vector<const PluginEntry*> found;
    std::vector<std::string> all;
    for (const auto& e : reg.entries()) {
        all.push_back(e.descriptor.type);
        if (e.descriptor.type == type) found.push_back(&e);
    }
    if (found.empty()) {
        std::string msg = "unknown plugin type '" + type + "'";
        if (auto s = suggest(type, all); !s.empty()) msg += "; did you mean '" + s + "'?";
        throw UnknownTypeError(msg, suggest(type, all));
    }
    return found;
}

std::string formatted(const PluginEntry& e, DescribeFormat f) {
    switch (f) {
        case DescribeFormat::json:
            return describe_json(e).dump(2) + '\n';
        case DescribeFormat::markdown:
            return describe_markdown(e);
        case DescribeFormat::text:
            break;
    }
    return describe_text(e);
}

}  // namespace

UnknownTypeError::UnknownTypeError(const std::string& message, std::string s)
    : std::invalid_argument(message), suggestion(std::move(s)) {}

std::string Session::describe(const std::string& type, DescribeFormat format) const {
    std::string out;
    for (const auto* e : entries_of(impl_->base(), type)) out += formatted(*e, format);
    return out;
}

nlohmann::ordered_json Session::describe_json(const std::string& type) const {
    auto arr = nlohmann::ordered_json::array();
    for (const auto* e : entries_of(impl_->base(), type)) arr.push_back(racesim::describe_json(*e));
    return arr;
}

std::string Session::describe_all(DescribeFormat format) const {
    const Registry& reg = impl_->base();
    std::vector<const PluginEntry*> all;
    for (const auto& e : reg.entries()) all.push_back(&e);
    std::sort(all.begin(), all.end(), [](const PluginEntry* a, const PluginEntry* b) {
        return std::pair(static_cast<int>(a->descriptor.kind), a->descriptor.type) <
               std::pair(static_cast<int>(b->descriptor.kind), b->descriptor.type);
    });
    if (format == DescribeFormat::json) {
        auto arr = nlohmann::ordered_json::array();
        for (const auto* e : all) {
            auto j = racesim::describe_json(*e);
            j.erase("library");  // machine-specific
            arr.push_back(j);
        }
        return arr.dump(2) + '\n';
    }
    std::string out;
    if (format == DescribeFormat::markdown)
        out += std::string(
                   "# Plugin reference\n\nGenerated by `racesim describe --all --format markdown` from the "
                   "plugins' own parameter declarations (racesim ") +
               plugin::racesim_version + ", plugin API " + std::to_string(plugin::api_version) +
               "); do not edit. Units: t in yr, E in PFLOP/yr/MW, P in MW, C in PFLOP, L in nats/token. "
               "The models themselves are described in [../plugins.md](../plugins.md).\n";
    for (const auto* e : all) {
        if (format == DescribeFormat::markdown) out += '\n';
        out += formatted(*e, format);
    }
    return out;
}

nlohmann::ordered_json Session::config_json_schema() const {
    return racesim::config_json_schema(impl_->base(), builtin_analyses());
}

std::string describe_config_keys(DescribeFormat format) {
    switch (format) {
        case DescribeFormat::json:
            return describe_config_keys_json(builtin_analyses()).dump(2) + '\n';
        case DescribeFormat::markdown:
            return describe_config_keys_markdown(builtin_analyses());
        case DescribeFormat::text:
            break;
    }
    return describe_config_keys_text(builtin_analyses());
}

std::string version() {
    return plugin::racesim_version;
}

int plugin_api_version() {
    return plugin::api_version;
}

Comparison compare_results(const fs::path& dir, const std::string& a, const std::string& b) {
    const Series sa = read_series(dir, a);
    const Series sb = read_series(dir, b);
    return compare(sa, sb);
}

}  // namespace racesim
