#include "racesim/plugins/quoted.hpp"

#include <cctype>
#include <charconv>
#include <cmath>

namespace racesim {

namespace {

using plugin::Bound;
using plugin::ParamSpec;
using plugin::Quoted;

ParamSpec key(std::string name, std::string unit, std::string doc, Bound lower, std::optional<Bound> upper = {},
              std::optional<double> default_value = {}) {
    ParamSpec p;
    p.name = std::move(name);
    p.unit = std::move(unit);
    p.doc = std::move(doc);
    p.lower = lower;
    p.upper = upper;
    if (default_value) p.default_value = plugin::Value{*default_value};
    p.required = !default_value;
    return p;
}

std::vector<QuotedForm> make_forms(Quoted q) {
    std::vector<QuotedForm> f;
    switch (q) {
        case Quoted::plain:
            break;
        case Quoted::doubling_rate:
            f.push_back({{key("per_year", "1", "growth factor per year (1.4: +40 %/yr)", Bound{0, false})},
                         [](const std::vector<double>& a) { return std::log2(a[0]); },
                         "log2(per_year)",
                         "{per_year: 1.4}"});
            f.push_back(
                {{key("percent_per_year", "%", "growth per year in percent (40: x1.4 per year)", Bound{-100, false})},
                 [](const std::vector<double>& a) { return std::log2(1 + a[0] / 100); },
                 "log2(1 + percent_per_year/100)",
                 "{percent_per_year: 40}"});
            f.push_back({{key("doubling_time", "yr", "years per doubling", Bound{0, false})},
                         [](const std::vector<double>& a) { return 1 / a[0]; },
                         "1/doubling_time",
                         "{doubling_time: 2.5}"});
            break;
        case Quoted::power:
            f.push_back({{key("gpus", "1", "number of accelerators", Bound{0, false}),
                          key("watts_per_gpu", "W",
                              "power per accelerator (TDP, or with its share of servers "
                              "and cooling)",
                              Bound{0, false})},
                         [](const std::vector<double>& a) { return a[0] * a[1] / 1e6; },
                         "gpus * watts_per_gpu / 10^6",
                         "{gpus: 50000, watts_per_gpu: 700}"});
            break;
        case Quoted::efficiency:
            f.push_back({{key("flops_per_watt", "FLOP/s/W",
                              "a chip's FLOP/s per watt (= FLOP/J), e.g. peak dense BF16 / TDP", Bound{0, false}),
                          key("utilization", "1", "fraction of that rate delivered (1: the peak)", Bound{0, false},
                              Bound{1, true}, 1.0)},
                         [](const std::vector<double>& a) { return a[0] * a[1] * pflop_yr_mw_per_flop_per_joule; },
                         "flops_per_watt * utilization * 0.0315576",
                         "{flops_per_watt: 1.4134e12, utilization: 0.4}"});
            break;
        case Quoted::duration:
            f.push_back({{key("months", "months", "the time in months (a month is 1/12 yr)", Bound{0, false})},
                         [](const std::vector<double>& a) { return a[0] / 12; },
                         "months / 12",
                         "{months: 8}"});
            break;
    }
    return f;
}

std::string pattern(const QuotedForm& f) {
    std::string s = "{";
    for (std::size_t i = 0; i < f.keys.size(); ++i) {
        const ParamSpec& k = f.keys[i];
        if (i) s.append(", ");
        s.append(k.name).append(": <");
        s.append(k.unit != "1" ? k.unit : k.name == "gpus" ? "count" : k.name == "per_year" ? "factor" : "fraction");
        s.append(">");
        if (!k.required) s.append(" (optional)");
    }
    s.append("}");
    return s;
}

}  // namespace

const std::vector<QuotedForm>& quoted_forms(Quoted q) {
    static const std::vector<QuotedForm> none, rate = make_forms(Quoted::doubling_rate),
                                               power = make_forms(Quoted::power), eff = make_forms(Quoted::efficiency),
                                               duration = make_forms(Quoted::duration);
    switch (q) {
        case Quoted::doubling_rate:
            return rate;
        case Quoted::power:
            return power;
        case Quoted::efficiency:
            return eff;
        case Quoted::duration:
            return duration;
        case Quoted::plain:
            break;
    }
    return none;
}

std::string relative_key(const ParamSpec& spec) {
    return spec.relative_to.empty() ? std::string() : "times_" + spec.relative_to;
}

bool accepts_forms(const ParamSpec& spec) {
    return spec.type == plugin::ParamType::real && (spec.quoted != Quoted::plain || !spec.relative_to.empty());
}

std::vector<std::string> form_patterns(const ParamSpec& spec) {
    std::vector<std::string> out;
    if (spec.type != plugin::ParamType::real) return out;
    for (const auto& f : quoted_forms(spec.quoted)) out.push_back(pattern(f));
    if (!spec.relative_to.empty()) {
        std::string r = "{";
        r.append(relative_key(spec)).append(": <factor>}");
        out.push_back(std::move(r));
    }
    return out;
}

std::string plain_meaning(const ParamSpec& spec) {
    if (spec.quoted == Quoted::doubling_rate) return "a number (" + spec.unit + ", doublings per year)";
    return spec.unit.empty() ? "a number" : "a number (" + spec.unit + ")";
}

std::string forms_hint(const ParamSpec& spec, const std::string& what) {
    std::string s = "write " + what + " as " + plain_meaning(spec);
    const auto forms = form_patterns(spec);
    for (std::size_t i = 0; i < forms.size(); ++i) {
        s.append(i == 0 ? " or as " : i + 1 == forms.size() ? " or " : ", ");
        s.append(forms[i]);
    }
    return s;
}

std::optional<std::pair<std::string, std::string>> number_with_suffix(const std::string& text) {
    std::size_t b = 0;
    while (b < text.size() && std::isspace(static_cast<unsigned char>(text[b]))) ++b;
    std::size_t start = b;
    if (start < text.size() && text[start] == '+') ++start;  // from_chars takes '-' but not '+'
    double x = 0;
    const char* first = text.data() + start;
    const auto [p, ec] = std::from_chars(first, text.data() + text.size(), x);
    if (ec != std::errc() || p == first) return std::nullopt;
    std::string rest(p, text.data() + text.size());
    const auto l = rest.find_first_not_of(" \t"), r = rest.find_last_not_of(" \t");
    if (l == std::string::npos) return std::nullopt;
    rest = rest.substr(l, r - l + 1);
    return std::pair{text.substr(b, static_cast<std::size_t>(p - text.data()) - b), rest};
}

}  // namespace racesim
