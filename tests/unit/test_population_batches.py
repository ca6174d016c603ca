"""How many trials the sweeper asks per batch, and how many each job stacks."""

from types import SimpleNamespace

import pytest
from optuna.trial import TrialState

from sweeps.launch.population import Population, next_batch


def study_with(*states):
    trials = [SimpleNamespace(state=s) for s in states]
    return SimpleNamespace(get_trials=lambda deepcopy, states: [t for t in trials if t.state in states])


TPE = {"name": "tpe", "n_startup_trials": 5}


def test_grid_and_random_stack_k_per_job_throughout():
    assert next_batch(Population(32), study_with(*[TrialState.COMPLETE] * 40), TPE, 2) == (64, 32)


@pytest.mark.parametrize("n_jobs, done, expected", [
    (1, 0, (5, 5)),    # the five start-up draws in one job
    (2, 0, (5, 3)),    # over two jobs: 3 + 2, never more than the start-up
    (1, 3, (2, 2)),
    (1, 5, (1, 1)),    # start-up over: one trial per job, as without stacking
    (2, 7, (2, 1)),
])
def test_learning_samplers_stack_only_their_startup_draws(n_jobs, done, expected):
    study = study_with(*[TrialState.COMPLETE] * done, TrialState.FAIL)   # a failed one is redrawn
    assert next_batch(Population(32, startup_only=True), study, TPE, n_jobs) == expected


def test_running_and_queued_trials_count_as_asked():
    study = study_with(TrialState.COMPLETE, TrialState.RUNNING, TrialState.WAITING)
    assert next_batch(Population(32, startup_only=True), study, TPE, 1) == (2, 2)
    assert next_batch(Population(32, startup_only=True), study, {"name": "tpe"}, 1) == (7, 7)  # Optuna's 10
