"""Per-trial overhead of a grid study at 256, 1,024 and 4,096 trials: is it flat in study size?

    python benchmarks/overhead.py [--sizes 256 1024 4096] [--steps 1000] [--repeats 1]

The issue's workload: RMSprop on binary_mlp, a grid of 8 γ × lr × ε (8 × 8 × 4 = 256,
8 × 16 × 8 = 1,024, 8 × 32 × 16 = 4,096), every trial in Optuna and MLflow with its PNG,
``population=auto`` (K = 32 stacked). Each run is ``benchmarks/phases.py`` (the sweep in one
process, phases timed) in a fresh folder. Overhead is wall time not spent training:
process start to exit minus the time inside ``train_population``/``train`` not spent in its
``on_eval`` (Optuna's ``trial.report`` at every evaluation, shown apart); it is printed per
trial whole (start-up included) and after start-up (from the first ask of the study). Trials train
``--steps`` steps with an evaluation every ``steps/20`` (the issue's 1,000 steps evaluate every 50:
the same 20 evaluations per trial, so the same logging). The steps matter all the same: the PNGs
are drawn by a helper process on the other core (~30 ms a trial), which keeps up while a trial
trains longer than that (1,000 steps: ~35 ms) and is waited for when trials are shorter (100
steps: ~3 ms), so short trials measure the helper, not the trial's path.
The machine's load average is printed with every row: on a busy machine compare medians.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GAMMAS = "0.0,0.5,0.9,0.95,0.99,0.995,0.999,1.0"
GRIDS = {256: (8, 4), 1024: (16, 8), 4096: (32, 16)}   # trials -> (lr points, ε points)
TRAIN = ("models.population.train_population", "models.train.train")
REPORTS = "sweeps.jobs.trial_link.Reporter.__call__"   # on_eval inside training: Optuna's report, per evaluation


def sweep_args(n: int, steps: int, out: str) -> list[str]:
    lr, eps = GRIDS[n]
    # parts=[]: the default study preset's second part (conf/study/default.yaml) would add a study
    return ["-m", "hydra.sweeper.parts=[]", "model=binary_mlp", "optimizer=rmsprop",
            "hydra.sweeper.sampler.name=grid", f"optimizer.gamma=choice({GAMMAS})",
            "optimizer.lr=tag(log,interval(1e-4,1e-1))",
            "optimizer.eps=tag(log,interval(1e-10,1e-3))", f"hydra.sweeper.grid_points={{lr:{lr},eps:{eps}}}",
            f"hydra.sweeper.n_trials={n}", "hydra.sweeper.pruner.name=none", "hydra.sweeper.report=false",
            f"train.steps={steps}", f"train.eval_every={eval_every(steps)}", f"output_dir={out}"]


def eval_every(steps: int) -> int:
    """The grid's evaluation interval: 20 evaluations a trial (50 at the issue's 1,000 steps)."""
    return max(steps // 20, 1)


def run(n: int, steps: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as out:
        proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "phases.py"), *sweep_args(n, steps, out)],
                              cwd=out, capture_output=True, text=True,
                              env=dict(os.environ, PYTHONWARNINGS="ignore"))
    if proc.returncode != 0:
        raise SystemExit(f"sweep of {n} trials failed:\n{proc.stderr[-3000:]}")
    rows = {name: float(s) for s, name in re.findall(r"^\s*([\d.]+) s\s+\d+×\s+(\S.*)$", proc.stderr, re.M)}
    wall = float(re.search(r"([\d.]+) s  in this process, start to exit", proc.stderr).group(1))
    train = sum(rows.get(k, 0.0) for k in TRAIN) - rows.get(REPORTS, 0.0)
    first_ask = float(re.search(r"first ask after ([\d.]+) s", proc.stderr).group(1))
    return {"wall": wall, "train": train, "startup": first_ask,
            "ask": rows.get("sweeps.storages.shared_study.SharedStudy.ask", 0.0),
            "tell": rows.get("sweeps.stages.trials.tell", 0.0),
            "report": rows.get(REPORTS, 0.0)}


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=sorted(GRIDS), choices=sorted(GRIDS))
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--repeats", type=int, default=1)
    args = p.parse_args()
    print(f"binary_mlp RMSprop grid, {args.steps} steps a trial, population=auto; {os.cpu_count()} cores; "
          f"medians of {args.repeats}")
    print(f"{'trials':>7s} {'wall s':>8s} {'train s':>8s} {'ask s':>7s} {'tell s':>7s} {'report s':>8s} "
          f"{'ms/trial':>9s} {'after start-up':>15s}   load (1, 5, 15 min)")
    base = None
    for n in args.sizes:
        runs = [run(n, args.steps) for _ in range(args.repeats)]
        m = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        per = 1000 * statistics.median((r["wall"] - r["train"]) / n for r in runs)
        after = 1000 * statistics.median((r["wall"] - r["train"] - r["startup"]) / n for r in runs)
        base = base or after
        print(f"{n:7d} {m['wall']:8.1f} {m['train']:8.1f} {m['ask']:7.2f} {m['tell']:7.2f} {m['report']:8.2f} "
              f"{per:9.1f} "
              f"{after:9.1f} ({after / base:.2f}×)   {load()}", flush=True)
    print("ms/trial: (wall - training) / trials; after start-up: the same from the first ask on, "
          "and its ratio to the smallest study's (target: ≤ 10 ms, ≤ 1.25× at 4,096).")


if __name__ == "__main__":
    main()
