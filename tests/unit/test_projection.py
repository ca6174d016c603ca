"""benchmarks/projection.py plans a preset as the sweeper would (its timing is not tested here)."""

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import projection  # noqa: E402


def test_the_gamma_sensitivity_plan_counts_every_stage_of_every_study():
    stages, options = projection.plan(["study=gamma_sensitivity"])
    tuning = [s for s in stages if s.stage == "tuning"]
    assert len(tuning) == 12   # 3 models x 4 conventions
    assert {s.trials for s in tuning} == {8 * 7 * 3}   # γ x lr points x ε points
    per_stage = Counter(s.stage for s in stages)
    assert per_stage == {"tuning": 12, "lr_max (at most)": 12, "confirmation": 12}
    assert {s.trials for s in stages if s.stage == "confirmation"} == {10 * 8}   # 10 seeds per γ
    assert {s.trials for s in stages if s.stage.startswith("lr_max")} == {4 * 8}   # 4 rounds per γ
    assert {s.kind[0]: s.kind[-1] for s in tuning} == {"binary_mlp": 32, "mnist_mlp": 1, "rotated_quadratic": 256}
    assert all(s.kind[-1] == 1 for s in stages if s.stage == "confirmation")   # one trial per job
    assert options == {"n_jobs": 1, "launcher": "BasicLauncher"}


def test_a_budget_caps_the_grid():
    stages, _ = projection.plan(["study=gamma_sensitivity", "hydra.sweeper.n_trials=10",
                                 "hydra.sweeper.seeds.n=0", "hydra.sweeper.lr_max.rounds=0"])
    assert {s.stage for s in stages} == {"tuning"} and {s.trials for s in stages} == {10}


def test_a_preset_in_parts_is_planned_part_by_part():
    stages, _ = projection.plan(["study=gamma_rigorous"])
    tuning = [s for s in stages if s.stage == "tuning"]
    assert len(tuning) == 29 and len({s.study for s in tuning}) == 29   # every part's studies, once
    kinds = {s.kind[:4] for s in tuning}
    assert ("mnist_mlp", "fashion_mnist", 3900, 128) in kinds   # a part's own steps
    assert {("binary_mlp", "binary_teacher", 1000, b) for b in (32, 128, 512)} <= kinds
    fashion = [s for s in tuning if s.kind[1] == "fashion_mnist"]
    assert {s.trials for s in fashion} == {8 * 13 * 3}   # its 8 γ on its own grid, 3 tuning seeds: a part's options apply


def test_the_refinement_is_counted_per_setting_and_tuning_seed():
    stages, _ = projection.plan(["study=gamma_rigorous"])
    refined = {s.study: s.trials for s in stages if s.stage == "refine (at most)"}
    part1 = "gamma_rigorous.binary_mlp.binary_teacher.rmsprop.convention=pytorch"
    # sweeps.stages.refine's points around an anchor: 16 a decade within a quarter decade either side,
    # the coarse ones excepted (6, at every lr: the coarse values' rounding does not count as a new point);
    # x 12 γ x 3 tuning seeds
    assert refined[part1] == 6 * 12 * 3
    fashion = "gamma_rigorous.mnist_mlp.fashion_mnist.rmsprop.convention=pytorch"
    assert refined[fashion] == 4 * 8 * 3   # 8 a decade on its own grid, its 8 γ, 3 tuning seeds
    # 32 a decade within an eighth of a decade either side: 3 each side; 19 γ, 1 tuning seed
    assert refined["gamma_rigorous.reddi.rmsprop.convention=pytorch.stochastic=False"] == 6 * 19
    assert not any("batch_size" in s or "rising" in s for s in refined)   # parts with per_decade 0 add none
    assert projection.refine_points([1e-3, 1e-2, 1e-1], 4) == 6   # an anchor at 1e-2: 4 a decade either side, less 1e-2
