"""The cluster path: trials as submitit jobs (`hydra/launcher=submitit_local`).

``submitit_local`` runs each job as `python -m submitit.core._submit` in a process of its own,
through the same launcher code as ``submitit_slurm`` (pickled launcher, job folders, results read
back from ``.submitit/``); only the executor differs. The jobs reach the study through the storage
URL, as they would from a compute node.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from support import wait_until
from support.sweep_runner import ROOT, run_sweep
from support.workers import FINISHED, SERVERS, runs_of, start_sweep, trials_of

pytest.importorskip("hydra_plugins.hydra_submitit_launcher",
                    reason="hydra-submitit-launcher is not installed: pip install -e '.[scale]'")
pytest.importorskip("submitit", reason="submitit is not installed: pip install -e '.[scale]'")


@pytest.fixture(autouse=True)
def jobs_import_this_checkout(monkeypatch):
    """A job process imports gammasweep from its own sys.path (submitit starts it with
    `python -m`, in the sweep's folder): make that this checkout, not an installed copy."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))

STUDY = "cluster.quadratic.rmsprop"
ARGS = [
    "hydra/launcher=submitit_local", "hydra.sweeper.n_jobs=2", "hydra.launcher.timeout_min=5",
    "hydra.sweeper.study_name=cluster", "model=quadratic", "optimizer=rmsprop",
    "hydra.sweeper.n_trials=4", "hydra.sweeper.max_trials=4",
    "hydra.sweeper.population=1",   # one trial per job: every trial is a submitit job of its own
]


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_submitit_jobs_run_a_study_end_to_end(backend, request, tmp_path):
    if backend == "sqlite":
        storage, tracking_uri, servers = f"sqlite:///{tmp_path}/optuna.db", f"sqlite:///{tmp_path}/mlflow.db", []
    else:
        postgres, mlflow_server = request.getfixturevalue("postgres"), request.getfixturevalue("mlflow_server")
        storage, tracking_uri = postgres.database("submitit"), mlflow_server.url
        servers = [*SERVERS, f"hydra.sweeper.storage={storage}", f"mlflow.tracking_uri={tracking_uri}"]
    started = time.monotonic()
    proc = run_sweep(tmp_path, *ARGS, *servers, timeout=120)
    assert "Traceback" not in proc.stdout + proc.stderr
    assert time.monotonic() - started < 90

    trials = optuna.load_study(study_name=STUDY, storage=storage).trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 4
    sweeper = {t.user_attrs["worker"] for t in trials}
    jobs = {t.user_attrs["job_process"] for t in trials}
    assert len(sweeper) == 1 and len(jobs) == 4 and not sweeper & jobs, "each trial ran in a job of its own"

    sweep_dir = tmp_path / "multirun" / "cluster"
    results = list((sweep_dir / ".submitit").glob("*/*_result.pkl"))
    assert len(results) == 4, "one submitit job per trial, each with its result"
    for t in trials:   # hydra.sweep.subdir: ${trial.study}/${trial.job}
        assert (sweep_dir / STUDY / str(t.number) / ".hydra" / "config.yaml").exists()

    parents, children = runs_of(tracking_uri, "gammasweep-cluster")
    assert len(parents) == 1
    assert sorted(int(c.data.tags["gammasweep.trial"]) for c in children) == [0, 1, 2, 3]
    assert {c.data.tags["mlflow.parentRunId"] for c in children} == {parents[0].info.run_id}
    assert {c.info.status for c in children} == {"FINISHED"}


KILL_ARGS = [
    *(a for a in ARGS if not a.startswith(("hydra.sweeper.n_trials", "hydra.sweeper.max_trials"))),
    "hydra.sweeper.n_trials=2", "hydra.sweeper.max_trials=2",   # one batch of two jobs
    "hydra.sweeper.heartbeat_interval=1", "hydra.sweeper.grace_period=3", "hydra.sweeper.retry_failed_trials=1",
    "train.steps=150000", "train.eval_every=50000",   # ~2 s per trial: time to kill one
]


def test_sigkilled_submitit_job_is_failed_requeued_and_rerun(tmp_path):
    """Kill the process of one job mid-trial (as the OOM killer or a lost node would); the sweeper
    fails and re-queues its trial, and the same command run again finishes it."""
    storage, tracking_uri = f"sqlite:///{tmp_path}/optuna.db", f"sqlite:///{tmp_path}/mlflow.db"
    sweep = start_sweep(tmp_path, *KILL_ARGS)
    victim = _wait_for_job(storage, sweep)
    os.kill(int(victim.user_attrs["job_process"].rpartition(":")[2]), signal.SIGKILL)
    log = sweep.communicate(timeout=120)[0]   # submitit waits 15 s for a dead job's result file
    assert sweep.returncode == 0, log[-3000:]
    assert "Traceback" not in log
    assert f"Trial {victim.number} of {STUDY}: its submitit job" in log
    assert f"Trial {victim.number} of {STUDY}: its worker died; MLflow run(s)" in log

    trials = optuna.load_study(study_name=STUDY, storage=storage).trials
    failed = [t for t in trials if t.state == TrialState.FAIL]
    assert [t.number for t in failed] == [victim.number]
    assert "ended without a result" in failed[0].user_attrs["error"]
    retries = [t for t in trials if t.system_attrs.get("failed_trial") == victim.number]
    assert len(retries) == 1 and retries[0].params == victim.params

    assert retries[0].state == TrialState.WAITING, "the first run's two trials are spent"

    run_sweep(tmp_path, *KILL_ARGS, timeout=120)   # the same command: exit 0, one trial added
    trials = optuna.load_study(study_name=STUDY, storage=storage).trials
    assert not [t.number for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    assert sum(t.state in FINISHED for t in trials) == 2
    assert [t.number for t in trials if t.state == TrialState.FAIL] == [victim.number]
    retry = next(t for t in trials if t.system_attrs.get("failed_trial") == victim.number)
    assert retry.state in FINISHED

    parents, children = runs_of(tracking_uri, "gammasweep-cluster")
    assert len(parents) == 1
    runs = {c.info.run_id: c for c in children}
    assert runs[victim.user_attrs["mlflow_run_id"]].info.status == "KILLED"
    assert runs[retry.user_attrs["mlflow_run_id"]].info.status == "FINISHED"


def _wait_for_job(storage: str, sweep, timeout: float = 60):
    """A trial that a job process is training, with its MLflow run started."""
    def in_flight():
        assert sweep.poll() is None, sweep.communicate()[0][-3000:]
        return [t for t in trials_of(storage, STUDY) if t.state == TrialState.RUNNING
                and {"mlflow_run_id", "job_process"} <= t.user_attrs.keys()]

    running = wait_until(in_flight, timeout)
    if not running:
        raise AssertionError("no submitit job ever had a trial in flight")
    return running[0]
