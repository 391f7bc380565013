"""Signal names for image.stop_signal (Linux x86-64 numbers)."""

from __future__ import annotations

from cvmify.errors import InvalidManifestError

SIGNALS = {
    "SIGHUP": 1, "SIGINT": 2, "SIGQUIT": 3, "SIGILL": 4, "SIGTRAP": 5, "SIGABRT": 6,
    "SIGBUS": 7, "SIGFPE": 8, "SIGKILL": 9, "SIGUSR1": 10, "SIGSEGV": 11, "SIGUSR2": 12,
    "SIGPIPE": 13, "SIGALRM": 14, "SIGTERM": 15, "SIGSTKFLT": 16, "SIGCHLD": 17,
    "SIGCONT": 18, "SIGSTOP": 19, "SIGTSTP": 20, "SIGTTIN": 21, "SIGTTOU": 22,
    "SIGURG": 23, "SIGXCPU": 24, "SIGXFSZ": 25, "SIGVTALRM": 26, "SIGPROF": 27,
    "SIGWINCH": 28, "SIGIO": 29, "SIGPWR": 30, "SIGSYS": 31,
}
NUMBERS = {number: name for name, number in SIGNALS.items()}


def normalize_signal(text: str) -> str:
    """'SIGTERM', 'TERM', 'sigterm' or '15' -> 'SIGTERM'."""
    key = text.strip().upper()
    if key.isdigit() and int(key) in NUMBERS:
        return NUMBERS[int(key)]
    if not key.startswith("SIG"):
        key = "SIG" + key
    if key not in SIGNALS:
        raise InvalidManifestError(f"unknown stop signal {text!r}")
    return key
