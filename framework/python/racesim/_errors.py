"""racesim's exceptions and diagnostics (raised by the compiled module, racesim._racesim)."""

from dataclasses import dataclass, field
from typing import List, Optional, Tuple

__all__ = ["Error", "ConfigError", "LoadError", "RunError", "PluginError", "PluginPathError",
           "UnknownTypeError", "Diagnostic", "Note", "ConditioningWarning"]


class ConditioningWarning(UserWarning):
    """A time to target whose estimated relative error (its condition number times the
    solver's tolerance, the ``time_error_estimate`` column of :attr:`Results.targets`) exceeds
    1e-8, with what to do: what ``racesim run`` prints as a warning (docs/numerics.md,
    "Conditioning of a time to target")."""


@dataclass(frozen=True)
class Note:
    """A note attached to a diagnostic: its text and, optionally, a position."""
    text: str
    file: str = ""
    line: int = 0
    column: int = 0
    key_path: str = ""

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Diagnostic:
    """One problem of a config, where it was found.

    ``file`` is the config file ("<text>" for YAML text, "<tree>" for a dict);
    ``line``/``column`` are 1-based (0: unknown; a dict has no lines); ``key_path`` names the
    key in a dict/list tree ("scenarios[0].efficiency.gamma"); ``location`` is the position as
    the CLI prints it ("table2.yaml:12:5", "<tree>:scenarios[0].efficiency.gamma").
    """
    file: str
    line: int
    column: int
    message: str
    notes: List[Note] = field(default_factory=list)
    key_path: str = ""
    code: str = ""
    location: str = ""

    def __str__(self) -> str:
        text = f"{self.location}: error: {self.message}"
        for n in self.notes:
            text += f"\n  note: {n.text}"
        return text


class Error(Exception):
    """Base of racesim's exceptions."""


class ConfigError(Error, ValueError):
    """An invalid config: every problem found, each a :class:`Diagnostic` in ``diagnostics``."""

    def __init__(self, diagnostics: List[Diagnostic]):
        self.diagnostics = list(diagnostics)
        lines = [str(d) for d in self.diagnostics]
        super().__init__(f"invalid configuration ({len(lines)} error(s)):\n" + "\n".join(lines))


class LoadError(ConfigError):
    """A ConfigError that a plugin library that could not be loaded may have caused:
    ``refused`` lists (library, reason); ``installation_fault`` is True when an unknown type
    the config names may live in one of them."""

    def __init__(self, diagnostics: List[Diagnostic], refused: List[Tuple[str, str]] = (),
                 installation_fault: bool = False):
        super().__init__(diagnostics)
        self.refused = list(refused)
        self.installation_fault = installation_fault


class RunError(Error, RuntimeError):
    """A run-time fault (numerical failure, results directory refused, I/O)."""


class PluginError(RunError):
    """A fault of a plugin or of a model written in Python, naming the model (``plugin``, its
    ``kind``), the ``scenario`` and, for evaluation faults, the time ``t`` (yr)."""

    def __init__(self, message: str, plugin: str = "", kind: str = "", scenario: str = "",
                 t: Optional[float] = None, library: str = "", key: str = ""):
        super().__init__(message)
        self.plugin, self.kind, self.scenario, self.t, self.library, self.key = \
            plugin, kind, scenario, t, library, key


class PluginPathError(Error, ValueError):
    """A plugin directory that is not a directory."""


class UnknownTypeError(Error, ValueError):
    """``describe`` of a type no plugin provides; ``suggestion`` is the closest type or ""."""

    def __init__(self, message: str, suggestion: str = ""):
        super().__init__(message)
        self.suggestion = suggestion
