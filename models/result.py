"""What a training run returns, ``TrainResult``, and the baseline it must beat to count as trained."""

from dataclasses import dataclass

import numpy as np

from .outcome import constant_predictor


@dataclass
class TrainResult:
    history: dict  # "step", "train_loss", "val_loss" [, "val_accuracy"] -> equal-length lists
    final: dict  # metrics of the last evaluation (+ test_* if scored), or the step-0 metrics if diverged
    diverged: bool
    diverged_step: int | None
    steps_done: int  # optimizer updates applied
    seconds: float  # wall time of the loop, evaluations included
    trajectory: np.ndarray | None  # (steps_done + 1, 2) for 2-D problems
    params: dict  # final parameters (θ at steps_done)
    eval_seconds: float = 0.0  # part of ``seconds`` spent evaluating
    initial: dict | None = None  # the step-0 metrics (the untrained network)
    baseline: dict | None = None  # the constant predictor's val metrics, or f(θ_0) (outcome.py)
    outcome: str = "trained"  # trained, diverged or collapsed (models/outcome.py)


def run_baseline(model, data, first: dict, score_test: bool = False) -> dict:
    """What a run must beat to count as trained (models/outcome.py): the constant predictor on
    the validation (and scored test) split for a network, f(θ_0) for a problem."""
    if not model.needs_data:
        return {"val_loss": first["val_loss"]} | ({"test_loss": first["val_loss"]} if score_test else {})
    out = constant_predictor(data.y_train, data.y_val, data.num_classes)
    if score_test:
        out |= constant_predictor(data.y_train, data.y_test, data.num_classes, split="test")
    return out
