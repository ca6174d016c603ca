"""The 2-D path figures: the best non-diverged path per optimizer and per RMSprop γ."""

import matplotlib.image
import numpy as np
import optuna
from optuna.distributions import FloatDistribution

from sweeps.analysis.sections.trajectories import trajectories_section
from sweeps.analysis.trajectories import best_paths
from sweeps import records


SPACE = {"optimizer.lr": FloatDistribution(1e-3, 1.0, log=True),
         "optimizer.gamma": FloatDistribution(0.0, 1.0)}


def test_best_paths_skip_diverged_runs_and_group_rmsprop_by_gamma(tmp_path):
    storage = f"sqlite:///{tmp_path}/o.db"
    s = optuna.create_study(study_name="t.rotated_quadratic.rmsprop", storage=storage)
    s.set_user_attr(records.IDENTITY, {"model": "rotated_quadratic", "optimizer": "rmsprop"})
    for lr, gamma, value, diverged in [(0.1, 0.9, 0.5, False), (1.0, 0.9, 0.01, True), (0.01, 0.5, 0.2, False)]:
        s.enqueue_trial({"optimizer.lr": lr, "optimizer.gamma": gamma})
        t = s.ask(SPACE)
        t.set_user_attr("trajectory", np.linspace([-3.0, -5.0], [0.0, 0.0], 11).tolist())
        t.set_user_attr("diverged", diverged)
        s.tell(t, value)
    per_optimizer, per_gamma = best_paths(storage, "t")
    assert [(p.optimizer, p.value) for p in per_optimizer] == [("rmsprop", 0.2)]
    assert sorted((p.label.split(" (")[0], p.value) for p in per_gamma) == [("γ = 0.5", 0.2), ("γ = 0.9", 0.5)]

    md = trajectories_section(storage, "t", tmp_path)
    for name in ("paths_rotated_quadratic.png", "paths_rotated_quadratic_rmsprop_gamma.png"):
        assert name in md
        assert matplotlib.image.imread(tmp_path / name).shape[0] > 100


def test_family_without_2d_problems_names_the_preset(tmp_path):
    storage = f"sqlite:///{tmp_path}/o.db"
    optuna.create_study(study_name="x.mnist_mlp.mnist_5k.sgd", storage=storage)
    assert "study=trajectories" in trajectories_section(storage, "x", tmp_path)
