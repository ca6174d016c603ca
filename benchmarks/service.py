"""Trials per minute of whole studies: gammasweep against a plain Optuna + PyTorch + MLflow loop.

    python benchmarks/service.py [--only binary|mnist] [--repeats 1]

Two workloads, the same trials for every contender:
- ``binary``: a 64-trial grid, 8 γ × 8 learning rates, RMSprop on binary_mlp (100→10→10→1) with
  binary_teacher data, 500 steps of batch 128, evaluation every 50 steps;
- ``mnist``: a 16-trial TPE study of RMSprop (lr, γ, ε) on mnist_mlp with mnist_5k, 300 steps.
Contenders, each a fresh process timed from start to exit (imports, database set-up and the
report-free sweep included; every trial ends up in Optuna and in MLflow in all of them):
- gammasweep sequential (`python sweep.py -m`), population (K trials per job, stacked), parallel
  (joblib launcher, 2 workers with one BLAS thread each);
- plain: what a user writes without gammasweep for the same trials — ``study.optimize`` over a
  PyTorch model and ``torch.optim.RMSprop``, a nested MLflow run per trial with one
  ``mlflow.log_metrics`` at every evaluation (see ``plain_loop.py``), SQLite for both stores.
Peak memory is the largest resident set of the process tree (``/usr/bin/time``'s maxrss).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GAMMAS = "0.0,0.5,0.9,0.95,0.99,0.995,0.999,1.0"
WORKLOADS = {
    "binary": dict(
        trials=64,
        sweep=["model=binary_mlp", "optimizer=rmsprop", "hydra.sweeper.sampler.name=grid",
               f"optimizer.gamma=choice({GAMMAS})", "optimizer.lr=tag(log,interval(1e-4,1e-1))",
               "optimizer.eps=1e-8", "hydra.sweeper.grid_points=8", "hydra.sweeper.n_trials=64",
               "hydra.sweeper.pruner.name=none", "train.steps=500", "train.eval_every=50"],
        plain=["--model", "binary", "--grid", GAMMAS, "--lr-points", "8", "--eps-points", "0", "--eps", "1e-8",
               "--steps", "500", "--eval-every", "50", "--trials", "64"],
        population=32,         # what population=auto picks for binary_mlp on a grid
    ),
    "mnist": dict(
        trials=16,
        sweep=["model=mnist_mlp", "optimizer=rmsprop", "hydra.sweeper.n_trials=16",
               "optimizer.lr=tag(log,interval(1e-4,1e-1))", "optimizer.gamma=interval(0.5,1.0)",
               "optimizer.eps=tag(log,interval(1e-10,1e-4))", "hydra.sweeper.pruner.name=none",
               "train.steps=300", "train.eval_every=50"],
        plain=["--model", "mnist", "--steps", "300", "--eval-every", "50", "--trials", "16"],
        population=4,
    ),
}


def timed(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, peak MiB) of a command run under /usr/bin/time."""
    t0 = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "MAXRSS %M", *cmd], cwd=cwd, capture_output=True,
                          text=True, env=dict(os.environ, PYTHONWARNINGS="ignore"))
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    rss = int(re.findall(r"MAXRSS (\d+)", proc.stderr)[-1]) / 1024
    return seconds, rss


def contenders(w: dict) -> dict[str, list[str]]:
    # parts=[]: only the study given here, not the default preset's second part (conf/study/default.yaml)
    sweep = [sys.executable, str(ROOT / "sweep.py"), "-m", "hydra.sweeper.parts=[]", *w["sweep"],
             "hydra.sweeper.report=false"]
    return {
        "gammasweep sequential": sweep + ["hydra.sweeper.population=1"],
        f"gammasweep population K={w['population']}": sweep + [f"hydra.sweeper.population={w['population']}"],
        "  same, without the per-trial PNG": sweep + [f"hydra.sweeper.population={w['population']}",
                                                      "mlflow.log_curve_png=false"],
        "gammasweep parallel 2 workers": sweep + ["hydra.sweeper.population=1", "hydra/launcher=joblib",
                                                  "hydra.launcher.n_jobs=2", "hydra.sweeper.n_jobs=2"],
        "plain Optuna+PyTorch+MLflow": [sys.executable, str(ROOT / "benchmarks" / "plain_loop.py"), *w["plain"]],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", choices=sorted(WORKLOADS))
    args = p.parse_args()
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}")
    for name, w in WORKLOADS.items():
        if args.only and name != args.only:
            continue
        print(f"\n{name}: {w['trials']} trials")
        print(f"{'contender':38s} {'seconds':>8s} {'trials/min':>11s} {'peak MiB':>9s} {'vs plain':>9s}")
        rows = {}
        for label, cmd in contenders(w).items():
            with tempfile.TemporaryDirectory() as out:
                rows[label] = timed(cmd + ([f"output_dir={out}"] if "sweep.py" in cmd[1] else
                                           ["--out", out]), Path(out))
        plain = rows["plain Optuna+PyTorch+MLflow"][0]
        for label, (seconds, rss) in rows.items():
            per_min = 60 * w["trials"] / seconds
            print(f"{label:38s} {seconds:8.1f} {per_min:11.1f} {rss:9.0f} {plain / seconds:8.2f}x")


if __name__ == "__main__":
    main()
