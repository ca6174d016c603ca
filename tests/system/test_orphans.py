"""A sweeper killed with SIGKILL (as the OOM killer does: the main PID only) leaves no process
behind: not its figure helper, not multiprocessing's resource tracker (at any moment of its first
seconds), not its warm joblib workers and their resource trackers, not its submitit jobs (mid-batch,
``launch.lifeline``). Its descendants are found by a marker in their environment, which they all
inherit. A killed batch logs no FINISHED MLflow run, and the same command run again gives one
FINISHED run per finished trial."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from optuna.trial import TrialState

from support import wait_until
from support.processes import marked
from support.sweep_runner import ROOT, TINY, run_sweep
from support.workers import FINISHED, runs_of, trials_of

ARGS = ["model=quadratic", "optimizer=rmsprop", "hydra.sweeper.n_trials=50", "mlflow.log_curve_png=true",
        "train.steps=2000", "train.eval_every=500"]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc to find descendants")
@pytest.mark.parametrize("moment", ["0.1 s", "1 s", "helper + 0 s", "helper + 0.3 s", "helper + 0.8 s", "3 s"])
def test_sigkill_of_the_sweeper_leaves_no_process_behind(tmp_path, moment):
    """Killed at a fixed time after start, or just after its figure helper was spawned (while the
    helper is still importing: the moment an orphan used to be born)."""
    mark = uuid.uuid4().hex
    env = dict(os.environ, HYDRA_FULL_ERROR="0", PYTHONWARNINGS="ignore", GAMMASWEEP_TEST_MARK=mark)
    cmd = [sys.executable, str(ROOT / "sweep.py"), "-m", f"output_dir={tmp_path}",
           *[t for t in TINY if not t.startswith(("mlflow.log_curve_png", "train."))], *ARGS]
    sweeper = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if moment.startswith("helper"):
        def helper_started():
            started = any("spawn_main" in _cmdline(p) for p in marked(mark))
            assert started or sweeper.poll() is None, "the figure helper never started"
            return started

        assert wait_until(helper_started, 60, interval=0.02), "the figure helper never started"
        time.sleep(float(moment.split("+")[1].rstrip(" s")))
    else:
        time.sleep(float(moment.rstrip(" s")))
    sweeper.send_signal(signal.SIGKILL)
    sweeper.wait()
    wait_until(lambda: not marked(mark), 8, interval=0.2)
    left = marked(mark)
    names = {pid: _cmdline(pid)[:150] for pid in left}
    for pid in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)   # ours: started by this test
    assert not left, f"left behind when killed at {moment}: {names}"


def _sweeper(tmp_path: Path, mark: str, args: list[str]) -> subprocess.Popen:
    env = dict(os.environ, HYDRA_FULL_ERROR="0", PYTHONWARNINGS="ignore", GAMMASWEEP_TEST_MARK=mark,
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    cmd = [sys.executable, str(ROOT / "sweep.py"), "-m", f"output_dir={tmp_path}", *TINY, *args]
    return subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _kill_mid_batch(tmp_path: Path, args: list[str], study: str, n: int) -> list:
    """Start the sweep, SIGKILL the sweeper while ``n`` trials train in other processes; assert
    that every process of the sweep is gone within 10 s (a lifeline looks twice a second).
    Returns the trials as the kill left them."""
    mark, storage = uuid.uuid4().hex, f"sqlite:///{tmp_path}/optuna.db"
    sweeper = _sweeper(tmp_path, mark, args)
    try:
        def training():   # in a job's own process, with its MLflow run started
            assert sweeper.poll() is None, "the sweep ended before the kill"
            return len([t for t in trials_of(storage, study) if t.state == TrialState.RUNNING
                        and {"mlflow_run_id", "job_process"} <= t.user_attrs.keys()]) >= n

        assert wait_until(training, 120, interval=0.2), "no batch ever trained in the job processes"
    finally:
        sweeper.send_signal(signal.SIGKILL)
        sweeper.wait()
    wait_until(lambda: not marked(mark), 10, interval=0.2)
    left = {pid: _cmdline(pid)[:150] for pid in marked(mark)}
    for pid in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)   # ours: started by this test
    assert not left, f"left behind 10 s after the sweeper was killed: {left}"
    return trials_of(storage, study)


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc to find descendants")
def test_sigkill_of_a_sweeper_with_warm_joblib_workers_takes_the_workers_with_it(tmp_path):
    args = ["workers=both", "model=quadratic", "optimizer=rmsprop", "hydra.sweeper.n_trials=40",
            "hydra.sweeper.population=1", "train.steps=1000000", "train.eval_every=200000"]   # ~5 s a trial
    trials = _kill_mid_batch(tmp_path, args, "default.quadratic.rmsprop", 2)
    in_flight = {t.user_attrs["mlflow_run_id"] for t in trials if t.state == TrialState.RUNNING
                 and "mlflow_run_id" in t.user_attrs}
    _, children = runs_of(f"sqlite:///{tmp_path}/mlflow.db", "gammasweep-default")
    assert in_flight and not [c for c in children if c.info.run_id in in_flight and c.info.status == "FINISHED"]


SUBMITIT = [
    "hydra/launcher=submitit_local", "hydra.launcher.timeout_min=5", "hydra.sweeper.study_name=cluster",
    "model=quadratic", "optimizer=rmsprop", "hydra.sweeper.population=1",
    "hydra.sweeper.n_jobs=2", "hydra.sweeper.n_trials=2", "hydra.sweeper.max_trials=2",
    "hydra.sweeper.heartbeat_interval=1", "hydra.sweeper.grace_period=3", "hydra.sweeper.retry_failed_trials=1",
    # ~5 s a trial: under load, trials of ~1 s could finish between the check and the kill
    "train.steps=1000000", "train.eval_every=250000",
]


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc to find descendants")
def test_sigkill_of_a_sweeper_ends_its_submitit_jobs_and_the_rerun_runs_each_trial_once(tmp_path, monkeypatch):
    """Jobs that outlived their sweeper used to log FINISHED runs for trials Optuna never recorded,
    and the rerun trained those trials again: 6 MLflow runs for 4 trials."""
    # a job imports gammasweep from its own sys.path (`python -m`): this checkout's, as the sweeper's
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher", reason="pip install -e '.[scale]'")
    pytest.importorskip("submitit", reason="pip install -e '.[scale]'")
    study, tracking_uri = "cluster.quadratic.rmsprop", f"sqlite:///{tmp_path}/mlflow.db"
    killed = _kill_mid_batch(tmp_path, SUBMITIT, study, 2)
    _, children = runs_of(tracking_uri, "gammasweep-cluster")
    assert [c.info.status for c in children] == ["RUNNING"] * 2, "the killed jobs logged no FINISHED run"

    run_sweep(tmp_path, *SUBMITIT, timeout=240)   # the same command: the dead batch failed and retried
    trials = trials_of(f"sqlite:///{tmp_path}/optuna.db", study)
    assert sorted(t.state.name for t in trials) == ["COMPLETE"] * 2 + ["FAIL"] * 2
    assert {t.number for t in trials if t.state == TrialState.FAIL} == {t.number for t in killed}
    _, children = runs_of(tracking_uri, "gammasweep-cluster")
    finished = sorted(int(c.data.tags["gammasweep.trial"]) for c in children if c.info.status == "FINISHED")
    assert finished == sorted(t.number for t in trials if t.state in FINISHED), "one FINISHED run per trial"
    assert sorted(c.info.status for c in children) == ["FINISHED"] * 2 + ["KILLED"] * 2
