"""Run `python sweep.py` as a user would, in a subprocess, with all output under a temp folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import optuna

from support import ROOT

# A few steps of the smallest models: the service is under test here, not the training.
# Without a preset named, the default's first part only: the space the test's arguments narrow
# (its second part, the γ grid with confirmation seeds, has a test of its own: e2e/test_default_study.py).
TINY = ["train.steps=20", "train.eval_every=5", "hydra.sweeper.report=false", "mlflow.log_curve_png=false",
        "hydra.sweeper.parts=[]"]


def tiny(args) -> list[str]:
    """TINY without the keys ``args`` set; a preset's parts stay when ``args`` name a preset."""
    given = {a.split("=")[0] for a in args}
    preset = any(a.startswith("study=") for a in args)
    return [t for t in TINY if t.split("=")[0] not in given
            and not (preset and t.startswith("hydra.sweeper.parts"))]


def interruptible() -> None:
    """``preexec_fn`` for a sweep the test will Ctrl-C: SIGINT back to its default. A shell
    started in the background ignores SIGINT, its children inherit that, and Python then never
    raises KeyboardInterrupt, so the test would measure how CI was launched, not the sweep."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_sweep(out: Path, *args: str, multirun: bool = True, check: bool = True,
              timeout: float = 600) -> subprocess.CompletedProcess:
    cmd = [sys.executable, str(ROOT / "sweep.py")] + (["-m"] if multirun else [])
    cmd += [f"output_dir={out}", *tiny(args), *args]
    env = dict(os.environ, HYDRA_FULL_ERROR="0", PYTHONWARNINGS="ignore")
    proc = subprocess.run(cmd, cwd=out, capture_output=True, text=True, env=env, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def load(out: Path, name: str) -> optuna.Study:
    return optuna.load_study(study_name=name, storage=f"sqlite:///{out}/optuna.db")


def mlflow_runs(out: Path, experiment: str):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{out}/mlflow.db")
    exp = client.get_experiment_by_name(experiment)
    return client.search_runs([exp.experiment_id], max_results=1000) if exp else []


def artifact_names(out: Path, run) -> list[str]:
    """The files logged to ``run`` (a run from ``mlflow_runs``)."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{out}/mlflow.db")
    return [f.path for f in client.list_artifacts(run.info.run_id)]
