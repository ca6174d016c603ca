"""A preset in parts: several search spaces swept by one command, into one study family.

``hydra.sweeper.parts`` is a list; each part is a mapping of ``params`` (merged over
``hydra.sweeper.params``: a part's key replaces the preset's, ``null`` removes it) and of any other
sweeper option it changes for its own studies (``grid_points``, ``seeds``, ``lr_max``, ...).
Command-line arguments apply to every part. With no parts the preset is one part, as before.

    parts:
      - params: {model: binary_mlp, convention: choice(pytorch, optax)}
      - params: {model: mnist_mlp, data: fashion_mnist, train.steps: 3900}
        grid_points: {lr: 13}
        lr_max: {rounds: 0}

Two parts that produce a study of the same name must agree on what it measures (the study's
identity); the study then runs once. A part that pins a config group to one option
(``optimizer: rmsprop``) is left out when the command line chooses another (``optimizer=adam``):
the user asked for another space than the part's. A value the command line sets (``train.steps=60``)
applies to every part, over the part's own.
"""

from __future__ import annotations

import logging
import re

from omegaconf import DictConfig, ListConfig, OmegaConf

from sweeps.errors import SweepError

log = logging.getLogger(__name__)
_ABSENT = object()
_SWEEP = re.compile(r"^\s*(choice|interval|range|tag|glob)\(")


def expand(o: DictConfig) -> list[tuple[DictConfig, dict]]:
    """``(options, params)`` per part; ``options`` has no ``parts`` and the part's changes."""
    parts = o.get("parts") or [{}]
    if not isinstance(parts, (list, ListConfig)):
        raise SweepError(f"hydra.sweeper.parts={OmegaConf.to_container(parts)!r} is not allowed: it "
                         "must be a list of mappings such as {params: {model: binary_mlp}, grid_points: 5}.")
    base = OmegaConf.masked_copy(o, [k for k in o if k != "parts"])
    out = []
    for i, part in enumerate(parts):
        part = OmegaConf.create(part) if not isinstance(part, DictConfig) else part
        if not isinstance(part, DictConfig):
            raise SweepError(f"hydra.sweeper.parts[{i}]={part!r} is not allowed: each part must be a "
                             "mapping of params and sweeper options.")
        unknown = sorted(k for k in part if k not in base)
        if unknown:
            raise SweepError(f"hydra.sweeper.parts[{i}] sets {', '.join(unknown)}, which "
                             f"{'is not a sweeper option' if len(unknown) == 1 else 'are not sweeper options'};"
                             f" allowed: params and {', '.join(k for k in base if k != 'params')}.")
        params = _plain(base.params)
        for key, value in _plain(part.get("params")).items():
            if value is None:
                params.pop(key, None)
            else:
                params[key] = value
        changes = OmegaConf.masked_copy(part, [k for k in part if k != "params"])
        options = OmegaConf.merge(base, changes)
        options.params = None
        out.append((options, params))
    return out


def _plain(params) -> dict:
    return dict(OmegaConf.to_container(params, resolve=False)) if params else {}


def plan_all(o: DictConfig, arguments: list[str], loader, compose) -> tuple[list, dict[str, DictConfig]]:
    """Every study of a sweep (each part's space with the command line's ``arguments``), a study
    two parts make once, and each study's part options (name -> options): the sweeper's plan,
    and the projection's (benchmarks/projection.py)."""
    from sweeps.checks import check_keys_exist, check_sweeper
    from sweeps.checks.sweeper import check_factor_swept
    from sweeps.hydra.plan import key_exists, make_plans, with_tuning_seeds
    from sweeps.hydra.search_space import parse

    plans, options = [], {}
    parts = expand(o)
    for i, (part, params) in enumerate(parts):
        clash = conflicts(params, arguments)
        if clash and len(parts) > 1:
            log.info("Part %d of the preset is left out: it pins %s, the command line sets %s.",
                     i + 1, clash[0], clash[1])
            continue
        check_sweeper(part)
        preset = [f"{k}={v}" for k, v in params.items()]
        space = parse(preset + list(arguments), loader, tuple(part.split_by))
        made = [with_tuning_seeds(p, part.seeds.tune)
                for p in make_plans(space, o.study_name, compose, loader.get_group_options)]
        check_keys_exist(part, lambda key: any(OmegaConf.select(p.cfg, key, default=_ABSENT) is not _ABSENT
                                               for p in made) or key_exists(key, compose, loader.get_group_options))
        check_factor_swept(part, made)
        for plan in made:
            plans.append(plan)
            options.setdefault(plan.name, part)
    return unique(plans), options


def conflicts(params: dict, arguments: list[str]) -> tuple[str, str] | None:
    """The first ``(part's group=option, argument)`` where the part pins a config group (a key
    without a dot) that the command line sets to another option; None when there is none."""
    for argument in arguments:
        key, _, value = argument.lstrip("+~").partition("=")
        pinned = params.get(key) if "." not in key else None
        if pinned is None or _SWEEP.match(str(pinned)):
            continue
        if str(pinned).strip() != value.strip():
            return f"{key}={pinned}", argument
    return None


def unique(plans: list) -> list:
    """The plans with repeated study names dropped; a name measuring two things is refused."""
    seen: dict[str, object] = {}
    for plan in plans:
        first = seen.setdefault(plan.name, plan)
        if first is not plan and first.identity != plan.identity:
            raise SweepError(
                f"Two parts of hydra.sweeper.parts make study {plan.name!r} with different settings "
                f"({_differences(first.identity, plan.identity)}); give one of them a split key or "
                "make them agree.")
    return list(seen.values())


def _differences(a: dict, b: dict) -> str:
    keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    return "; ".join(f"{k}: {a.get(k)!r} vs {b.get(k)!r}" for k in keys)
