"""Hydra's joblib launcher with warm workers: the job context crosses to each worker once.

``hydra-joblib-launcher`` hands every job its whole context: Hydra's config loader (with
gammasweep's ``JobConfigs``), the master config, the task function and Hydra's singletons. Its
loky workers are reused across batches, but each job re-pickles that context in the sweeper
(~160 KiB, 60-100 ms, one job after the other), unpickles it in the worker (40-60 ms), and so
starts from a fresh ``JobConfigs`` whose composition cache is empty: every job pays Hydra's
full composition (~60-140 ms) too. On the MNIST network (~0.7 s a trial) that made two workers
slower than one process.

Here the constant part of the context (loader, master config, task function) is pickled once per
launcher and sent as bytes with a token; a worker unpickles it the first time it sees the token
and reuses that object for every later job, so its ``JobConfigs`` keeps its cache. Hydra's
singletons, which a job mutates, are still sent with every job (38 KiB, a few ms). Everything
else (loky's reusable executor, the jobs' folders, the returns) is the joblib launcher's own.

The workers start at ``setup``, in a thread, and import what a job imports (~3-5 s each) while
the sweeper opens its stores; the first batch waits for them.

    python sweep.py -m hydra/launcher=gammasweep_joblib hydra.launcher.n_jobs=2 hydra.sweeper.n_jobs=16
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import cloudpickle
from hydra.core.config_store import ConfigStore
from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, configure_log, setup_globals
from hydra_plugins.hydra_joblib_launcher.config import JobLibLauncherConf
from hydra_plugins.hydra_joblib_launcher.joblib_launcher import JoblibLauncher
from joblib import Parallel, delayed, parallel_config

from sweeps.adapters import hydra_private, mlflow_private
from sweeps.launch import lifeline

log = logging.getLogger(__name__)

_received: dict[str, Any] = {}   # in a worker: token -> the unpickled context, kept for later jobs


class Shipped:
    """An object pickled once; a process that unpickles it twice gets the first copy back."""

    def __init__(self, obj: Any):
        self.token, self.blob = uuid.uuid4().hex, cloudpickle.dumps(obj)

    def __reduce__(self):
        return _receive, (self.token, self.blob)


def _receive(token: str, blob: bytes) -> Any:
    if token not in _received:
        _received[token] = cloudpickle.loads(blob)
    return _received[token]


class WarmJoblibLauncher(JoblibLauncher):
    """``JoblibLauncher`` whose jobs carry only their overrides and Hydra's singletons."""

    _context: tuple[Shipped, Shipped, Shipped] | None = None
    _warming: threading.Thread | None = None

    def setup(self, **kwargs: Any) -> None:
        super().setup(**kwargs)
        self._warming = threading.Thread(target=self._warm_up, name="warm joblib workers", daemon=True)
        self._warming.start()

    def _warm_up(self) -> None:
        try:
            n = self._parallel_cfg()["n_jobs"]
            n = os.cpu_count() if n in (None, -1) else int(n)
            self._parallel()(delayed(_imports)() for _ in range(max(1, n)))
        except Exception as e:   # the jobs will import for themselves
            log.debug("Warming the joblib workers failed: %s: %s", type(e).__name__, e)

    def _parallel_cfg(self) -> dict[str, Any]:
        cfg = dict(self.joblib)
        cfg.pop("backend", None)   # loky, as in hydra-joblib-launcher: threads are unsafe with Hydra
        hydra_private.joblib_process_cfg(cfg)
        return cfg

    def _parallel(self) -> Parallel:
        """joblib's Parallel on loky workers that exit when the sweeper dies (``lifeline``): the
        first thing a new worker runs, before it waits for jobs."""
        with parallel_config(backend="loky", initializer=lifeline.hold, initargs=(os.environ.get(lifeline.ENV),)):
            return Parallel(**self._parallel_cfg())

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        setup_globals()
        assert self.config is not None and self.task_function is not None and self.hydra_context is not None
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        Path(str(self.config.hydra.sweep.dir)).mkdir(parents=True, exist_ok=True)
        if self._context is None:   # the loader, master config and task are fixed once set up
            self._context = (Shipped(self.hydra_context), Shipped(self.config), Shipped(self.task_function))
        hydra_context, config, task_function = self._context
        if self._warming is not None:
            self._warming.join()
        # the log file's launch line; the console drops it (terminal.console.LAUNCHERS)
        logging.getLogger("sweeps.launch.job").info(
            "Launching %d jobs on %d warm joblib workers", len(job_overrides), self._parallel_cfg()["n_jobs"])
        singleton_state = Singleton.get_state()
        return self._parallel()(
            delayed(hydra_private.joblib_execute_job)(initial_job_idx + i, overrides, hydra_context, config,
                                                      task_function, singleton_state)
            for i, overrides in enumerate(job_overrides)
        )


def _imports() -> None:
    """A job's first imports: the task, MLflow's SQL store and matplotlib (curve_worker's)."""
    time.sleep(0.2)   # hold this worker so that the other takes the next warm-up
    mlflow_private.import_sql_store()

    import sweeps.tracking.curves  # noqa: F401
    import sweeps.jobs.task  # noqa: F401

    gc.collect()
    gc.freeze()   # loky collects garbage after every job (without psutil): ~160 ms a job over
    # the heap the imports built, ~40 ms once it is frozen (benchmarks/cores.py: 5 s → 1.1 s a worker)


@dataclass
class WarmJoblibLauncherConf(JobLibLauncherConf):
    _target_: str = "hydra_plugins.gammasweep_launcher.GammasweepJoblibLauncher"


ConfigStore.instance().store(group="hydra/launcher", name="gammasweep_joblib", node=WarmJoblibLauncherConf,
                             provider="gammasweep")
