"""One backend per kind of Hydra launcher, behind one interface: launch a batch of jobs, get one
outcome per trial back — its value, ``Pruned``, the error it raised, or ``Died`` (its job ended
without a result: the process was killed, the storage was away).

- ``InProcess``: Hydra's basic launcher; jobs run in the sweeper's process, so figures are drawn
  by a helper process off their path.
- ``HydraLauncher``: any launcher that returns a ``JobReturn`` per job (joblib, the warm joblib
  launcher of ``warm_joblib``, a user's plugin).
- ``Submitit``: hydra-submitit-launcher, every job waited for (``submitit.launch``).
"""

from __future__ import annotations

from typing import Any, Protocol, Sequence

from sweeps.adapters import hydra_private
from sweeps.launch import submitit
from sweeps.storages.rdb import lost_storage


class Died:
    """A trial's outcome when its job ended without the trial's own result."""

    def __init__(self, message: str):
        self.message = message


class Backend(Protocol):
    runs_here: bool   # jobs run in this process

    def launch(self, jobs: Sequence[Sequence[str]], groups: Sequence[Sequence[Any]]) -> list[Any]:
        """Run one job per override list; one outcome per trial of ``groups`` (the trials of
        each job, in order), flattened."""


class HydraLauncher:
    """A Hydra launcher whose ``launch`` returns one ``JobReturn`` per job."""

    runs_here = False

    def __init__(self, launcher: Any):
        self.launcher, self.job_idx = launcher, 0

    def launch(self, jobs: Sequence[Sequence[str]], groups: Sequence[Sequence[Any]]) -> list[Any]:
        returns = self._returns(jobs)
        self.job_idx += len(returns)
        return [outcome for group, ret in zip(groups, returns) for outcome in _outcomes(group, ret)]

    def _returns(self, jobs: Sequence[Sequence[str]]) -> list[Any]:
        return list(self.launcher.launch(jobs, initial_job_idx=self.job_idx))


class InProcess(HydraLauncher):
    """Hydra's basic launcher: the jobs run here, one after another."""

    runs_here = True


class Submitit(HydraLauncher):
    """hydra-submitit-launcher: a job that died gives ``Died`` for its trials, not an exception."""

    def _returns(self, jobs: Sequence[Sequence[str]]) -> list[Any]:
        return submitit.launch(self.launcher, jobs, self.job_idx)


def backend_for(launcher: Any) -> HydraLauncher:
    """The backend of Hydra's instantiated ``launcher``."""
    if submitit.is_submitit(launcher):
        return Submitit(launcher)
    return InProcess(launcher) if hydra_private.is_basic_launcher(launcher) else HydraLauncher(launcher)


def died(outcome: Any) -> str | None:
    """Why a trial has no result of its own (its job died, or the storage was away): such trials
    are failed and retried like a dead worker's, not counted as crashes."""
    if isinstance(outcome, Died):
        return outcome.message
    return lost_storage(outcome)


def _outcomes(group: Sequence[Any], ret: Any) -> list[Any]:
    """A job's return value per trial of its group; a crashed job fails every trial of it."""
    if isinstance(ret, submitit.JobDied):
        return [Died(ret.message)] * len(group)
    if isinstance(ret, BaseException):   # submitit.launch: an error in place of a JobReturn
        return [ret] * len(group)
    try:
        value = ret.return_value  # re-raises the job's exception
    except Exception as e:
        return [e] * len(group)
    return list(value) if len(group) > 1 else [value]
