"""A sweep stopped by a signal ends as one stopped by Ctrl-C, whoever sends it.

Cron, systemd and SLURM stop a job with SIGTERM (SLURM at its time limit, systemd at ``stop``), a
closed terminal sends SIGHUP. Left to their default, both end the sweeper at once: the trials in
flight and the MLflow parent run stay RUNNING until a later run finds them stale. ``stopping``
turns each into ``Stopped``, a ``KeyboardInterrupt``, so every path that handles Ctrl-C (the
batch re-queued, the parent runs ended KILLED, the closing message) handles them too. The exit
code is the shell's for a death by that signal, 128 + its number: 130 for SIGINT, 143 for SIGTERM,
129 for SIGHUP, what a scheduler expects of a job it stopped.
"""

from __future__ import annotations

import contextlib
import signal
from typing import Iterator

STOPPING = (signal.SIGTERM, signal.SIGHUP)


class Stopped(KeyboardInterrupt):
    """The sweeper was asked to stop by ``signum``."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def name(stop: KeyboardInterrupt) -> str:
    """``SIGTERM``, ``SIGHUP``, or ``Ctrl-C`` for a plain KeyboardInterrupt (SIGINT)."""
    return signal.Signals(stop.signum).name if isinstance(stop, Stopped) else "Ctrl-C"


def exit_code(stop: KeyboardInterrupt) -> int:
    """128 + the signal's number, as a shell reports a process that signal ended."""
    return 128 + (stop.signum if isinstance(stop, Stopped) else signal.SIGINT)


@contextlib.contextmanager
def stopping() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise ``Stopped`` in the main thread, once: a second
    signal while the sweep winds down (systemd repeats none, a user may) is ignored rather than
    breaking the clean-up. A signal its parent set to be ignored (``nohup``) keeps being ignored;
    outside the main thread (where Python cannot set handlers) a no-op."""
    raised = []

    def handler(signum, frame):
        if raised:
            return
        raised.append(signum)
        raise Stopped(signum)

    try:   # an ignored signal stays ignored: `nohup python sweep.py -m &` outlives its terminal
        previous = {s: signal.signal(s, handler) for s in STOPPING if signal.getsignal(s) == signal.SIG_DFL}
    except ValueError:   # not the main thread
        yield
        return
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
