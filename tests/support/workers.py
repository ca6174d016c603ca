"""Sweeps as workers: `python sweep.py -m` in the background, as a worker on another machine would
run it, then their study's trials and MLflow runs, a worker killed mid-trial and its recovery."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import optuna
from mlflow.tracking import MlflowClient
from optuna.trial import TrialState

from support.sweep_runner import ROOT, TINY
from support.waiting import wait_until

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)
SERVERS = ["mlflow.artifact_location=null"]   # the server stores artifacts (--artifacts-destination)

KILL_ARGS = [
    "hydra.sweeper.study_name=resume", "model=quadratic", "optimizer=rmsprop",
    "hydra.sweeper.n_trials=6", "hydra.sweeper.max_trials=6", "hydra.sweeper.heartbeat_interval=1",
    "hydra.sweeper.grace_period=3", "hydra.sweeper.retry_failed_trials=1",
    "train.steps=40000", "train.eval_every=10000",   # ~0.6 s per trial: slow enough to kill one
    "hydra.sweeper.population=1",   # one trial per job: auto would stack TPE's start-up trials
]
KILLED_STUDY = "resume.quadratic.rmsprop"   # the study of KILL_ARGS


def start_sweep(out: Path, *args: str) -> subprocess.Popen:
    """`python sweep.py -m` in the background, as a worker on another machine would run it."""
    out.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, str(ROOT / "sweep.py"), "-m", f"output_dir={out}", *TINY, *args]
    env = dict(os.environ, HYDRA_FULL_ERROR="0", PYTHONWARNINGS="ignore")
    return subprocess.Popen(cmd, cwd=out, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def trials_of(storage: str, name: str, missing: type[Exception] | tuple = KeyError) -> list:
    """The study's trials; none while loading it raises ``missing`` (KeyError: not created yet)."""
    try:
        return optuna.load_study(study_name=name, storage=storage).trials
    except missing:
        return []


def runs_of(tracking_uri: str, experiment: str):
    client = MlflowClient(tracking_uri=tracking_uri)
    exp = client.get_experiment_by_name(experiment)
    runs = client.search_runs([exp.experiment_id], max_results=1000) if exp else []
    parents = [r for r in runs if "gammasweep.study" in r.data.tags]
    children = [r for r in runs if "gammasweep.trial" in r.data.tags]
    return parents, children


def wait_for_victim(storage: str, name: str, worker: subprocess.Popen, timeout: float = 120):
    """Poll until 2 trials finished and ``worker`` runs one that has its MLflow run: the victim."""
    def victim():
        assert worker.poll() is None, worker.communicate()[0][-3000:]
        trials = trials_of(storage, name)
        running = [t for t in trials if t.state == TrialState.RUNNING and "mlflow_run_id" in t.user_attrs
                   and t.values is None   # not a trial whose result is being recorded right now
                   and t.user_attrs.get("worker", "").endswith(f":{worker.pid}")]
        if sum(t.state in FINISHED for t in trials) >= 2 and running:
            return running[0]
        return None

    found = wait_until(victim, timeout)
    if found is None:
        raise AssertionError("the worker never had a trial in flight")
    return found


def kill(worker: subprocess.Popen, storage: str) -> dict:
    """SIGKILL ``worker``; the finished trials of KILLED_STUDY at that moment, by number."""
    worker.send_signal(signal.SIGKILL)
    worker.communicate()
    trials = optuna.load_study(study_name=KILLED_STUDY, storage=storage).trials
    return {t.number: (t.state, t.params, t.value) for t in trials if t.state in FINISHED}


def check_recovered(log: str, storage: str, tracking_uri: str, victim, done_before: dict) -> None:
    """KILLED_STUDY after a worker was killed in ``victim``: the victim failed and was retried to
    a finished trial, the finished trials untouched, one MLflow run per trial, the victim's KILLED."""
    name = KILLED_STUDY
    assert "Traceback" not in log
    assert f"Trial {victim.number} of {name}: its worker died; MLflow run(s)" in log
    trials = optuna.load_study(study_name=name, storage=storage).trials
    by_number = {t.number: t for t in trials}
    assert not [t.number for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    assert [t.number for t in trials if t.state == TrialState.FAIL] == [victim.number]
    assert sum(t.state in FINISHED for t in trials) == 6
    for number, before in done_before.items():   # finished trials are untouched
        t = by_number[number]
        assert (t.state, t.params, t.value) == before
    retries = [t for t in trials if t.system_attrs.get("failed_trial") == victim.number]
    assert len(retries) == 1 and retries[0].state in FINISHED
    assert retries[0].params == victim.params

    parents, children = runs_of(tracking_uri, "gammasweep-resume")
    assert len(parents) == 1
    runs = {c.info.run_id: c for c in children}
    assert len(children) == len(trials), "one MLflow run per trial, the killed one included"
    killed = runs[victim.user_attrs["mlflow_run_id"]]
    assert killed.info.status == "KILLED" and killed.data.tags["state"] == "KILLED"
    for number in done_before:
        assert runs[by_number[number].user_attrs["mlflow_run_id"]].info.status == "FINISHED"
    assert runs[retries[0].user_attrs["mlflow_run_id"]].info.status == "FINISHED"
