"""Kill a sweep and run the same command at once: the killed trial's owner is visibly gone (same
host, its PID dead), so the new run fails and retries that trial right away instead of waiting out
the grace period (here ten minutes, far beyond the test's bound). An owner it cannot see, on
another host and without heartbeats, it cannot fail: a later run whose budget that owner's trial
holds stops waiting after twice the grace period plus an interval, and says so in one paragraph."""

from __future__ import annotations

import datetime
import subprocess
import time

import optuna
from optuna.trial import FrozenTrial, TrialState

from sweeps.adapters import optuna_private
from support.sweep_runner import run_sweep
from support.workers import FINISHED, KILL_ARGS, check_recovered, kill, start_sweep, wait_for_victim

ELSEWHERE = ["node7/pid:[4026531836]", 4242, "1234"]   # host and PID namespace, PID, start time

NAME = "resume.quadratic.rmsprop"


def test_killed_trial_of_a_dead_local_owner_is_retried_at_once(tmp_path):
    args = [a for a in KILL_ARGS if not a.startswith("hydra.sweeper.grace_period")]
    args += ["hydra.sweeper.grace_period=600"]
    storage, tracking_uri = f"sqlite:///{tmp_path}/optuna.db", f"sqlite:///{tmp_path}/mlflow.db"
    first = start_sweep(tmp_path, *args)
    victim = wait_for_victim(storage, NAME, first)
    done_before = kill(first, storage)
    started = time.monotonic()
    try:
        second = run_sweep(tmp_path, *args, timeout=120)
    except subprocess.TimeoutExpired:
        trials = optuna.load_study(study_name=NAME, storage=storage).trials
        raise AssertionError(f"the re-run waited for the dead trial: {[(t.number, t.state.name) for t in trials]}")
    assert time.monotonic() - started < 120
    check_recovered(second.stdout + second.stderr, storage, tracking_uri, victim, done_before)
    failed = optuna.load_study(study_name=NAME, storage=storage).trials[victim.number]
    assert failed.state == TrialState.FAIL
    assert "its worker" in failed.user_attrs["error"] and str(first.pid) in failed.user_attrs["error"]
    assert all(t.state in FINISHED or t.number == victim.number
               for t in optuna.load_study(study_name=NAME, storage=storage).trials)

    # a worker on another host, run with heartbeat_interval=null, holds the study's last slot
    study = optuna.load_study(study_name=NAME, storage=storage)
    done = study.trials[0]
    held = optuna_private.add_trial_from(study, FrozenTrial(
        number=-1, trial_id=-1, state=TrialState.RUNNING, value=None, values=None,
        datetime_start=datetime.datetime.now(), datetime_complete=None, params=done.params,
        distributions=done.distributions, user_attrs={}, system_attrs={"gammasweep.owner": ELSEWHERE},
        intermediate_values={}))
    fast = [a for a in args if not a.startswith("hydra.sweeper.grace_period")] + ["hydra.sweeper.grace_period=3"]
    later = run_sweep(tmp_path, *fast, "hydra.sweeper.max_trials=7", check=False, timeout=120)
    log = later.stdout + later.stderr
    (paragraph,) = [line for line in log.splitlines() if "Stopped waiting" in line]
    assert f"trial {held.number} (PID 4242 on node7/pid:[4026531836])" in paragraph and "7 s" in paragraph
    assert later.returncode == 3 and "Traceback" not in log   # nothing added: the budget is held
    assert optuna_private.stored_trial(study, held).state == TrialState.RUNNING   # not this worker's to fail
