"""What ``sweeps.adapters.hydra_private`` relies on in Hydra's ``_internal`` and its launcher
plugins, on real configs, launchers and ``hydra.main``.

Each test names the private thing it pins. A failure after an upgrade of hydra-core,
hydra-joblib-launcher or hydra-submitit-launcher means the adapter's function must change before
pyproject.toml's bound on that package may be raised.
"""

from __future__ import annotations

import inspect
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import ConfigCompositionException
from omegaconf import OmegaConf

from sweeps.adapters import hydra_private

ROOT = Path(__file__).resolve().parents[2]
CONFIG = "x: 1\nname: a\nnested:\n  v: 0.5\n  s: text\n"


@pytest.fixture
def conf(tmp_path):
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "config.yaml").write_text(CONFIG)
    return tmp_path / "conf"


def _run(script: str, *args: str) -> subprocess.CompletedProcess:
    """``script`` in a fresh Python, importing this checkout's ``sweeps``."""
    return subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def _parse(*overrides: str):
    return OverridesParser.create().parse_overrides(list(overrides))


def test_the_basic_launcher_is_found_by_its_module_and_name():
    """``hydra._internal.core_plugins.basic_launcher.BasicLauncher``, and the logger of its job lines."""
    from hydra._internal.core_plugins import basic_launcher
    from hydra_plugins.hydra_joblib_launcher.joblib_launcher import JoblibLauncher

    assert hydra_private.is_basic_launcher(basic_launcher.BasicLauncher())
    rescanned = type("BasicLauncher", (), {"__module__": basic_launcher.__name__})   # a plugin scan's copy
    assert hydra_private.is_basic_launcher(rescanned())
    assert not hydra_private.is_basic_launcher(JoblibLauncher())
    assert basic_launcher.log.name == hydra_private.JOB_LINE_LOGGERS[0]
    assert "log.info" in inspect.getsource(basic_launcher.BasicLauncher.launch)   # "Launching N jobs locally"


def test_values_are_applied_as_hydras_composition_applies_them():
    """``ConfigLoaderImpl._apply_overrides_to_config(overrides, cfg)``: typed values, struct mode."""
    cfg = OmegaConf.create({"x": 1, "nested": {"v": 0.5, "s": "text"}})
    OmegaConf.set_struct(cfg, True)
    hydra_private.apply_values(_parse("x=3", "nested.v=1e-3", "nested.s='a b'"), cfg)
    assert OmegaConf.to_container(cfg) == {"x": 3, "nested": {"v": 1e-3, "s": "a b"}}
    assert isinstance(cfg.x, int) and isinstance(cfg.nested.v, float)
    with pytest.raises(ConfigCompositionException, match="nested.missing"):
        hydra_private.apply_values(_parse("nested.missing=1"), cfg)


def test_the_override_dirname_is_hydras():
    """``hydra._internal.config_loader_impl.get_overrides_dirname``: sorted, keys excluded, separators."""
    overrides = _parse("b=2", "a.x=1", "seed=3")
    assert hydra_private.overrides_dirname(overrides, exclude_keys=["seed"], item_sep=",", kv_sep="=") == "a.x=1,b=2"
    assert hydra_private.overrides_dirname(overrides, exclude_keys=[], item_sep="_", kv_sep=":") == "a.x:1_b:2_seed:3"


def test_jobs_are_composed_by_the_config_loader_in_config_loader_module(conf):
    """``CONFIG_LOADER_MODULE``'s ``ConfigLoaderImpl`` is the loader Hydra composes jobs with
    (``benchmarks/phases.py`` times its ``load_sweep_config``)."""
    import importlib

    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    impl = importlib.import_module(hydra_private.CONFIG_LOADER_MODULE).ConfigLoaderImpl
    with initialize_config_dir(config_dir=str(conf), version_base="1.3"):
        assert type(GlobalHydra.instance().config_loader()) is impl


# A ``hydra.main`` app, run in its own process: Hydra's plugin scan and logging set-up would
# otherwise stay in this one.
MAIN = """
import sys
import hydra
from hydra._internal import utils
from hydra.errors import ConfigCompositionException
from sweeps.adapters import hydra_private

assert "run_and_report" in utils._run_hydra.__code__.co_names   # looked up at each call
conf, run_dir, override = sys.argv[1:]
original, ran = utils.run_and_report, []

@hydra.main(config_path=conf, config_name="config", version_base="1.3")
def task(cfg):
    ran.append(cfg.x)

def wrap(func):
    def guarded():
        try:
            return func()
        except ConfigCompositionException as e:
            print("caught", e)
            sys.exit(7)
    return guarded

sys.argv = ["task", "hydra.run.dir=" + run_dir, override]
with hydra_private.run_and_report_wrapped(wrap):
    task()
assert utils.run_and_report is original
print("ran", ran)
"""


def test_hydra_main_composes_inside_what_run_and_report_runs(conf, tmp_path):
    """``hydra._internal.utils.run_and_report``: ``hydra.main`` looks it up at each call, and the
    config's composition (and its errors) and the task run inside the functions it is given."""
    good = _run(MAIN, str(conf), str(tmp_path / "run"), "x=5")
    assert good.returncode == 0 and "ran [5]" in good.stdout, good.stderr
    bad = _run(MAIN, str(conf), str(tmp_path / "run"), "nokey=5")
    assert bad.returncode == 7 and "caught" in bad.stdout and "nokey" in bad.stdout, bad.stderr


JOB = """
import sys
from hydra import initialize_config_dir
from hydra._internal.callbacks import Callbacks   # what Hydra gives a launcher's context
from hydra.core.global_hydra import GlobalHydra
from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, JobStatus
from hydra.types import HydraContext, RunMode
from sweeps.adapters import hydra_private

conf, sweep_dir = sys.argv[1:]
with initialize_config_dir(config_dir=conf, version_base="1.3"):
    loader = GlobalHydra.instance().config_loader()
    master = loader.load_configuration("config", overrides=["hydra.sweep.dir=" + sweep_dir],
                                       run_mode=RunMode.MULTIRUN)
    context = HydraContext(config_loader=loader, callbacks=Callbacks(master))
    ret = hydra_private.joblib_execute_job(3, ["x=9"], context, master, lambda cfg: cfg.x * 2,
                                           Singleton.get_state())
assert isinstance(ret, JobReturn) and ret.status == JobStatus.COMPLETED, ret.status
job = ret.hydra_cfg.hydra.job
print("returned", ret.return_value, job.num, job.id == job.name + "_3", ret.cfg.x)
"""


def test_a_joblib_job_runs_as_the_launcher_runs_it(conf, tmp_path):
    """``hydra_plugins.hydra_joblib_launcher._core.execute_job(idx, overrides, hydra_context,
    config, task_function, singleton_state)`` -> the job's ``JobReturn``; its logger's package."""
    from hydra_plugins.hydra_joblib_launcher import _core

    assert list(inspect.signature(_core.execute_job).parameters) == [
        "idx", "overrides", "hydra_context", "config", "task_function", "singleton_state"]
    assert _core.log.name.startswith(hydra_private.JOB_LINE_LOGGERS[1])
    done = _run(JOB, str(conf), str(tmp_path / "sweep"))   # run_job sets up logging: its own process
    assert done.returncode == 0 and "returned 18 3 True 9" in done.stdout, done.stderr


def test_joblib_options_become_ints_where_they_are_numbers():
    """``hydra_plugins.hydra_joblib_launcher._core.process_joblib_cfg``, in place."""
    cfg = {"n_jobs": 2, "pre_dispatch": "4", "batch_size": "auto", "max_nbytes": None, "backend": "loky"}
    hydra_private.joblib_process_cfg(cfg)
    assert cfg == {"n_jobs": 2, "pre_dispatch": 4, "batch_size": "auto", "max_nbytes": None, "backend": "loky"}


def test_a_submitit_launcher_names_its_executor():
    """hydra-submitit-launcher: ``_EXECUTOR`` of each launcher, ``params`` as given, and the
    ``__call__`` that ``submitit_jobs.launch`` maps over a job array."""
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher")
    from hydra_plugins.hydra_submitit_launcher.config import BaseQueueConf, LocalQueueConf, SlurmQueueConf
    from hydra_plugins.hydra_submitit_launcher.submitit_launcher import (BaseSubmititLauncher, LocalLauncher,
                                                                         SlurmLauncher)

    local = LocalLauncher(submitit_folder="f", timeout_min=1)
    assert hydra_private.submitit_cluster(local) == "local" and local.params == {"submitit_folder": "f", "timeout_min": 1}
    assert hydra_private.submitit_cluster(SlurmLauncher(submitit_folder="f")) == "slurm"
    assert list(inspect.signature(BaseSubmititLauncher.__call__).parameters) == [
        "self", "sweep_overrides", "job_dir_key", "job_num", "job_id", "singleton_state"]
    base = set(OmegaConf.structured(BaseQueueConf).keys())
    assert {"submitit_folder", "timeout_min"} <= base
    assert "max_num_timeout" in OmegaConf.structured(SlurmQueueConf) and "max_num_timeout" not in base
    assert set(OmegaConf.structured(LocalQueueConf).keys()) >= base


def test_the_console_drops_the_launch_lines_of_both_launchers():
    """The names in ``JOB_LINE_LOGGERS`` are those the console filters (``terminal.console``)."""
    from sweeps.terminal import console

    for name in ("hydra._internal.core_plugins.basic_launcher", "hydra_plugins.hydra_joblib_launcher._core"):
        record = logging.LogRecord(name, logging.INFO, __file__, 1, "Launching 1 jobs locally", None, None)
        assert not console.shown(record, bar_active=False)
