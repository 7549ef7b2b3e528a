// The HTML report's data (racesim/output/report.hpp, docs/report.md): the display-reduction
// rule keeps exactly the documented rows, with their exact values; what it reduced is reported.
// The page itself is tested in a browser (tests/report), the command line in tests/cli/report.cmake.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "racesim/racesim.hpp"

using namespace racesim;
namespace fs = std::filesystem;

namespace {

const char* const yaml = R"(racesim: 1
name: report-rule
horizon: 10
output: {every: 0.01}
defaults:
  efficiency: {type: continuous-doubling, E0: 1.0, gamma: 0.5}
  power: {type: mean-field, P0: 70}
  loss: {type: power-law, kappa: 0.048, L0: 1.0}
  targets: {relative: [0.95]}
  reference: relative-loss
scenarios:
  - name: slow
  - name: fast
    efficiency: {gamma: 2}
    sample:
      n: 64
      seed: 7
      parameters:
        efficiency.gamma: {dist: uniform, low: 1, high: 3}
)";

/// The JSON the report inlines (the text of its #racesim-data element).
nlohmann::json report_data(const fs::path& html) {
    std::ifstream in(html);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    const std::string open = "<script type=\"application/json\" id=\"racesim-data\">";
    const auto a = text.find(open);
    REQUIRE(a != std::string::npos);
    const auto b = text.find("</script>", a);
    REQUIRE(b != std::string::npos);
    return nlohmann::json::parse(text.substr(a + open.size(), b - a - open.size()));
}

/// The first field (t) of every row of a CSV file, as written.
std::vector<std::string> times_of(const fs::path& csv) {
    std::ifstream in(csv);
    std::string line;
    std::getline(in, line);  // header
    std::vector<std::string> t;
    while (std::getline(in, line)) t.push_back(line.substr(0, line.find(',')));
    return t;
}

struct Results {
    fs::path dir = fs::temp_directory_path() / ("racesim-report-" + std::to_string(::getpid()));
    Results() {
        fs::remove_all(dir);
        SessionOptions o;
        o.plugin_paths = {RACESIM_PLUGIN_DIR};
        o.environment = false;
        const Session session(std::move(o));
        write_results(session.run(session.load_text(yaml)), dir, false);
    }
    ~Results() { fs::remove_all(dir); }
    Results(const Results&) = delete;
    Results& operator=(const Results&) = delete;
};

}  // namespace

TEST_CASE("report: a trajectory over the limit keeps m evenly spaced rows, the first and the last, exactly",
          "[report]") {
    const Results r;
    const auto all = times_of(r.dir / "slow.csv");
    REQUIRE(all.size() == 1001);
    ReportLimits lim;
    lim.max_rows_per_scenario = 101;
    lim.samples = 10;
    const ReportResult out = write_report(r.dir, r.dir / "small.html", lim);
    CHECK(out.file == r.dir / "small.html");
    CHECK(out.bytes == fs::file_size(out.file));
    const auto data = report_data(out.file);
    const auto& slow = data.at("trajectories").at("slow");
    CHECK(slow.at("columns") == nlohmann::json::array({"t", "C", "L", "R"}));
    CHECK(slow.at("total_rows") == 1001);
    REQUIRE(slow.at("rows").size() == 101);
    for (std::size_t j = 0; j < 101; ++j) {  // row round(j * 1000 / 100) = 10 j, its t to the last bit
        const double t = slow.at("rows").at(j).at(0).get<double>();
        CHECK(t == std::stod(all.at(10 * j)));
    }
    // The samples: the first 10 of 64, in order.
    const auto& samples = data.at("samples");
    CHECK(samples.at("total_rows") == 64);
    REQUIRE(samples.at("rows").size() == 10);
    CHECK(samples.at("rows").at(9).at(1) == 9);  // column "sample"
    CHECK(out.reductions ==
          std::vector<std::string>{"trajectories: 2 of 2 scenario(s) thinned to at most 101 rows",
                                   "samples.csv: the first 10 samples of each scenario (10 of 64 rows)"});
    CHECK(data.at("reductions") == nlohmann::json(out.reductions));
}

TEST_CASE("report: under the limits every row is kept, and summary.json is inlined whole", "[report]") {
    const Results r;
    ReportLimits lim;
    lim.max_rows_per_scenario = 2000;
    const ReportResult out = write_report(r.dir, {}, lim);
    CHECK(out.file == r.dir / "report.html");
    CHECK(out.reductions.empty());
    const auto data = report_data(out.file);
    CHECK(data.at("trajectories").at("fast").at("rows").size() == 1001);
    CHECK(data.at("samples").at("rows").size() == 64);
    std::ifstream in(r.dir / "summary.json");
    CHECK(data.at("summary") == nlohmann::json::parse(in));
}

TEST_CASE("report: a directory that is not results, and a file that cannot be written, are refused", "[report]") {
    const Results r;
    const fs::path empty = r.dir / "empty";
    fs::create_directory(empty);
    CHECK_THROWS_AS(write_report(empty), RunError);
    CHECK_FALSE(fs::exists(empty / "report.html"));
    CHECK_THROWS_AS(write_report(r.dir, empty), ReportWriteError);  // a directory
    CHECK_THROWS_AS(write_report(r.dir, r.dir / "no" / "r.html"), ReportWriteError);
    for (const auto& e : fs::directory_iterator(r.dir))
        CHECK(e.path().filename().string().find(".tmp-") == std::string::npos);
}
