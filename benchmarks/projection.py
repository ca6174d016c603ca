"""A preset's whole wall time, projected from a timed sample of its own trials (issue 13, item 6).

    python benchmarks/projection.py study=gamma_sensitivity [--quick] [more overrides]

1. Plans the sweep as the sweeper does: the preset composed with Hydra's compose API, each of its
   parts (``hydra.sweeper.parts``) with its own options, its search space parsed and split into
   studies by ``sweeps.hydra.plan.make_plans``, a study two parts make counted once; each study's trials counted
   from the sweeper's own grid (``sweeps.hydra.search_space.grid``, capped by n_trials/max_trials) and
   its population K from ``sweeps.launch.population.population_size``; then the confirmation runs
   (``seeds``: n per value of ``seeds.per`` × top_k, one trial per job), an upper bound on the
   lr refinement (``refine``: the most lr points ``sweeps.stages.refine`` adds around one anchor
   × the combinations of ``refine.per`` × the tuning seeds, in jobs of K) and an upper bound on
   the lr_max bisection (``lr_max.rounds`` trials per value of ``lr_max.per``, in jobs of K).
2. Times real trials of each kind (model, data, steps, batch size, K) through the real sweep
   path: ``python sweep.py -m`` on that kind's first study with a random sample of its space,
   at two sample sizes, each on 1 worker (``workers=one``) and on 2 (``workers=both``); the
   difference of the two walls over the difference of the sizes is the cost of one more trial,
   the rest is start-up.
3. Adds it up: one start-up, then every study's trials at their kind's cost per trial.

Under-counts each further study's own set-up (opening it, its MLflow parent run: ~0.1-0.5 s) and
the report; over-counts lr_max (a censored γ is not bisected) and the refinement (an anchor
at the grid's edge adds about half the points). The load average is printed.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WORKERS = ("one", "both")


@dataclass
class Stage:
    """Trials of one kind that one study adds at one stage (tuning, refine, lr_max, confirmation)."""
    study: str
    stage: str
    kind: tuple          # (model, data, steps, batch size, K)
    trials: int
    overrides: list[str]  # the study's overrides: what a sample of it runs with


def plan(overrides: list[str]) -> tuple[list[Stage], dict]:
    """Every stage of the sweep ``python sweep.py -m <overrides>`` would run, and the sweeper's options."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.hydra_config import HydraConfig

    from sweeps.hydra import parts

    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        master = compose("config", overrides=overrides, return_hydra_config=True)
        HydraConfig.instance().set_config(master)
        loader = GlobalHydra.instance().config_loader()
        o = master.hydra.sweeper

        def job_config(more: list[str]):
            cfg = loader.load_sweep_config(master, more)
            HydraConfig.instance().set_config(cfg)
            return cfg

        plans, part_of = parts.plan_all(o, overrides, loader, job_config)   # as the sweeper plans
        stages = [stage for p in plans for stage in _stages(p, part_of[p.name])]
        options = {"n_jobs": int(o.n_jobs), "launcher": master.hydra.launcher._target_.rsplit(".", 1)[-1]}
    return stages, options


def _stages(p, o) -> list[Stage]:
    """The stages of one study ``p`` under sweeper options ``o``: tuning, refinement, lr_max, confirmation."""
    from sweeps.launch.population import population_size
    from sweeps.hydra.search_space import grid
    from sweeps.stages import refine

    k = population_size(o.population, o.sampler.name, p.cfg).k
    t = p.cfg.train
    kind = (p.cfg.model.name, p.cfg.data.name, int(t.steps), int(t.batch_size))
    n = int(o.n_trials) if o.max_trials is None else min(int(o.n_trials), int(o.max_trials))
    if o.sampler.name == "grid":
        n = min(n, math.prod(len(v) for v in grid(p.distributions, o.grid_points).values()))
    stages = [Stage(p.name, "tuning", kind + (k,), n, p.overrides)]
    values = grid(p.distributions, o.grid_points)   # the values of a `per` key the grid has

    def per_values(keys) -> int:
        return math.prod(len(values[key]) for key in keys if key in p.distributions)

    if int(o.refine.per_decade) and refine.LR in p.distributions:
        seeds = len(values.get(refine.SEED, [None]))   # every refined lr on every tuning seed
        stages.append(Stage(p.name, "refine (at most)", kind + (k,),
                            refine_points(values[refine.LR], int(o.refine.per_decade))
                            * per_values(o.refine.per) * seeds,
                            p.overrides))

    if o.lr_max.rounds:
        stages.append(Stage(p.name, "lr_max (at most)", kind + (k,), int(o.lr_max.rounds) * per_values(o.lr_max.per),
                            p.overrides))
    if o.seeds.n:   # one trial per job (sweeps.stages.confirmation)
        stages.append(Stage(p.name, "confirmation", kind + (1,),
                            int(o.seeds.n) * int(o.seeds.top_k) * per_values(o.seeds.per), p.overrides))
    return stages


def refine_points(coarse: list[float], per_decade: int) -> int:
    """The most lr points ``sweeps.stages.refine`` adds around one setting's best on the coarse grid
    ``coarse``: its fine points within one coarse step either side of an anchor, less those the grid
    has, for the anchor that adds the most (an interior one; one at an edge adds about half)."""
    from sweeps.stages import refine

    coarse = sorted(coarse)
    return max((sum(1 for lr in refine.fine_points(coarse[max(i - 1, 0)], coarse[min(i + 1, len(coarse) - 1)],
                                                   per_decade)
                    if not any(abs(lr - v) <= refine.SAME * v for v in coarse))
                for i in range(len(coarse))), default=0)


def sample(overrides: list[str], k: int, n: int, workers: str) -> float:
    """Wall seconds of a fresh sweep of ``n`` random trials of that study, K per job."""
    with tempfile.TemporaryDirectory(prefix="cores-projection-", dir="/tmp") as out:
        # the study's own overrides name its preset: parts=[] keeps the sample to this one study; a
        # random sample of its space, so one tuning seed (a grid axis) and no further stages
        cmd = [sys.executable, str(ROOT / "sweep.py"), "-m", *overrides, "hydra.sweeper.parts=[]", f"workers={workers}",
               "hydra.sweeper.sampler.name=random", f"hydra.sweeper.n_trials={n}", "hydra.sweeper.max_trials=null",
               f"hydra.sweeper.population={k}", "hydra.sweeper.seeds.n=0", "hydra.sweeper.seeds.tune=1",
               "hydra.sweeper.refine.per_decade=0", "hydra.sweeper.lr_max.rounds=0",
               "hydra.sweeper.report=false", "hydra.sweeper.study_name=projection", f"output_dir={out}"]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                              env=dict(os.environ, PYTHONWARNINGS="ignore", PYTHONPATH=str(ROOT)))
        seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"sample failed: {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    return seconds


def sizes(k: int, total: int, quick: bool) -> tuple[int, int, int]:
    """(K, smaller, larger sample): at least 2 jobs of K, so that both workers have work, and
    at most the kind's own trials. Samples stack at most ``SAMPLE_K`` (--quick: 8) trials a job: a
    kind stacked 256 at a time would otherwise sample as many trials as the study runs, and
    fewer members a job cost more a trial, so the projection errs long, never short."""
    k = min(k, 8 if quick else SAMPLE_K)
    small = max(2 * k, 4 if quick else 8)
    return k, min(small, max(total // 2, 1)), min((2 if quick else 3) * small, max(total, 2))


SAMPLE_K = 32


def costs(stages: list[Stage], quick: bool) -> dict[tuple, dict[str, tuple[float, float]]]:
    """kind -> workers -> (start-up seconds, seconds per further trial)."""
    out: dict[tuple, dict[str, tuple[float, float]]] = {}
    totals: dict[tuple, int] = {}
    for s in stages:
        totals[s.kind] = totals.get(s.kind, 0) + s.trials
    for s in stages:
        if s.kind in out or not s.trials:
            continue
        k, n1, n2 = sizes(s.kind[-1], totals[s.kind], quick)
        out[s.kind] = {}
        for workers in WORKERS:
            w1, w2 = sample(s.overrides, k, n1, workers), sample(s.overrides, k, n2, workers)
            per = max(w2 - w1, 0.0) / (n2 - n1)
            out[s.kind][workers] = (max(w1 - n1 * per, 0.0), per)
            print(f"  sample {'/'.join(map(str, s.kind))} workers={workers}: {n1} trials {w1:.1f} s, "
                  f"{n2} trials {w2:.1f} s -> {1000 * per:.0f} ms a trial (load {os.getloadavg()[0]:.1f})",
                  flush=True)
    return out


def project(overrides: list[str], quick: bool = False) -> dict[str, float]:
    """Seconds the whole sweep takes on 1 worker and on 2 (``workers=both``)."""
    stages, options = plan(overrides)
    total = sum(s.trials for s in stages)
    print(f"{' '.join(overrides)}: {len({s.study for s in stages if s.stage == 'tuning'})} studies, "
          f"{total:,} trials; preset launcher {options['launcher']}, {options['n_jobs']} jobs a batch")
    kinds: dict[tuple, dict[str, int]] = {}
    for s in stages:
        kinds.setdefault(s.kind, {}).setdefault(s.stage, 0)
        kinds[s.kind][s.stage] += s.trials
    for kind, by_stage in kinds.items():
        print(f"  {'/'.join(map(str, kind)):42s} " + ", ".join(f"{v:,} {k}" for k, v in by_stage.items()))
    per = costs(stages, quick)
    result = {}
    for workers in WORKERS:
        startup = max(c[workers][0] for c in per.values())
        result[workers] = startup + sum(s.trials * per[s.kind][workers][1] for s in stages if s.trials)
    print(f"projected: {_minutes(result['one'])} on 1 worker, {_minutes(result['both'])} on 2 workers "
          f"(workers=both; target ≤ 120 min)")
    return result


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("overrides", nargs="+", help="study=<preset> and any other overrides of the sweep")
    p.add_argument("--quick", action="store_true", help="smaller samples: a check, not a figure")
    args = p.parse_args()
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    project(args.overrides, args.quick)


if __name__ == "__main__":
    main()
