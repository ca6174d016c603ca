"""Hydra's private API, and its launcher plugins': every use of it in gammasweep, each behind one
small function.

- ``hydra._internal``: where the basic launcher lives (and logs), how the config loader applies
  a command-line value (``ConfigLoaderImpl._apply_overrides_to_config``, ``get_overrides_dirname``),
  and ``run_and_report``, through which ``hydra.main`` runs everything;
- hydra-joblib-launcher's ``_core``: the function each joblib job runs, and how the launcher
  reads its options;
- hydra-submitit-launcher: which submitit executor a launcher stands for (``_EXECUTOR``).

The plugins are imported only by the functions that use them. tests/unit/test_adapters_hydra.py pins
each behaviour relied on.
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator, Sequence

from hydra._internal.config_loader_impl import ConfigLoaderImpl, get_overrides_dirname
from hydra.core.override_parser.types import Override
from omegaconf import DictConfig

# The loggers (names and prefixes) of Hydra's per-job launch lines: the basic launcher's module
# (``hydra._internal.core_plugins.basic_launcher``) and hydra-joblib-launcher's package.
JOB_LINE_LOGGERS = ("hydra._internal.core_plugins.basic_launcher", "hydra_plugins.hydra_joblib_launcher")
# The module of Hydra's config loader, whose ``ConfigLoaderImpl.load_sweep_config`` composes a job.
CONFIG_LOADER_MODULE = ConfigLoaderImpl.__module__


def is_basic_launcher(launcher: Any) -> bool:
    """Is ``launcher`` Hydra's basic launcher (``hydra._internal.core_plugins.basic_launcher``),
    which runs every job in this process? Compared by name: Hydra's plugin scan re-executes plugin
    modules, so a class imported before the scan is not the launcher's class."""
    from hydra._internal.core_plugins.basic_launcher import BasicLauncher

    cls = type(launcher)
    return (cls.__module__, cls.__qualname__) == (BasicLauncher.__module__, BasicLauncher.__qualname__)


def apply_values(overrides: list[Override], cfg: DictConfig) -> None:
    """Set the values of ``a.b=v`` overrides in ``cfg`` as Hydra's composition does
    (``ConfigLoaderImpl._apply_overrides_to_config``: the value's type and interpolations, struct
    mode, ``+``/``~`` refused or applied as Hydra does)."""
    ConfigLoaderImpl._apply_overrides_to_config(overrides, cfg)


def overrides_dirname(overrides: Sequence[Override], exclude_keys: list[str], item_sep: str, kv_sep: str) -> str:
    """``hydra.job.override_dirname`` of a job with these overrides, as Hydra builds it
    (``hydra._internal.config_loader_impl.get_overrides_dirname``)."""
    return get_overrides_dirname(overrides=list(overrides), exclude_keys=exclude_keys, item_sep=item_sep,
                                 kv_sep=kv_sep)


@contextlib.contextmanager
def run_and_report_wrapped(wrap: Callable[[Callable[[], Any]], Callable[[], Any]]) -> Iterator[None]:
    """Within the block, what ``hydra.main`` runs through Hydra's error reporting is
    ``wrap(func)`` instead of ``func``: ``hydra._internal.utils.run_and_report`` (which
    ``_run_hydra`` looks up at each call) is replaced for the block by one that wraps first."""
    from hydra._internal import utils

    original = utils.run_and_report

    def run_and_report(func):
        return original(wrap(func))

    utils.run_and_report = run_and_report
    try:
        yield
    finally:
        utils.run_and_report = original


def joblib_execute_job(idx: int, overrides: Sequence[str], hydra_context: Any, config: DictConfig,
                       task_function: Callable, singleton_state: dict[Any, Any]) -> Any:
    """One job in a joblib worker, as hydra-joblib-launcher runs it: Hydra's singletons restored,
    the job's config composed, ``run_job`` (``hydra_plugins.hydra_joblib_launcher._core.execute_job``).
    Returns the job's ``JobReturn``."""
    from hydra_plugins.hydra_joblib_launcher._core import execute_job

    return execute_job(idx, overrides, hydra_context, config, task_function, singleton_state)


def joblib_process_cfg(joblib_cfg: dict[str, Any]) -> None:
    """Turn the launcher's ``pre_dispatch``, ``batch_size`` and ``max_nbytes`` into the ints
    ``joblib.Parallel`` takes where they are numbers, in place, as hydra-joblib-launcher does
    (``hydra_plugins.hydra_joblib_launcher._core.process_joblib_cfg``)."""
    from hydra_plugins.hydra_joblib_launcher._core import process_joblib_cfg

    process_joblib_cfg(joblib_cfg)


def submitit_cluster(launcher: Any) -> str:
    """The submitit executor a hydra-submitit-launcher launcher stands for, ``local`` or ``slurm``
    (its class attribute ``_EXECUTOR``): the ``cluster`` of ``submitit.AutoExecutor`` and the
    prefix of its cluster-specific parameters."""
    return launcher._EXECUTOR
