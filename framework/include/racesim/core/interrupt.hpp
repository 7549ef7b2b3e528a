// Clean interruption: SIGINT and SIGTERM only set a flag (async-signal-safe); the integrator
// and the results writer poll it at safe points and unwind with racesim::Interrupted, so that
// temporary files are removed on the way out. A second signal gets the default action
// (immediate termination), so a stuck process can still be stopped from the keyboard.
#pragma once

#include <stdexcept>

namespace racesim {

/// Thrown at a safe point after SIGINT or SIGTERM arrived.
class Interrupted : public std::runtime_error {
public:
    explicit Interrupted(int signal);
    int signal;  ///< SIGINT or SIGTERM
};

/// Installs the handlers (idempotent).
void install_interrupt_handlers();

/// The signal received since the handlers were installed, or 0.
int interrupt_signal() noexcept;

/// Whether that signal came from the terminal (Ctrl-C: the kernel sends it to the whole
/// foreground process group), not from a process's kill(). Async-signal-safe.
bool interrupt_from_terminal() noexcept;

/// Interrupts every run in the process at its next safe point, as if `signal` had arrived
/// (for embedders that handle signals themselves: the Python package on KeyboardInterrupt).
/// Async-signal-safe.
void request_interrupt(int signal) noexcept;

/// Forgets an interrupt received or requested so far, so that later runs are not stopped by
/// it (embedders call it once the interrupted run has unwound).
void clear_interrupt() noexcept;

/// Throws Interrupted when a signal was received. Cheap enough to call once per solver step.
void check_interrupt();

}  // namespace racesim
