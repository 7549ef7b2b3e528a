// Parameters as they are quoted: a rate as a growth factor, a percentage or a doubling time, a
// fleet as GPUs × watts, an efficiency as FLOP/s per watt, a cap as a multiple of the start
// value. A plugin declares which of these a real parameter accepts (plugin::ParamSpec::quoted,
// relative_to); the loader converts each form to the parameter's own unit once, at load, and
// keeps what was written (BlockSpec::quoted) for summary.json. docs/config.md, "Quantities as
// they are quoted", states every conversion. (In the plugin host layer: `describe` lists the forms.)
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "racesim/plugin/schema.hpp"

namespace racesim {

/// PFLOP/yr/MW per FLOP/s/W (= FLOP/J): 10^6 W/MW · 3.15576·10^7 s/yr (the Julian year) /
/// 10^15 FLOP/PFLOP.
inline constexpr double pflop_yr_mw_per_flop_per_joule = 0.0315576;

/// One form a quoted parameter may be written in: a map of these keys (each a real, checked
/// against its own ParamSpec: bound, default), converted by `convert` (the keys' values in
/// the order declared here, defaults filled in).
struct QuotedForm {
    std::vector<plugin::ParamSpec> keys;
    double (*convert)(const std::vector<double>& args) = nullptr;
    std::string formula;  ///< the conversion in words, e.g. "log2(per_year)"
    std::string example;  ///< e.g. "{percent_per_year: 40}"
};

/// The forms of a quantity (empty for Quoted::plain).
const std::vector<QuotedForm>& quoted_forms(plugin::Quoted q);

/// What a parameter given in a form was written as: its keys and numbers (defaults filled
/// in), or, for {times_<relative_to>: factor}, the relation, which is kept: the value is
/// factor × the other parameter's value in every scenario made from this one.
struct QuotedValue {
    std::vector<std::pair<std::string, double>> given;
    std::string relative_to;
    double factor = 0;
};

/// The key of the relative form of `spec` ("times_P0"); empty when it has none.
std::string relative_key(const plugin::ParamSpec& spec);

/// Whether `spec` may be written in any form besides a number.
bool accepts_forms(const plugin::ParamSpec& spec);

/// The forms `spec` accepts, each as a pattern: "{per_year: <growth factor per year>}".
std::vector<std::string> form_patterns(const plugin::ParamSpec& spec);

/// One line listing how `what` (e.g. "power.rate") may be written: "write power.rate as a
/// number (1/yr, doublings per year) or as {per_year: ...}, ...".
std::string forms_hint(const plugin::ParamSpec& spec, const std::string& what);

/// "a number (1/yr: doublings per year)" and the like: what a plain number means for `spec`.
std::string plain_meaning(const plugin::ParamSpec& spec);

/// `text` is a number followed by something else ("1e5 GPUs", "40%", "2.5 yr"): the number's
/// text and the rest, trimmed; nullopt when it is not of that shape.
std::optional<std::pair<std::string, std::string>> number_with_suffix(const std::string& text);

}  // namespace racesim
