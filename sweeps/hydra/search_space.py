"""Parse a search space written in hydra-optuna-sweeper's syntax into Optuna distributions.

``interval(a, b)`` -> FloatDistribution (IntDistribution for integer ends);
``tag(log, interval(a, b))`` -> the same with ``log=True``; ``choice(...)`` -> Categorical;
``range(start, stop, step)`` -> a stepped Int/FloatDistribution (stop excluded, as in Python).
A sweep over a config *group* (``optimizer=glob(*)``, ``model=choice(a, b)``) is not a
distribution: each of its options gets a study of its own, so no study's space silently changes.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import IntervalSweep, Override, RangeSweep, Transformer
from hydra.errors import HydraException
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from sweeps.errors import SweepError


@dataclass(frozen=True)
class SearchSpace:
    groups: dict[str, list[str]] = field(default_factory=dict)   # group -> options, one study each
    distributions: dict[str, BaseDistribution] = field(default_factory=dict)
    fixed: dict[str, str] = field(default_factory=dict)           # key -> override value

    def cells(self) -> list[dict[str, str]]:
        """Every combination of the group options: one Optuna study per combination."""
        keys = list(self.groups)
        return [dict(zip(keys, combo)) for combo in itertools.product(*self.groups.values())]


def parse(overrides: list[str], config_loader: Any, split_by: tuple[str, ...] = ()) -> SearchSpace:
    """Split ``key=value`` strings into group sweeps, distributions and fixed values.

    Choice sweeps over the keys in ``split_by`` (e.g. ``optimizer.initial_square_avg``) split the
    sweep into studies like config groups do, instead of becoming a categorical parameter.
    """
    try:
        parsed = OverridesParser.create(config_loader=config_loader).parse_overrides(overrides)
    except HydraException as e:
        raise SweepError(
            f"The search space could not be parsed: {e}. Allowed forms are "
            "interval(low, high), tag(log, interval(low, high)), choice(a, b, ...), "
            "range(start, stop, step), glob(*) for config groups, or a plain value."
        ) from None
    space = SearchSpace()
    for override in parsed:       # later overrides (the command line) beat earlier (the preset)
        key = override.get_key_element()
        for part in (space.groups, space.distributions, space.fixed):
            part.pop(key, None)
        if not override.is_sweep_override():
            space.fixed[key] = override.get_value_element_as_str()
        elif override.is_choice_sweep() and (key in split_by or _is_group(key, config_loader)):
            space.groups[key] = list(override.sweep_string_iterator())
            if not space.groups[key]:
                raise SweepError(f"The sweep {override.input_line!r} matches no option of '{key}'.")
        else:
            space.distributions[key] = _distribution(override)
    return space


def _is_group(key: str, config_loader: Any) -> bool:
    return bool(config_loader.get_group_options(key.lstrip("+~")))


def _distribution(override: Override) -> BaseDistribution:
    key, value = override.get_key_element(), override.value()
    try:
        if override.is_interval_sweep():
            assert isinstance(value, IntervalSweep)
            log = "log" in value.tags
            if isinstance(value.start, int) and isinstance(value.end, int):
                return IntDistribution(value.start, value.end, log=log)
            return FloatDistribution(float(value.start), float(value.end), log=log)
        if override.is_range_sweep():
            assert isinstance(value, RangeSweep)
            if all(isinstance(v, int) for v in (value.start, value.stop, value.step)):
                last = value.start + value.step * ((value.stop - 1 - value.start) // value.step)
                return IntDistribution(value.start, last, step=value.step)
            n = math.ceil((value.stop - value.start) / value.step)
            last = value.start + (n - 1) * value.step
            return FloatDistribution(value.start, last, step=value.step)
        choices = list(override.sweep_iterator(transformer=Transformer.encode))
        return CategoricalDistribution(choices)
    except (ValueError, TypeError, HydraException) as e:
        raise SweepError(
            f"The search space of '{key}' ({override.input_line!r}) is invalid: {str(e).rstrip('.')}. "
            "An interval needs low < high (and low > 0 with tag(log, ...)); "
            "a range needs a step that reaches stop; a choice needs at least one value."
        ) from None


def grid(distributions: dict[str, BaseDistribution], points: Any) -> dict[str, list]:
    """The grid sampler's values: choices as given, intervals as ``points`` (log-)spaced values.

    ``points`` is one count for every interval, or a mapping from the key's last part to a count,
    with an optional ``default`` (e.g. ``{lr: 7, default: 3}`` for optimizer.lr and the rest).
    """
    values: dict[str, list] = {}
    for key, d in distributions.items():
        short = key.rsplit(".", 1)[-1]
        n_points = points if isinstance(points, int) else int(points.get(short, points.get("default", 5)))
        if isinstance(d, CategoricalDistribution):
            values[key] = list(d.choices)
        elif d.step is not None:
            n = int(round((d.high - d.low) / d.step)) + 1
            values[key] = [_plain(d.low + i * d.step, d) for i in range(n)]
        else:
            space = np.geomspace if d.log else np.linspace
            values[key] = sorted({_plain(v, d) for v in space(d.low, d.high, n_points)})
    return values


def _plain(v: float, d: BaseDistribution) -> float | int:
    return int(round(v)) if isinstance(d, IntDistribution) else float(np.float64(v).round(12))


def to_json(distributions: dict[str, BaseDistribution]) -> dict[str, str]:
    """A stable description of a space, stored with a study to refuse silent changes."""
    from optuna.distributions import distribution_to_json

    return {k: distribution_to_json(d) for k, d in sorted(distributions.items())}
