// racesim/core/csv.hpp: the writer's quoting, the number format, the line builder, and the
// reader that reads them back.
#include <catch2/catch.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>

#include "racesim/core/csv.hpp"

using namespace racesim;

namespace {

/// Writes records as the results writer does: fields joined by ',', each record ending in '\n'.
std::string write(const std::vector<std::vector<std::string>>& records) {
    std::string out;
    csv::Line line;
    for (const auto& r : records) {
        line.clear();
        for (const auto& f : r) line.text(f);
        out += line.str();
        out += '\n';
    }
    return out;
}

std::vector<std::vector<std::string>> read(const std::string& text) {
    std::istringstream in(text);
    csv::Reader reader(in);
    std::vector<std::vector<std::string>> out;
    std::vector<std::string> f;
    while (reader.next(f)) out.push_back(f);
    return out;
}

}  // namespace

TEST_CASE("csv: a field is quoted when it holds a comma, a quote or a newline") {
    CHECK(csv::field("") == "");
    CHECK(csv::field("plain name") == "plain name");
    CHECK(csv::field("efficiency.gamma") == "efficiency.gamma");
    CHECK(csv::field("a,b") == "\"a,b\"");
    CHECK(csv::field("say \"hi\"") == "\"say \"\"hi\"\"\"");
    CHECK(csv::field("two\nlines") == "\"two\nlines\"");
    CHECK(csv::field("\"") == "\"\"\"\"");
    // Only those three: a carriage return or a tab is written as it is.
    CHECK(csv::field("a\rb") == "a\rb");
    CHECK(csv::field("a\tb") == "a\tb");
}

TEST_CASE("csv: numbers are fmt's shortest round-trip form") {
    CHECK(csv::number(0) == "0");
    CHECK(csv::number(0.1) == "0.1");
    CHECK(csv::number(1.0 / 0.22) == "4.545454545454546");
    CHECK(csv::number(3.542515415045099e+18) == "3.542515415045099e+18");
    CHECK(csv::number(-2.2250738585072014e-308) == "-2.2250738585072014e-308");
    CHECK(csv::number(std::numeric_limits<double>::infinity()) == "inf");
    CHECK(csv::number(std::nan("")) == "nan");
    CHECK(csv::number(1e15) == "1000000000000000");
    CHECK(csv::number(1e16) == "1e+16");
}

TEST_CASE("csv: doubles read back exactly") {
    std::mt19937_64 g(20240611);
    std::vector<double> xs{0.0,
                           -0.0,
                           1.0,
                           0.1,
                           1.0 / 3.0,
                           std::numeric_limits<double>::min(),
                           std::numeric_limits<double>::denorm_min(),
                           std::numeric_limits<double>::max(),
                           std::numeric_limits<double>::lowest(),
                           std::numeric_limits<double>::epsilon()};
    for (int i = 0; i < 100000; ++i) {
        const std::uint64_t bits = g();
        double x = 0;
        std::memcpy(&x, &bits, sizeof x);
        if (std::isfinite(x)) xs.push_back(x);
    }
    std::uniform_real_distribution<double> u(-1e6, 1e6);
    for (int i = 0; i < 10000; ++i) xs.push_back(u(g));
    csv::Line line;
    for (double x : xs) line.number(x);
    const auto f = csv::split(line.str());
    REQUIRE(f.size() == xs.size());
    for (std::size_t i = 0; i < xs.size(); ++i) {
        const double x = xs[i];
        double y = 0;
        const auto [p, ec] = std::from_chars(f[i].data(), f[i].data() + f[i].size(), y);
        REQUIRE(ec == std::errc());
        REQUIRE(p == f[i].data() + f[i].size());
        INFO(f[i]);
        REQUIRE(std::memcmp(&x, &y, sizeof x) == 0);  // bit for bit (-0 stays -0)
    }
}

TEST_CASE("csv: the line builder separates fields and writes empty ones") {
    csv::Line l;
    l.text("a,b").number(0.5).number(std::optional<double>()).number(std::optional<double>(2)).word("true");
    l.empty_field().integer(std::size_t{42}).integer(-7);
    CHECK(l.str() == "\"a,b\",0.5,,2,true,,42,-7");
    CHECK(l.fields() == 8);
    l.clear();
    CHECK(l.str().empty());
    l.empty_field().empty_field();
    CHECK(l.str() == ",");
}

TEST_CASE("csv: the reader splits quoted fields") {
    CHECK(csv::split("a,b,c") == std::vector<std::string>{"a", "b", "c"});
    CHECK(csv::split("") == std::vector<std::string>{""});
    CHECK(csv::split(",") == std::vector<std::string>{"", ""});
    CHECK(csv::split("\"a,b\",c") == std::vector<std::string>{"a,b", "c"});
    CHECK(csv::split("\"say \"\"hi\"\"\",x") == std::vector<std::string>{"say \"hi\"", "x"});
    CHECK(csv::split("\"\"") == std::vector<std::string>{""});
    CHECK(csv::split("\"\"\"\"") == std::vector<std::string>{"\""});
    CHECK(csv::split("\"two\nlines\",2") == std::vector<std::string>{"two\nlines", "2"});
    // Tolerated: CRLF line ends, a quote inside an unquoted field, text after a closing quote.
    CHECK(csv::split("a,b\r") == std::vector<std::string>{"a", "b"});
    CHECK(csv::split("a\rb,c") == std::vector<std::string>{"a\rb", "c"});
    CHECK(csv::split("ab\"c,d") == std::vector<std::string>{"ab\"c", "d"});
    CHECK(csv::split("\"ab\"c,d") == std::vector<std::string>{"abc", "d"});
    CHECK_THROWS_AS(csv::split("\"open,end"), csv::Error);
}

TEST_CASE("csv: records span lines inside quotes; the reader counts lines") {
    const std::string text = "name,value\n\"two\nlines\",1\nplain,2\r\n\n\"x\"\"\",3\n";
    std::istringstream in(text);
    csv::Reader r(in);
    std::vector<std::string> f;
    REQUIRE(r.next(f));
    CHECK(f == std::vector<std::string>{"name", "value"});
    CHECK(r.line() == 1);
    REQUIRE(r.next(f));
    CHECK(f == std::vector<std::string>{"two\nlines", "1"});
    CHECK(r.line() == 2);
    REQUIRE(r.next(f));
    CHECK(f == std::vector<std::string>{"plain", "2"});
    CHECK(r.line() == 4);
    REQUIRE(r.next(f));
    CHECK(f == std::vector<std::string>{""});  // an empty line: one empty field
    CHECK(r.line() == 5);
    REQUIRE(r.next(f));
    CHECK(f == std::vector<std::string>{"x\"", "3"});
    CHECK(r.line() == 6);
    CHECK_FALSE(r.next(f));

    std::istringstream open("a\n\"never\nclosed,1\n");
    csv::Reader bad(open);
    REQUIRE(bad.next(f));
    try {
        bad.next(f);
        FAIL("no csv::Error");
    } catch (const csv::Error& e) {
        CHECK(e.line == 2);
    }
}

TEST_CASE("csv: arbitrary strings round-trip through the writer and the reader") {
    // Fields over an alphabet of the characters that matter (comma, quote, newline, carriage
    // return, space), empty fields and records of one field included.
    const std::string alphabet = ",\"\n\r a";
    std::mt19937_64 g(7);
    std::vector<std::vector<std::string>> records;
    for (int r = 0; r < 5000; ++r) {
        std::vector<std::string> rec(1 + g() % 5);
        for (auto& f : rec) {
            const std::size_t len = g() % 7;
            for (std::size_t i = 0; i < len; ++i) f += alphabet[g() % alphabet.size()];
        }
        // The one exception (csv.hpp): an unquoted last field ending in '\r' reads as a CRLF end.
        std::string& last = rec.back();
        if (!last.empty() && last.back() == '\r' && !csv::needs_quotes(last)) last += 'a';
        records.push_back(rec);
    }
    records.push_back({""});
    records.push_back({"", ""});
    records.push_back({"\n"});
    records.push_back({"\"\""});
    records.push_back({"scenario, \"quoted\"\nwith a newline", "origin", ""});
    CHECK(read(write(records)) == records);
}
