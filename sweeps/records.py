"""The names under which gammasweep records things, in one place: Optuna study and trial
attributes, MLflow tags, and the one reading of a trial's record shared by every table.

Writers (the sweeper, the jobs) and readers (the analysis, ``sweeps.results``, the terminal)
import these names; a stored name is never spelled anywhere else.
"""

from __future__ import annotations

from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

# Optuna study user attributes
IDENTITY = "gammasweep.identity"      # what the study measures (sweeps/hydra/plan.py); a rerun must agree
PROTOCOL = "gammasweep.protocol"      # the report's tests, declared before the results (hydra.sweeper.protocol)
PARENT_RUN = "mlflow_parent_run_id"   # the study's MLflow parent run
# keys of a stage study's identity: the tuning study it belongs to
SEEDS_OF = "seeds_of"
LR_MAX_OF = "lr_max_of"

# Optuna trial user attributes, written by the job (sweeps/jobs/member.py) unless noted
OUTCOME = "outcome"                   # trained, diverged or collapsed (models/outcome.py)
DIVERGED = "diverged"
DIVERGED_STEP = "diverged_step"
TRAIN_SECONDS = "train_seconds"
SEED = "seed"
FINAL = "final"                       # {metric: value} at the end
INITIAL = "initial"                   # {metric: value} at step 0
BASELINE = "baseline"                 # {metric: value} of the constant predictor
TRAJECTORY = "trajectory"             # a 2-D problem's path, thinned
BEST_VAL_LOSS = "best_val_loss"
BEST_VAL_STEP = "best_val_step"
MLFLOW_RUN_ID = "mlflow_run_id"
JOB_PROCESS = "job_process"           # host:pid of a job run outside the sweeper's process
ERROR = "error"                       # why the trial failed (the sweeper, the storages)
SOURCE_TRIAL = "source_trial"         # a confirmation run's tuning trial (sweeps/stages/confirmation.py)
RETRY_OF = "retry_of"                 # an interrupted trial's number, on its re-queued copy
WORKER = "worker"                     # host:pid of the sweeper that asked for it
METRIC_DICTS = (FINAL, INITIAL, BASELINE)

# Optuna trial system attributes
OWNER = "gammasweep.owner"            # [host, pid, process start time] of the process running it
DEAD = "gammasweep.dead"              # the trial number whose death was already retried
# (Optuna's own keys — grid_id, retry_history, fixed_params — are read in sweeps/adapters/optuna_private.py)

# MLflow tags (also: mlflow.runName, mlflow.note.content, mlflow.parentRunId, MLflow's own)
STUDY_TAG = "gammasweep.study"        # a parent run's study
FAMILY_TAG = "gammasweep.family"      # the family run: holds the report, parents nest under it
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"   # on the experiment: model training, not GenAI
RUN_NAME_TAG = "mlflow.runName"
NOTE_TAG = "mlflow.note.content"
PARENT_TAG = "mlflow.parentRunId"
OUTCOME_TAG = OUTCOME
STATE_TAG = "state"
PRUNED_TAG = "pruned"
BEST_TRIAL_TAG = "best_trial"
BEST_PREFIX = "best."                 # best.<param>: the best trial's values on its parent run


def outcome(t: FrozenTrial) -> str | None:
    """trained, diverged or collapsed for a COMPLETE trial (older trials: from ``diverged``);
    None for trials that did not complete."""
    if t.state != TrialState.COMPLETE:
        return None
    return t.user_attrs.get(OUTCOME) or ("diverged" if t.user_attrs.get(DIVERGED) else "trained")


def trial_record(t: FrozenTrial) -> dict[str, Any]:
    """What a finished trial recorded, as the columns of every trials table (the analysis's and
    ``sweeps.results``'): state, outcome, value, seed, runs, errors, times, ``final_<metric>``."""
    ua = t.user_attrs
    start, end = t.datetime_start, t.datetime_complete
    row = {
        "number": t.number, "state": t.state.name, "outcome": outcome(t), "value": t.value,
        "diverged": bool(ua.get(DIVERGED, False)), "diverged_step": ua.get(DIVERGED_STEP),
        "seed": ua.get(SEED), "source_trial": ua.get(SOURCE_TRIAL), "mlflow_run_id": ua.get(MLFLOW_RUN_ID),
        "train_seconds": ua.get(TRAIN_SECONDS), "error": ua.get(ERROR),
        "best_val_loss": ua.get(BEST_VAL_LOSS), "best_val_step": ua.get(BEST_VAL_STEP),
        "datetime_start": start, "datetime_complete": end,
        "duration_s": (end - start).total_seconds() if start and end else None,
    }
    for attr in METRIC_DICTS:
        row |= {f"{attr}_{k}": v for k, v in (ua.get(attr) or {}).items()}
    return row


def family_of(study_name: str) -> str:
    """A study's family: the first dot-separated part of its name (hydra.sweeper.study_name)."""
    return study_name.split(".", 1)[0]


def identity(study: optuna.Study | optuna.study.FrozenStudy) -> dict[str, Any]:
    return study.user_attrs.get(IDENTITY) or {}
