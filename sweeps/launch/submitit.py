"""Trials as submitit jobs (hydra-submitit-launcher: `hydra/launcher=submitit_slurm` or `submitit_local`).

Hydra's submitit launcher waits for its jobs in turn and raises at the first one that died
(killed, out of memory, node lost), leaving the others running unwatched and their results
unread. ``launch`` submits the batch as that launcher does (one job array, the same folders and
parameters), then waits for every job: a job that died gives ``JobDied`` in its place, and the
sweeper fails and re-queues its trials as it does for a dead worker (``storages.heartbeat.fail_dead``); a
job that raised outside the task gives its error, which fails its trials as a crash would. A
sweeper interrupted while it waits (Ctrl-C, SIGTERM) cancels the batch's cluster jobs before it
re-queues their trials; local jobs (whose submitit controller would print a traceback when
cancelled) and the jobs of a sweeper killed outright end by their ``lifeline``. A job that
finishes after its trial was re-queued logs its run FAILED, not FINISHED (``jobs.member``).
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any, Sequence

from hydra.core.singleton import Singleton
from hydra.core.utils import filter_overrides
from omegaconf import OmegaConf

from sweeps.adapters import hydra_private
from sweeps.hydra.private_files import private_folder

log = logging.getLogger(__name__)


class JobDied:
    """A job's place in the batch when its process ended without a result."""

    def __init__(self, message: str):
        self.message = message


def _fixed_part(folder: Path) -> Path:
    """The folder without its per-job components (``.submitit`` of ``.submitit/%j``)."""
    return next(p for p in (folder, *folder.parents) if "%" not in str(p))


def is_submitit(launcher: Any) -> bool:
    return type(launcher).__module__.startswith("hydra_plugins.hydra_submitit_launcher")


def launch(launcher: Any, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> list[Any]:
    """``launcher.launch`` (hydra-submitit-launcher 1.2), with every job waited for."""
    import submitit
    from hydra_plugins.hydra_submitit_launcher.config import BaseQueueConf

    kind, params = hydra_private.submitit_cluster(launcher), launcher.params
    init = {f"{kind}_max_num_timeout": params["max_num_timeout"]} if "max_num_timeout" in params else {}
    executor = submitit.AutoExecutor(cluster=kind, folder=params["submitit_folder"], **init)
    base = set(OmegaConf.structured(BaseQueueConf).keys())
    executor.update_parameters(**{k if k in base else f"{kind}_{k}": v for k, v in params.items()
                                  if k not in ("submitit_folder", "max_num_timeout")})
    sweep_dir = Path(str(launcher.config.hydra.sweep.dir))
    sweep_dir.mkdir(parents=True, exist_ok=True)
    jobs_root = _fixed_part(Path(params["submitit_folder"]))   # pickled jobs: configs with URIs
    if jobs_root.is_relative_to(sweep_dir):   # a folder of the user's own elsewhere keeps its mode
        private_folder(jobs_root)
    calls = [(list(o), "hydra.sweep.dir", initial_job_idx + i, f"job_id_for_{initial_job_idx + i}",
              Singleton.get_state()) for i, o in enumerate(job_overrides)]
    for overrides, _, idx, _, _ in calls:
        log.debug("submitit job #%d: %s", idx, " ".join(filter_overrides(overrides)))
    jobs = executor.map_array(launcher, *zip(*calls))
    try:
        return _wait(jobs)
    except BaseException:   # interrupted (Ctrl-C, SIGTERM): the jobs end with the sweep
        if kind != "local":   # local jobs end by their lifeline, without submitit's traceback
            for job in jobs:
                with contextlib.suppress(Exception):
                    if not job.done():
                        job.cancel(check=False)
        raise


def _wait(jobs: list[Any]) -> list[Any]:
    """Each job's result, ``JobDied`` or the error it raised outside the task."""
    from submitit.core.utils import FailedJobError, UncompletedJobError

    returns: list[Any] = []
    for job in jobs:
        try:
            returns.append(job.results()[0])
        except FailedJobError as e:   # it ran and raised outside the task: a crash, as in the job
            returns.append(e)
        except UncompletedJobError as e:   # no result: the job's process died
            first = (str(e).splitlines() or [""])[0]
            returns.append(JobDied(f"its submitit job {job.job_id} ended without a result ({first})"))
    return returns

