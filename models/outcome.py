"""What became of a run — trained, diverged or collapsed — defined here once, with its penalty.

Every place that counts, tags or scores runs (Optuna attributes, MLflow tags, report tables and
sentences, the objective's penalty) reads ``TrainResult.outcome`` and ``objective`` from here.

- **diverged**: the training loop stopped the run: a loss that was not finite or exceeded
  ``divergence_factor`` × its step-0 value (``models/loop.py``).
- **collapsed**: the run finished but its final validation loss is no better than the baseline's:
  ``val_loss ≥ (1 − COLLAPSE_MARGIN) × baseline``. The baseline of a network is the best
  *constant predictor* — the training split's class frequencies, scored on the validation split
  (ln 10 = 2.303 for ten balanced classes); of a problem it is f at the start point (a run
  that ends no lower than where it began made no progress).
- **trained**: every other finished run.

The objective of a run that did not train is the PENALTY: the worse of its step-0 (untrained)
metric and the baseline's, so every trained run scores better than every diverged or collapsed
one, and a collapsed run never scores better than a diverged one.
"""

from __future__ import annotations

import math

import numpy as np

TRAINED, DIVERGED, COLLAPSED = "trained", "diverged", "collapsed"
OUTCOMES = (TRAINED, DIVERGED, COLLAPSED)
COLLAPSE_MARGIN = 0.01  # within 1% of the constant predictor counts as no better than it


def constant_predictor(y_train: np.ndarray, y: np.ndarray, num_classes: int,
                       split: str = "val") -> dict[str, float]:
    """``{split}_loss`` and ``{split}_accuracy`` on labels ``y`` of predicting the training
    split's class frequencies p.

    Cross-entropy of the prior: −mean(log p[y]) — the softmax head with logits log p, and the
    binary head with logit log(p₁/p₀), both reach exactly this; accuracy of its argmax.
    """
    counts = np.bincount(np.asarray(y_train), minlength=num_classes).astype(np.float64)
    prior = np.maximum(counts / counts.sum(), 1e-12)   # a class absent from train: finite loss
    y = np.asarray(y)
    return {f"{split}_loss": float(-np.log(prior[y]).mean()),
            f"{split}_accuracy": float((y == int(np.argmax(prior))).mean())}


def classify(diverged: bool, final: dict[str, float], baseline: dict[str, float]) -> str:
    """The run's outcome from its final metrics and its baseline; see the module docstring."""
    if diverged:
        return DIVERGED
    loss, base = final.get("val_loss", math.nan), baseline.get("val_loss", math.nan)
    if not math.isfinite(loss) or (math.isfinite(base) and loss >= (1 - COLLAPSE_MARGIN) * base):
        return COLLAPSED
    return TRAINED


def penalty(initial: dict[str, float], baseline: dict[str, float], metric: str, direction: str) -> float:
    """The worse of the step-0 value of ``metric`` and the baseline's (when it has that metric)."""
    values = [v for v in (initial.get(metric), baseline.get(metric)) if v is not None and math.isfinite(v)]
    if not values:
        raise ValueError(f"no finite step-0 or baseline value of {metric!r} to penalise with; "
                         f"step-0 metrics: {sorted(initial)}, baseline: {sorted(baseline)}.")
    return max(values) if direction == "minimize" else min(values)


def objective(result, metric: str, direction: str = "minimize") -> float:
    """The value a sweep optimises: the final ``metric`` of a trained run, else the penalty."""
    if direction not in ("minimize", "maximize"):
        raise ValueError(f"direction must be 'minimize' or 'maximize', got {direction!r}.")
    if result.outcome == TRAINED:
        return float(result.final[metric])
    return penalty(result.initial, result.baseline, metric, direction)
