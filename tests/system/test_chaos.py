"""Chaos, bounded in time: a 3-worker study on PostgreSQL + an MLflow server while PostgreSQL
restarts and workers are SIGKILLed, and a worker's INSERT of a trial commits as the database goes
down (its client sees an error and asks again, leaving a RUNNING trial with no owner and no
heartbeat). It ends with every trial finished, or failed and retried to a finished trial; none
RUNNING or WAITING; no process left behind; one parent run. A later run of the study, left with
another such trial, fails and retries it and finishes too."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid

import optuna
import pytest
from optuna.trial import TrialState

from support import wait_until
from support.processes import marked
from support.sweep_runner import ROOT, TINY
from support.workers import FINISHED, SERVERS, runs_of, trials_of

NAME = "chaos.quadratic.rmsprop"
BUDGET = 12
LOST = "no worker owns it"   # the error of a trial left by a lost INSERT


def lost_insert(storage: str) -> int:
    """A trial as a worker whose INSERT committed while the database went down leaves it:
    RUNNING with sampled params, no owner, no heartbeat (its worker saw the error and asked again)."""
    study = optuna.load_study(study_name=NAME, storage=storage)
    space = next(t.distributions for t in study.get_trials(deepcopy=False) if t.distributions)
    return study.ask(space).number


def retried_to_the_end(trials: list, number: int) -> bool:
    return any(t.system_attrs.get("failed_trial") == number and t.state in FINISHED for t in trials)


@pytest.mark.postgres
def test_chaos_three_workers_restarts_and_kills(postgres, mlflow_server, tmp_path):
    storage = postgres.database("chaos")
    mark = uuid.uuid4().hex
    env = dict(os.environ, HYDRA_FULL_ERROR="0", PYTHONWARNINGS="ignore", GAMMASWEEP_TEST_MARK=mark)
    args = [*SERVERS, f"hydra.sweeper.storage={storage}", f"mlflow.tracking_uri={mlflow_server.url}",
            "hydra.sweeper.study_name=chaos", "model=quadratic", "optimizer=rmsprop",
            f"hydra.sweeper.n_trials={BUDGET}", f"hydra.sweeper.max_trials={BUDGET}",
            "hydra.sweeper.heartbeat_interval=1", "hydra.sweeper.grace_period=3",
            "hydra.sweeper.retry_failed_trials=2", "hydra.sweeper.population=1",
            "train.steps=40000", "train.eval_every=10000"]

    def worker(i: int, *more: str) -> subprocess.Popen:
        out = tmp_path / f"w{i}"
        out.mkdir()
        cmd = [sys.executable, str(ROOT / "sweep.py"), "-m", f"output_dir={out}", *TINY, *args, *more]
        return subprocess.Popen(cmd, cwd=out, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def running_in(w: subprocess.Popen, timeout: float = 120) -> None:
        def in_flight_or_exited():
            trials = trials_of(storage, NAME, missing=Exception)   # not created yet, or restarting
            return any(t.state == TrialState.RUNNING and t.user_attrs.get("worker", "").endswith(f":{w.pid}")
                       and "mlflow_run_id" in t.user_attrs for t in trials) or w.poll() is not None

        if not wait_until(in_flight_or_exited, timeout, interval=0.05):
            raise AssertionError("no trial in flight")

    workers = [worker(i) for i in range(3)]
    running_in(workers[0])
    workers[0].send_signal(signal.SIGKILL)          # a worker killed mid-trial
    lost = lost_insert(storage)                      # an INSERT that committed as the database went down
    postgres.restart(down_for=3)                     # the database restarts under the others
    running_in(workers[1])
    workers[1].send_signal(signal.SIGKILL)          # another one
    workers.append(worker(3))                        # and a replacement joins
    killed = {workers[0].pid, workers[1].pid}
    logs = {}
    for w in workers:
        try:
            logs[w.pid] = w.communicate(timeout=300)[0]
        except subprocess.TimeoutExpired:   # a hang: what every worker and trial was doing
            for v in workers:
                v.kill()
            tails = {v.pid: (v.communicate()[0] or "")[-1500:] for v in workers if v.pid not in logs}
            trials = optuna.load_study(study_name=NAME, storage=storage).trials
            raise AssertionError(f"worker {w.pid} still running after 300 s; trials "
                                 f"{[(t.number, t.state.name, t.user_attrs.get('worker')) for t in trials]}; "
                                 f"logs of the unfinished workers: {tails}") from None
    for w in workers:
        if w.pid not in killed:
            assert w.returncode in (0, 3), logs[w.pid][-4000:]
            assert "Traceback" not in logs[w.pid], logs[w.pid][-4000:]

    trials = optuna.load_study(study_name=NAME, storage=storage).trials
    states = [(t.number, t.state.name) for t in trials]
    assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)], states
    assert sum(t.state in FINISHED for t in trials) == BUDGET, states
    failed = [t for t in trials if t.state == TrialState.FAIL]
    # a retry names the first trial of its chain (Optuna's RetryHeartbeatStaleTrialCallback)
    finished_retries = {t.system_attrs["failed_trial"] for t in trials
                        if "failed_trial" in t.system_attrs and t.state in FINISHED}
    for t in failed:
        assert t.user_attrs.get("error"), f"trial {t.number} failed without a reason"
        root = t.system_attrs.get("failed_trial", t.number)
        assert root in finished_retries, (f"trial {t.number} ({t.user_attrs['error']}) was not retried "
                                          f"to the end: {states}")
    assert LOST in trials[lost].user_attrs["error"] and retried_to_the_end(trials, lost), states

    later_lost = lost_insert(storage)   # a later run finds one too, with one more trial allowed
    later = worker(4, f"hydra.sweeper.max_trials={BUDGET + 1}")
    try:
        log = later.communicate(timeout=180)[0]
    except subprocess.TimeoutExpired:
        later.kill()
        raise AssertionError(f"the later run waited for trial {later_lost}: {later.communicate()[0][-3000:]}")
    assert later.returncode == 0 and "Traceback" not in log, log[-4000:]
    trials = optuna.load_study(study_name=NAME, storage=storage).trials
    states = [(t.number, t.state.name) for t in trials]
    assert LOST in trials[later_lost].user_attrs["error"] and retried_to_the_end(trials, later_lost), states
    assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)], states
    assert sum(t.state in FINISHED for t in trials) == BUDGET + 1, states

    parents, children = runs_of(mlflow_server.url, "gammasweep-chaos")
    assert len(parents) == 1
    assert wait_until(lambda: not marked(mark), 8, interval=0.2), "a process outlived its sweeper"
    print(f"chaos: {len(trials)} trials, {sum(t.state in FINISHED for t in trials)} finished, "
          f"{len(failed)} failed and retried, 2 workers killed, 1 restart, 2 lost inserts retried")
