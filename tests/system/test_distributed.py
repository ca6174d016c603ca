"""Many workers, one study: `python sweep.py -m` processes sharing a storage and a tracking server.

Real PostgreSQL and `mlflow server` on loopback (``support/servers.py``); the SIGKILL test also runs on
the default SQLite files, with no server at all.
"""

from __future__ import annotations

import os
import re
import subprocess
import time

import optuna
import pytest
from mlflow.tracking import MlflowClient
from optuna.trial import TrialState

from support import wait_until
from support.sweep_runner import run_sweep
from support.workers import (
    FINISHED, KILL_ARGS, SERVERS, check_recovered, kill, runs_of, start_sweep, trials_of, wait_for_victim,
)


def added(log: str) -> int:
    """Trials this worker added, from its summary line `<study>: N new trials; in all ...`."""
    return sum(int(n) for n in re.findall(r": (\d+) new trials?; in all ", log))


@pytest.mark.postgres
def test_three_workers_share_one_study_with_an_exact_budget(postgres, mlflow_server, tmp_path):
    storage = postgres.database("three_workers")
    args = [
        *SERVERS, f"hydra.sweeper.storage={storage}", f"mlflow.tracking_uri={mlflow_server.url}",
        "hydra.sweeper.study_name=three", "model=quadratic", "optimizer=rmsprop",
        "hydra.sweeper.n_trials=9", "hydra.sweeper.max_trials=9",
        "train.steps=6000", "train.eval_every=1500",   # ~0.1 s of training: the workers interleave
    ]
    workers = [start_sweep(tmp_path / f"worker{i}", *args) for i in range(3)]
    logs = [w.communicate(timeout=300)[0] for w in workers]
    for w, log in zip(workers, logs):
        # 3: this worker found the budget already spent by the others, which is allowed.
        assert w.returncode in (0, 3), log[-3000:]
        assert "Traceback" not in log
    assert sum(added(log) for log in logs) == 9

    study = optuna.load_study(study_name="three.quadratic.rmsprop", storage=storage)
    trials = study.trials
    assert [t.number for t in trials] == list(range(9))
    assert all(t.state in FINISHED for t in trials), [t.state for t in trials]
    points = {tuple(sorted(t.params.items())) for t in trials}
    assert len(points) == 9, "two workers drew the same point"

    parents, children = runs_of(mlflow_server.url, "gammasweep-three")
    assert len(parents) == 1, [p.info.run_name for p in parents]
    assert parents[0].info.run_id == study.user_attrs["mlflow_parent_run_id"]
    assert sorted(int(c.data.tags["gammasweep.trial"]) for c in children) == list(range(9))
    assert {c.data.tags["mlflow.parentRunId"] for c in children} == {parents[0].info.run_id}
    by_number = {t.number: t for t in trials}
    for child in children:
        trial = by_number[int(child.data.tags["gammasweep.trial"])]
        assert trial.user_attrs["mlflow_run_id"] == child.info.run_id
        for name in ("lr", "gamma", "eps"):
            assert float(child.data.params[name]) == pytest.approx(trial.params[f"optimizer.{name}"], rel=1e-12)


def test_two_workers_on_sqlite_share_a_grid_without_repeating_a_point(tmp_path):
    """The grid's counter lives in the study, advanced under the storage lock (samplers.py)."""
    storage = f"sqlite:///{tmp_path}/optuna.db"
    args = [f"hydra.sweeper.storage={storage}", f"mlflow.tracking_uri=sqlite:///{tmp_path}/mlflow.db",
            "hydra.sweeper.study_name=grid", "model=quadratic", "optimizer=rmsprop",
            "hydra.sweeper.sampler.name=grid", "optimizer.gamma=choice(0.0,0.5,0.9,0.99)",
            "optimizer.lr=tag(log,interval(1e-3,1e-1))", "hydra.sweeper.grid_points=3",
            "optimizer.eps=1e-8", "hydra.sweeper.n_trials=100", "hydra.sweeper.population=1",
            "train.steps=2000", "train.eval_every=500"]
    workers = [start_sweep(tmp_path / f"worker{i}", *args) for i in range(2)]
    logs = [w.communicate(timeout=300)[0] for w in workers]
    for w, log in zip(workers, logs):
        assert w.returncode in (0, 3), log[-3000:]
    trials = optuna.load_study(study_name="grid.quadratic.rmsprop", storage=storage).trials
    points = [(t.params["optimizer.gamma"], t.params["optimizer.lr"]) for t in trials]
    assert len(points) == 12 and len(set(points)) == 12, "two workers ran the same point"
    assert sum(added(log) for log in logs) == 12


def test_sigkilled_worker_on_sqlite_resumes_without_losing_finished_trials(tmp_path):
    """The default files, no server: kill the only worker mid-trial, run the same command again."""
    storage, tracking_uri = f"sqlite:///{tmp_path}/optuna.db", f"sqlite:///{tmp_path}/mlflow.db"
    first = start_sweep(tmp_path, *KILL_ARGS)
    victim = wait_for_victim(storage, "resume.quadratic.rmsprop", first)
    done_before = kill(first, storage)
    second = run_sweep(tmp_path, *KILL_ARGS)   # asserts exit 0
    check_recovered(second.stdout + second.stderr, storage, tracking_uri, victim, done_before)


@pytest.mark.postgres
def test_sigkilled_worker_trial_is_retried_by_the_other_worker(postgres, mlflow_server, tmp_path):
    """Two workers on PostgreSQL; one is killed mid-trial; the other fails, retries and finishes it."""
    storage = postgres.database("killed_worker")
    args = [*SERVERS, f"hydra.sweeper.storage={storage}", f"mlflow.tracking_uri={mlflow_server.url}", *KILL_ARGS]
    doomed, survivor = start_sweep(tmp_path / "a", *args), start_sweep(tmp_path / "b", *args)
    victim = wait_for_victim(storage, "resume.quadratic.rmsprop", doomed)
    done_before = kill(doomed, storage)
    log = survivor.communicate(timeout=300)[0]
    assert survivor.returncode == 0, log[-3000:]
    check_recovered(log, storage, mlflow_server.url, victim, done_before)
    again = run_sweep(tmp_path / "b", *args, check=False)
    assert again.returncode == 3, "the budget is spent: nothing to do"


def test_unreachable_postgres_is_one_clear_error(tmp_path, closed_port):
    pytest.importorskip("psycopg2", reason="psycopg2 is not installed: pip install -e '.[scale]'")
    url = f"postgresql+psycopg2://gammasweep:s3cret@127.0.0.1:{closed_port}/optuna"   # nothing listens
    started = time.monotonic()
    proc = run_sweep(tmp_path, "model=quadratic", f"hydra.sweeper.storage={url}", check=False)
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "Cannot open the Optuna storage" in proc.stderr and "after 3 attempts" in proc.stderr
    assert "s3cret" not in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert time.monotonic() - started < 60, "bounded retries"


def test_unreachable_mlflow_server_is_one_clear_error(tmp_path, closed_port):
    uri = f"http://127.0.0.1:{closed_port}"
    proc = run_sweep(tmp_path, "model=quadratic", "optimizer=sgd", f"mlflow.tracking_uri={uri}", check=False)
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert f"Cannot reach the MLflow tracking server '{uri}'" in proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert not (tmp_path / "optuna.db").exists(), "no study may be created without its tracking server"


@pytest.fixture
def full_disk(tmp_path):
    """A 64 KiB tmpfs: a real "No space left on device" (needs root, as in CI; skips elsewhere)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)],
                                           capture_output=True).returncode != 0:
        pytest.skip("mounting a tiny tmpfs needs root")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_full_artifact_disk_keeps_the_runs_metrics_and_says_so(full_disk, tmp_path, caplog):
    from sweeps import tracking

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    experiment = tracking.ensure_experiment(uri, "full-disk", str(full_disk))
    run = tracking.start_child(uri, experiment, None, "trial", {"gammasweep.trial": 0})
    tracking.log_all(uri, run, params={"lr": 0.1}, metrics={"test_loss": 1.5})
    curve = tmp_path / "loss_curve.png"
    curve.write_bytes(os.urandom(256 * 1024))   # four times the disk

    assert tracking.log_artifact(uri, run, str(curve)) is False
    data = MlflowClient(tracking_uri=uri).get_run(run).data
    assert data.metrics["test_loss"] == 1.5 and data.params["lr"] == "0.1"
    assert "No space left on device" in data.tags["gammasweep.artifact_error"]
    assert "Could not store the artifact 'loss_curve.png'" in caplog.text


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_storage_lock_excludes_other_workers_and_gives_up_clearly(backend, request, tmp_path):
    from optuna.storages import RDBStorage

    from sweeps.errors import SweepError
    from sweeps.storages.lock import storage_lock

    url = (f"sqlite:///{tmp_path}/optuna.db" if backend == "sqlite"
           else request.getfixturevalue("postgres").database("lock"))
    mine, theirs = RDBStorage(url), RDBStorage(url)   # two workers: two engines, two connections
    with storage_lock(mine, "study s"):
        with pytest.raises(SweepError, match="for the storage lock 'study s"):
            with storage_lock(theirs, "study s", timeout=0.3):
                pass
    with storage_lock(theirs, "study s", timeout=1):   # released
        pass


def test_sigkilled_population_job_fails_and_retries_every_member(tmp_path):
    """TPE's start-up trials stacked in one job (population=auto); kill it; the next run redoes each."""
    storage, name = f"sqlite:///{tmp_path}/optuna.db", "resume.quadratic.rmsprop"
    args = [a for a in KILL_ARGS if not a.startswith(("hydra.sweeper.population", "train."))]
    args += ["train.steps=200000", "train.eval_every=50000"]   # a stack runs for seconds
    first = start_sweep(tmp_path, *args)

    def two_in_flight():
        assert first.poll() is None, first.communicate()[0][-3000:]
        running = [t for t in trials_of(storage, name)
                   if t.state == TrialState.RUNNING and "mlflow_run_id" in t.user_attrs]
        return len(running) >= 2

    wait_until(two_in_flight, 120)
    kill(first, storage)
    # the victims: every trial in flight when it died (the stack may have grown since the poll)
    running = [t for t in optuna.load_study(study_name=name, storage=storage).trials
               if t.state == TrialState.RUNNING]
    log = run_sweep(tmp_path, *args).stdout   # the same command
    trials = optuna.load_study(study_name=name, storage=storage).trials
    failed = [t for t in trials if t.state == TrialState.FAIL]
    assert sorted(t.number for t in failed) == sorted(t.number for t in running)
    for victim in failed:
        assert f"Trial {victim.number} of {name}: its worker died; MLflow run(s)" in log
        retry = [t for t in trials if t.system_attrs.get("failed_trial") == victim.number]
        assert len(retry) == 1 and retry[0].state in FINISHED and retry[0].params == victim.params
    assert sum(t.state in FINISHED for t in trials) == 6
    assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
