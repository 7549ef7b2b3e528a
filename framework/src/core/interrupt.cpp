#include "racesim/core/interrupt.hpp"

#include <csignal>
#include <cstring>
#include <string>

namespace racesim {

namespace {

volatile std::sig_atomic_t received = 0;
volatile std::sig_atomic_t from_terminal = 0;

extern "C" void on_signal(int sig, siginfo_t* info, void*) {
    from_terminal = info && info->si_code == SI_KERNEL;  // the terminal's Ctrl-C (or Ctrl-\)
    received = sig;
}

}  // namespace

Interrupted::Interrupted(int sig)
    : std::runtime_error(std::string("interrupted by ") + (sig == SIGINT    ? "SIGINT"
                                                           : sig == SIGTERM ? "SIGTERM"
                                                                            : "a signal")),
      signal(sig) {}

void install_interrupt_handlers() {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND | SA_SIGINFO;  // a second signal terminates at once
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

int interrupt_signal() noexcept {
    return received;
}

bool interrupt_from_terminal() noexcept {
    return from_terminal != 0;
}

void request_interrupt(int sig) noexcept {
    from_terminal = 0;
    received = sig;
}

void clear_interrupt() noexcept {
    received = 0;
    from_terminal = 0;
}

void check_interrupt() {
    if (const int sig = received) throw Interrupted(sig);
}

}  // namespace racesim
