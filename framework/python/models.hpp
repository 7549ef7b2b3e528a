// Models written in Python: a Python class becomes an in-process plugin type (a
// plugin::Descriptor whose factory instantiates the class), so that the host builds, guards and
// integrates it like a library's type. Every call into Python takes the GIL.
#pragma once

#include <pybind11/pybind11.h>

#include <memory>
#include <string>
#include <vector>

#include "racesim/plugin/models.hpp"

namespace racesim::python {

/// A Python object that may be copied and destroyed from any thread: its last owner takes the
/// GIL to release it.
class PyRef {
public:
    explicit PyRef(pybind11::object o) : obj_(std::move(o)) {}
    ~PyRef() {
        pybind11::gil_scoped_acquire gil;
        obj_ = pybind11::object();
    }
    PyRef(const PyRef&) = delete;
    PyRef& operator=(const PyRef&) = delete;
    [[nodiscard]] const pybind11::object& get() const { return obj_; }

private:
    pybind11::object obj_;
};

/// Set at interpreter exit: calls into Python models then fail at once (a RunError), so that
/// the run threads finish without the GIL.
void set_exiting();
[[nodiscard]] bool exiting();

/// The descriptors of one Python model class registered as `type`: one for a loss law, one for
/// a rate model of kind "efficiency" or "power", or one of each rate kind when the class does
/// not say (`kind` attribute). Reads the class's `params` (schema), `summary` and `__doc__`.
/// Throws std::invalid_argument for a malformed schema or kind. Call with the GIL held.
std::vector<plugin::Descriptor> python_descriptors(const std::string& type, const pybind11::object& cls);

}  // namespace racesim::python
