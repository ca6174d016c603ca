"""What a study came to, in words and as a table: for the terminal and for its MLflow parent run."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import optuna
from optuna.trial import TrialState

from sweeps.tracking.run_labels import axis_params, log_axes, number, run_name
from sweeps import records

OUTCOMES = ("trained", "diverged", "collapsed", "pruned", "failed", "running")


@dataclasses.dataclass
class StudySummary:
    study: str
    optimizer: str
    metric: str
    direction: str
    added: int                       # trials this invocation told
    counts: dict[str, int]           # every trial of the study, by outcome
    best_value: float | None
    best_number: int | None
    best_params: dict[str, Any]      # by short name: lr, gamma, eps, ...
    seconds: float                   # this invocation's wall time on the study


def outcome(t: optuna.trial.FrozenTrial) -> str:
    if t.state == TrialState.COMPLETE:
        return records.outcome(t)
    return {TrialState.PRUNED: "pruned", TrialState.FAIL: "failed"}.get(t.state, "running")


def summarize(study: optuna.Study, optimizer: str, metric: str, added: int, seconds: float) -> StudySummary:
    trials = study.get_trials(deepcopy=False)
    counts = {k: 0 for k in OUTCOMES}
    for t in trials:
        counts[outcome(t)] += 1
    best = None
    if any(t.state == TrialState.COMPLETE for t in trials):
        best = study.best_trial
    return StudySummary(
        study.study_name, optimizer, metric, study.direction.name.lower(), added, counts,
        best.value if best else None, best.number if best else None,
        {k.rsplit(".", 1)[-1]: v for k, v in best.params.items()} if best else {}, seconds)


def counts_text(s: StudySummary) -> str:
    return ", ".join(f"{n} {k}" for k, n in s.counts.items() if n) or "no trials"


def line(s: StudySummary) -> str:
    """``<study>: 4 new trials; in all 2 trained, 1 pruned; best val_loss = 1.64 (#3)``."""
    text = f"{s.study}: {s.added} new trial{'' if s.added == 1 else 's'}; in all {counts_text(s)}"
    if s.best_value is not None:
        text += f"; best {s.metric} = {s.best_value:.4g} (#{s.best_number})"
    return text


def note(s: StudySummary, model: str, data: str) -> str:
    """The parent run's description (``mlflow.note.content``): what the study measures, its best."""
    swept = ", ".join(s.best_params) or "nothing"
    text = (f"**{s.study}**: tunes {s.optimizer} on {model} ({data}) to {s.direction} {s.metric}, "
            f"sweeping {swept}. Trials: {counts_text(s)}.")
    if s.best_value is not None:
        text += (f" Best {s.metric} = {s.best_value:.6g} at "
                 f"{run_name(s.optimizer, s.best_params, s.best_number)}.")
    return text


def parent_values(s: StudySummary) -> tuple[dict[str, float], dict[str, Any]]:
    """(metrics, params) of the parent run: the best value first, then its hyperparameters."""
    metrics: dict[str, float] = {}
    if s.best_value is not None:
        metrics[f"best_{s.metric}"] = s.best_value
        metrics["best_value"] = s.best_value
    metrics |= {f"n_{k}": float(n) for k, n in s.counts.items()}
    params: dict[str, Any] = {}
    if s.best_number is not None:
        numeric = {k: v for k, v in s.best_params.items()
                   if isinstance(v, (int, float)) and not isinstance(v, bool)}
        axes = log_axes(s.best_params)
        metrics |= {f"best_{k}": float(v) for k, v in (numeric | axes).items()}
        params = {records.BEST_TRIAL_TAG: s.best_number} | s.best_params | axis_params(axes)
    return metrics, params


def table(summaries: list[StudySummary]) -> str:
    """One row per study: trials by outcome, the best value with its lr/γ/ε, wall time. A line above
    the header says which columns are this invocation's (``+new``, ``time``) and which count
    every trial of the study."""
    head = ["study", "+new", *OUTCOMES[:-1], "best", "lr", "γ", "ε", "time"]
    rows = []
    for s in summaries:
        p = s.best_params
        rows.append([s.study, str(s.added), *(str(s.counts[k]) for k in OUTCOMES[:-1]),
                     "-" if s.best_value is None else f"{s.best_value:.4g}",
                     *(number(p[k]) if k in p else "-" for k in ("lr", "gamma", "eps")),
                     _duration(s.seconds)])
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    fmt = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))  # noqa: E731
    legend = ("+new, time: this invocation; trained … failed, best (with its lr, γ, ε): "
              "all trials of the study")
    return "\n".join([legend, fmt(head), *(fmt(r) for r in rows)])


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "-"
    m, s = divmod(int(round(seconds)), 60)
    return f"{m}m{s:02d}s" if m else f"{seconds:.1f}s"
