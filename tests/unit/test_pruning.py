"""Pruning never judges an untrained run: step 0 is kept for the curve but never shown to the pruner.

Every trial of a study starts from the same θ_0, so their step-0 losses agree to rounding; a pruner
asked at step 0 would prune settings by that rounding (the stacked and the single path differ in
the last bits on some machines). Driven through ``study.ask()`` as the sweeper's jobs are.
"""

import optuna
import pytest

from sweeps.jobs.trial_link import Reporter

UNTRAINED, TRAINED_LOSS = 1.0, 0.5


def _study(pruner: optuna.pruners.BasePruner) -> optuna.Study:
    """Four finished trials, each evaluated at step 0 (untrained) and step 20."""
    study = optuna.create_study(pruner=pruner)
    for _ in range(4):
        trial = study.ask()
        trial.report(UNTRAINED, 0)
        trial.report(TRAINED_LOSS, 20)
        study.tell(trial, TRAINED_LOSS)
    return study


PRUNERS = {
    "median, no warm-up": optuna.pruners.MedianPruner(n_startup_trials=0, n_warmup_steps=0),
    "percentile 1%": optuna.pruners.PercentilePruner(1.0, n_startup_trials=0, n_warmup_steps=0),
    "hyperband": optuna.pruners.HyperbandPruner(min_resource=1, max_resource=100),
    "threshold at the untrained loss": optuna.pruners.ThresholdPruner(upper=UNTRAINED),
}


@pytest.mark.parametrize("name", PRUNERS)
def test_a_step_0_a_hair_worse_than_the_others_is_not_pruned(name):
    study = _study(PRUNERS[name])
    trial = study.ask()
    reporter = Reporter("val_loss", trial)
    reporter(0, {"val_loss": UNTRAINED + 1e-10})   # the rounding of another code path
    assert 0 not in study.trials[-1].intermediate_values    # the pruner never saw it...
    assert reporter.unwritten == {0: UNTRAINED + 1e-10}      # ...the trial's curve keeps it
    assert reporter.history == [("val_loss", UNTRAINED + 1e-10, 0)]


def test_after_training_starts_the_pruner_compares_at_the_same_step():
    study = _study(optuna.pruners.MedianPruner(n_startup_trials=0, n_warmup_steps=0))
    trial = study.ask()
    reporter = Reporter("val_loss", trial)
    reporter(0, {"val_loss": UNTRAINED})
    with pytest.raises(optuna.TrialPruned, match="pruned at step 20"):
        reporter(20, {"val_loss": 0.9})   # worse than every other trial at step 20
    assert study.trials[-1].intermediate_values == {20: 0.9}


def test_a_trial_as_good_as_the_others_trains_on():
    study = _study(optuna.pruners.MedianPruner(n_startup_trials=0, n_warmup_steps=0))
    reporter = Reporter("val_loss", study.ask())
    reporter(0, {"val_loss": UNTRAINED + 1e-10})
    reporter(20, {"val_loss": TRAINED_LOSS})
