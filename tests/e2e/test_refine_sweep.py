"""A real sweep refines the lr grid around its best and, run again, adds nothing."""

import math

import pytest
from support.sweep_runner import load, run_sweep

from sweeps.stages.refine import LR

ARGS = ["model=quadratic", "optimizer=rmsprop", "optimizer.lr=tag(log, interval(1e-3, 1.0))",
        "optimizer.gamma=choice(0.9, 0.99)", "optimizer.eps=1e-8", "hydra.sweeper.sampler.name=grid",
        "hydra.sweeper.grid_points=4", "hydra.sweeper.n_trials=100", "hydra.sweeper.pruner.name=none",
        "hydra.sweeper.refine.per_decade=8", "train.steps=60", "train.eval_every=10"]


@pytest.mark.slow
def test_a_sweep_adds_eight_a_decade_around_each_gammas_best_once(tmp_path):
    run_sweep(tmp_path, *ARGS)
    study = load(tmp_path, "default.quadratic.rmsprop")
    coarse = {1e-3, 1e-2, 1e-1, 1.0}
    for gamma in (0.9, 0.99):
        trials = [t for t in study.trials if t.params["optimizer.gamma"] == gamma]
        assert all(t.state.name == "COMPLETE" for t in trials)
        best = min((t for t in trials if t.params[LR] in coarse), key=lambda t: (t.value, t.params[LR])).params[LR]   # ties: the smallest lr, as the stage
        fine = sorted(t.params[LR] for t in trials if t.params[LR] not in coarse)
        steps = [round(8 * math.log10(lr), 6) for lr in fine]
        assert all(s == int(s) for s in steps)                      # aligned: 10^(j/8)
        lo, hi = best / 10, min(best * 10, 1.0)                     # one coarse step either side
        assert fine and all(lo < lr < hi for lr in fine)
        assert len(fine) == (7 if best == 1e-3 or best == 1.0 else 14)
    again = run_sweep(tmp_path, *ARGS, check=False)
    assert again.returncode == 3                                    # grid covered, refinement done
    assert len(load(tmp_path, "default.quadratic.rmsprop").trials) == len(study.trials)
