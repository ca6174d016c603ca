"""Job configs copied from the first of their shape equal Hydra's own composition."""

import pickle
from pathlib import Path

import pytest
from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.types import RunMode
from omegaconf import OmegaConf

from sweeps.hydra import job_configs
from sweeps.hydra.job_configs import JobConfigs

CONF = Path(__file__).resolve().parents[2] / "conf"


class Counting:
    """Hydra's loader, counting full compositions."""

    def __init__(self, loader):
        self.loader, self.calls = loader, 0

    def load_sweep_config(self, master, overrides):
        self.calls += 1
        return self.loader.load_sweep_config(master, overrides)


@pytest.fixture
def hydra_loader():
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        loader = GlobalHydra.instance().config_loader()
        master = loader.load_configuration("config", overrides=[], run_mode=RunMode.MULTIRUN)
        yield loader, master


def job(i, model="binary_mlp"):
    return [f"model={model}", "optimizer=adam", "train.steps=50", f"optimizer.lr={10.0 ** -i}",
            f"optimizer.gamma={1 - 10.0 ** -i}", "trial.study='default.x.y.adam'", f"trial.number={i}"]


def test_copies_equal_hydras_composition_and_skip_it_after_the_check(hydra_loader):
    loader, master = hydra_loader
    counting = Counting(loader)
    jobs = JobConfigs(counting)
    for i in range(1, 6):
        ours = jobs.load_sweep_config(master, job(i))
        assert OmegaConf.to_container(ours) == OmegaConf.to_container(loader.load_sweep_config(master, job(i)))
        assert ours.optimizer.lr == 10.0 ** -i and ours.trial.number == i
        assert ours.hydra.overrides.task[-1] == f"trial.number={i}"
    assert counting.calls == 2, "Hydra composes the first job, and the second once more to compare"
    jobs.load_sweep_config(master, job(1, model="mnist_mlp"))   # another config group: a new shape
    assert counting.calls == 3


def test_a_copy_that_differs_sends_its_shape_back_to_hydra(hydra_loader, monkeypatch, caplog):
    loader, master = hydra_loader
    jobs = JobConfigs(loader)
    jobs.load_sweep_config(master, job(1))
    real = job_configs._with_values

    def wrong(*args):
        cfg = real(*args)
        cfg.train.steps = 7
        return cfg

    monkeypatch.setattr(job_configs, "_with_values", wrong)
    for i in (2, 3):
        assert jobs.load_sweep_config(master, job(i)).train.steps == 50
    assert "differs from Hydra's composition" in caplog.text


def test_survives_pickling_for_joblib_workers(hydra_loader):
    loader, master = hydra_loader
    jobs = JobConfigs(loader)
    jobs.load_sweep_config(master, job(1))
    again = pickle.loads(pickle.dumps(jobs))
    assert again.load_sweep_config(master, job(2)).optimizer.lr == 0.01
