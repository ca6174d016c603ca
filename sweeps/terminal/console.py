"""The console of a sweep: what reaches the terminal, and what stays in the log files.

Hydra's launchers log two lines per job (``Launching 1 jobs locally``, ``#3 : overrides``); a
study of 100 trials would print 200 of them. The console handler of Hydra's logging configs
(``conf/hydra/*_logging/gammasweep.yaml``) drops them — the job's log file keeps them — and,
while the progress bar shows, each trial's own line too (the bar counts it). Everything at
WARNING and above is printed, above the bar. ``GAMMASWEEP_VERBOSE=1`` prints every line.
"""

from __future__ import annotations

import logging
import os

from . import progress
from ..adapters.hydra_private import JOB_LINE_LOGGERS

# The loggers of Hydra's per-job launch lines (basic and joblib launchers), and our own copy of
# that line, which each job writes into its log file (Hydra logs it before the job's file exists).
LAUNCHERS = (*JOB_LINE_LOGGERS, "sweeps.launch.job")
# One line per finished trial: replaced by the bar on a terminal.
PER_TRIAL = ("sweeps.jobs.member",)


def shown(record: logging.LogRecord, bar_active: bool, verbose: bool = False) -> bool:
    """Whether the console prints ``record``."""
    if verbose or record.levelno >= logging.WARNING:
        return True
    if record.name.startswith(LAUNCHERS):
        return False
    return not (bar_active and record.name.startswith(PER_TRIAL))


def log_job(overrides: list[str]) -> None:
    """The job's launch line, for its log file only (the console drops it)."""
    logging.getLogger("sweeps.launch.job").info("Launched with: %s", " ".join(overrides))


class ConsoleHandler(logging.StreamHandler):
    """``logging.StreamHandler`` that leaves out the lines above and writes above the bar."""

    def emit(self, record: logging.LogRecord) -> None:
        bar = progress.active()
        if not shown(record, bar is not None, os.environ.get("GAMMASWEEP_VERBOSE", "") not in ("", "0")):
            return
        if bar is None:
            super().emit(record)
            return
        try:
            bar.write(self.format(record))
        except Exception:
            self.handleError(record)
