"""Ctrl-C and SIGTERM: the user's ways to stop a command, told apart from a plugin raising them.

Only the command installs these handlers (in the main thread, for its run, then puts back the
ones it found); as a library evalkit changes no signal handling. While they are installed, a
`KeyboardInterrupt` or `Terminated` is the user's only when a signal came: one a plugin raises
itself is that plugin's failure (`Plugins.call`)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Terminated(BaseException):
    """SIGTERM arrived: the command stops as on Ctrl-C (nothing half-written), exit 143."""


_state = {"installed": False, "signalled": False}


@contextmanager
def stopping_on_signals() -> Iterator[None]:
    """SIGINT raises KeyboardInterrupt and SIGTERM `Terminated`, each noted as the user's."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        _state["signalled"] = True
        raise KeyboardInterrupt if signum == signal.SIGINT else Terminated

    previous = {number: signal.signal(number, stop) for number in (signal.SIGINT, signal.SIGTERM)}
    _state.update(installed=True, signalled=False)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        _state.update(installed=False, signalled=False)


def by_user(error: BaseException) -> bool:
    """Whether `error` stops the command because the user asked (a signal), not a plugin."""
    if not isinstance(error, (KeyboardInterrupt, Terminated)):
        return False
    return _state["signalled"] or not _state["installed"]
