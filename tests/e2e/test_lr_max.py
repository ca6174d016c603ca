"""lr_max(γ) by bisection: the brackets from stored trials, and a real sweep that narrows one."""

import math

import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution
from optuna.trial import TrialState, create_trial

from support.sweep_runner import load, run_sweep
from sweeps.stages.lr_max import LR, Bracket, brackets

DISTS = {LR: FloatDistribution(1e-4, 10.0, log=True), "optimizer.gamma": CategoricalDistribution([0.9, 0.99]),
         "optimizer.eps": CategoricalDistribution([1e-8, 1e-4])}


def _trial(lr, gamma, outcome, value, eps=1e-8, state=TrialState.COMPLETE):
    return create_trial(params={LR: lr, "optimizer.gamma": gamma, "optimizer.eps": eps},
                        distributions=DISTS, value=value if state == TrialState.COMPLETE else None,
                        state=state, user_attrs={"outcome": outcome})


def test_the_bracket_is_the_last_trained_and_the_first_failed_lr_of_the_best_setting():
    trials = [_trial(1e-3, 0.9, "trained", 0.5), _trial(1e-2, 0.9, "trained", 0.3),
              _trial(1e-1, 0.9, "diverged", 2.3), _trial(1.0, 0.9, "diverged", 2.3),
              _trial(1e-1, 0.9, "trained", 0.9, eps=1e-4),       # another setting: not this bracket
              _trial(1e-3, 0.99, "collapsed", 2.3), _trial(1e-2, 0.99, "diverged", 2.3),
              _trial(1e-3, 0.9, "trained", 0.1, state=TrialState.RUNNING)]
    b09, b099 = brackets(trials, ["optimizer.gamma"], "minimize")
    assert b09 == Bracket((0.9,), {"optimizer.gamma": 0.9, "optimizer.eps": 1e-8}, 1e-2, 1e-1)
    assert b09.next_lr(0.05) == pytest.approx(10 ** -1.5)
    assert (b099.lo, b099.hi) == (None, 1e-3) and b099.next_lr(0.05) is None   # censored below
    assert Bracket((), {}, 1e-2, 1.03e-2).next_lr(0.05) is None                 # closed
    assert Bracket((), {}, 1e-2, None).next_lr(0.05) is None                    # censored above


@pytest.mark.slow
def test_a_real_sweep_bisects_sgds_stability_edge_on_the_quadratic(tmp_path):
    """SGD on x²/20 + y² from (−7, 2): y is multiplied by |1 − 2·lr| a step, so after k steps
    f ≥ 4·(2·lr − 1)^(2k) for lr > 1; the run diverges once f passes 100 × f(θ₀) = 645, which
    within 60 steps happens for lr above (645/4)^(1/120)/2 + 1/2 = 1.0216 — far inside the grid's
    bracket [0.56, 3.2)."""
    edge = ((645 / 4) ** (1 / 120) + 1) / 2
    run_sweep(tmp_path, "model=quadratic", "optimizer=sgd", "optimizer.lr=tag(log, interval(0.1, 3.2))",
              "hydra.sweeper.sampler.name=grid", "hydra.sweeper.grid_points=3", "hydra.sweeper.n_trials=3",
              "hydra.sweeper.lr_max.rounds=6", "hydra.sweeper.lr_max.resolution=0.012", "train.steps=60",
              "train.eval_every=10")
    study = load(tmp_path, "default.quadratic.sgd.lr_max")
    assert len(study.trials) == 6 and all(t.state == TrialState.COMPLETE for t in study.trials)
    tuned = load(tmp_path, "default.quadratic.sgd")
    [b] = brackets(tuned.trials + study.trials, [], "minimize")
    assert b.lo <= edge < b.hi and math.log10(b.hi / b.lo) == pytest.approx(math.log10(3.2 / math.sqrt(0.1 * 3.2)) / 64)  # 6 halvings of [√(0.1·3.2), 3.2)
    again = run_sweep(tmp_path, "model=quadratic", "optimizer=sgd", "optimizer.lr=tag(log, interval(0.1, 3.2))",
                      "hydra.sweeper.sampler.name=grid", "hydra.sweeper.grid_points=3",
                      "hydra.sweeper.n_trials=3", "hydra.sweeper.lr_max.rounds=6", "hydra.sweeper.lr_max.resolution=0.012",
                      "train.steps=60",
                      "train.eval_every=10", check=False)
    assert again.returncode == 3   # the grid is covered and the bracket closed: nothing to add
    assert len(optuna.load_study(study_name=study.study_name,
                                 storage=f"sqlite:///{tmp_path}/optuna.db").trials) == 6
