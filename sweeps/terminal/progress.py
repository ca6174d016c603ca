"""One progress bar per invocation: trials done of planned, best so far, elapsed, time left.

Drawn with tqdm on stderr, and only on a terminal: under cron or CI (stderr not a TTY) nothing
is drawn and the log lines stay as they were. ``GAMMASWEEP_PROGRESS=on|off`` overrides.

The report that follows the trials (``ReportProgress``) logs one line when it starts and one when
it is written; on a terminal the bar, by then full, names the step in between.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import time
from typing import Any, Mapping, TextIO

from tqdm import tqdm

from sweeps.tracking.run_labels import number

_ACTIVE: Progress | None = None


def wanted(stream: TextIO = sys.stderr, env: Mapping[str, str] = os.environ) -> bool:
    """Draw a bar? On a terminal (not TERM=dumb) unless GAMMASWEEP_PROGRESS says otherwise."""
    setting = env.get("GAMMASWEEP_PROGRESS", "auto").lower()
    if setting in ("0", "off", "false", "no"):
        return False
    if setting in ("1", "on", "true", "yes"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and env.get("TERM") != "dumb"


def _sized(stream: TextIO) -> bool:
    try:
        return min(os.get_terminal_size(stream.fileno())) > 0
    except (OSError, ValueError, AttributeError):
        return False


def active() -> Progress | None:
    """The bar being drawn, if any (the console handler writes its lines above it)."""
    return _ACTIVE


class Progress:
    """Counts told trials; ``plan(n)`` adds trials to the total as studies are planned."""

    def __init__(self, enabled: bool, stream: TextIO = sys.stderr):
        global _ACTIVE
        self.enabled = enabled
        self.counts = {"pruned": 0, "failed": 0}
        self.best: dict[str, tuple[float, str]] = {}
        self.study = ""
        self.bar = None
        if enabled:
            sized = _sized(stream)   # a terminal of unknown size (0 × 0) gets 120 × 24
            self.bar = tqdm(total=0, file=stream, unit="trial", dynamic_ncols=sized,
                            ncols=None if sized else 120, nrows=None if sized else 24, leave=True,
                            bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} trials "
                                       "[{elapsed} elapsed, {remaining} left]{postfix}")
            _ACTIVE = self

    def plan(self, n: int) -> None:
        if self.bar is not None and n:
            self.bar.total += n
            self.bar.refresh()

    def start(self, study: str) -> None:
        self.study = study
        if self.bar is not None:
            self.bar.set_description(study.split(".", 1)[-1], refresh=True)

    def told(self, study: Any, trial: Any, state: str, value: float | None = None) -> None:
        """One trial done: ``state`` is complete, pruned or failed. The trial's own line is its
        job's (``sweeps.jobs.member``); the bar only counts it."""
        if state in self.counts:
            self.counts[state] += 1
        if state == "complete" and value is not None and math.isfinite(value):
            sign = 1 if study.direction.name == "MINIMIZE" else -1
            held = self.best.get(study.study_name)
            if held is None or sign * value < sign * held[0]:
                self.best[study.study_name] = (value, f"#{trial.number}")
        if self.bar is not None:
            best = self.best.get(study.study_name)
            post = [f"best {number(best[0])} ({best[1]})"] if best else []
            post += [f"{n} {k}" for k, n in self.counts.items() if n]
            self.bar.set_postfix_str(", ".join(post), refresh=False)
            self.bar.update(1)

    def write(self, line: str) -> None:
        if self.bar is not None:
            self.bar.write(line, file=sys.stderr)
        else:
            print(line, file=sys.stderr, flush=True)

    def close(self) -> None:
        global _ACTIVE
        if self.bar is not None:
            self.bar.close()
        if _ACTIVE is self:
            _ACTIVE = None


class ReportProgress:
    """The report's progress: how many studies are analysed again, then each step on the bar."""

    def __init__(self, enabled: bool = True, logger: logging.Logger | None = None):
        self.enabled = enabled
        self.log = logger or logging.getLogger("sweeps.report")
        self.changed = self.total = 0
        self.began = time.monotonic()

    def start(self, changed: int, total: int) -> None:
        self.changed, self.total, self.began = changed, total, time.monotonic()
        if self.enabled:
            self.log.info("Building the report: %s …", self._studies())

    def step(self, what: str) -> None:
        """On a terminal, the bar's description says the step; elsewhere nothing is printed."""
        bar = _ACTIVE.bar if self.enabled and _ACTIVE is not None else None
        if bar is not None:
            bar.set_description("report", refresh=False)
            bar.set_postfix_str(what, refresh=True)

    def done(self) -> None:
        if self.enabled:
            self.step("built")
            self.log.info("Report built in %.0f s: %s.", time.monotonic() - self.began, self._studies())

    def _studies(self) -> str:
        return (f"{self.changed} of {self.total} stud{'y' if self.total == 1 else 'ies'} "
                f"re-analysed ({self.total - self.changed} unchanged)")
