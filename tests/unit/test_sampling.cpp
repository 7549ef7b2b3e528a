// Monte Carlo sampling: distributions, interval parametrisations, the Gaussian copula,
// reproducibility, and the statistics of the results. Statistical checks use a fixed seed and
// bounds of several standard errors, stated at each check.
#include <tbb/global_control.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <numeric>
#include <sstream>

#include "racesim/analyses/sample.hpp"
#include "racesim/config/loader.hpp"
#include "racesim/config/sample.hpp"
#include "racesim/run/runner.hpp"
#include "support.hpp"

using namespace racesim;
using racesim::test::load;
using racesim::test::messages;
using racesim::test::models;
using racesim::test::registry;

namespace {

std::string config(const std::string& sample) {
    return R"(racesim: 1
horizon: 40
defaults:
  efficiency: {type: continuous-doubling, E0: 1, gamma: 2}
  power: {type: mean-field, P0: 1}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
  targets: {relative: [0.68]}
scenarios:
  - name: mc
    sample:
)" + sample;
}

/// The column j of the draws of samples 0..n-1.
std::vector<double> column(const SampleSpec& s, std::size_t n, std::size_t j) {
    std::vector<double> v;
    for (std::size_t i = 0; i < n; ++i) v.push_back(draw(s, i)[j]);
    return v;
}

double mean(const std::vector<double>& v) {
    return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

double sd(const std::vector<double>& v) {
    const double m = mean(v);
    double s = 0;
    for (double x : v) s += (x - m) * (x - m);
    return std::sqrt(s / static_cast<double>(v.size() - 1));
}

double quantile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

std::vector<double> ranks(const std::vector<double>& v) {
    std::vector<std::size_t> idx(v.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
    std::vector<double> r(v.size());
    for (std::size_t k = 0; k < idx.size(); ++k) r[idx[k]] = static_cast<double>(k);
    return r;
}

double pearson(const std::vector<double>& a, const std::vector<double>& b) {
    const double ma = mean(a), mb = mean(b);
    double sab = 0, saa = 0, sbb = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    return sab / std::sqrt(saa * sbb);
}

}  // namespace

TEST_CASE("sampling: ci80 and ci90 map to the parameters that put 80 % / 90 % inside") {
    Diagnostics d;
    auto ex = load(config(R"(      n: 10
      parameters:
        efficiency.gamma: {dist: lognormal, ci80: [0.5, 3]}
        loss.kappa: {dist: normal, ci90: [0.04, 0.056], min: 0.001}
        power.P0: {dist: uniform, ci80: [1, 2]}
        efficiency.E0: {dist: loguniform, ci90: [1, 100]}
)"),
                   d);
    REQUIRE(ex);
    const SampleSpec& s = *find_analysis<SampleSpec>(ex->scenarios[0]);
    // Each interval's ends are the distribution's 10 % / 90 % (5 % / 95 %) quantiles, to rounding.
    CHECK(s.dists[0].quantile(0.1) == Approx(0.5).epsilon(1e-12));
    CHECK(s.dists[0].quantile(0.9) == Approx(3).epsilon(1e-12));
    CHECK(s.dists[0].a == Approx(0.5 * (std::log(0.5) + std::log(3))).epsilon(1e-14));
    CHECK(s.dists[1].quantile(0.05) == Approx(0.04).epsilon(1e-12));
    CHECK(s.dists[1].quantile(0.95) == Approx(0.056).epsilon(1e-12));
    CHECK(s.dists[1].b == Approx(0.008 / 1.6448536269514722).epsilon(1e-12));
    CHECK(s.dists[2].quantile(0.1) == Approx(1).epsilon(1e-12));
    CHECK(s.dists[2].quantile(0.9) == Approx(2).epsilon(1e-12));
    CHECK(s.dists[2].a == Approx(0.875).epsilon(1e-12));  // w = 1/0.8 = 1.25: [1 - 0.125, 2 + 0.125]
    CHECK(s.dists[3].quantile(0.05) == Approx(1).epsilon(1e-12));
    CHECK(s.dists[3].quantile(0.95) == Approx(100).epsilon(1e-12));
    CHECK(s.seed == 1);  // the default, recorded in summary.json
}

TEST_CASE("sampling: moments and quantiles at a fixed seed within statistical bounds") {
    Diagnostics d;
    auto ex = load(config(R"(      n: 10
      seed: 12345
      parameters:
        loss.kappa: {dist: normal, mean: 0.048, sd: 0.005, min: 0.001}
        efficiency.gamma: {dist: uniform, low: 1, high: 3}
        power.P0: {dist: choice, values: [1, 2, 5], p: [0.2, 0.5, 0.3]}
        efficiency.E0: {dist: lognormal, mu: 0, sigma: 0.5}
)"),
                   d);
    REQUIRE(ex);
    const SampleSpec& s = *find_analysis<SampleSpec>(ex->scenarios[0]);
    const std::size_t n = 40000;
    // Normal (the clip at 0.001 lies 9 sd below the mean: no effect): the sample mean's standard
    // error is sd/sqrt(n) = 2.5e-5; allow 5 of them.
    const auto k = column(s, n, 0);
    CHECK(std::abs(mean(k) - 0.048) < 5 * 0.005 / std::sqrt(double(n)));
    CHECK(std::abs(sd(k) / 0.005 - 1) < 5 / std::sqrt(2.0 * n));  // se of sd ~ sd/sqrt(2n)
    // Uniform(1, 3): quartiles 1.5 and 2.5; a quantile's standard error is sqrt(p(1-p)/n)/f = 0.0043.
    const auto g = column(s, n, 1);
    CHECK(std::abs(quantile(g, 0.25) - 1.5) < 5 * 0.0044);
    CHECK(std::abs(quantile(g, 0.75) - 2.5) < 5 * 0.0044);
    CHECK(*std::min_element(g.begin(), g.end()) >= 1);
    CHECK(*std::max_element(g.begin(), g.end()) <= 3);
    // Choice: frequencies within 5 binomial standard errors.
    const auto c = column(s, n, 2);
    for (const auto& [v, p] : {std::pair{1.0, 0.2}, std::pair{2.0, 0.5}, std::pair{5.0, 0.3}}) {
        const double f = static_cast<double>(std::count(c.begin(), c.end(), v)) / double(n);
        CHECK(std::abs(f - p) < 5 * std::sqrt(p * (1 - p) / double(n)));
    }
    // Lognormal(0, 0.5): median 1; the median's se is 1.2533·sd(ln X)/sqrt(n) in log space.
    const auto e = column(s, n, 3);
    CHECK(std::abs(std::log(quantile(e, 0.5))) < 5 * 1.2533 * 0.5 / std::sqrt(double(n)));
}

TEST_CASE("sampling: the Gaussian copula gives the requested rank correlations") {
    Diagnostics d;
    auto ex = load(config(R"(      n: 10
      seed: 99
      parameters:
        efficiency.gamma: {dist: lognormal, ci80: [0.5, 3]}
        loss.kappa: {dist: uniform, low: 0.03, high: 0.06}
        power.P0: {dist: normal, mean: 10, sd: 1, min: 0.1}
      correlations:
        - [efficiency.gamma, loss.kappa, 0.6]
        - [efficiency.gamma, power.P0, -0.3]
)"),
                   d);
    REQUIRE(ex);
    const SampleSpec& s = *find_analysis<SampleSpec>(ex->scenarios[0]);
    const std::size_t n = 40000;
    const auto a = ranks(column(s, n, 0)), b = ranks(column(s, n, 1)), c = ranks(column(s, n, 2));
    // Spearman's rho = Pearson on ranks; its standard error is about (1 - rho^2)/sqrt(n) <= 0.005.
    CHECK(pearson(a, b) == Approx(0.6).margin(0.02));
    CHECK(pearson(a, c) == Approx(-0.3).margin(0.02));
    CHECK(pearson(b, c) == Approx(0).margin(0.02));  // not given: independent in the copula
}

TEST_CASE("sampling: draws depend only on (seed, index); results do not depend on the threads") {
    Diagnostics d;
    auto ex = load(config(R"(      n: 300
      seed: 5
      parameters:
        efficiency.gamma: {dist: lognormal, ci80: [0.5, 3]}
)"),
                   d);
    REQUIRE(ex);
    const SampleSpec& s = *find_analysis<SampleSpec>(ex->scenarios[0]);
    CHECK(draw(s, 17) == draw(s, 17));
    CHECK(draw(s, 17) != draw(s, 18));
    MonteCarloResult one, two;
    {
        tbb::global_control c(tbb::global_control::max_allowed_parallelism, 1);
        one = run_experiment(models(), *ex).monte_carlo.at(0);
    }
    {
        tbb::global_control c(tbb::global_control::max_allowed_parallelism, 2);
        two = run_experiment(models(), *ex).monte_carlo.at(0);
    }
    CHECK(one.draws == two.draws);
    CHECK(one.times == two.times);
    // Each sample's time is the closed form at its own gamma (relative-loss, tau = 0).
    for (std::size_t i = 0; i < 300; i += 37) {
        const double g = one.draws[i], X = std::pow(0.68, -1 / 0.048);
        const double exact = std::log1p(g * std::log(2.0) * (X - 1)) / (g * std::log(2.0));
        if (exact <= 40) {
            CHECK(one.times[0][i] == Approx(exact).epsilon(1e-8));
        } else {
            CHECK(std::isinf(one.times[0][i]));
        }
    }
}

TEST_CASE("sampling: statistics, with samples beyond the horizon") {
    Diagnostics d;
    auto ex = load(
        config("      n: 1\n      parameters: {efficiency.gamma: {dist: fixed, value: 1}}\n      dates: [1, 5]\n"), d);
    REQUIRE(ex);
    MonteCarloResult mc;
    mc.spec = &ex->scenarios[0];
    const double inf = std::numeric_limits<double>::infinity();
    mc.times = {{4, 1, 3, 2, inf, 5, 6, 7, 8, inf, 9}};  // 11 samples, 2 never reach the target
    const auto st = monte_carlo_stats(mc);
    REQUIRE(st.size() == 1);
    CHECK(st[0].reached == 9);
    CHECK(*st[0].mean_if_reached == Approx(5));
    // Sorted: 1..9, inf, inf. Type 7: h = 10 p. p50 -> t[5] = 6; p75 -> t[7.5] = 8.5; p90 -> h = 9 ->
    // between 9 and inf: no value.
    CHECK(*st[0].quantiles[3].second == Approx(6));
    CHECK(*st[0].quantiles[4].second == Approx(8.5));
    CHECK_FALSE(st[0].quantiles[5].second);
    CHECK(st[0].reached_by[0].second == Approx(1.0 / 11));
    CHECK(st[0].reached_by[1].second == Approx(5.0 / 11));
}

TEST_CASE("sampling: bad specs are reported where they are written") {
    Diagnostics d1;
    CHECK_FALSE(load(config("      n: 10\n      parameters: {power.P0: {dist: normal, mean: 1, sd: 1}}\n"), d1));
    // The smallest draw is the quantile at the smallest probability the sampler uses (2^-60):
    // 1 - 8.773321169027... (Phi^-1(2^-60) = -8.7733211690275..., by mpmath).
    CHECK_THAT(messages(d1), Catch::Contains("t.yaml:12:30: error: draws of power.P0 from normal(mean=1, sd=1) reach "
                                             "-7.773321169027") &&
                                 Catch::Contains("which is refused: it must be > 0") &&
                                 Catch::Contains("clip the draws with 'min:'"));
    Diagnostics d2;
    CHECK_FALSE(
        load(config("      n: 10\n      parameters: {efficiency.gamma: {dist: lognormall, mu: 0, sigma: 1}}\n"), d2));
    CHECK_THAT(messages(d2),
               Catch::Contains("unknown distribution 'lognormall'") && Catch::Contains("did you mean 'lognormal'?"));
    Diagnostics d3;
    CHECK_FALSE(load(config(R"(      n: 10
      parameters:
        efficiency.gamma: {dist: uniform, low: 1, high: 2}
        loss.kappa: {dist: uniform, low: 0.04, high: 0.05}
        power.P0: {dist: uniform, low: 1, high: 2}
      correlations:
        - [efficiency.gamma, loss.kappa, 0.99]
        - [efficiency.gamma, power.P0, 0.99]
        - [loss.kappa, power.P0, -0.99]
)"),
                     d3));
    CHECK_THAT(messages(d3), Catch::Contains("t.yaml:17:9: error: the correlations of 'sample' are inconsistent"));
    Diagnostics d4;
    CHECK_FALSE(
        load(config("      n: 10\n      parameters: {power.P0: {dist: choice, values: [1, 2], p: [0.5, 0.6]}}\n"), d4));
    CHECK_THAT(messages(d4), Catch::Contains("the probabilities 'p' of power.P0 add up to 1.1, not 1"));
}

TEST_CASE("sampling: the vectorised closed form gives each sample the scenario-by-scenario time") {
    // gamma down to -0.2 (bounded compute: some samples never reach the target), tau and kappa
    // drawn too; times agree to 1e-12 relative (the vectorised path computes ln(C_target/C0)
    // as -ln(y)/kappa directly, the scalar one through L(C0) and back: a few ulps of ln C).
    Diagnostics d;
    auto ex = load(R"(racesim: 1
horizon: 40
solver: {method: closed-form}
defaults:
  efficiency: {type: continuous-doubling, E0: 1, gamma: 2}
  power: {type: mean-field, P0: 1}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
  targets: {relative: [0.68, 0.95]}
  reference: relative-loss
scenarios:
  - name: mc
    sample:
      n: 5000
      parameters:
        efficiency.gamma: {dist: uniform, min: -0.2, ci80: [-0.1, 3]}
        baseline.tau: {dist: uniform, ci90: [0, 2]}
        loss.kappa: {dist: normal, mean: 0.048, sd: 0.005, min: 0.01}
)",
                   d);
    REQUIRE(ex);
    const RunResult vec = run_experiment(models(), *ex);
    ex->solver.vectorise = false;
    const RunResult scalar = run_experiment(models(), *ex);
    const MonteCarloResult &a = vec.monte_carlo.at(0), &b = scalar.monte_carlo.at(0);
    CHECK(a.draws == b.draws);
    std::size_t never = 0;
    for (std::size_t k = 0; k < 2; ++k)
        for (std::size_t i = 0; i < 5000; ++i) {
            const double x = a.times[k][i], y = b.times[k][i];
            INFO("target " << k << " sample " << i);
            if (std::isinf(y)) {
                CHECK(std::isinf(x));
                ++never;
            } else {
                CHECK(x == Approx(y).epsilon(1e-12).margin(1e-14));
            }
        }
    CHECK(never > 100);  // the gamma < 0 samples exercise the unreachable branch
    for (std::size_t k = 0; k < 2; ++k)
        for (std::size_t q = 0; q < a.stats[k].quantiles.size(); ++q) {
            const auto &qa = a.stats[k].quantiles[q].second, &qb = b.stats[k].quantiles[q].second;
            REQUIRE(qa.has_value() == qb.has_value());
            if (qa) CHECK(*qa == Approx(*qb).epsilon(1e-12));
        }
}

TEST_CASE("sampling: the smallest and largest draws are the quantiles at the sampler's extreme probabilities") {
    // The sampler's probabilities lie in [2^-60, 1 - 2^-53]; exact quantiles by mpmath (30 digits):
    // Phi^-1(2^-60) = -8.77332116902755168..., Phi^-1(1 - 2^-53) = 8.20953615160138686...
    // Tolerances: Boost's normal quantile is accurate to a few ulp; 1e-14 relative leaves margin.
    Distribution n;
    n.kind = Distribution::Kind::normal;
    n.a = 1;
    n.b = 1;
    CHECK(n.lowest() == Approx(1 - 8.77332116902755168).epsilon(1e-14));
    CHECK(n.highest() == Approx(1 + 8.20953615160138686).epsilon(1e-14));
    Distribution ln;
    ln.kind = Distribution::Kind::lognormal;
    ln.a = 0.5;
    ln.b = 2;
    CHECK(ln.highest() == Approx(22277155.6979670244607).epsilon(1e-13));  // exp(0.5 + 2·8.2095...)
    ln.max = 1000;
    CHECK(ln.highest() == 1000);  // clipped
    // Overflow is reported as such: the validator refuses these.
    ln.max.reset();
    ln.b = 1e300;
    CHECK(std::isinf(ln.highest()));
    CHECK(ln.lowest() == 0);
    // The largest uniform draw is below 1 (an exact 1 gave an infinite normal quantile).
    CHECK(draw_u_max < 1);
    CHECK(std::isfinite(normal_quantile(draw_u_max)));
}
