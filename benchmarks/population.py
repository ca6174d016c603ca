"""Trials per second: K members trained as one population vs K separate ``train`` runs, float32.

    /work/venv/bin/python benchmarks/population.py [--repeats 3] [--threads default,1] [--quick]

Rows: binary_mlp on binary_teacher (500 steps) for K in 1, 4, 16, 64, mnist_mlp on mnist_5k
(300 steps) for K in 1, 4, 16, and the quadratic (500 steps) for K in 1, 16, 64, 256; batch 128,
evaluation every 100 steps (on the full test set for the networks), RMSprop
with K different (lr, γ) pairs (none diverges). "population" is one ``train_population`` call,
"sequential" is K ``models.train.train`` calls with the corresponding scalar hyperparameters.
Each cell is the median over ``--repeats`` rounds, run round-robin so that load from other
processes hits both alike. ``--threads 1`` runs under threadpoolctl's one-thread BLAS limit: on a
2-core machine shared with other work, OpenBLAS's two threads can stall each other badly.
The last column is the largest relative difference of the final test loss between a member and
its separate run. It is float32 rounding amplified by training: in float64 members equal their
separate runs to ~1e-14, but float32 training of mnist_mlp is chaotic enough that a separate
float32 run differs from the float64 one by a few per cent after 300 steps as well.
"""

import argparse
import contextlib
import statistics
import time

import numpy as np

import models
import optimizers
from models.data import load
from models.population import train_population
from models.train import train

CASES = [  # model, dataset, steps, K values
    ("binary_mlp", "binary_teacher", 500, (1, 4, 16, 64)),
    ("mnist_mlp", "mnist_5k", 300, (1, 4, 16)),
    ("quadratic", None, 500, (1, 16, 64, 256)),
]


def hyperparameters(k):
    """k (lr, γ) pairs spread over a range in which RMSprop trains both networks."""
    return dict(lr=np.geomspace(1e-4, 1e-3, k), gamma=np.linspace(0.9, 0.999, k), eps=1e-8)


def run_population(model, data, k, steps):
    t = time.perf_counter()
    results = train_population(model, optimizers.create("rmsprop", **hyperparameters(k)), data,
                               k=k, steps=steps, batch_size=128, eval_every=100, seed=0)
    return time.perf_counter() - t, results


def run_sequential(model, data, k, steps):
    hps = hyperparameters(k)
    t = time.perf_counter()
    results = [train(model, optimizers.create("rmsprop", lr=float(hps["lr"][i]),
                                              gamma=float(hps["gamma"][i]), eps=1e-8),
                     data, steps=steps, batch_size=128, eval_every=100, seed=0)
               for i in range(k)]
    return time.perf_counter() - t, results


def blas_threads(threads):
    if threads == "default":
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=int(threads), user_api="blas")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", default="default,1",
                        help="comma-separated BLAS thread settings: 'default' or a number")
    parser.add_argument("--quick", action="store_true", help="one repeat, K up to 16 / 4")
    args = parser.parse_args()
    repeats = 1 if args.quick else args.repeats
    cases = [(m, d, s, ks[:2]) for m, d, s, ks in CASES] if args.quick else CASES
    datasets = {d: load(d, dtype="float32") if d else None for _, d, _, _ in cases}

    print(f"{'BLAS':>7} {'model':>10} {'K':>3} {'pop s':>7} {'seq s':>7} {'pop trials/s':>12} "
          f"{'seq trials/s':>12} {'speed-up':>8} {'max rel Δ':>9}")
    for threads in args.threads.split(","):
        with blas_threads(threads):
            for name, dataset, steps, ks in cases:
                model, data = models.create(name), datasets[dataset]
                run_population(model, data, 1, 5)  # warm up: buffers, BLAS, caches
                for k in ks:
                    pop, seq, gap = [], [], 0.0
                    for _ in range(repeats):
                        t_pop, r_pop = run_population(model, data, k, steps)
                        t_seq, r_seq = run_sequential(model, data, k, steps)
                        pop.append(t_pop)
                        seq.append(t_seq)
                        assert not any(r.diverged for r in r_pop + r_seq), "a member diverged"
                        gap = max(gap, *(abs(a.final["val_loss"] / b.final["val_loss"] - 1)
                                         for a, b in zip(r_pop, r_seq)))
                    t_pop, t_seq = statistics.median(pop), statistics.median(seq)
                    print(f"{threads:>7} {name:>10} {k:>3} {t_pop:7.2f} {t_seq:7.2f} "
                          f"{k / t_pop:12.1f} {k / t_seq:12.1f} {t_seq / t_pop:7.2f}× "
                          f"{gap:9.1e}", flush=True)


if __name__ == "__main__":
    main()
