#include "models.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace py = pybind11;

namespace racesim::python {

namespace {

std::atomic<bool> exiting_flag{false};

}  // namespace

void set_exiting() {
    exiting_flag = true;
}

bool exiting() {
    return exiting_flag;
}

namespace {

/// A Python exception as one line (type: message), without pybind11's traceback block.
std::string message_of(const py::error_already_set& e) {
    std::string s = e.what();
    if (auto p = s.find("\n\nAt:"); p != std::string::npos) s.resize(p);
    return s;
}

/// Keeps this thread's Python thread state from one call into Python to the next: pybind11's
/// gil_scoped_acquire otherwise creates and destroys one per call in a thread Python did not
/// start, which costs more than a model's call. Models are only called on the module's run
/// threads (a run with Python models uses one thread, module.cpp), which live as long as the
/// process: the state is never released. (Releasing it as a thread ends can race with the
/// interpreter's shutdown, which ends a thread that asks for the GIL then: std::terminate.)
void keep_thread_state() {
    thread_local bool kept = false;
    if (kept) return;
    py::gil_scoped_acquire gil;
    gil.inc_ref();
    kept = true;
}

/// Calls f() with the GIL held; a Python exception becomes a std::runtime_error (which the
/// registry's guard turns into a PluginError naming the model, the call and t).
template <class F>
auto with_gil(F&& f) {
    if (exiting()) throw std::runtime_error("the Python interpreter is exiting");
    keep_thread_state();
    py::gil_scoped_acquire gil;
    try {
        return f();
    } catch (py::error_already_set& e) {
        std::string m = message_of(e);
        e.restore();
        PyErr_Clear();
        throw std::runtime_error(m);
    }
}

bool truthy_attr(const py::object& o, const char* name) {
    if (!py::hasattr(o, name)) return false;
    py::object v = o.attr(name);
    if (PyCallable_Check(v.ptr())) v = v();
    return py::bool_(v);
}

class PyRate final : public plugin::RateModel {
public:
    explicit PyRate(py::object obj)
        : log_value_(std::make_shared<PyRef>(obj.attr("log_value"))),
          breakpoints_(py::hasattr(obj, "breakpoints") ? std::make_shared<PyRef>(obj.attr("breakpoints")) : nullptr),
          state_(truthy_attr(obj, "depends_on_state")),
          segment_(truthy_attr(obj, "uses_segment")),
          obj_(std::make_shared<PyRef>(std::move(obj))) {}

    double log_value(double t, double log_C, const plugin::Segment& s) const override {
        return with_gil([&] {
            const py::object& f = log_value_->get();
            py::object v = segment_ ? f(t, log_C, py::make_tuple(s.begin, s.end)) : f(t, log_C);
            return v.cast<double>();
        });
    }

    void breakpoints(double t0, double t1, std::vector<double>& out) const override {
        if (!breakpoints_) return;
        with_gil([&] {
            py::object v = breakpoints_->get()(t0, t1);
            if (v.is_none()) return 0;
            for (auto x : py::iter(v)) out.push_back(x.cast<double>());
            return 0;
        });
    }

    bool depends_on_state() const override { return state_; }

private:
    std::shared_ptr<PyRef> log_value_, breakpoints_;
    bool state_, segment_;
    std::shared_ptr<PyRef> obj_;
};

class PyLoss final : public plugin::LossLaw {
public:
    explicit PyLoss(py::object obj)
        : loss_(std::make_shared<PyRef>(obj.attr("loss"))),
          inverse_(py::hasattr(obj, "log_compute_for_loss") ? std::make_shared<PyRef>(obj.attr("log_compute_for_loss"))
                                                            : nullptr),
          obj_(std::make_shared<PyRef>(std::move(obj))) {}

    double loss(double log_C) const override {
        return with_gil([&] { return loss_->get()(log_C).cast<double>(); });
    }

    std::optional<double> log_compute_for_loss(double L, std::string& why) const override {
        if (!inverse_) {
            why = "the Python loss law has no log_compute_for_loss()";
            return std::nullopt;
        }
        return with_gil([&]() -> std::optional<double> {
            py::object v = inverse_->get()(L);
            if (v.is_none()) {
                why = "the Python loss law's log_compute_for_loss() returned None";
                return std::nullopt;
            }
            return v.cast<double>();
        });
    }

private:
    std::shared_ptr<PyRef> loss_, inverse_;
    std::shared_ptr<PyRef> obj_;
};

/// The keyword arguments of a model's constructor: its resolved parameters.
py::dict kwargs_of(const plugin::Params& p) {
    py::dict kw;
    for (const auto& [name, value] : p.entries()) {
        py::object v;
        if (const auto* d = std::get_if<double>(&value))
            v = py::float_(*d);
        else if (const auto* i = std::get_if<std::int64_t>(&value))
            v = py::int_(*i);
        else if (const auto* b = std::get_if<bool>(&value))
            v = py::bool_(*b);
        else if (const auto* s = std::get_if<std::string>(&value))
            v = py::str(*s);
        else
            v = py::cast(std::get<plugin::Table>(value));
        kw[py::str(name)] = v;
    }
    return kw;
}

plugin::Value value_of(const py::handle& v, plugin::ParamType t, const std::string& name) {
    switch (t) {
        case plugin::ParamType::real:
            return v.cast<double>();
        case plugin::ParamType::integer:
            return v.cast<std::int64_t>();
        case plugin::ParamType::boolean:
            return v.cast<bool>();
        case plugin::ParamType::string:
        case plugin::ParamType::path:
            return v.cast<std::string>();
        case plugin::ParamType::table:
            return v.cast<plugin::Table>();
    }
    throw std::invalid_argument("parameter '" + name + "': unknown type");
}

plugin::ParamType type_of(const std::string& s, const std::string& name) {
    if (s == "real" || s == "float") return plugin::ParamType::real;
    if (s == "integer" || s == "int") return plugin::ParamType::integer;
    if (s == "boolean" || s == "bool") return plugin::ParamType::boolean;
    if (s == "string" || s == "str") return plugin::ParamType::string;
    if (s == "path") return plugin::ParamType::path;
    throw std::invalid_argument("parameter '" + name + "': type '" + s +
                                "' is not one of real, integer, boolean, string, path");
}

/// The class's `params`: {name: default} (a real with that default) or {name: {type, default,
/// unit, doc, required, min, max, greater_than, less_than, choices}}.
plugin::Schema schema_of(const py::object& cls) {
    plugin::Schema schema;
    if (!py::hasattr(cls, "params")) return schema;
    py::object params = cls.attr("params");
    if (params.is_none()) return schema;
    if (!py::isinstance<py::dict>(params)) throw std::invalid_argument("`params` must be a dict {name: spec}");
    static const std::vector<std::string> known{"type", "default", "unit",         "doc",       "required",
                                                "min",  "max",     "greater_than", "less_than", "choices"};
    for (auto item : params.cast<py::dict>()) {
        const std::string name = py::str(item.first);
        const py::handle spec = item.second;
        if (!py::isinstance<py::dict>(spec)) {
            if (spec.is_none()) {
                schema.add_real(name).required();
                continue;
            }
            schema.add_real(name).default_value(spec.cast<double>());
            continue;
        }
        auto d = spec.cast<py::dict>();
        for (auto item : d) {
            const std::string ks = py::str(item.first);
            if (std::find(known.begin(), known.end(), ks) == known.end())
                throw std::invalid_argument("parameter '" + name + "': unknown key '" + ks + "'");
        }
        const plugin::ParamType t =
            type_of(d.contains("type") ? py::str(d["type"]).cast<std::string>() : std::string("real"), name);
        plugin::ParamBuilder b = schema.add(name, t);
        if (d.contains("unit")) b.unit(py::str(d["unit"]));
        if (d.contains("doc")) b.doc(py::str(d["doc"]));
        if (d.contains("required") && py::bool_(d["required"])) b.required();
        if (d.contains("default") && !d["default"].is_none()) b.default_value(value_of(d["default"], t, name));
        if (d.contains("min")) b.at_least(d["min"].cast<double>());
        if (d.contains("greater_than")) b.greater_than(d["greater_than"].cast<double>());
        if (d.contains("max")) b.at_most(d["max"].cast<double>());
        if (d.contains("less_than")) b.less_than(d["less_than"].cast<double>());
        if (d.contains("choices")) b.choices(d["choices"].cast<std::vector<std::string>>());
        if (!d.contains("default") && !d.contains("required")) b.required();
    }
    return schema;
}

/// Instantiates the class with the parameters, with the GIL held.
py::object instantiate(const PyRef& cls, const plugin::Params& p) {
    return with_gil([&] { return cls.get()(**kwargs_of(p)); });
}

}  // namespace

std::vector<plugin::Descriptor> python_descriptors(const std::string& type, const py::object& cls) {
    if (type.empty()) throw std::invalid_argument("a model's type name must not be empty");
    std::string kind;
    if (py::hasattr(cls, "kind")) kind = py::str(cls.attr("kind"));
    const bool is_loss = kind == "loss" || (kind.empty() && py::hasattr(cls, "loss"));
    if (!kind.empty() && kind != "efficiency" && kind != "power" && kind != "loss" && kind != "algorithms")
        throw std::invalid_argument("model '" + type + "': kind '" + kind +
                                    "' is not efficiency, power, loss or algorithms");
    if (is_loss && !py::hasattr(cls, "loss"))
        throw std::invalid_argument("model '" + type + "': a loss law needs a method loss(log_C)");
    if (!is_loss && !py::hasattr(cls, "log_value"))
        throw std::invalid_argument("model '" + type + "': a rate model needs a method log_value(t, log_C)");

    plugin::Descriptor d;
    d.type = type;
    d.schema = schema_of(cls);
    std::string doc = py::hasattr(cls, "__doc__") && !cls.attr("__doc__").is_none()
                          ? py::str(cls.attr("__doc__")).cast<std::string>()
                          : std::string();
    d.summary = py::hasattr(cls, "summary")
                    ? py::str(cls.attr("summary")).cast<std::string>()
                    : "a model written in Python (" + py::str(cls.attr("__qualname__")).cast<std::string>() + ")";
    d.doc = doc;
    auto ref = std::make_shared<PyRef>(cls);
    std::vector<plugin::Descriptor> out;
    if (is_loss) {
        d.kind = plugin::Kind::loss;
        d.make_loss = [ref](const plugin::Params& p, const plugin::BuildContext&) -> std::unique_ptr<plugin::LossLaw> {
            py::object obj = instantiate(*ref, p);
            py::gil_scoped_acquire gil;
            return std::make_unique<PyLoss>(std::move(obj));
        };
        out.push_back(std::move(d));
        return out;
    }
    d.make_rate = [ref](const plugin::Params& p, const plugin::BuildContext&) -> std::unique_ptr<plugin::RateModel> {
        py::object obj = instantiate(*ref, p);
        py::gil_scoped_acquire gil;
        return std::make_unique<PyRate>(std::move(obj));
    };
    if (kind == "efficiency" || kind.empty()) {
        d.kind = plugin::Kind::efficiency;
        out.push_back(d);
    }
    if (kind == "power" || kind.empty()) {
        d.kind = plugin::Kind::power;
        out.push_back(d);
    }
    if (kind == "algorithms") {  // only when the class says so (racesim.AlgorithmsModel)
        d.kind = plugin::Kind::algorithms;
        out.push_back(d);
    }
    return out;
}

}  // namespace racesim::python
