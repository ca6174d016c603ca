"""The stages that enqueue their own trials (confirmation, lr_max, refinement) drain the queue
through ``SharedStudy.ask(..., queued_only=True)``: every queued trial is handed out once, a
budget larger than the queue never draws a sampled trial, and an empty queue ends the stage."""

from __future__ import annotations

import optuna
from optuna.distributions import FloatDistribution, IntDistribution
from optuna.trial import TrialState

from sweeps.storages.shared_study import SharedStudy
from sweeps.study import unfinished

SPACE = {"optimizer.lr": FloatDistribution(1e-4, 1.0, log=True), "train.seed": IntDistribution(0, 2**31 - 1)}


def _study(tmp_path) -> optuna.Study:
    study = optuna.create_study(study_name="s.seeds", storage=f"sqlite:///{tmp_path}/o.db",
                                sampler=optuna.samplers.RandomSampler(seed=0))
    for seed in (1, 2, 3):
        study.enqueue_trial({"optimizer.lr": 0.01, "train.seed": seed})
    return study


def test_a_budget_past_the_queue_hands_out_only_the_queued_trials(tmp_path):
    study = _study(tmp_path)
    shared, ran = SharedStudy(study, heartbeat_interval=None), []
    for _ in range(5):
        batch = shared.ask(SPACE, 2, lambda: 100, queued_only=True)
        if not batch.trials:
            assert batch.exhausted
            break
        for t in batch.trials:
            ran.append(t.params["train.seed"])
            study.tell(t, 0.0)
    assert sorted(ran) == [1, 2, 3]
    assert len(study.trials) == 3, "no sampled trial past the queue"


def test_what_an_interrupted_stage_left_queued_or_running_is_counted_and_run(tmp_path):
    study = _study(tmp_path)
    shared = SharedStudy(study, heartbeat_interval=None)
    first = shared.ask(SPACE, 1, lambda: 1, queued_only=True).trials[0]   # then the worker "dies"
    assert unfinished(study) == 3   # one RUNNING, two WAITING: the resumed stage's budget
    study.tell(first, state=TrialState.FAIL)
    study.enqueue_trial({"optimizer.lr": 0.01, "train.seed": first.params["train.seed"]})   # its retry
    batch = shared.ask(SPACE, 8, lambda: unfinished(study), queued_only=True)
    assert sorted(t.params["train.seed"] for t in batch.trials) == [1, 2, 3]
