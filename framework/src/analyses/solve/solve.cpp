// `solve:`, goal seek. The function whose root is sought is g(p) = ln C(at; p) - ln C_target(p):
// it is continuous in p wherever the models are, needs a simulation only up to `at` (not to the
// horizon), and is defined whether or not the target is ever reached. C never decreases (rates
// are >= 0), so g(p) = 0 means the target is reached at `at` at the latest. An analysis module:
// its keys, its block's reading, the goal seek before the scenario runs (the scenario then runs
// at the value found), its row of solve.csv and its object in summary.json.
#include "racesim/analyses/solve.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/math/tools/toms748_solve.hpp>
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "racesim/config/block_reader.hpp"
#include "racesim/config/scenario.hpp"
#include "racesim/model/model.hpp"
#include "racesim/plugin/math.hpp"
#include "racesim/run/runner.hpp"

namespace racesim {

using plugin::Bound;
using plugin::ParamType;
using plugin::math::format;

const KeyBlock& solve_target_keys() {
    static const KeyBlock b = [] {
        KeyBlock k("solve.target", "The target 'solve' aims at: give exactly one key.");
        k.add_real("loss").unit("nats/token").doc("A target loss L*.");
        k.add_real("relative").unit("1").doc("A target relative loss L*/L(C0).");
        return k;
    }();
    return b;
}

const KeyBlock& solve_keys() {
    static const KeyBlock b = [] {
        KeyBlock k("solve", "Goal seek: the value of one parameter at which a target is reached at time 'at'.");
        k.add_string("parameter").required().doc("The parameter path <block>.<parameter> to solve for; not swept.");
        k.add("bracket", ParamType::real, KeyShape::pair)
            .required()
            .unit(param_unit)
            .doc("[lo, hi] with lo < hi: the interval searched; both ends must be admissible values.");
        k.add_real("at").required().at_least(0).unit("yr").doc(
            "The time the target must be reached at; within the "
            "scenario's horizon.");
        k.add_block("target", solve_target_keys())
            .computed_default("the scenario's only target")
            .doc("The target to reach; needed when the scenario has not exactly one.");
        k.add_string("scale")
            .choices({"linear", "log"})
            .computed_default("log when lo > 0, else linear")
            .doc("How the bracket is searched; log needs lo > 0.");
        k.add_real("tolerance")
            .in_range(Bound{1e-15, true}, Bound{1e-2, true})
            .default_value(1e-12)
            .unit("1")
            .doc("Relative tolerance on the parameter.");
        return k;
    }();
    return b;
}

namespace {

struct Outcome {
    double g = 0;
    std::string error;  ///< set when the scenario cannot be built or the target not expressed
};

Outcome evaluate(const ModelBuilder& models, const Experiment& ex, const ScenarioSpec& sc, const SolveSpec& s,
                 double p) {
    Assignment a{s.path, plugin::Value{p}, format(p), s.bracket_mark};
    try {
        const ScenarioInstance v = models.with_parameters(sc, {a}, sc.name, false);
        const Model& m = v.model;
        const double L = m.target_loss(v.spec->targets.at(s.target));
        std::string why;
        const auto log_C = m.loss->log_compute_for_loss(L, why);
        if (!log_C) return {0, "at " + s.path + " = " + format(p) + " the target cannot be expressed: " + why};
        return {m.log_C0 + log_ratio_at(ex, v, s.at) - *log_C, ""};
    } catch (const ConfigError& e) {
        const auto& d = e.diagnostics.errors();
        return {0, d.empty() ? e.what() : d.front().message};
    }
}

// clang-format off
const TableDef table_def{"solve", {
    {"scenario", "", "the scenario's name", CellKind::text},
    {"parameter", "", "the path solved for", CellKind::text},
    {"lo", "as configured", "the bracket's lower end"},
    {"hi", "as configured", "the bracket's upper end"},
    {"at", "yr", "the time at which the target is to be reached"},
    {"target", "", "the target's label", CellKind::text},
    {"found", "", "true or false", CellKind::word},
    {"value", "as configured", "the value that reaches the target at `at`; empty when none was found"},
    {"time_check", "yr", "time to the target of the scenario re-run at `value` (equals `at`)"},
    {"simulations", "", "simulations run", CellKind::integer},
    {"message", "", "why nothing was found", CellKind::text},
}, false, false};
// clang-format on

void render(const SolveResult& s, std::vector<Cell>& out) {
    out.emplace_back(s.scenario);
    out.emplace_back(s.spec.path);
    out.emplace_back(s.spec.lo);
    out.emplace_back(s.spec.hi);
    out.emplace_back(s.spec.at);
    out.emplace_back(s.target);
    out.emplace_back(std::string(s.found ? "true" : "false"));
    out.push_back(s.found ? Cell{s.value} : Cell{});
    out.push_back(number_cell(s.time));
    out.emplace_back(std::int64_t{s.evaluations});
    out.emplace_back(s.message);
}

using Rows = TypedRows<SolveResult>;

/// The goal seek of a scenario, in its result's tables.
const SolveResult* result_of(const ScenarioResult& r) {
    const auto* rows = rows_of<SolveResult>(r.tables);
    return rows && !rows->empty() ? &rows->front() : nullptr;
}

class Solve final : public Analysis {
public:
    [[nodiscard]] const std::string& key() const override { return key_; }
    [[nodiscard]] const KeyBlock& keys() const override { return solve_keys(); }
    [[nodiscard]] std::string key_doc() const override { return "Goal seek on one parameter."; }
    [[nodiscard]] std::vector<const TableDef*> tables() const override { return {&table_def}; }

    [[nodiscard]] std::shared_ptr<const AnalysisSpec> read(const BlockReader& r, const YAML::Node& n,
                                                           ScenarioSpec& base) const override {
        if (!r.expect(n, YAML::NodeType::Map, "a map for 'solve' ({parameter, bracket: [lo, hi], at: <yr>})"))
            return nullptr;
        const KeyBlock& sk = solve_keys();
        r.check_keys(n, sk, "'solve'");
        auto s = std::make_shared<SolveSpec>();
        s->kind = this;
        s->mark = r.mark(n);
        s->tolerance = declared_real(sk, "tolerance");
        bool ok = true;
        const YAML::Node par = n["parameter"], br = n["bracket"], at = n["at"], tg = n["target"], sc = n["scale"],
                         tol = n["tolerance"];
        for (const auto& key : sk.keys())
            if (key.param.required && !n[key.name()]) {
                auto& e = r.error(n, "'solve' needs '" + key.name() + "'");
                note(e, "solve is {parameter: <block.param>, bracket: [lo, hi], at: <yr>[, target: {loss: x}]}");
                ok = false;
            }
        if (par) {
            std::string why;
            if (!par.IsScalar()) {
                r.error(par, "expected a parameter path for solve.parameter, got " + describe_node(par));
                ok = false;
            } else if (!parse_parameter_path(base, par.Scalar(), why)) {
                r.error(par, why);
                ok = false;
            } else {
                s->path = par.Scalar();
                s->path_mark = r.mark(par);
            }
        }
        if (br) {
            if (!br.IsSequence() || br.size() != 2) {
                r.error(br, "expected [lo, hi] for solve.bracket, got " + describe_node(br));
                ok = false;
            } else {
                auto lo = r.real(br[0], "solve.bracket[0]"), hi = r.real(br[1], "solve.bracket[1]");
                if (!lo || !hi) {
                    ok = false;
                } else if (!(*lo < *hi)) {
                    r.error(br, "solve.bracket [" + br[0].Scalar() + ", " + br[1].Scalar() + "] must have lo < hi");
                    ok = false;
                } else {
                    s->lo = *lo;
                    s->hi = *hi;
                    s->bracket_mark = r.mark(br);
                    if (!s->path.empty())
                        for (int i = 0; i < 2; ++i)
                            if (auto why = check_parameter_value(base, s->path, plugin::Value{i ? *hi : *lo});
                                !why.empty()) {
                                r.error(br[i],
                                        "solve.bracket: " + s->path + " = " + br[i].Scalar() + " is refused: " + why);
                                ok = false;
                            }
                }
            }
        }
        if (at) {
            if (auto v = r.real(at, "solve.at")) {
                if (!sk.at("at").param.admits(*v) || *v > base.horizon) {
                    r.error(at, "solve.at = " + at.Scalar() + " yr lies outside [0, " + format(base.horizon) +
                                    "], the horizon of scenario '" + base.name + "'");
                    ok = false;
                }
                s->at = *v;
            } else {
                ok = false;
            }
        }
        if (tg) {
            // One key of solve.target's (every key of a map is a scalar: DuplicateKeyWalker).
            if (!tg.IsMap() || tg.size() != 1 || !solve_target_keys().find(tg.begin()->first.Scalar())) {
                r.error(tg, "expected {loss: <nats/token>} or {relative: <L/L(C0)>} for solve.target, got " +
                                describe_node(tg));
                ok = false;
            } else {
                const bool is_loss = tg.begin()->first.Scalar() == "loss";
                const YAML::Node v = is_loss ? tg["loss"] : tg["relative"];
                if (auto x = r.real(v, "solve.target")) {
                    const auto kind = is_loss ? TargetSpec::Kind::loss : TargetSpec::Kind::relative;
                    auto pos = std::find_if(base.targets.begin(), base.targets.end(),
                                            [&](const TargetSpec& t) { return t.kind == kind && t.value == *x; });
                    if (pos == base.targets.end()) {
                        base.targets.push_back(TargetSpec{kind, *x, r.mark(v)});
                        pos = base.targets.end() - 1;
                    }
                    s->target = static_cast<std::size_t>(pos - base.targets.begin());
                } else {
                    ok = false;
                }
            }
        } else if (base.targets.size() != 1) {
            auto& e = r.error(n, "scenario '" + base.name + "' has " + std::to_string(base.targets.size()) +
                                     " targets: say which one 'solve' aims at");
            note(e, "add 'target: {loss: <nats/token>}' or 'target: {relative: <L/L(C0)>}' to 'solve'");
            ok = false;
        }
        s->log_scale = s->lo > 0;
        if (sc) {
            const auto v = r.choice_key(sc, "solve.scale", sk.at("scale"));
            if (!v) {
                ok = false;
            } else if (*v == "log" && !(s->lo > 0)) {
                r.error(sc, "a log-scale solve needs a positive bracket");
                ok = false;
            } else {
                s->log_scale = *v == "log";
            }
        }
        if (tol) {
            if (auto v = r.real_key(tol, "solve.tolerance", sk.at("tolerance")))
                s->tolerance = *v;
            else
                ok = false;
        }
        if (!ok) return nullptr;
        return s;
    }

    void check(const AnalysisSpec& spec, const ScenarioSpec& sc, const Experiment&, Diagnostics& d) const override {
        const auto& s = dynamic_cast<const SolveSpec&>(spec);
        if (sc.sweep_plan)
            for (const auto& a : sc.sweep_plan->axes)
                if (a.path == s.path) {
                    auto& e = d.error(s.path_mark, "solve.parameter " + s.path + " is also swept");
                    note(e, "swept here", a.key_mark);
                }
        if (const auto* smp = find_analysis<SampleSpec>(sc)) {
            auto& e = d.error(smp->mark, "scenario '" + sc.name +
                                             "' has both 'sample' and 'solve': Monte Carlo runs one "
                                             "scenario's parameters");
            note(e, "put the solve in a scenario of its own", s.mark);
        }
    }

    [[nodiscard]] std::optional<ScenarioInstance> before_scenario(const AnalysisContext& ctx, const AnalysisSpec& spec,
                                                                  const ScenarioInstance& inst,
                                                                  std::any& state) const override {
        const auto& s = dynamic_cast<const SolveSpec&>(spec);
        SolveResult r = solve(ctx.models, ctx.experiment, *inst.spec, s);
        std::optional<ScenarioInstance> at;
        if (r.found) {  // the scenario runs at the value found
            const Assignment a{s.path, plugin::Value{r.value}, format(r.value), s.bracket_mark};
            const ScenarioSpec& from = *inst.spec;
            auto solved = std::make_shared<ScenarioSpec>(with_parameters(from, {a}, from.name, false));
            solved->analyses = from.analyses;
            Model m = ctx.models.build(*solved);
            const ScenarioSpec* p = solved.get();
            at = ScenarioInstance{p, std::move(solved), inst.declared, std::move(m)};
        }
        state = std::move(r);
        return at;
    }

    void after_scenario(const AnalysisContext&, const AnalysisSpec&, const ScenarioResult& base, const std::any& state,
                        TableSet& tables) const override {
        auto out = std::make_unique<Rows>(table_def, render);
        SolveResult r = std::any_cast<const SolveResult&>(state);
        if (r.found) r.time = base.targets.at(r.spec.target).time;
        r.scenario = base.spec->name;
        r.target = target_label(base.spec->targets.at(r.spec.target));
        out->rows.push_back(std::move(r));
        tables.push_back(std::move(out));
    }

    void summarize(const AnalysisSpec&, const ScenarioResult& res, nlohmann::ordered_json& o) const override {
        const SolveResult* s = result_of(res);
        if (!s) return;
        nlohmann::ordered_json j;
        j["parameter"] = s->spec.path;
        j["bracket"] = {s->spec.lo, s->spec.hi};
        j["at"] = s->spec.at;
        j["scale"] = s->spec.log_scale ? "log" : "linear";
        j["tolerance"] = s->spec.tolerance;
        j["found"] = s->found;
        j["value"] = s->found ? nlohmann::ordered_json(s->value) : nlohmann::ordered_json(nullptr);
        j["final_bracket"] = {s->lo, s->hi};
        j["g_at_bracket"] = {s->g_lo, s->g_hi};
        j["simulations"] = s->evaluations;
        j["time_check"] = s->time ? nlohmann::ordered_json(*s->time) : nlohmann::ordered_json(nullptr);
        if (!s->message.empty()) j["message"] = s->message;
        o["solve"] = std::move(j);
    }

    void console(const AnalysisSpec&, const ScenarioResult& res, std::string& out) const override {
        const SolveResult* v = result_of(res);
        if (!v) return;
        if (v->found)
            out += fmt::format("solve '{}': {} = {:.10g} reaches {} at t = {} yr (re-run: {} yr; {} simulations)\n",
                               printable(v->scenario), v->spec.path, v->value, v->target, v->spec.at,
                               v->time ? fmt::format("{:.6g}", *v->time) : std::string("not reached"), v->evaluations);
        else
            out += fmt::format("solve '{}': not found: {}\n", printable(v->scenario), v->message);
    }

    void count(const AnalysisSpec&, const ScenarioResult& res, SweepCounts& counts) const override {
        if (const SolveResult* v = result_of(res)) counts.add("solves_found", v->found ? 1 : 0);
    }

private:
    std::string key_ = "solve";
};

}  // namespace

SolveResult solve(const ModelBuilder& models, const Experiment& ex, const ScenarioSpec& sc, const SolveSpec& s) {
    SolveResult r;
    r.spec = s;
    r.lo = s.lo;
    r.hi = s.hi;
    const std::string target = target_label(sc.targets.at(s.target));

    // Work in x = ln p on a log scale, so a bracket over decades converges as fast as a narrow one.
    auto to_p = [&](double x) { return s.log_scale ? std::exp(x) : x; };
    std::string failure;
    auto g = [&](double x) {
        const double p = to_p(x);
        ++r.evaluations;
        const Outcome o = evaluate(models, ex, sc, s, p);
        if (!o.error.empty() && failure.empty()) failure = o.error;
        if (!o.error.empty()) throw std::domain_error(o.error);
        return o.g;
    };
    const double x_lo = s.log_scale ? std::log(s.lo) : s.lo, x_hi = s.log_scale ? std::log(s.hi) : s.hi;
    try {
        r.g_lo = g(x_lo);
        r.g_hi = g(x_hi);
    } catch (const std::domain_error&) {
        r.message = failure;
        return r;
    }
    if (r.g_lo == 0 || r.g_hi == 0) {
        r.found = true;
        r.value = r.g_lo == 0 ? s.lo : s.hi;
        return r;
    }
    if ((r.g_lo > 0) == (r.g_hi > 0)) {
        r.message = "no value of " + s.path + " in [" + format(s.lo) + ", " + format(s.hi) + "] reaches " + target +
                    " at t = " + format(s.at) + " yr: ln(C/C_target) at t = " + format(s.at) + " is " + format(r.g_lo) +
                    " at " + format(s.lo) + " and " + format(r.g_hi) + " at " + format(s.hi) +
                    (r.g_lo > 0 ? " (both ends reach it earlier)" : " (neither end reaches it by then)");
        return r;
    }
    const double tol = s.tolerance;
    auto done = [&](double a, double b) {
        return std::abs(to_p(b) - to_p(a)) <= tol * std::max(std::abs(to_p(a)), std::abs(to_p(b)));
    };
    std::uintmax_t iters = 200;
    try {
        const auto [a, b] = boost::math::tools::toms748_solve(g, x_lo, x_hi, r.g_lo, r.g_hi, done, iters);
        r.lo = to_p(a);
        r.hi = to_p(b);
        r.value = to_p(a + (b - a) / 2);
        r.found = true;
        if (iters >= 200 && !done(a, b)) {
            r.found = false;
            r.message =
                "goal seek did not converge in 200 simulations (bracket [" + format(r.lo) + ", " + format(r.hi) + "])";
        }
    } catch (const std::domain_error&) {
        r.message = failure;
    }
    return r;
}

SolveResult solve(const ModelBuilder& models, const Experiment& ex, const ScenarioSpec& sc) {
    const SolveSpec* s = find_analysis<SolveSpec>(sc);
    if (!s) throw std::invalid_argument("racesim::solve: scenario '" + sc.name + "' has no solve: block");
    return solve(models, ex, sc, *s);
}

const Analysis& solve_analysis() {
    static const Solve module;
    return module;
}

}  // namespace racesim
