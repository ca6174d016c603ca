"""The baseline of benchmarks/service.py: the loop a user writes without gammasweep.

Optuna's ``study.optimize`` over a PyTorch model trained with ``torch.optim.RMSprop``, a nested
MLflow run per trial with ``mlflow.log_metric`` at every evaluation, SQLite for both stores: the
same data, network, steps, batch size and evaluations as the gammasweep side.

    python benchmarks/plain_loop.py --model binary --grid 0.0,0.9,0.99 --steps 500 --trials 64 --out DIR
"""

from __future__ import annotations

import argparse
from pathlib import Path

import mlflow
import numpy as np
import optuna
import torch

from models.data import load

NETS = {"binary": ("binary_teacher", (100, 10, 10, 1)), "mnist": ("mnist_5k", (784, 100, 100, 100, 100, 10))}
DATA_OPTIONS = {"binary_teacher": dict(n_train=10000, n_test=2000, label_noise=0.05)}


def net(sizes):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model", choices=sorted(NETS), required=True)
    p.add_argument("--grid", default=None, help="gamma values: a gamma x lr grid instead of TPE")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--trials", type=int, default=16)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    torch.set_num_threads(1)   # the same one-thread setting as gammasweep's workers
    data_name, sizes = NETS[args.model]
    d = load(data_name, **DATA_OPTIONS.get(data_name, {}))
    x, y = torch.from_numpy(np.array(d.x_train)), torch.from_numpy(np.array(d.y_train))
    xt, yt = torch.from_numpy(np.array(d.x_test)), torch.from_numpy(np.array(d.y_test))
    binary = sizes[-1] == 1
    loss_fn = torch.nn.BCEWithLogitsLoss() if binary else torch.nn.CrossEntropyLoss()
    target = (lambda t: t.float()) if binary else (lambda t: t)

    def evaluate(model):
        with torch.no_grad():
            out = model(xt).squeeze(-1) if binary else model(xt)
            acc = ((out > 0).long() == yt).float().mean() if binary else (out.argmax(1) == yt).float().mean()
            return loss_fn(out, target(yt)).item(), acc.item()

    def objective(trial):
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        gamma = trial.suggest_float("gamma", 0.0, 1.0) if not args.grid else trial.suggest_categorical(
            "gamma", [float(g) for g in args.grid.split(",")])
        eps = 1e-8 if args.grid else trial.suggest_float("eps", 1e-10, 1e-4, log=True)
        torch.manual_seed(0)
        model = net(sizes)
        opt = torch.optim.RMSprop(model.parameters(), lr=lr, alpha=gamma, eps=eps)
        gen = torch.Generator().manual_seed(1)
        with mlflow.start_run(nested=True, run_name=f"trial-{trial.number}"):
            mlflow.log_params({"lr": lr, "gamma": gamma, "eps": eps})
            perm, pos, test_loss = torch.randperm(len(x), generator=gen), 0, float("nan")
            for step in range(args.steps + 1):
                if step % 50 == 0 or step == args.steps:
                    test_loss, acc = evaluate(model)
                    mlflow.log_metric("test_loss", test_loss, step=step)
                    mlflow.log_metric("test_accuracy", acc, step=step)
                    if not np.isfinite(test_loss):
                        break
                if step == args.steps:
                    break
                if pos + 128 > len(x):
                    perm, pos = torch.randperm(len(x), generator=gen), 0
                idx = perm[pos:pos + 128]
                pos += 128
                out = model(x[idx]).squeeze(-1) if binary else model(x[idx])
                loss = loss_fn(out, target(y[idx]))
                opt.zero_grad()
                loss.backward()
                opt.step()
                mlflow.log_metric("train_loss", loss.item(), step=step) if step % 50 == 0 else None
            return test_loss if np.isfinite(test_loss) else 1e3

    out = Path(args.out)
    mlflow.set_tracking_uri(f"sqlite:///{out}/mlflow.db")
    mlflow.set_experiment("plain")
    sampler = (optuna.samplers.GridSampler({"lr": list(np.geomspace(1e-4, 1e-1, 8)),
                                            "gamma": [float(g) for g in args.grid.split(",")]})
               if args.grid else optuna.samplers.TPESampler(seed=0))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(storage=f"sqlite:///{out}/optuna.db", sampler=sampler, study_name="plain")
    with mlflow.start_run(run_name="study"):
        study.optimize(objective, n_trials=args.trials)
    print(f"{len(study.trials)} trials, best {study.best_value:.4g}")


if __name__ == "__main__":
    main()
