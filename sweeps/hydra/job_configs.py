"""Each job's config: composed by Hydra once per shape of job, copied for the jobs after that.

Hydra's launchers compose every job's config from scratch — the defaults tree, a dozen YAML
files, the merges: ~50–70 ms a job, as much as a small model's training. The jobs of one study
differ only in plain values (the trial's hyperparameters and numbers), so the first job of each
shape (its config groups and the keys it sets) is composed by Hydra, and later ones copy that
config and set their values the way Hydra applies a command-line value, rebuilding
``hydra.overrides.task`` and ``hydra.job.override_dirname`` as Hydra does (~5 ms). The second job
of each shape is composed both ways and the two compared: any difference, and that shape goes
back to Hydra's full composition for good (with a warning).
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override, OverrideType
from omegaconf import DictConfig, OmegaConf, open_dict

from sweeps.adapters import hydra_private

log = logging.getLogger(__name__)
_HYDRA = "compose every job with Hydra"


class JobConfigs:
    """Hydra's config loader with ``load_sweep_config`` answered from a copy where it can be."""

    def __init__(self, loader: Any):
        self._loader = loader
        self._shapes: dict[tuple, Any] = {}   # shape -> [template, checked] or _HYDRA

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_loader", "_shapes"):   # pickling, half-built
            raise AttributeError(name)
        return getattr(self._loader, name)

    def load_sweep_config(self, master_config: DictConfig, sweep_overrides: list[str]) -> DictConfig:
        parsed = OverridesParser.create().parse_overrides(list(sweep_overrides))
        shape = tuple(o.key_or_group if _is_value(o) else o.input_line for o in parsed)
        entry = self._shapes.get(shape)
        if entry is None or entry == _HYDRA:
            cfg = self._loader.load_sweep_config(master_config, sweep_overrides)
            if entry is None:
                self._shapes[shape] = [copy.deepcopy(cfg), False]
            return cfg
        template, checked = entry
        cfg = _with_values(template, parsed, master_config)
        if not checked:
            hydra_cfg = self._loader.load_sweep_config(master_config, sweep_overrides)
            if OmegaConf.to_container(hydra_cfg) != OmegaConf.to_container(cfg):
                log.warning("A copied job config differs from Hydra's composition for %s; composing "
                            "every such job with Hydra.", " ".join(sweep_overrides))
                self._shapes[shape] = _HYDRA
                return hydra_cfg
            entry[1] = True
        return cfg


def _is_value(o: Override) -> bool:
    """``a.b=v``: a value of an existing key, not a config group, an addition or a deletion."""
    return (o.type == OverrideType.CHANGE and o.package is None and not o.is_sweep_override()
            and not o.is_hydra_override() and "." in o.key_or_group)


def _with_values(template: DictConfig, parsed: list[Override], master_config: DictConfig) -> DictConfig:
    cfg = copy.deepcopy(template)
    hydra_private.apply_values([o for o in parsed if _is_value(o)], cfg)
    task = [o for o in parsed if not o.is_hydra_override()]
    names = cfg.hydra.job.config.override_dirname
    with open_dict(cfg.hydra):
        cfg.hydra.overrides.task = [o.input_line for o in task]
        cfg.hydra.job.override_dirname = hydra_private.overrides_dirname(
            task, kv_sep=names.kv_sep, item_sep=names.item_sep, exclude_keys=names.exclude_keys)
    OmegaConf.copy_cache(from_config=master_config, to_config=cfg)
    return cfg
