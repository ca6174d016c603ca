"""Both cores (issue 13, item 4): trials per minute of a 2-worker MNIST study against 1 worker.

    python benchmarks/cores.py [--trials 64] [--steps 1000] [--repeats 2] [--all]

The workload: RMSprop on mnist_mlp with mnist_5k, a grid of 8 γ × (trials / 8) learning rates
from 1e-4 to 1e-1 (the large ones diverge early, as in the presets), every trial in Optuna and
MLflow with its PNG; each contender a fresh ``python sweep.py -m`` timed from start to exit,
contenders alternated and repeated so that the machine's load falls on all of them alike (the
1-minute load average is printed beside every run). Contenders:
- 1 worker: every job in the sweeper's process (``workers=one``);
- 2 workers: ``workers=both`` (2 warm joblib workers, 16 jobs a batch);
with ``--all``, the alternatives measured for the choice:
- hydra-joblib-launcher as shipped, 2 workers, 2 jobs a batch (the context pickled per job);
- 1 process with 2 BLAS threads (``train.blas_threads=2``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GAMMAS = "0.0,0.5,0.9,0.95,0.99,0.995,0.999,1.0"
TARGET, BASELINE = 1.7, 0.71   # issue 13: ≥ 1.7×; last session's 2 joblib workers: 0.71×

CONTENDERS = {
    "1 worker (workers=one)": ["workers=one"],
    "2 workers (workers=both)": ["workers=both"],
}
ALTERNATIVES = {
    "2 workers, hydra-joblib-launcher as shipped": [
        "workers=one", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "hydra.sweeper.n_jobs=2"],
    "1 process, 2 BLAS threads": ["workers=one", "train.blas_threads=2"],
}


def study(trials: int, steps: int) -> list[str]:
    lrs = max(1, trials // 8)
    return ["model=mnist_mlp", "data=mnist_5k", "optimizer=rmsprop", "hydra.sweeper.sampler.name=grid",
            f"optimizer.gamma=choice({GAMMAS})", "optimizer.lr=tag(log,interval(1e-4,1e-1))",
            "optimizer.eps=1e-8", f"hydra.sweeper.grid_points={lrs}", f"hydra.sweeper.n_trials={8 * lrs}",
            "hydra.sweeper.pruner.name=none", "hydra.sweeper.population=1", f"train.steps={steps}",
            "train.eval_every=50", "hydra.sweeper.report=false"]


def study_seconds(mlflow_db: Path) -> float:
    """The study's own span: its MLflow parent run, first trial to last (start-up and the end's
    bookkeeping left out: what a study of thousands of trials is made of)."""
    with contextlib.closing(sqlite3.connect(mlflow_db)) as db:
        (ms,) = db.execute("SELECT max(end_time - start_time) FROM runs WHERE run_uuid NOT IN "
                           "(SELECT run_uuid FROM tags WHERE key = 'mlflow.parentRunId')").fetchone()
    return ms / 1000


def run(overrides: list[str]) -> tuple[float, float, float, float]:
    """(wall seconds, CPU seconds of the process tree, 1-minute load average at the start, the
    study's own seconds) of one fresh sweep. The CPU seconds say what a quiet machine would give:
    2 workers can at best divide them by 2."""
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory(prefix="cores-", dir="/tmp") as out:
        t0 = time.perf_counter()
        # parts=[]: only the study given here, not the default preset's second part (conf/study/default.yaml)
        proc = subprocess.run([sys.executable, str(ROOT / "sweep.py"), "-m", "hydra.sweeper.parts=[]", *overrides,
                               f"output_dir={out}"],
                              cwd=ROOT, capture_output=True, text=True,
                              env=dict(os.environ, PYTHONWARNINGS="ignore", PYTHONPATH=str(ROOT)))
        seconds = time.perf_counter() - t0
        inside = study_seconds(Path(out) / "mlflow.db") if proc.returncode == 0 else float("nan")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(overrides)}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return seconds, cpu, load, inside


def measure(trials: int, steps: int, repeats: int,
            alternatives: bool) -> dict[str, list[tuple[float, float, float, float]]]:
    contenders = CONTENDERS | (ALTERNATIVES if alternatives else {})
    rows: dict[str, list[tuple[float, float, float, float]]] = {label: [] for label in contenders}
    base = study(trials, steps)
    for r in range(repeats):
        order = list(contenders) if r % 2 == 0 else list(contenders)[::-1]   # alternate who goes first
        for label in order:
            rows[label].append(run(base + contenders[label]))
    return rows


def speedup(rows: dict[str, list[tuple[float, float, float, float]]], inside: bool = False) -> float:
    """1 worker's median seconds over 2 workers': the whole run, or (``inside``) the study's span."""
    one, two = (statistics.median(r[3 if inside else 0] for r in rows[label]) for label in CONTENDERS)
    return one / two


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, default=64, help="grid size (a multiple of 8)")
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--all", action="store_true", help="also the alternatives that were not picked")
    args = p.parse_args()
    trials = 8 * max(1, args.trials // 8)
    rows = measure(trials, args.steps, args.repeats, args.all)
    print(f"mnist_mlp grid, {trials} trials of {args.steps} steps; {os.cpu_count()} cores; "
          f"seconds per run (load average at its start)")
    print(f"{'contender':46s} {'wall s (load)':>28s} {'median s':>9s} {'trials/min':>11s} {'CPU s':>7s} "
          f"{'study s':>8s}")
    for label, runs in rows.items():
        median = statistics.median(r[0] for r in runs)
        shown = ", ".join(f"{s:.1f} ({load:.1f})" for s, _, load, _ in runs)
        cpu = statistics.median(r[1] for r in runs)
        inside = statistics.median(r[3] for r in runs)
        print(f"{label:46s} {shown:>28s} {median:9.1f} {60 * trials / median:11.1f} {cpu:7.1f} {inside:8.1f}")
    print(f"2 workers / 1 worker: {speedup(rows):.2f}× trials per minute, whole run (baseline {BASELINE}×, "
          f"target ≥ {TARGET}×); {speedup(rows, inside=True):.2f}× within the study (its MLflow parent run)")


if __name__ == "__main__":
    main()
