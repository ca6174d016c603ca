"""What a row of the MLflow runs table says: a run's name and its log-scale axes.

Names lead with what differs between the runs of a study — the optimizer and its swept values —
and end with the trial number: ``rmsprop γ=0.99 lr=1e-3 ε=1e-8 #12`` (a confirmation run:
``… seed=3 #12``). lr, ε and 1−γ span decades, so each is also logged as its log10: on those axes
parallel coordinates and contour plots spread the trials out instead of piling them at 0.
As params they are named ``1_log10_lr``, ``2_log10_1m_gamma``, ``3_log10_eps`` (``axis_params``) so
that MLflow's compare view offers them first (see ``AXIS_PARAMS``).
"""

from __future__ import annotations

import math
from typing import Any

# Short names the table has room for, in the order they are written.
_SYMBOLS = {"gamma": "γ", "beta2": "β2", "lr": "lr", "eps": "ε", "beta1": "β1", "momentum": "μ"}
# A run that did not train says so before its name, so the table shows it without opening it.
PREFIX = {"diverged": "[diverged] ", "collapsed": "[collapsed] ", "pruned": "[pruned] ", "failed": "[failed] "}


def number(v: Any) -> str:
    """``1e-3``, ``3.2e-4``, ``1.6e-2``, ``0.99``, ``0.999``, ``1``: short, and exact enough to tell runs apart."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v)
    if v == 0:
        return "0"
    if not math.isfinite(v):
        return str(v).replace("inf", "∞")
    if 0.1 <= abs(v) < 1e4:
        return f"{v:.4g}"
    mantissa, exponent = f"{v:.1e}".split("e")
    return f"{mantissa.removesuffix('.0')}e{int(exponent)}"


def run_name(optimizer: str, values: dict[str, Any], number_: int | None = None) -> str:
    """``values``: the run's settings by key (``optimizer.lr`` or ``lr``; ``train.seed``)."""
    short = {k.rsplit(".", 1)[-1]: v for k, v in values.items()}
    parts = [optimizer]
    parts += [f"{_SYMBOLS[k]}={number(short[k])}" for k in _SYMBOLS if k in short]
    parts += [f"{k}={number(v)}" for k, v in short.items() if k not in _SYMBOLS and k != "seed"]
    if "seed" in short:
        parts.append(f"seed={short['seed']}")
    if number_ is not None:
        parts.append(f"#{number_}")
    return " ".join(parts)


def labelled(name: str, outcome: str) -> str:
    """The name with the outcome in front when the run did not train."""
    return PREFIX.get(outcome, "") + name


def log_axes(hyperparameters: dict[str, Any]) -> dict[str, float]:
    """``log10_lr``, ``log10_eps`` and ``log10_1m_gamma`` (log10(1−γ); none at γ = 1)."""
    out = {}
    for key, name in (("lr", "log10_lr"), ("eps", "log10_eps")):
        v = _scalar(hyperparameters.get(key))
        if v is not None and v > 0:
            out[name] = math.log10(v)
    gamma = _scalar(hyperparameters.get("gamma", hyperparameters.get("beta2")))
    if gamma is not None and gamma < 1:
        out["log10_1m_gamma"] = math.log10(1 - gamma)
    return out


# The log10 axes as params, named to sort first. MLflow 3.x's compare page preselects params by
# sorted name: parallel coordinates take the first three params that differ between the selected
# runs, ``diffParamKeys.sort().slice(0, 3)`` (ParallelCoordinatesPlotPanel.tsx), and the contour
# plot's X and Y axes are the first two numeric params, ``CompareRunUtil.getKeys(paramLists,
# true)``, sorted (CompareRunContour.tsx); both under mlflow/server/js/src/experiment-tracking/
# components/. A leading digit sorts before every letter, so these come first, in this order,
# ahead of ``batch_size``, ``eps``, ``gamma``. Metrics keep the plain names: the contour's Z axis
# is the first metric by name, and the parallel plot's colour the first metric logged (the
# optimized one, ``val_loss``).
AXIS_PARAMS = {"log10_lr": "1_log10_lr", "log10_1m_gamma": "2_log10_1m_gamma", "log10_eps": "3_log10_eps"}


def axis_params(axes: dict[str, float]) -> dict[str, float]:
    """``log_axes``' values under their param names (``AXIS_PARAMS``)."""
    return {AXIS_PARAMS[k]: v for k, v in axes.items()}


def _scalar(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None
