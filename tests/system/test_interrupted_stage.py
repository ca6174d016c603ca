"""A sweeper killed inside its confirmation stage (the OOM killer, a reboot) leaves the stage's
trials queued and one running; the same command run again runs every one of them. The stage used to
budget only the trials it enqueued itself, found them all enqueued already, and ended with none run:
a resumed `gamma_rigorous` left 76 of 110 confirmation runs waiting and reported without them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter

from optuna.trial import TrialState

from support import wait_until
from support.sweep_runner import ROOT, run_sweep, tiny
from support.workers import trials_of

STUDY = "default.quadratic.rmsprop"
SEEDS = 5
# ~5 s a confirmation trial: the one seen running is still running when the sweeper is killed
ARGS = ["model=quadratic", "optimizer=rmsprop", "hydra.sweeper.n_trials=3", "hydra.sweeper.max_trials=3", "hydra.sweeper.population=1",
        "hydra.sweeper.pruner.name=none", f"hydra.sweeper.seeds.n={SEEDS}", "hydra.sweeper.seeds.per=[]",
        "train.steps=1000000", "train.eval_every=250000"]


def test_a_confirmation_stage_killed_midway_runs_all_its_trials_when_resumed(tmp_path):
    storage = f"sqlite:///{tmp_path}/optuna.db"
    cmd = [sys.executable, str(ROOT / "sweep.py"), "-m", f"output_dir={tmp_path}", *tiny(ARGS), *ARGS]
    env = dict(os.environ, HYDRA_FULL_ERROR="0", PYTHONWARNINGS="ignore")
    sweeper = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def confirming():
            assert sweeper.poll() is None, "the sweep ended before the kill"
            states = Counter(t.state for t in trials_of(storage, f"{STUDY}.seeds"))
            return states[TrialState.RUNNING] and states[TrialState.WAITING]

        assert wait_until(confirming, 300, interval=0.2), "the confirmation stage never ran"
    finally:
        sweeper.send_signal(signal.SIGKILL)
        sweeper.wait()

    run_sweep(tmp_path, *ARGS, timeout=600)   # the same command: max_trials adds no tuning trial
    trials = trials_of(storage, f"{STUDY}.seeds")
    assert not [t.number for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)], \
        "confirmation trials left queued or running"
    seeds = sorted(t.params["train.seed"] for t in trials if t.state == TrialState.COMPLETE)
    assert seeds == [1 + i for i in range(SEEDS)], "each seed of the best setting confirmed once"
