"""A preset in parts (hydra.sweeper.parts): several search spaces, one command, one family."""

import pytest

from support.sweep_runner import load, run_sweep

PARTS = ("hydra.sweeper.parts=["
         "{params: {model: quadratic, optimizer.lr: 'tag(log, interval(1e-3, 1e-1))'}, grid_points: 3},"
         "{params: {model: rotated_quadratic, optimizer: 'choice(sgd, rmsprop)', optimizer.gamma: null,"
         " optimizer.eps: null}, grid_points: 2}]")


@pytest.mark.slow
def test_each_part_makes_its_studies_with_its_own_options(tmp_path):
    run_sweep(tmp_path, "hydra.sweeper.sampler.name=grid", "hydra.sweeper.n_trials=100",
              "hydra.sweeper.params={optimizer: rmsprop, optimizer.lr: 'tag(log, interval(1e-2, 1e-1))',"
              "optimizer.gamma: 0.9, optimizer.eps: 1e-8}",
              PARTS)
    quad = load(tmp_path, "default.quadratic.rmsprop")
    assert sorted(round(t.params["optimizer.lr"], 6) for t in quad.trials) == [0.001, 0.01, 0.1]
    # the preset's lr range, the part's 2 grid points; null dropped γ and ε (sgd has none)
    for opt in ("sgd", "rmsprop"):
        rot = load(tmp_path, f"default.rotated_quadratic.{opt}")
        assert sorted(round(t.params["optimizer.lr"], 6) for t in rot.trials) == [0.01, 0.1]


def test_a_part_with_an_unknown_option_is_refused_in_one_paragraph(tmp_path):
    proc = run_sweep(tmp_path, "hydra.sweeper.parts=[{params: {model: quadratic}, grid_pints: 3}]",
                     check=False)
    assert proc.returncode == 2
    assert "hydra.sweeper.parts[0] sets grid_pints, which is not a sweeper option" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_two_parts_making_one_study_differently_are_refused(tmp_path):
    proc = run_sweep(tmp_path, "hydra.sweeper.parts=[{params: {model: quadratic, train.divergence_factor: 10}},"
                     "{params: {model: quadratic, train.divergence_factor: 20}}]", check=False)
    assert proc.returncode == 2
    assert "make study 'default.quadratic." in proc.stderr and "with different settings" in proc.stderr


def test_a_part_pinning_another_group_option_is_left_out_and_values_apply_to_every_part():
    from sweeps.hydra.parts import conflicts

    part = {"optimizer": "rmsprop", "convention": "choice(pytorch)", "train.steps": 20, "optimizer.eps": 1e-8}
    assert conflicts(part, ["optimizer=adam"]) == ("optimizer=rmsprop", "optimizer=adam")
    assert conflicts(part, ["optimizer=choice(sgd,adam)"]) is not None
    assert conflicts(part, ["optimizer=rmsprop", "model=binary_mlp"]) is None       # the same option, a narrowing
    assert conflicts(part, ["convention=tf1"]) is None                             # a swept group: narrowed
    assert conflicts(part, ["train.steps=60", "optimizer.eps=1e-6"]) is None       # values apply to every part
