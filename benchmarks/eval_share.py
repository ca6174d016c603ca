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
import sys
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # this checkout's models, not an installed one
import models  # noqa: E402
import optimizers  # noqa: E402
from models.data import DataError, Dataset, load  # noqa: E402
from models.population import train_population  # noqa: E402
from models.train import train  # noqa: E402

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
    ("10k val (if those are absent)", "mnist_mlp", "synthetic_10k", 500, 50, 1),
]


def synthetic_10k():
    """mnist_5k's training split with 10,000 validation examples drawn from it (noise added): the
    shapes of mnist's and fashion_mnist's splits, which is all that evaluation time depends on."""
    d = load("mnist_5k")
    rng = np.random.default_rng(0)
    idx = rng.integers(0, len(d.y_train), 10_000)
    x_val = np.clip(d.x_train[idx] + rng.normal(0, 0.05, (10_000, 784)).astype("float32"), 0, 1)
    return Dataset("synthetic_10k", d.x_train, d.y_train, d.x_test, d.y_test, num_classes=10,
                   fingerprint="synthetic_10k", x_val=x_val, y_val=d.y_train[idx])


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
    p.add_argument("--rows", nargs="*", help="only the rows whose preset or data contain one of these")
    p.add_argument("--subset", type=subset_arg, default="auto", help="train.eval_subset: auto, all or N")
    args = p.parse_args()
    print(f"eval_subset={args.subset}; one BLAS thread; medians of {args.repeats}; "
          f"load before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'preset':24s} {'model':18s} {'data':15s} {'steps':>5s} {'every':>5s} {'K':>4s} "
          f"{'train s':>8s} {'eval s':>7s} {'share':>6s}")
    with threadpool_limits(limits=1, user_api="blas"):
        for preset, model_name, data_name, steps, every, k in ROWS:
            if args.rows and not any(w in f"{preset} {data_name}" for w in args.rows):
                continue
            try:
                data = (synthetic_10k() if data_name == "synthetic_10k" else
                        load(data_name) if data_name else None)
            except DataError as e:
                print(f"{preset:24s} {model_name:18s} {data_name:15s} unavailable: {str(e)[:60]}...")
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
