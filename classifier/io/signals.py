"""Signals during a command: SIGTERM and SIGHUP become an exception, so that temporary files (which may hold
report text) are removed on the way out, as on Ctrl-C; then the process dies of the signal as usual, or, as PID 1
of a container (which a signal does not end), exits with status 128 + the signal's number.

`tension` runs every command under `cleanup_on_termination`; `classifier.labelling.batch` also enters it around a
run, for callers of the library (a nested entry leaves the outer one in charge).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["Terminated", "cleanup_on_termination", "interrupts_held"]


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived during a run; raised so that every temporary file is removed on the way out."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def cleanup_on_termination() -> Iterator[None]:
    """Turn SIGTERM/SIGHUP into an exception for the length of a run, then die of the signal as usual; and let
    only the first Ctrl-C (SIGINT) interrupt a run, so that a second one cannot cut the clean-up short.

    By default these signals end the process at once, leaving temporary files of report text behind.
    Only signals still at their default action are taken over (a caller's own handler, or SIG_IGN under
    nohup, is left alone), and only in the main thread, where Python allows it (the web server labels in
    worker threads). The previous handlers are restored before the signal is delivered again.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, Any] = {}
    received: list[int] = []

    def stop(signum: int, frame: Any) -> None:
        if not received:  # a second signal during the clean-up must not interrupt it
            received.append(signum)
            if _HELD_INTERRUPT["holding"]:
                _HELD_INTERRUPT["pending"] = signum  # raised as Terminated at the end of interrupts_held()
                return
            raise Terminated(signum)

    def interrupt(signum: int, frame: Any) -> None:
        if not received:
            received.append(signum)
            if _HELD_INTERRUPT["holding"]:
                _HELD_INTERRUPT["pending"] = True  # raised at the end of interrupts_held()
                return
            raise KeyboardInterrupt

    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is not None and signal.getsignal(signum) == signal.SIG_DFL:
            previous[signum] = signal.signal(signum, stop)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        previous[signal.SIGINT] = signal.signal(signal.SIGINT, interrupt)
    try:
        yield
    except Terminated as terminated:
        if terminated.signum not in previous:  # an outer entry took the signal over: it ends the process
            raise
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        previous.clear()
        signal.raise_signal(terminated.signum)
        # Still alive: the process is PID 1 (a container's), which the kernel does not end by a signal left at its
        # default action. Exit with the status a shell gives a process ended by it (143 for SIGTERM).
        raise SystemExit(128 + terminated.signum) from None
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


#: A Ctrl-C (True) or SIGTERM/SIGHUP (its number) caught by the handlers of `cleanup_on_termination` while
#: `interrupts_held` holds them.
_HELD_INTERRUPT: dict[str, Any] = {"holding": False, "pending": False}


@contextlib.contextmanager
def interrupts_held() -> Iterator[None]:
    """Hold a Ctrl-C, SIGTERM or SIGHUP that arrives inside the block until its end, where it is raised: a worker
    process is never left half-started (its start-up data cut short, which it would report with a traceback of
    its own), and a model folder is never left half-swapped. Only under the handlers of
    `cleanup_on_termination`; elsewhere the signals act as usual. A block inside another holds nothing more."""
    if _HELD_INTERRUPT["holding"]:
        yield
        return
    _HELD_INTERRUPT.update(holding=True, pending=False)
    try:
        yield
    finally:
        pending = _HELD_INTERRUPT["pending"]
        _HELD_INTERRUPT.update(holding=False, pending=False)
    if pending is True:
        raise KeyboardInterrupt
    if pending:
        raise Terminated(pending)
