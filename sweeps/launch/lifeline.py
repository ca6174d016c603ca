"""A process of the sweep — a joblib worker, a submitit job — dies with the sweeper that launched it.

A sweeper killed outright (SIGKILL, the OOM killer) runs no clean-up: its loky workers and their
resource trackers would idle for minutes, and submitit jobs would finish their trials and log
FINISHED MLflow runs for trials Optuna never records, which the next run then trains again. So
the sweeper writes who it is into its environment (``mark``: host and PID namespace, PID, the
process's start time, so that a reused PID is not mistaken for it), which every process it
starts inherits; a job calls ``hold`` and a thread of its own ends the process within
``INTERVAL`` seconds of the sweeper's death. Its trial stays RUNNING with the dead sweeper as
owner, and the next run fails and re-queues it at once (``storages.heartbeat``) and sets its
MLflow run KILLED. ``check`` is the same test at the moment a job would log a run as FINISHED
(``jobs.member``, which also ends the run FAILED if an interrupted sweeper gave the trial up).

A job on another host (SLURM) cannot see the sweeper's process and is not watched.
"""

from __future__ import annotations

import os
import threading
import time

from sweeps import processes

ENV = "GAMMASWEEP_SWEEPER"
INTERVAL = 0.5   # seconds between two looks at the sweeper: one read of /proc/<pid>/stat

_held: list[str] = []


def mark() -> None:
    """In the sweeper: processes started from now on know it as the sweeper."""
    os.environ[ENV] = "|".join(map(str, processes.identity()))


def hold(sweeper: str | None = None) -> None:
    """In a worker or job: exit when the sweeper (``sweeper``, else the one in the environment)
    is gone. Once per process; nothing when there is no sweeper to watch (a single run), when
    this process is the sweeper (the basic launcher), or when the sweeper runs on another host."""
    sweeper = sweeper or os.environ.get(ENV)
    if _held or not _watchable(sweeper):
        return
    _held.append(sweeper)
    if not alive(sweeper):   # gone while this process was starting up
        os._exit(1)

    def watch() -> None:
        while alive(sweeper):
            time.sleep(INTERVAL)
        os._exit(1)

    threading.Thread(target=watch, name="gammasweep-lifeline", daemon=True).start()


def held() -> bool:
    """Whether this process is a job holding on to a sweeper it can see."""
    return bool(_held)


def check() -> None:
    """Exit now if the sweeper this process holds on to is gone."""
    if _held and not alive(_held[0]):
        os._exit(1)


def alive(sweeper: str) -> bool:
    """Whether the process ``host|pid|start`` still runs (the same process, not a reused PID)."""
    host, pid, started = sweeper.split("|")
    return host != processes.host() or processes.start_time(int(pid)) == (None if started == "None" else started)


def _watchable(sweeper: str | None) -> bool:
    if not sweeper or sweeper.count("|") != 2:
        return False
    host, pid, started = sweeper.split("|")
    return host == processes.host() and pid != str(os.getpid()) and started != "None"
