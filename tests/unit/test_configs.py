"""Every config composes, and what it composes builds: every model, optimizer, data set and preset."""

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.hydra_config import HydraConfig

import models
import optimizers
from sweeps.jobs.builders import build_data, build_model, build_optimizer, check_pairing

CONF = Path(__file__).resolve().parents[2] / "conf"
STUDIES = sorted(p.stem for p in (CONF / "study").glob("*.yaml"))


def _compose(*overrides):
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose("config", overrides=list(overrides), return_hydra_config=True)
        HydraConfig.instance().set_config(cfg)   # for ${hydra:...}, as in a real job
        return cfg


def test_the_config_groups_offer_exactly_the_engine_names():
    assert sorted(p.stem for p in (CONF / "optimizer").glob("*.yaml")) == sorted(optimizers.available())
    assert sorted(p.stem for p in (CONF / "model").glob("*.yaml")) == sorted(models.available())


@pytest.mark.parametrize("model", sorted(models.available()))
@pytest.mark.parametrize("optimizer", optimizers.available())
def test_every_model_and_optimizer_composes_and_builds(model, optimizer):
    cfg = _compose(f"model={model}", f"optimizer={optimizer}")
    assert cfg.optimizer.name == optimizer and cfg.model.name == model
    built = build_optimizer(cfg)
    if "gamma" in built.hyperparameters:       # one γ axis for every optimizer that has one
        assert built.hyperparameters["gamma"] == cfg.optimizer.gamma
    check_pairing(build_model(cfg), build_data(cfg), cfg)
    assert cfg.mlflow.experiment_name == "gammasweep-default"


@pytest.mark.parametrize("study", STUDIES)
def test_every_study_preset_composes_with_a_search_space(study):
    cfg = _compose(f"study={study}")
    sweeper = cfg.hydra.sweeper
    assert sweeper.study_name == study
    assert "optimizer.lr" in sweeper.params
    assert sweeper.sampler.name in ("tpe", "random", "cmaes", "gp", "qmc", "grid")


def test_the_gamma_sensitivity_grid_includes_the_values_the_question_needs():
    space = str(_compose("study=gamma_sensitivity").hydra.sweeper.params["optimizer.gamma"])
    for gamma in ("0.0", "0.5", "0.9", "0.95", "0.99", "0.995", "0.999", "1.0"):
        assert gamma in space.replace(" ", "").strip("choice()").split(",")


def _leaves(node, prefix=""):
    """(dotted key, value) for every leaf of a plain config tree."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, f"{prefix}{k}.")
    else:
        yield prefix[:-1], node


@pytest.mark.parametrize("study", STUDIES)
def test_every_preset_composes_to_its_own_settings(study):
    """A preset is an experiment file: each value it sets wins over the base config (the
    lightning-hydra-template order, `_self_` first), so `study=X` trains as X's file says."""
    from omegaconf import OmegaConf

    written = OmegaConf.to_container(OmegaConf.load(CONF / "study" / f"{study}.yaml"))
    cfg = _compose(f"study={study}")
    for key, value in _leaves(written):
        if key.startswith("hydra.sweeper.params."):
            composed = cfg.hydra.sweeper.params[key.removeprefix("hydra.sweeper.params.")]
        else:
            composed = OmegaConf.select(cfg, key)
        assert composed == value, f"study={study}: {key} is {composed!r}, its file says {value!r}"


@pytest.mark.parametrize("study", STUDIES)
def test_workers_both_runs_any_preset_on_two_warm_workers(study):
    assert "basic_launcher" in _compose(f"study={study}").hydra.launcher._target_   # one process by default
    cfg = _compose(f"study={study}", "workers=both")
    assert cfg.hydra.launcher._target_ == "hydra_plugins.gammasweep_launcher.GammasweepJoblibLauncher"
    assert cfg.hydra.launcher.n_jobs == 2 and cfg.hydra.sweeper.n_jobs >= 2
