"""racesim: time- and efficiency-aware AI scaling simulations, from Python.

    import racesim
    res = racesim.run("configs/paper/table2.yaml")   # a path, YAML text, or a dict/list tree
    res.targets                                        # pandas DataFrames, long format
    res.trajectory("baseline")

See docs/python.md for every function, class, column and exception.
"""

import atexit
import json
import os
import threading
import warnings
from typing import Any, Callable, Dict, Mapping, Optional, Union

from . import _racesim
from ._errors import (ConditioningWarning, ConfigError, Diagnostic, Error, LoadError, Note,  # noqa: F401
                      PluginError, PluginPathError, RunError, UnknownTypeError)
from ._models import AlgorithmsModel, EfficiencyModel, LossLaw, PowerSchedule  # noqa: F401
from ._paths import BUILTIN_PLUGIN_DIR
from ._results import Results

__all__ = ["run", "load", "plugins", "describe", "version", "plugin_api_version", "Results", "Experiment",
           "Error", "ConfigError", "LoadError", "RunError", "PluginError", "PluginPathError",
           "UnknownTypeError", "Diagnostic", "Note", "ConditioningWarning", "EfficiencyModel", "PowerSchedule",
           "AlgorithmsModel", "LossLaw", "BUILTIN_PLUGIN_DIR"]

__version__ = _racesim.version()

# Before the interpreter shuts down: stop what still runs on racesim's threads and wait for them.
atexit.register(_racesim._shutdown)


def version() -> str:
    """racesim's version ("0.1.0")."""
    return _racesim.version()


def plugin_api_version() -> int:
    """The plugin API version of this racesim."""
    return _racesim.plugin_api_version()


def _search_path():
    # RACESIM_PLUGIN_PATH first (as the CLI), then the built-in plugins of this build or
    # installation: the compiled module does not live next to a bin/ directory.
    dirs = [d for d in os.environ.get("RACESIM_PLUGIN_PATH", "").split(":") if d]
    if os.path.isdir(BUILTIN_PLUGIN_DIR):
        dirs.append(BUILTIN_PLUGIN_DIR)
    return [d for d in dirs if os.path.isdir(d)]


_default_session = None
_default_key = None
_lock = threading.Lock()


def _session(models: Optional[Mapping[str, type]] = None):
    """The session of a call: one shared per search path; a new one when models are given
    (their types exist only for that run)."""
    global _default_session, _default_key
    path = _search_path()
    if models:
        return _racesim.Session(path, False, dict(models))
    with _lock:
        if _default_session is None or _default_key != path:
            _default_session = _racesim.Session(path, False)
            _default_key = path
        return _default_session


Config = Union[str, "os.PathLike[str]", Mapping[str, Any], list]


class Experiment:
    """A loaded, validated config (see :func:`load`): ``name``, ``file``, ``scenario_count``."""

    def __init__(self, native, models):
        self._native = native
        self._models = models

    @property
    def name(self) -> str:
        return self._native.name

    @property
    def file(self) -> str:
        return self._native.file

    @property
    def scenario_count(self) -> int:
        return self._native.scenario_count

    def run(self, *, jobs: Optional[int] = None, out: Union[None, str, "os.PathLike[str]"] = None,
            force: bool = False, progress: Optional[Callable[[int, int], None]] = None) -> Results:
        """Runs the experiment (see :func:`run`)."""
        return self._run(jobs, out, force, progress)

    def _run(self, jobs, out, force, progress) -> Results:
        # Called by run() and racesim.run(): the warnings point at their caller's line.
        if jobs is not None and (not isinstance(jobs, int) or jobs < 1):
            raise ValueError(f"jobs must be a positive integer or None, not {jobs!r}")
        native = self._native.run(jobs or 0, os.fspath(out) if out is not None else "", bool(force), progress)
        _warn_conditioning(native.conditioning_warnings())
        return Results(native)

    def __repr__(self) -> str:
        return f"<racesim.Experiment {self.name!r}: {self.scenario_count} scenario(s)>"


def _classify(config: Config):
    """(how, what, name, base_dir) of a config: a file path, YAML text or a tree."""
    if isinstance(config, os.PathLike):
        return "file", os.fspath(config), "", ""
    if isinstance(config, (dict, list)) or isinstance(config, Mapping):
        try:
            text = json.dumps(config, allow_nan=False)
        except (TypeError, ValueError) as e:
            raise TypeError(f"a config tree holds only dicts, lists, str, int, float, bool and None: {e}") from None
        return "tree", text, "", ""
    if isinstance(config, str):
        if "\n" not in config and (config.endswith((".yaml", ".yml")) or os.path.isfile(config)):
            return "file", config, "", ""
        return "text", config, "", ""
    raise TypeError(f"config must be a path, YAML text, or a dict/list tree, not {type(config).__name__}")


def load(config: Config, *, models: Optional[Mapping[str, type]] = None,
         base_dir: Union[None, str, "os.PathLike[str]"] = None, name: str = "") -> Experiment:
    """Reads and validates a config without running it.

    ``config``: a path (``str`` ending in .yaml/.yml or naming a file, or ``os.PathLike``),
    YAML text, or a dict/list tree with the structure of a config file. ``models``: types
    written in Python, ``{"type-name": Class}``. ``base_dir``: for YAML text and trees, the
    directory relative paths in the config are taken from (default: the working directory);
    ``name``: the name diagnostics use ("<text>" / "<tree>" by default).
    Raises :class:`ConfigError` (every problem, each a :class:`Diagnostic`).
    """
    how, what, _, _ = _classify(config)
    session = _session(models)
    native = session.load(how, what, name, os.fspath(base_dir) if base_dir is not None else "")
    return Experiment(native, models)


def run(config: Union[Config, Experiment], *, jobs: Optional[int] = None,
        out: Union[None, str, "os.PathLike[str]"] = None, force: bool = False,
        models: Optional[Mapping[str, type]] = None,
        progress: Optional[Callable[[int, int], None]] = None) -> Results:
    """Validates and runs an experiment; returns its :class:`Results` (all in memory).

    ``config``: a path, YAML text, a dict/list tree (see :func:`load`) or an Experiment.
    ``jobs``: threads (default: every core). ``out``: also write the results directory the CLI
    writes (``racesim run --out``), atomically; refused if it exists unless ``force`` (and then
    only a racesim results directory). Nothing is written without ``out``. ``models``: model
    types written in Python. ``progress(done, total)``: called as scenarios and samples finish.

    The GIL is released while the run computes; Ctrl-C raises KeyboardInterrupt promptly and
    leaves no results directory behind. A target time whose estimated relative error exceeds
    1e-8 issues a :class:`ConditioningWarning` (the warning ``racesim run`` prints).
    Raises :class:`ConfigError`, :class:`RunError` (:class:`PluginError` for a model's fault).
    """
    ex = config if isinstance(config, Experiment) else load(config, models=models)
    return ex._run(jobs, out, force, progress)


_WARNINGS_SHOWN = 10  # conditioning warnings given one by one; the rest are counted in one


def _warn_conditioning(found: list) -> None:
    """A ConditioningWarning per target time whose estimated error exceeds 1e-8 (the first
    _WARNINGS_SHOWN of them, then one that counts the others), at the caller of run()."""
    for text in found[:_WARNINGS_SHOWN]:
        warnings.warn(text, ConditioningWarning, stacklevel=4)
    if len(found) > _WARNINGS_SHOWN:
        warnings.warn(f"{len(found) - _WARNINGS_SHOWN} more target times have an estimated relative error above "
                      "1e-08: see the time_error_estimate column of Results.targets", ConditioningWarning,
                      stacklevel=4)


def plugins() -> list:
    """The plugin types on the search path: dicts with kind, type, summary, library (the
    content of ``racesim plugins``)."""
    return _session().plugins()


def describe(type: str) -> list:
    """The parameter schema of every plugin type named ``type`` (one dict per kind that has it):
    the content of ``racesim describe TYPE --format json``. Raises UnknownTypeError."""
    return json.loads(_session().describe_json(type))
