// `sample:`, Monte Carlo over a scenario's parameters. An analysis module: its keys, the reading
// of its block (the distributions, their rank correlations, dates, bands and conditions), its
// checks against the experiment (the limits on samples, no sweep or goal seek in the same
// scenario) and its run after every scenario of the experiment (montecarlo.cpp).
#include "racesim/analyses/sample.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

#include "racesim/analyses/compare.hpp"
#include "racesim/config/block_reader.hpp"
#include "racesim/config/scenario.hpp"
#include "racesim/plugin/math.hpp"
#include "racesim/run/runner.hpp"
#include "racesim/run/sink.hpp"

namespace racesim {

using plugin::Bound;
using plugin::ParamType;

const KeyBlock& distribution_keys() {
    static const KeyBlock b = [] {
        KeyBlock k("distribution", "The distribution of one sampled parameter; 'dist' decides which keys apply.");
        k.selector("dist");
        k.add_string("dist")
            .required()
            .choices({"fixed", "uniform", "normal", "lognormal", "loguniform", "choice"})
            .doc("The kind of distribution.");
        k.add_real("min").unit(param_unit).doc("Clips draws from below.");
        k.add_real("max").unit(param_unit).doc("Clips draws from above; > min.");
        k.add_real("value").required().unit(param_unit).when({"fixed"}).doc("The value.");
        k.add_real("low")
            .unit(param_unit)
            .when({"uniform", "loguniform"})
            .doc("Lower end (> 0 for loguniform); needed unless ci80 or ci90 is given.");
        k.add_real("high")
            .unit(param_unit)
            .when({"uniform", "loguniform"})
            .doc("Upper end, > low; needed unless ci80 or ci90 is given.");
        k.add_real("mean").unit(param_unit).when({"normal"}).doc("Mean; needed unless ci80 or ci90 is given.");
        k.add_real("sd")
            .positive()
            .unit(param_unit)
            .when({"normal"})
            .doc("Standard deviation; needed unless ci80 or ci90 is given.");
        k.add_real("mu").unit("1").when({"lognormal"}).doc("Mean of ln X; needed unless ci80 or ci90 is given.");
        k.add_real("sigma")
            .positive()
            .unit("1")
            .when({"lognormal"})
            .doc("Standard deviation of ln X; needed unless ci80 or ci90 is given.");
        k.add("ci80", ParamType::real, KeyShape::pair)
            .unit(param_unit)
            .when({"uniform", "normal", "lognormal", "loguniform"})
            .doc("[lo, hi]: the central interval holding 80 % of the draws; instead of the two parameters.");
        k.add("ci90", ParamType::real, KeyShape::pair)
            .unit(param_unit)
            .when({"uniform", "normal", "lognormal", "loguniform"})
            .doc("[lo, hi]: the central interval holding 90 % of the draws; instead of the two parameters.");
        k.add_list("values", ParamType::real)
            .required()
            .min_items(1)
            .unit(param_unit)
            .when({"choice"})
            .doc("The values to choose from.");
        k.add_list("p", ParamType::real)
            .in_range(Bound{0, true}, Bound{1, true})
            .unit("1")
            .computed_default("equal probabilities")
            .when({"choice"})
            .doc("One probability per value, adding up to 1.");
        return k;
    }();
    return b;
}

const KeyBlock& condition_keys() {
    static const KeyBlock b = [] {
        KeyBlock k("condition", "A condition on the samples: an item of sample.conditions.");
        k.add_string("target").required().doc(
            "A target of the scenario, by its label as in samples.csv: 'R=0.68' or 'loss=0.7'.");
        k.add_real("by").required().at_least(0).unit("yr").doc(
            "The samples that reach the target by this time (within the horizon) meet the condition; a "
            "calendar year (start_year + t) when the scenario has a start_year.");
        return k;
    }();
    return b;
}

const KeyBlock& sample_keys() {
    static const KeyBlock b = [] {
        KeyBlock k("sample", "Monte Carlo over this scenario's parameters; not with 'sweep' or 'solve'.");
        k.add_integer("n").required().at_least(1).unit("samples").doc("The number of samples.");
        k.add_integer("seed")
            .at_least(0)
            .default_value(std::int64_t{1})
            .unit("1")
            .doc("The seed: a draw depends only on (seed, sample index).");
        k.add_block("parameters", distribution_keys(), KeyShape::block_map)
            .required()
            .min_items(1)
            .doc("Parameter paths <block>.<parameter> and their distributions.");
        k.add_tuples("correlations", {"path", "path", "rank correlation"},
                     {ParamType::string, ParamType::string, ParamType::real})
            .in_range(Bound{-1, false}, Bound{1, false})
            .unit("1")
            .doc("Spearman rank correlations between sampled parameters (a Gaussian copula).");
        k.add_list("dates", ParamType::real)
            .at_least(0)
            .unit("yr")
            .doc(
                "Times at which to report P(target reached), within the scenario's horizon; calendar years "
                "(start_year + t) when the scenario has a start_year.");
        k.add_list("bands", ParamType::real)
            .in_range(Bound{0, false}, Bound{100, false})
            .unit("%")
            .doc(
                "Percentiles of C, L and R to record at each output time, in bands.csv (a fan chart), "
                "e.g. [5, 25, 50, 75, 95]; exact (every sample's trajectory is kept: 24 bytes per sample "
                "and output time).");
        k.add_block("conditions", condition_keys(), KeyShape::block_list)
            .doc(
                "Conditional forecasts: for each condition, the share of samples that meet it and the "
                "distributions of the inputs and of the targets' times over those samples (conditional.csv).");
        return k;
    }();
    return b;
}

namespace {

/// A sample date written as a calendar year (with start_year): its time t = year - start_year.
/// (Exact for any two years within a factor 2 of each other, Sterbenz: start_year + t gives the
/// year back, so summary.json's dates are the years as written.)
double time_of_date(double year, double start_year) {
    return year - start_year;
}

/// The dates a sample may ask for: [0, horizon], or in calendar years with start_year.
std::string dates_range(const ScenarioSpec& sc) {
    const double a = sc.start_year.value_or(0);
    return fmt::format("[{}, {}]", plugin::math::format(a), plugin::math::format(a + sc.horizon));
}

std::optional<Distribution> read_distribution(const BlockReader& r, const std::string& path, const YAML::Node& n) {
    if (!r.expect(n, YAML::NodeType::Map, "a distribution for " + path + " (e.g. {dist: normal, mean: 1, sd: 0.1})"))
        return std::nullopt;
    const KeyBlock& dk = distribution_keys();
    const std::vector<std::string>& kinds = dk.at("dist").param.choices;  // in the order of Distribution::Kind
    Distribution d;
    d.mark = r.mark(n);
    const YAML::Node k = n["dist"];
    if (!k) {
        auto& e = r.error(n, "the distribution of " + path + " has no 'dist'");
        note(e, "dist is one of: " + join(kinds));
        return std::nullopt;
    }
    const std::string kind = k.IsScalar() ? k.Scalar() : "";
    const auto pos = std::find(kinds.begin(), kinds.end(), kind);
    if (pos == kinds.end()) {
        auto& e = r.error(k, "unknown distribution '" + kind + "' for " + path);
        if (auto s = suggest(kind, kinds); !s.empty()) note(e, "did you mean '" + s + "'?");
        note(e, "dist is one of: " + join(kinds));
        return std::nullopt;
    }
    d.kind = static_cast<Distribution::Kind>(pos - kinds.begin());
    const std::size_t before = r.diagnostics().count();
    r.check_keys(n, dk.names_when(kind), "a " + kind + " distribution");
    if (r.diagnostics().count() != before) return std::nullopt;
    const std::string what = path + " (" + kind + ")";
    auto need = [&](const char* key) -> std::optional<double> {
        const YAML::Node v = n[key];
        if (!v) {
            r.error(n, "the " + kind + " distribution of " + path + " needs '" + key + "'");
            return std::nullopt;
        }
        return r.real(v, what + "." + key);
    };
    const bool positive = d.kind == Distribution::Kind::lognormal || d.kind == Distribution::Kind::loguniform;
    if (d.kind == Distribution::Kind::fixed) {
        auto v = need("value");
        if (!v) return std::nullopt;
        d.a = *v;
    } else if (d.kind == Distribution::Kind::choice) {
        const YAML::Node vs = n["values"];
        if (!vs || !vs.IsSequence() || vs.size() == 0) {
            r.error(vs ? vs : n, "a choice distribution of " + path + " needs 'values': a non-empty list");
            return std::nullopt;
        }
        for (const auto& v : vs) {
            auto x = r.real(v, what + ".values");
            if (!x) return std::nullopt;
            d.values.push_back(*x);
        }
        std::vector<double> p(d.values.size(), 1.0 / static_cast<double>(d.values.size()));
        if (const YAML::Node ps = n["p"]) {
            if (!ps.IsSequence() || ps.size() != vs.size()) {
                r.error(ps, "'p' of " + path + " needs one probability per value (" + std::to_string(vs.size()) + ")");
                return std::nullopt;
            }
            double sum = 0;
            for (std::size_t i = 0; i < ps.size(); ++i) {
                auto x = r.real_key(ps[i], what + ".p", dk.at("p"));
                if (!x) return std::nullopt;
                p[i] = *x;
                sum += *x;
            }
            if (std::abs(sum - 1) > 1e-9) {
                r.error(ps, "the probabilities 'p' of " + path + " add up to " + plugin::math::format(sum) + ", not 1");
                return std::nullopt;
            }
        }
        double c = 0;
        for (double x : p) d.cdf.push_back(c += x);
        d.cdf.back() = 1;
    } else {
        const char* ci = n["ci80"] ? "ci80" : (n["ci90"] ? "ci90" : nullptr);
        const char* k1 = d.kind == Distribution::Kind::normal      ? "mean"
                         : d.kind == Distribution::Kind::lognormal ? "mu"
                                                                   : "low";
        const char* k2 = d.kind == Distribution::Kind::normal      ? "sd"
                         : d.kind == Distribution::Kind::lognormal ? "sigma"
                                                                   : "high";
        if (ci && (n[k1] || n[k2])) {
            r.error(n[ci],
                    "give either '" + std::string(ci) + "' or '" + k1 + "'/'" + k2 + "' for " + path + ", not both");
            return std::nullopt;
        }
        double lo = 0, hi = 0;
        if (ci) {
            const YAML::Node iv = n[ci];
            if (!iv.IsSequence() || iv.size() != 2) {
                r.error(iv, "expected [lo, hi] for " + std::string(ci) + " of " + path + ", got " + describe_node(iv));
                return std::nullopt;
            }
            auto l = r.real(iv[0], what + "." + ci), h = r.real(iv[1], what + "." + ci);
            if (!l || !h) return std::nullopt;
            if (!(*l < *h) || (positive && !(*l > 0))) {
                r.error(iv, std::string(ci) + " [" + iv[0].Scalar() + ", " + iv[1].Scalar() + "] of " + path +
                                " must have lo < hi" + (positive ? " and lo > 0" : ""));
                return std::nullopt;
            }
            lo = *l;
            hi = *h;
            // The central interval holding 80 % (90 %) of the probability: quantiles q and 1 - q.
            const double q = std::string(ci) == "ci80" ? 0.9 : 0.95, z = normal_quantile(q);
            const double L = positive ? std::log(lo) : lo, H = positive ? std::log(hi) : hi;
            if (d.kind == Distribution::Kind::normal || d.kind == Distribution::Kind::lognormal) {
                d.a = (L + H) / 2;
                d.b = (H - L) / (2 * z);
            } else {
                const double w = (H - L) / (2 * q - 1);
                d.a = L - (1 - q) * w;
                d.b = H + (1 - q) * w;
                if (positive) {
                    d.a = std::exp(d.a);
                    d.b = std::exp(d.b);
                }
            }
        } else {
            auto x = need(k1), y = need(k2);
            if (!x || !y) return std::nullopt;
            d.a = *x;
            d.b = *y;
            const bool scale = d.kind == Distribution::Kind::normal || d.kind == Distribution::Kind::lognormal;
            if (scale && !dk.at(k2).param.admits(d.b)) {
                r.error(n[k2], std::string(k2) + " of " + path + " must be > 0");
                return std::nullopt;
            }
            if (!scale && (!(d.a < d.b) || (positive && !(d.a > 0)))) {
                r.error(n, std::string("low < high") + (positive ? " and low > 0" : "") + " is needed for " + path +
                               " (got " + plugin::math::format(d.a) + ", " + plugin::math::format(d.b) + ")");
                return std::nullopt;
            }
        }
    }
    for (const char* c : {"min", "max"})
        if (const YAML::Node v = n[c]) {
            auto x = r.real(v, what + "." + c);
            if (!x) return std::nullopt;
            (std::string(c) == "min" ? d.min : d.max) = *x;
        }
    if (d.min && d.max && !(*d.min < *d.max)) {
        r.error(n["max"], "max must be greater than min for " + path);
        return std::nullopt;
    }
    return d;
}

class Sample final : public Analysis {
public:
    [[nodiscard]] const std::string& key() const override { return key_; }
    [[nodiscard]] const KeyBlock& keys() const override { return sample_keys(); }
    [[nodiscard]] std::string key_doc() const override { return "Monte Carlo over parameters."; }
    [[nodiscard]] std::vector<const TableDef*> tables() const override { return {}; }

    [[nodiscard]] std::shared_ptr<const AnalysisSpec> read(const BlockReader& r, const YAML::Node& n,
                                                           ScenarioSpec& base) const override {
        if (!r.expect(n, YAML::NodeType::Map, "a map for 'sample' ({n, seed, parameters: {...}})")) return nullptr;
        const KeyBlock& sk = sample_keys();
        r.check_keys(n, sk, "'sample'");
        auto sp = std::make_shared<SampleSpec>();
        SampleSpec& s = *sp;
        s.kind = this;
        s.mark = r.mark(n);
        s.seed = static_cast<std::uint64_t>(declared_integer(sk, "seed"));
        bool ok = true;
        if (const YAML::Node v = n["n"]; !v) {
            r.error(n, "'sample' needs 'n', the number of samples");
            ok = false;
        } else {
            const auto count = r.integer_key(v, "sample.n", sk.at("n"));
            if (!count) {
                ok = false;
            } else {
                s.n = static_cast<std::size_t>(*count);  // at most the limit: check()
                s.n_mark = r.mark(v);
            }
        }
        if (const YAML::Node v = n["seed"]) {
            std::uint64_t seed = 0;
            const std::string t = v.IsScalar() ? v.Scalar() : "";
            const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), seed);
            if (t.empty() || ec != std::errc() || p != t.data() + t.size()) {
                // Read as an unsigned 64-bit integer (seeds above 2^63 are fine).
                r.error(v, "expected a " + std::string(BlockReader::integer_kind(sk.at("seed"))) +
                               " integer for sample.seed, got " + describe_node(v));
                ok = false;
            } else {
                s.seed = seed;
            }
        }
        const YAML::Node ps = n["parameters"];
        if (!ps || !ps.IsMap() || ps.size() == 0) {
            auto& e = r.error(ps ? ps : n, "'sample' needs 'parameters': a map of paths to distributions");
            note(e, "e.g. parameters: {efficiency.gamma: {dist: lognormal, ci80: [0.5, 3]}}");
            return nullptr;
        }
        for (auto it = ps.begin(); it != ps.end(); ++it) {
            const std::string path = it->first.Scalar();
            std::string why;
            if (!parse_parameter_path(base, path, why)) {
                r.error(it->first, why);
                ok = false;
                continue;
            }
            auto d = read_distribution(r, path, it->second);
            if (!d) {
                ok = false;
                continue;
            }
            // Every value a draw can take must be admissible, from the smallest to the largest (the
            // quantiles at the extreme probabilities the sampler produces).
            for (const double end : {d->lowest(), d->highest()}) {
                if (!std::isfinite(end)) {
                    auto& e = r.error(it->second, "draws of " + path + " from " + d->describe() + " reach " +
                                                      (end < 0 ? "-inf" : "+inf") + ": beyond the range of a double");
                    note(e, "clip the draws with 'min:'/'max:' or choose a narrower distribution");
                    ok = false;
                    break;
                }
                if (auto bad = check_parameter_value(base, path, plugin::Value{end}); !bad.empty()) {
                    auto& e = r.error(it->second, "draws of " + path + " from " + d->describe() + " reach " +
                                                      plugin::math::format(end) + ", which is refused: " + bad);
                    note(e, "clip the draws with 'min:'/'max:' or choose a distribution inside the range");
                    ok = false;
                    break;
                }
            }
            s.paths.push_back(path);
            s.dists.push_back(*d);
        }
        const std::size_t dim = s.paths.size();
        if (const YAML::Node cs = n["correlations"]; cs && ok) {
            if (!r.expect(cs, YAML::NodeType::Sequence,
                          "a list of [path, path, rank correlation] for sample.correlations"))
                return nullptr;
            s.rank_correlation.assign(dim * dim, 0.0);
            for (std::size_t i = 0; i < dim; ++i) s.rank_correlation[i * dim + i] = 1;
            std::map<std::pair<std::size_t, std::size_t>, YAML::Node> given;  // each pair once, in either order
            for (const auto& c : cs) {
                if (!c.IsSequence() || c.size() != 3) {
                    r.error(c, "expected [path, path, rank correlation], got " + describe_node(c));
                    ok = false;
                    continue;
                }
                std::size_t idx[2] = {dim, dim};
                for (int k = 0; k < 2; ++k) {
                    const std::string p = c[k].IsScalar() ? c[k].Scalar() : "";
                    const auto f = std::find(s.paths.begin(), s.paths.end(), p);
                    if (f == s.paths.end()) {
                        auto& e = r.error(c[k], "'" + p + "' is not a sampled parameter");
                        if (auto sg = suggest(p, s.paths); !sg.empty()) note(e, "did you mean '" + sg + "'?");
                        note(e, "sampled: " + join(s.paths));
                        ok = false;
                    } else {
                        idx[k] = static_cast<std::size_t>(f - s.paths.begin());
                    }
                }
                auto rho = r.real_key(c[2], "a rank correlation", sk.at("correlations"));
                if (!rho || idx[0] == dim || idx[1] == dim) {
                    ok = false;
                    continue;
                }
                if (idx[0] == idx[1]) {
                    r.error(c, "a parameter correlated with itself");
                    ok = false;
                    continue;
                }
                const auto pair = std::minmax(idx[0], idx[1]);
                if (auto first = given.find(pair); first != given.end()) {
                    auto& e = r.error(c, "the correlation of " + s.paths[pair.first] + " and " + s.paths[pair.second] +
                                             " is given twice");
                    note(e, "first given here, as " + first->second[2].Scalar() + "; give each pair once",
                         r.mark(first->second));
                    ok = false;
                    continue;
                }
                given.emplace(pair, c);
                s.rank_correlation[idx[0] * dim + idx[1]] = s.rank_correlation[idx[1] * dim + idx[0]] = *rho;
            }
            if (ok) {
                std::vector<double> pearson(s.rank_correlation);
                for (std::size_t i = 0; i < dim; ++i)
                    for (std::size_t j = 0; j < dim; ++j)
                        if (i != j) pearson[i * dim + j] = copula_correlation(s.rank_correlation[i * dim + j]);
                if (auto l = cholesky(pearson, dim)) {
                    s.cholesky = *l;
                } else {
                    r.error(cs,
                            "the correlations of 'sample' are inconsistent: the correlation matrix is not "
                            "positive definite");
                    ok = false;
                }
            }
        }
        if (const YAML::Node ds = n["dates"]) {
            if (!r.expect(ds, YAML::NodeType::Sequence, "a list of times (yr) for sample.dates")) return nullptr;
            for (const auto& t : ds) {
                auto x = r.real(t, "sample.dates");
                if (x && base.start_year) x = time_of_date(*x, *base.start_year);  // calendar years
                if (!x) {
                    ok = false;
                } else if (!sk.at("dates").param.admits(*x) || *x > base.horizon) {
                    auto& e = r.error(t, "sample date " + t.Scalar() + " lies outside " + dates_range(base));
                    if (base.start_year)
                        note(e, "with start_year set, sample dates are calendar years (t = date - start_year)");
                    ok = false;
                } else {
                    s.dates.push_back(*x);
                }
            }
        }
        if (const YAML::Node bs = n["bands"]) {
            if (!r.expect(bs, YAML::NodeType::Sequence,
                          "a list of percentiles for sample.bands, e.g. [5, 25, 50, 75, 95]"))
                return nullptr;
            for (const auto& b : bs) {
                auto x = r.real(b, "sample.bands");
                if (!x) {
                    ok = false;
                } else if (!sk.at("bands").param.admits(*x)) {
                    r.error(b, "sample.bands: percentile " + b.Scalar() +
                                   " lies outside (0, 100); write percentiles, e.g. [5, 25, 50, 75, 95]");
                    ok = false;
                } else if (std::find(s.bands.begin(), s.bands.end(), *x) != s.bands.end()) {
                    r.error(b, "sample.bands: percentile " + b.Scalar() + " is listed twice");
                    ok = false;
                } else {
                    s.bands.push_back(*x);
                }
            }
            std::sort(s.bands.begin(), s.bands.end());
        }
        if (const YAML::Node cs = n["conditions"]) {
            if (!r.expect(cs, YAML::NodeType::Sequence,
                          "a list of conditions for sample.conditions, e.g. [{target: R=0.68, by: 6}]"))
                return nullptr;
            const KeyBlock& ck = condition_keys();
            std::vector<std::string> labels;
            for (const auto& t : base.targets) labels.push_back(target_label(t));
            for (const auto& c : cs) {
                if (!r.expect(c, YAML::NodeType::Map, "a condition {target: <label>, by: <yr>} in sample.conditions")) {
                    ok = false;
                    continue;
                }
                r.check_keys(c, ck, "a condition");
                SampleSpec::Condition cond;
                cond.mark = r.mark(c);
                const YAML::Node target = c["target"], by = c["by"];
                if (!target || !by) {
                    r.error(c, "a condition needs 'target' (a target's label, e.g. 'R=0.68') and 'by' (yr)");
                    ok = false;
                    continue;
                }
                if (!target.IsScalar()) {
                    r.error(target, "expected a target's label for condition.target, got " + describe_node(target));
                    ok = false;
                } else if (auto it = std::find(labels.begin(), labels.end(), target.Scalar()); it == labels.end()) {
                    auto& e = r.error(target, "condition.target: the scenario has no target '" + target.Scalar() + "'");
                    if (auto sug = suggest(target.Scalar(), labels); !sug.empty())
                        note(e, "did you mean '" + sug + "'?");
                    note(e, "its targets: " + join(labels));
                    ok = false;
                } else {
                    cond.target = static_cast<std::size_t>(it - labels.begin());
                }
                if (auto x =
                        base.start_year ? r.real(by, "condition.by") : r.real_key(by, "condition.by", ck.at("by"))) {
                    if (base.start_year) x = time_of_date(*x, *base.start_year);  // calendar years
                    if (*x < 0 || *x > base.horizon) {
                        auto& e = r.error(by, "condition.by = " + by.Scalar() +
                                                  " lies outside the scenario's time span " + dates_range(base));
                        if (base.start_year)
                            note(e, "with start_year set, condition.by is a calendar year (t = date - start_year)");
                        ok = false;
                    }
                    cond.by = *x;
                } else {
                    ok = false;
                }
                s.conditions.push_back(cond);
            }
        }
        if (!ok) return nullptr;
        return sp;
    }

    void check(const AnalysisSpec& spec, const ScenarioSpec& sc, const Experiment& ex, Diagnostics& d) const override {
        const auto& s = dynamic_cast<const SampleSpec&>(spec);
        if (sc.sweep_plan) {
            auto& e =
                d.error(s.mark, "scenario '" + sc.name +
                                    "' has both 'sample' and 'sweep': Monte Carlo runs one scenario's parameters");
            note(e, "put the sweep in a scenario of its own", sc.sweep_plan->mark);
            return;
        }
        const std::size_t limit = ex.limits.max_samples;
        const std::string lift = "--max-samples N lifts the limit (the run keeps 8 bytes per sample and target)";
        if (s.n > limit) {
            auto& e = d.error(s.n_mark, "sample.n = " + std::to_string(s.n) + " exceeds the limit of " +
                                            std::to_string(limit) + " samples");
            note(e, lift);
            return;
        }
        // The samples of the experiment up to this scenario's, in the order they are declared.
        std::size_t total = 0;
        for (const auto& other : ex.scenarios) {
            if (const auto* o = find_analysis<SampleSpec>(other); o && o->n <= limit) total += o->n;
            if (&other == &sc) break;
        }
        if (total > limit)
            note(d.error(s.n_mark, "the experiment asks for " + std::to_string(total) +
                                       " Monte Carlo samples; at most " + std::to_string(limit) + " are allowed"),
                 lift);
    }

    void after_scenario(const AnalysisContext&, const AnalysisSpec&, const ScenarioResult&, const std::any&,
                        TableSet&) const override {}

    [[nodiscard]] std::size_t units_after_run(const AnalysisSpec& spec, const ScenarioSpec&) const override {
        const auto& s = dynamic_cast<const SampleSpec&>(spec);
        return s.n * (s.bands.empty() ? 1 : 2);  // bands: each sample again, for its trajectory
    }

    void after_run(const AfterRunContext& ctx, const AnalysisSpec&, const ScenarioSpec& sc) const override {
        // A sampled scenario paired with another keeps its samples' times for the comparison (one
        // double per sample and target).
        const bool keep_times = samples_compared(ctx.experiment, sc);
        hand_over(ctx, monte_carlo(ctx.models, ctx.experiment, sc, ctx.sink, ctx.tick, keep_times));
    }

    void after_run_part(const AfterRunContext& ctx, const AnalysisSpec&, const ScenarioSpec& sc, std::size_t unit0,
                        std::size_t first, std::size_t last, JournalWriter& out) const override {
        monte_carlo_part(ctx.models, ctx.experiment, sc, unit0, first, last, out, ctx.tick);
    }

    void after_run_replay(const AfterRunContext& ctx, const AnalysisSpec&, const ScenarioSpec& sc, std::size_t unit0,
                          JournalReader& in) const override {
        const bool keep_times = samples_compared(ctx.experiment, sc);
        hand_over(ctx, monte_carlo_replay(ctx.experiment, sc, unit0, in, ctx.sink, keep_times));
    }

private:
    /// A finished Monte Carlo run to the sink and the run's summary.
    static void hand_over(const AfterRunContext& ctx, MonteCarloResult mc) {
        std::vector<std::vector<double>> times = std::move(mc.times);
        mc.times.clear();
        ctx.sink.monte_carlo(mc);
        mc.tables.clear();            // handed over: the sink keeps what it needs
        mc.times = std::move(times);  // for the comparisons (empty unless kept); the runner frees them
        ctx.summary.monte_carlo.push_back(std::move(mc));
    }

    std::string key_ = "sample";
};

}  // namespace

const Analysis& sample_analysis() {
    static const Sample module;
    return module;
}

}  // namespace racesim
