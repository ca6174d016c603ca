"""A sweep stopped by SIGTERM (cron, systemd, SLURM) ends as Ctrl-C ends it (``launch.signals``;
SIGHUP takes the same path: unit/test_signal_handling.py): the trials in flight re-queued, the parent MLflow
run KILLED, no run left RUNNING or logged FINISHED for a re-queued trial, no process left behind
(joblib workers, submitit jobs), one paragraph and exit 128 + the signal's number."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import uuid

import pytest
from optuna.trial import TrialState

from support import wait_until
from support.processes import marked
from support.sweep_runner import ROOT, TINY, mlflow_runs
from support.workers import trials_of

STUDY = "default.quadratic.sgd"
# ~5 s a trial, so the trial seen in flight is still in flight when the signal lands
ARGS = ["model=quadratic", "optimizer=sgd", "hydra.sweeper.n_trials=50", "hydra.sweeper.population=1",
        "hydra.sweeper.pruner.name=none", "train.steps=1000000", "train.eval_every=200000"]


@pytest.mark.parametrize("sig, workers", [
    pytest.param(signal.SIGTERM, ["workers=one"], id="SIGTERM-in-process"),
    pytest.param(signal.SIGTERM, ["workers=both", "hydra.sweeper.n_jobs=2"], id="SIGTERM-joblib-workers"),
    pytest.param(signal.SIGTERM, ["hydra/launcher=submitit_local", "hydra.launcher.timeout_min=5",
                                  "hydra.sweeper.n_jobs=2"], id="SIGTERM-submitit-jobs"),
])
def test_a_stopping_signal_requeues_the_trials_in_flight_and_ends_every_run(tmp_path, sig, workers):
    if "hydra/launcher=submitit_local" in workers:
        pytest.importorskip("hydra_plugins.hydra_submitit_launcher", reason="pip install -e '.[scale]'")
    mark, storage = uuid.uuid4().hex, f"sqlite:///{tmp_path}/optuna.db"
    cmd = [sys.executable, str(ROOT / "sweep.py"), "-m", f"output_dir={tmp_path}", *TINY, *ARGS, *workers]
    env = dict(os.environ, HYDRA_FULL_ERROR="0", PYTHONWARNINGS="ignore", GAMMASWEEP_TEST_MARK=mark,
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))   # submitit's jobs
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        def training():   # a trial in flight with its MLflow run started, asked after one finished:
            # a batch's trials are told one by one, so its last may show RUNNING for a few ms after
            # its first is COMPLETE, and then no trial is in flight when the signal lands
            assert proc.poll() is None, proc.communicate()
            trials = trials_of(storage, STUDY)
            done = [t.datetime_complete for t in trials if t.state == TrialState.COMPLETE]
            return done and any(t.state == TrialState.RUNNING and "mlflow_run_id" in t.user_attrs
                                and t.datetime_start > max(done) for t in trials)

        assert wait_until(training, 120, interval=0.2)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 128 + sig, (out[-2000:], err[-2000:])
    assert f"interrupted ({signal.Signals(sig).name})" in err and "run the same command again" in err
    assert "Traceback" not in out + err

    trials = trials_of(storage, STUDY)
    assert not [t.number for t in trials if t.state == TrialState.RUNNING]
    requeued = [t for t in trials if t.state == TrialState.FAIL]
    assert requeued and all(signal.Signals(sig).name in t.user_attrs["error"] for t in requeued)
    assert len([t for t in trials if t.state == TrialState.WAITING]) == len(requeued)
    runs = mlflow_runs(tmp_path, "gammasweep-default")
    parent = [r for r in runs if "gammasweep.study" in r.data.tags]
    assert [r.info.status for r in parent] == ["KILLED"]
    assert not [r.info.run_name for r in runs if r.info.status == "RUNNING"]
    requeued_runs = {t.user_attrs.get("mlflow_run_id") for t in requeued}
    assert not [r.info.run_name for r in runs if r.info.run_id in requeued_runs and r.info.status == "FINISHED"]
    wait_until(lambda: not marked(mark), 10, interval=0.2)
    left = marked(mark)
    for pid in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)   # ours: started by this test
    assert not left, "a worker outlived the sweeper"
