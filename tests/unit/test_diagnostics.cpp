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

TEST_CASE("printable: control characters, bidirectional marks and invalid bytes are escaped; long runs cut") {
    using racesim::printable;
    CHECK(printable("plain text, 0.68") == "plain text, 0.68");
    CHECK(printable("a\tb\nc\rd\x1b[31m") == "a\\tb\\nc\\rd\\x1b[31m");
    CHECK(printable("\x7f") == "\\x7f");
    CHECK(printable("evil\u202Egpj") == "evil\\u{202E}gpj");
    CHECK(printable("\u200E\u2066\u061C") == "\\u{200E}\\u{2066}\\u{061C}");
    CHECK(printable("caf\u00e9 \u03b3") == "caf\u00e9 \u03b3");  // other UTF-8 is kept
    CHECK(printable(std::string("x\xe9y")) == "x\\xe9y");        // a lone Latin-1 byte
    // A run of 200 bytes is kept; 201 is cut to 60 and its length.
    const std::string run200(200, '7'), run201(201, '7');
    CHECK(printable(run200) == run200);
    CHECK(printable("v = " + run201 + " end") == "v = " + std::string(60, '7') + "... (201 bytes) end");
    const std::string huge(10'000'000, '9');
    CHECK(printable(huge).size() < 100);
}
