"""Kill a sweep and run the same command at once: the killed trial's owner is visibly gone (same
host, its PID dead), so the new run fails and retries that trial right away instead of waiting out
the grace period (here ten minutes, far beyond the test's bound)."""

from __future__ import annotations

import subprocess
import time

import optuna
from optuna.trial import TrialState

from support.sweep_runner import run_sweep
from support.workers import FINISHED, KILL_ARGS, check_recovered, kill, start_sweep, wait_for_victim

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
