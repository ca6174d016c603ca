"""A study's state after a stage: logged to its MLflow parent run, kept for the closing table."""

from __future__ import annotations

import logging
from typing import Any

import optuna
from optuna.trial import TrialState

from sweeps import tracking
from sweeps.hydra.plan import StudyPlan
from sweeps.stages.trials import TrialLoop
from sweeps.terminal import summary
from sweeps.tracking import curve_worker
from sweeps import records

log = logging.getLogger(__name__)


def summarize(loop: TrialLoop, study: optuna.Study, plan: StudyPlan, launched: int, seconds: float) -> dict[str, Any]:
    """Log the study's state to its MLflow parent run (the best trial's values) and return it."""
    curve_worker.drain()   # every trial's figure is in MLflow before the study's summary
    cfg = plan.cfg
    uri = cfg.mlflow.tracking_uri
    result = _counts(study, launched)
    s = summary.summarize(study, cfg.optimizer.name, cfg.optimized_metric, launched, seconds)
    log.info("%s", summary.line(s))
    loop.tables.append(s)
    metrics, params = summary.parent_values(s)
    tags = result["tags"] | {records.NOTE_TAG: summary.note(s, cfg.model.name, cfg.data.name)}
    parent = study.user_attrs[records.PARENT_RUN]
    tracking.log_all(uri, parent, metrics=metrics | result["metrics"], tags=tags)
    tracking.log_best(uri, parent, params)
    return {"study": study.study_name, "added": launched, **result}


def _counts(study: optuna.Study, launched: int) -> dict[str, Any]:
    trials = study.get_trials(deepcopy=False)
    count = {s.name.lower(): sum(t.state == s for t in trials) for s in TrialState}
    metrics = {f"n_{k}": v for k, v in count.items() if k in ("complete", "pruned", "fail")}
    tags: dict[str, Any] = {}
    if count["complete"]:
        best = study.best_trial
        metrics["best_value"] = best.value
        tags = {records.BEST_TRIAL_TAG: best.number} | {f"{records.BEST_PREFIX}{k}": v for k, v in best.params.items()}
    return {"metrics": metrics, "tags": tags}
