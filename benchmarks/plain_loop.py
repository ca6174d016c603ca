"""The baseline of speed.py's figure 1 and of service.py: the loop a user writes without gammasweep.

It does gammasweep's work for the same sweep command (data, network and init, grid points, steps,
batch, evaluations on the validation subset, divergence stop, objective) with Optuna's ``study.optimize``,
``torch.optim.RMSprop`` and a nested MLflow run per trial, SQLite for both stores, so that a ratio of
wall times measures gammasweep's machinery and engine, not a difference in workload.

    python benchmarks/plain_loop.py --model binary --grid 0.0,0.9,0.99 --steps 1000 --eval-every 50
        --lr-points 16 --eps-points 8 --out DIR
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import mlflow
import numpy as np
import optuna
import torch
import yaml

from models.data import load
from models.eval_split import subset_size

ROOT = Path(__file__).resolve().parents[1]
# model -> (dataset, layer sizes): binary_mlp and mnist_mlp, each on its usual data (conf/model/*.yaml)
NETS = {"binary": ("binary_teacher", (100, 10, 10, 1)), "mnist": ("mnist_5k", (784, 100, 100, 100, 100, 10))}
BATCH = 128                # train.batch_size
DIVERGENCE_FACTOR = 100.0  # train.divergence_factor: a loss above 100× its step-0 value has diverged
LR = (1e-4, 1e-1)          # optimizer.lr=tag(log,interval(1e-4,1e-1))
EPS = (1e-10, 1e-3)        # optimizer.eps=tag(log,interval(1e-10,1e-3)) of the grid (overhead.py)
# The TPE study (no --grid) searches service.py's mnist space: lr as above, γ in [0.5, 1], ε in [1e-10, 1e-4].
TPE_GAMMA, TPE_EPS = (0.5, 1.0), (1e-10, 1e-4)


def grid_values(low: float, high: float, n: int) -> list[float]:
    """gammasweep's grid points of ``tag(log, interval(low, high))`` with ``grid_points`` n
    (sweeps/hydra/search_space.py): n log-spaced values rounded to 12 decimals."""
    return sorted(set(np.geomspace(low, high, n).round(12).tolist()))


def network(sizes: tuple[int, ...]) -> torch.nn.Sequential:
    """ReLU MLP with He-normal weights and zero biases, as gammasweep initialises it (models/layers.py)."""
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        linear = torch.nn.Linear(a, b)
        torch.nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
        torch.nn.init.zeros_(linear.bias)
        layers.append(linear)
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", choices=sorted(NETS), required=True)
    p.add_argument("--grid", default=None, help="γ values: a γ × lr × ε grid; without it, TPE over lr, γ, ε")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--eval-every", type=int, default=50)
    p.add_argument("--lr-points", type=int, default=16, help="grid points of lr in [1e-4, 1e-1], log-spaced")
    p.add_argument("--eps-points", type=int, default=8,
                   help="grid points of ε in [1e-10, 1e-3], log-spaced; 0 or 1: ε fixed at --eps")
    p.add_argument("--eps", type=float, default=1e-8, help="ε when --eps-points is 0 or 1")
    p.add_argument("--trials", type=int, default=None, help="default: the whole grid (16 for TPE)")
    p.add_argument("--out", required=True)
    args = p.parse_args()
    torch.set_num_threads(1)   # gammasweep's workers train on one BLAS thread (train.blas_threads)

    data_name, sizes = NETS[args.model]
    options = yaml.safe_load((ROOT / "conf" / "data" / f"{data_name}.yaml").read_text())["options"] or {}
    d = load(data_name, **options)
    binary = sizes[-1] == 1
    # BCE on the logit takes float targets: convert the labels once, not per minibatch
    labels = (lambda a: torch.from_numpy(np.array(a)).float()) if binary else (lambda a: torch.from_numpy(np.array(a)))
    x, y = torch.from_numpy(np.array(d.x_train)), labels(d.y_train)
    xv, yv = torch.from_numpy(np.array(d.x_val)), labels(d.y_val)
    n_val = len(xv)
    # during training: the first n_sub validation examples; the full split at the end
    n_sub = subset_size("auto", n_val, args.steps, args.eval_every, BATCH)
    loss_fn = torch.nn.BCEWithLogitsLoss() if binary else torch.nn.CrossEntropyLoss()

    def forward(model, inputs):
        out = model(inputs)
        return out.squeeze(-1) if binary else out

    def evaluate(model, n):
        """(loss, accuracy) on the first n validation examples."""
        with torch.no_grad():
            out, target = forward(model, xv[:n]), yv[:n]
            hits = (out > 0).float() == target if binary else out.argmax(1) == target
            return loss_fn(out, target).item(), hits.float().mean().item()

    def minibatches(gen):
        """Index batches of a fresh permutation each epoch; the last len(x) % BATCH examples are dropped."""
        while True:
            perm = torch.randperm(len(x), generator=gen)
            for i in range(len(x) // BATCH):
                yield perm[i * BATCH:(i + 1) * BATCH]

    gammas = [float(g) for g in args.grid.split(",")] if args.grid else None
    eps_grid = bool(gammas) and args.eps_points > 1

    def objective(trial):
        lr = trial.suggest_float("lr", *LR, log=True)
        if gammas:
            gamma = trial.suggest_float("gamma", 0.0, 1.0)
            eps = trial.suggest_float("eps", *EPS, log=True) if eps_grid else args.eps
        else:
            gamma = trial.suggest_float("gamma", *TPE_GAMMA)
            eps = trial.suggest_float("eps", *TPE_EPS, log=True)
        torch.manual_seed(0)   # every trial starts from the same θ_0, as in gammasweep
        model = network(sizes)
        opt = torch.optim.RMSprop(model.parameters(), lr=lr, alpha=gamma, eps=eps)
        batches = minibatches(torch.Generator().manual_seed(1))
        with mlflow.start_run(nested=True, run_name=f"trial-{trial.number}"):
            mlflow.log_params({"lr": lr, "gamma": gamma, "eps": eps})
            # step 0: the first minibatch's loss at θ_0 (its gradient makes the first update)
            idx = next(batches)
            loss = loss_fn(forward(model, x[idx]), y[idx])
            train0 = loss.item()
            val_loss, val_acc = evaluate(model, n_sub)
            mlflow.log_metrics({"train_loss": train0, "val_loss": val_loss, "val_accuracy": val_acc}, step=0)
            limit_train, limit_val = DIVERGENCE_FACTOR * train0, DIVERGENCE_FACTOR * val_loss
            penalty = val_loss   # a diverged run scores as the untrained network
            total, count = 0.0, 0
            for step in range(1, args.steps + 1):
                if step > 1:
                    idx = next(batches)
                    loss = loss_fn(forward(model, x[idx]), y[idx])
                value = loss.item()
                if not value <= limit_train:   # diverged (NaN fails the comparison too)
                    return penalty
                opt.zero_grad()
                loss.backward()
                opt.step()
                total, count = total + value, count + 1
                if step % args.eval_every == 0 or step == args.steps:
                    val_loss, val_acc = evaluate(model, n_sub)
                    if not val_loss <= limit_val:
                        return penalty
                    mlflow.log_metrics({"train_loss": total / count, "val_loss": val_loss,
                                        "val_accuracy": val_acc}, step=step)
                    trial.report(val_loss, step)   # no pruner (pruner.name=none in the compared sweeps)
                    total, count = 0.0, 0
            final_loss, final_acc = evaluate(model, n_val) if n_sub < n_val else (val_loss, val_acc)
            mlflow.log_metrics({"final_val_loss": final_loss, "final_val_accuracy": final_acc}, step=args.steps)
            return final_loss if math.isfinite(final_loss) else penalty

    if gammas:
        space = {"lr": grid_values(*LR, args.lr_points), "gamma": gammas}
        if eps_grid:
            space["eps"] = grid_values(*EPS, args.eps_points)
        sampler = optuna.samplers.GridSampler(space, seed=0)
        trials = args.trials or math.prod(len(v) for v in space.values())
    else:
        sampler = optuna.samplers.TPESampler(seed=0, n_startup_trials=5)   # gammasweep's default start-up
        trials = args.trials or 16
    out = Path(args.out)
    mlflow.set_tracking_uri(f"sqlite:///{out}/mlflow.db")
    mlflow.set_experiment("plain")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(storage=f"sqlite:///{out}/optuna.db", sampler=sampler, study_name="plain",
                                pruner=optuna.pruners.NopPruner())
    with mlflow.start_run(run_name="study"):
        study.optimize(objective, n_trials=trials)
    print(f"{len(study.trials)} trials, best {study.best_value:.4g}")


if __name__ == "__main__":
    main()
