#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "racesim/plugin/math.hpp"
#include "racesim/plugin/schema.hpp"

using namespace racesim::plugin;

TEST_CASE("constraints check and describe themselves") {
    Schema s;
    s.add_real("duty").in_range({0, false}, {1, true}).doc("d");
    s.add_real("E0").positive().doc("e");
    s.add_real("tau").greater_than(-1).doc("t");
    s.add_real("gamma").doc("g");
    const auto& duty = *s.find("duty");
    CHECK(duty.constraint() == "in (0, 1]");
    CHECK_FALSE(duty.admits(0));
    CHECK(duty.admits(1));
    CHECK_FALSE(duty.admits(1.0000001));
    CHECK(s.find("E0")->constraint() == "> 0");
    CHECK(s.find("tau")->constraint() == "> -1");
    CHECK(s.find("gamma")->constraint().empty());
    CHECK_FALSE(s.find("gamma")->admits(std::numeric_limits<double>::quiet_NaN()));
    CHECK_FALSE(s.find("gamma")->admits(std::numeric_limits<double>::infinity()));
    CHECK(s.find("nope") == nullptr);
    CHECK_THROWS_AS(s.add_real("duty"), std::logic_error);
}

TEST_CASE("params resolve by name and type") {
    Params p;
    p.set("a", 1.5);
    p.set("n", std::int64_t{3});
    p.set("a", 2.5);
    CHECK(p.real("a") == 2.5);
    CHECK(p.real("n") == 3.0);
    CHECK(p.real_or("missing", 7.0) == 7.0);
    CHECK_THROWS_AS(p.real("missing"), std::logic_error);
    CHECK(p.entries().size() == 2);
}

TEST_CASE("log-space helpers are exact at the edges") {
    using namespace racesim::plugin::math;
    CHECK(log_add_exp(neg_inf, 2.0) == 2.0);
    CHECK(log_add_exp(std::log(2.0), std::log(3.0)) == Approx(std::log(5.0)).epsilon(1e-15));
    CHECK(log_sub_exp(std::log(5.0), std::log(3.0)) == Approx(std::log(2.0)).epsilon(1e-15));
    CHECK(log_sub_exp(1.0, 1.0) == neg_inf);
    // integral_0^s e^{g u} du
    CHECK(log_growth_integral(0.0, 3.0) == Approx(std::log(3.0)).epsilon(1e-15));
    CHECK(log_growth_integral(1.0, 2.0) == Approx(std::log(std::expm1(2.0))).epsilon(1e-15));
    CHECK(log_growth_integral(-1.0, 2.0) == Approx(std::log(-std::expm1(-2.0))).epsilon(1e-15));
    // Far beyond exp overflow: ln((e^{1000} - 1)/1) = 1000 (to double precision).
    CHECK(log_growth_integral(1.0, 1000.0) == Approx(1000.0).epsilon(1e-15));
    // Small g: (e^{gs}-1)/g -> s.
    CHECK(log_growth_integral(1e-14, 2.0) == Approx(std::log(2.0)).epsilon(1e-13));
    // Inverse.
    for (double g : {-0.5, -1e-9, 0.0, 1e-9, 0.7, 3.0})
        for (double s : {0.1, 1.0, 5.0})
            CHECK(solve_growth_integral(g, log_growth_integral(g, s)) == Approx(s).epsilon(1e-12));
    // A declining rate's integral is bounded by -1/g: beyond it there is no solution.
    CHECK(std::isnan(solve_growth_integral(-1.0, std::log(1.5))));
}
