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
import sys

from . import progress
from .. import disk_full
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


class LogFile(logging.FileHandler):
    """``logging.FileHandler`` that stays quiet when the disk is full: Python's logging would print
    a traceback for every line it cannot write, and the sweep says once that the disk is full
    (``sweeps.disk_full``)."""

    def handleError(self, record: logging.LogRecord) -> None:
        if disk_full.caused(sys.exc_info()[1]):
            return
        super().handleError(record)


class NoDiskFullTraceback(logging.Filter):
    """Drops a record whose exception is a full disk. MLflow's SQL store logs every database error
    with its traceback before raising it; the sweep reports the raised error, once."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and disk_full.caused(record.exc_info[1]))


def quiet_disk_full() -> None:
    """Install ``NoDiskFullTraceback`` on MLflow's SQL store logger (once per process)."""
    logger = logging.getLogger("mlflow.store.db.utils")
    if not any(isinstance(f, NoDiskFullTraceback) for f in logger.filters):
        logger.addFilter(NoDiskFullTraceback())
