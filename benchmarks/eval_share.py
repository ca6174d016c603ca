"""Evaluation's share of training time at every preset's settings (target: ≤ 10%).

    python benchmarks/eval_share.py [--repeats 3] [--subset auto|all|N]

For each preset (conf/study/*.yaml) and each model it trains: its steps, eval_every and batch
size, one RMSprop trial through ``models.train.train`` and, where the sweeper stacks trials
(``population=auto``), K members through ``train_population``, on one BLAS thread as the sweeper's
workers run. Also mnist_mlp on mnist and fashion_mnist (10,000 validation examples), the data a
user switches to with ``data=``. Share = seconds evaluating / seconds not evaluating, both from the
run's own ``TrainResult`` (``eval_seconds`` holds every evaluation: the subset ones during training
and the full-split ones at step 0 and at the end). Medians of ``--repeats``; the load is printed.
"""

from __future__ import annotations

import argparse
import os
import statistics

import numpy as np
from threadpoolctl import threadpool_limits

import models
import optimizers
from models.data import DataError, load
from models.population import train_population
from models.train import train

# (preset, model, data, steps, eval_every, K of population=auto on a grid)
ROWS = [
    ("default", "binary_mlp", "binary_teacher", 300, 50, 32),
    ("default", "mnist_mlp", "mnist_5k", 300, 50, 1),
    ("gamma_sensitivity etc.", "binary_mlp", "binary_teacher", 500, 50, 32),
    ("gamma_sensitivity etc.", "mnist_mlp", "mnist_5k", 500, 50, 1),
    ("gamma_sensitivity etc.", "rotated_quadratic", None, 500, 50, 256),
    ("trajectories", "rotated_quadratic", None, 60, 10, 256),
    ("data=mnist", "mnist_mlp", "mnist", 500, 50, 1),
    ("data=fashion_mnist", "mnist_mlp", "fashion_mnist", 500, 50, 1),
]


def subset_arg(text: str):
    return text if text in ("auto", "all") else int(text)


def one(model_name, data, steps, eval_every, k, subset) -> tuple[float, float]:
    model = models.create(model_name)
    kw = dict(steps=steps, batch_size=128, eval_every=eval_every, seed=0, eval_subset=subset)
    if k == 1:
        r = train(model, optimizers.create("rmsprop", lr=1e-3, gamma=0.99, eps=1e-8), data, **kw)
        return r.eval_seconds, r.seconds
    opt = optimizers.create("rmsprop", lr=np.geomspace(1e-4, 1e-2, k), gamma=0.99, eps=1e-8)
    rs = train_population(model, opt, data, k=k, **kw)
    return max(r.eval_seconds for r in rs), max(r.seconds for r in rs)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--subset", type=subset_arg, default="auto", help="train.eval_subset: auto, all or N")
    args = p.parse_args()
    print(f"eval_subset={args.subset}; one BLAS thread; medians of {args.repeats}; "
          f"load before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'preset':24s} {'model':18s} {'data':15s} {'steps':>5s} {'every':>5s} {'K':>4s} "
          f"{'train s':>8s} {'eval s':>7s} {'share':>6s}")
    with threadpool_limits(limits=1, user_api="blas"):
        for preset, model_name, data_name, steps, every, k in ROWS:
            try:
                data = load(data_name) if data_name else None
            except DataError as e:
                print(f"{preset:24s} {model_name:18s} {data_name:15s} unavailable: {e}")
                continue
            for kk in sorted({1, k}):
                runs = [one(model_name, data, steps, every, kk, args.subset) for _ in range(args.repeats)]
                ev = statistics.median(e for e, _ in runs)
                tr = statistics.median(s - e for e, s in runs)
                print(f"{preset:24s} {model_name:18s} {data_name or '-':15s} {steps:5d} {every:5d} {kk:4d} "
                      f"{tr:8.3f} {ev:7.3f} {100 * ev / tr:5.1f}%", flush=True)
    print(f"load after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
