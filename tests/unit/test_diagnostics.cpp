#include <catch2/catch.hpp>
#include <sstream>

#include "racesim/core/diagnostics.hpp"

using namespace racesim;

TEST_CASE("edit distance is Levenshtein") {
    CHECK(edit_distance("", "") == 0);
    CHECK(edit_distance("gamma", "gamma") == 0);
    CHECK(edit_distance("gama", "gamma") == 1);
    CHECK(edit_distance("kitten", "sitting") == 3);
    CHECK(edit_distance("abc", "") == 3);
}

TEST_CASE("suggest picks the closest candidate within 1 + len/5") {
    const std::vector<std::string> c{"continuous-doubling", "discrete-steps"};
    CHECK(suggest("continous-doubling", c) == "continuous-doubling");
    CHECK(suggest("discrete-step", c) == "discrete-steps");
    CHECK(suggest("mean-field", c).empty());
    // Short words allow one edit only.
    CHECK(suggest("P1", {"P0"}) == "P0");
    CHECK(suggest("xy", {"P0"}).empty());
}

TEST_CASE("diagnostics print file:line:col, notes and a count") {
    Diagnostics d;
    auto& e = d.error(Mark{"a.yaml", 3, 7}, "unknown key 'gama'");
    note(e, "did you mean 'gamma'?");
    note(e, "first defined here", Mark{"a.yaml", 1, 2});
    d.error(Mark{"a.yaml", 9, 1}, "second");
    std::ostringstream os;
    d.print(os);
    CHECK(os.str() ==
          "a.yaml:3:7: error: unknown key 'gama'\n"
          "a.yaml:3:7: note: did you mean 'gamma'?\n"
          "a.yaml:1:2: note: first defined here\n"
          "a.yaml:9:1: error: second\n"
          "2 errors\n");
}

TEST_CASE("an error repeated at the same position is reported once") {
    Diagnostics d;
    note(d.error(Mark{"f", 1, 1}, "x"), "n1");
    note(d.error(Mark{"f", 1, 1}, "x"), "n2");  // e.g. inherited by a second scenario
    d.error(Mark{"f", 2, 1}, "x");
    REQUIRE(d.count() == 2);
    CHECK(d.errors()[0].notes.size() == 1);
}
