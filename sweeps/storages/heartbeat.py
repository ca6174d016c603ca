"""Heartbeats for trials in flight, so a killed worker's trials do not stay RUNNING forever.

Optuna records heartbeats only inside ``study.optimize``; the sweeper uses ask/tell, so it beats
for its own batch. When a worker dies, its trials stop beating; after ``grace_period`` any other
worker's ``fail_stale`` marks them FAIL and the storage's callback (``rdb.StaleTrials``)
re-queues them. A trial with no heartbeat at all is never stale, hence ``first_beat`` right
after ``ask``, which also records the trial's owner: host, PID and the process's start time.
A worker that can see the owner is gone (same host and PID namespace, no such PID, or a PID
reused by a later process) fails and re-queues the trial at once; the grace period is for owners
it cannot see.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import os
import socket
import threading
from typing import Iterator

import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.trial import FrozenTrial, TrialState

from . import writes
from sweeps import records
from .rdb import retried_numbers
from ..adapters import optuna_private

# records.DEAD is set to the trial's own number before a dead worker's trial is failed: its retry
# is owed. Failing and re-queueing are two writes; a worker killed, or a database restarting,
# between them must not lose the retry, so every ``fail_stale`` also re-queues the owed retries that
# no trial answers yet. (A retry inherits its trial's system attrs: the number tells them apart.)


@contextlib.contextmanager
def beating(study: optuna.Study, trials: list[optuna.Trial], interval: int | None) -> Iterator[None]:
    if not interval:
        yield
        return
    storage, stop = optuna_private.storage_of(study), threading.Event()

    def beat() -> None:
        while True:
            for t in trials:
                with contextlib.suppress(Exception):   # a missed beat is retried next interval
                    storage.record_heartbeat(optuna_private.trial_id(t))
            if stop.wait(interval):
                return

    thread = threading.Thread(target=beat, name="gammasweep-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def first_beat(study: optuna.Study, trials: list[optuna.Trial], interval: int | None) -> None:
    """Beat once for freshly asked trials, so that they can go stale even if we die right now,
    and record this process as their owner."""
    if interval and trials:
        writes.first_beat(study, [optuna_private.trial_id(t) for t in trials], {records.OWNER: list(owner())})


@functools.cache
def owner() -> tuple[str, int, str | None]:
    """(host and PID namespace, PID, start time) of this process."""
    return _host(), os.getpid(), _start_time(os.getpid())


def _host() -> str:
    """The host name, plus the PID namespace where there is one: a PID means a process only
    within its namespace (two containers may share a host name but not their PIDs)."""
    try:
        return f"{socket.gethostname()}/{os.readlink('/proc/self/ns/pid')}"
    except OSError:
        return socket.gethostname()


def _start_time(pid: int) -> str | None:
    """The process's start time (clock ticks after boot, /proc/<pid>/stat field 22), or None
    if it does not run."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()   # state, ppid, ...: after "(name)"
    except OSError:
        return None
    return None if len(fields) < 20 or fields[0] in "ZX" else fields[19]   # a zombie is dead


def _gone(host: str, pid: int, started: str | None) -> bool:
    """True if the owner visibly no longer runs: it ran here, and its PID is gone or reused."""
    if host != _host():
        return False
    if started is not None and os.path.exists("/proc/self/stat"):
        return _start_time(pid) != started
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:   # someone else's live process
        return False
    return False


def _dead_owners(study: optuna.Study) -> dict[int, str]:
    dead = {}
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        found = t.system_attrs.get(records.OWNER)
        if found and _gone(*found):
            dead[optuna_private.trial_id(t)] = (f"its worker (PID {found[1]} on this host) is gone; failed "
                                                f"at once by PID {os.getpid()}")
    return dead


def fail_stale(study: optuna.Study, interval: int | None) -> list[FrozenTrial]:
    """Fail (and, with ``retry_failed_trials``, re-queue) the trials of workers that died: those
    whose owner is visibly gone, and those with no heartbeat for the grace period. Each gets the
    reason in its user attribute ``error``.

    Returns the trials this call failed, as they were when their worker stopped.
    """
    if not interval:
        return []
    why = _dead_owners(study)
    grace = optuna_private.grace_period(study)
    for trial_id in optuna_private.stale_ids(study):   # those Optuna's fail_stale_trials fails
        why.setdefault(trial_id, f"its worker stopped: no heartbeat for the grace period ({grace} s)")
    return fail_dead(study, why)


def fail_dead(study: optuna.Study, why: dict[int, str]) -> list[FrozenTrial]:
    """Fail the RUNNING trials ``why`` names (trial id -> reason, into user attribute ``error``)
    and re-queue them, and any dead trial whose retry was lost, through the storage's stale-trial
    callback; returns those it failed or re-queued. Call it under the study's storage lock, so
    that two workers never re-queue one trial."""
    storage = optuna_private.storage_of(study)
    failed = set()
    for trial_id, reason in why.items():
        try:
            storage.set_trial_user_attr(trial_id, records.ERROR, reason)
            storage.set_trial_system_attr(trial_id, records.DEAD, storage.get_trial_number_from_id(trial_id))
            if storage.set_trial_state_values(trial_id, state=TrialState.FAIL):
                failed.add(trial_id)
        except UpdateFinishedTrialError:   # its owner finished it, or another worker failed it
            pass
    callback = storage.get_heartbeat_stale_trial_callback()
    if callback is None:
        return []
    for trial in unretried(study):   # ours, and any whose retry a killed worker owed
        if optuna_private.trial_id(trial) in failed or callback.owes(trial):
            callback(study, copy.deepcopy(trial))
    return callback.drain()


def unretried(study: optuna.Study) -> list[FrozenTrial]:
    """Failed trials of dead workers that no trial retries (each of Optuna's retries carries the
    numbers of the trials it retries: ``rdb.retried_numbers``)."""
    dead = [t for t in study.get_trials(deepcopy=False, states=(TrialState.FAIL,))
            if t.system_attrs.get(records.DEAD) == t.number]
    if not dead:
        return []
    retried = set(retried_numbers(study.get_trials(deepcopy=False)))
    return [t for t in dead if t.number not in retried]


def running_elsewhere(study: optuna.Study) -> int:
    """How many trials of the study are RUNNING (after this worker told all of its own)."""
    return len(study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)))


def finished_elsewhere(study: optuna.Study, trial: optuna.Trial) -> bool:
    """True if another worker already finished ``trial``: it found it stale, failed and re-queued it."""
    return optuna_private.stored_trial(study, trial).state.is_finished()
