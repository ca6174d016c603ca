"""``load_family`` / ``load_studies`` read back synthetic study families with known answers,
built the way the sweeper builds studies (``support.synthetic``)."""

from __future__ import annotations

import optuna
import pytest
from optuna.trial import TrialState, create_trial

from support.synthetic import (
    GAMMAS, LRS, PENALTY, gamma_strong, grid, lr_only, make_seeds, make_study, sqlite_storage,
)
from sweeps.analysis import load_family, load_studies
from sweeps.errors import SweepError

# ---------------------------------------------------------------------------------------------
# The loader


def test_load_family_reads_params_settings_attrs_and_seed_studies(tmp_path):
    url, storage = sqlite_storage(tmp_path / "o.db")
    cell = {"model": "mnist_mlp", "data": "mnist_5k", "optimizer": "rmsprop"}
    study = make_study(storage, "fam", cell, grid(lr=LRS, gamma=GAMMAS), gamma_strong,
                       settings={"eps": 1e-8, "initial_square_avg": 0.0, "gamma_schedule": "constant"},
                       parent_run_id="run123")
    make_seeds(storage, study, [0, 1], gamma_strong, identity=False)  # found by its name alone
    make_study(storage, "other", cell, grid(lr=LRS), lr_only)

    trials, studies = load_family(url, "fam"), load_studies(url, "fam")
    name = "fam.mnist_mlp.mnist_5k.rmsprop"
    assert list(studies["study"]) == [name, name + ".seeds"]
    assert list(studies["role"]) == ["tuning", "seeds"]
    assert studies["parent_run_id"].iloc[0] == "run123"
    assert set(studies["distributions"].iloc[0]) == {"lr", "gamma"}
    seeds_row = studies.iloc[1]  # inherits what its tuning study measures
    assert seeds_row["model"] == "mnist_mlp" and seeds_row["label"] == "mnist_mlp/mnist_5k/rmsprop"

    tuning = trials[trials["role"] == "tuning"]
    assert len(tuning) == 25 and (tuning["eps"] == 1e-8).all()           # a setting fills the column
    assert (tuning["gamma_schedule"] == "constant").all()
    assert tuning["diverged"].sum() == 2                                 # γ = 0 with lr 0.1 and 1
    assert tuning.loc[tuning["diverged"], "value"].eq(PENALTY).all()
    seeds = trials[trials["role"] == "seeds"]
    assert sorted(seeds["seed"].unique()) == [1, 2, 3] and set(seeds["source_trial"]) == {0, 1}
    assert trials["curve"].iloc[0][0] == pytest.approx(PENALTY)


def test_load_family_unknown_family_names_the_families_found(tmp_path):
    url = f"sqlite:///{tmp_path}/o.db"
    make_study(url, "alpha", {"model": "quadratic", "data": "none", "optimizer": "sgd"},
               grid(lr=LRS), lr_only)
    with pytest.raises(SweepError, match=r"'beta'.*families found: alpha"):
        load_family(url, "beta")


def test_load_family_missing_storage_file_is_an_error_not_an_empty_database(tmp_path):
    url = f"sqlite:///{tmp_path}/nothing.db"
    with pytest.raises(SweepError, match="does not exist"):
        load_family(url, "default")
    assert not (tmp_path / "nothing.db").exists()


def test_split_studies_and_seed_studies_are_labelled_from_their_identity(tmp_path):
    storage = optuna.storages.InMemoryStorage()
    cell = {"model": "mnist_mlp", "data": "mnist_5k", "optimizer": "rmsprop",
            "optimizer.initial_square_avg": "1.0"}  # a split_by key, as sweeps/hydra/plan.py adds it
    study = make_study(storage, "gs", cell, grid(lr=LRS, gamma=GAMMAS), gamma_strong,
                       settings={"initial_square_avg": 1.0})
    make_seeds(storage, study, [3], gamma_strong)
    studies = load_studies(storage, "gs").set_index("study")
    name = "gs.mnist_mlp.mnist_5k.rmsprop.initial_square_avg=1.0"
    assert list(studies.index) == [name, name + ".seeds"]
    assert set(studies["label"]) == {"mnist_mlp/mnist_5k/rmsprop/initial_square_avg=1.0"}
    assert studies.loc[name + ".seeds", "role"] == "seeds"
    assert studies.loc[name + ".seeds", "tuning_study"] == name
    trials = load_family(storage, "gs")
    assert (trials["initial_square_avg"] == 1.0).all()


def test_label_drops_data_none_and_failed_trials_are_kept(tmp_path):
    url = f"sqlite:///{tmp_path}/o.db"
    study = make_study(url, "traj", {"model": "quadratic", "data": "none", "optimizer": "rmsprop"},
                       grid(lr=LRS, gamma=(0.9,)), lr_only)
    study.add_trial(create_trial(state=TrialState.FAIL, params={}, distributions={},
                                 user_attrs={"error": "RuntimeError: boom"}))
    trials = load_family(url, "traj")
    assert set(trials["label"]) == {"quadratic/rmsprop"}
    assert (trials["state"] == "FAIL").sum() == 1
    assert trials.loc[trials["state"] == "FAIL", "error"].item() == "RuntimeError: boom"
