"""Every analysis of a study family, computed once: what the summary, sections and figures read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from sweeps import factor as factors

from . import confirmation, seeds, two_cores
from .cache import Cache, group_key, study_keys
from .divergence import divergence_rate
from .gamma_one import gamma_one
from .importance import COLUMNS as IMPORTANCE_COLUMNS
from .importance import importances
from .lr_max import lr_max_table, scaling
from .stats import expected_best_by
from .lr_gamma import lr_gamma
from .optimizers import optimizer_table
from .schedule import schedule_verdict
from .sensitivity import curve
from .speed import steps_to_target, target
from .tunability import tunability
from .variants import Variant, gamma_variants


@dataclass
class VariantResult:
    variant: Variant
    curve: pd.DataFrame
    lr_gamma: pd.DataFrame
    divergence: pd.DataFrame
    target: float
    speed: pd.DataFrame
    tunability: pd.DataFrame
    noise: float                   # pooled σ over seeds (NaN without seed re-runs)
    # the evidence of the protocol (confirmation.py); empty for a family without it
    protocol: dict = field(default_factory=lambda: dict(confirmation.DEFAULT_PROTOCOL))
    confirmation: pd.DataFrame = field(default_factory=pd.DataFrame)  # every γ vs the reference
    confirm_means: pd.DataFrame = field(default_factory=pd.DataFrame)  # per γ: mean, std of test
    confirm_tunability: pd.DataFrame = field(default_factory=pd.DataFrame)  # Probst d, paired
    lr_max: pd.DataFrame = field(default_factory=pd.DataFrame)  # per γ: the lr_max bracket
    lr_scaling: dict = field(default_factory=dict)  # log10 lr_max against log10(1 − γ); {}: not γ
    budget: pd.DataFrame = field(default_factory=pd.DataFrame)  # expected best of B per γ


@dataclass
class FamilyAnalysis:
    family: str
    trials: pd.DataFrame
    studies: pd.DataFrame
    importances: pd.DataFrame
    variants: list[VariantResult]
    gamma_one: pd.DataFrame
    schedule: pd.DataFrame
    optimizers: pd.DataFrame

    @property
    def has_seeds(self) -> bool:
        return bool((self.trials["role"] == "seeds").any())

    @property
    def label(self) -> str:
        """The name of the factor the family's studies compare, for a section's title and text:
        γ, β1 ..., "γ / β1" when its studies compare different ones, γ without any."""
        names = list(dict.fromkeys(r.variant.label for r in self.variants))
        return " / ".join(names) if names else factors.label(factors.GAMMA)

    @property
    def sweeps_gamma(self) -> bool:
        """Whether one of its studies compares γ (the sections about γ itself need one)."""
        return any(factors.is_gamma(r.variant.factor) for r in self.variants)


def analyse(family: str, trials: pd.DataFrame, studies: pd.DataFrame, cache: Cache | None = None,
            keys: dict[str, str] | None = None, step: Callable[[str], None] = lambda what: None) -> FamilyAnalysis:
    """Every analysis of the family. With ``cache``, a tuning study's importances and each variant's
    results are taken from it unless one of their studies changed (``keys``: the studies'
    ``study_keys``); ``step`` hears of each part."""
    if cache is not None and keys is None:
        keys = study_keys(trials, studies)

    def variant(v: Variant) -> VariantResult:
        step(f"analysing {v.name}")
        if cache is None:
            return _variant(v, studies)
        return cache.through(f"variant-{v.name}", group_key(keys, studies, v.study, v.name),
                             lambda: _variant(v, studies))

    return FamilyAnalysis(
        family=family, trials=trials, studies=studies,
        importances=_importances(trials, studies, cache, keys),
        variants=[r for r in (variant(v) for v in sorted(gamma_variants(trials), key=_question_first))
                  if not r.curve.empty],  # a convention with no complete trial has no curve
        gamma_one=gamma_one(trials), schedule=schedule_verdict(trials, _family_protocol(studies)),
        optimizers=optimizer_table(trials, _family_protocol(studies)),
    )


def _family_protocol(studies: pd.DataFrame) -> dict:
    """The protocol declared with the family's tuning studies (the first found), or the default."""
    declared = [p for p in studies.get("protocol", pd.Series(dtype=object)) if isinstance(p, dict) and p]
    return confirmation.DEFAULT_PROTOCOL | {k: declared[0][k] for k in confirmation.DEFAULT_PROTOCOL
                                            if declared and k in declared[0]}


def _question_first(v: Variant) -> tuple:
    """RMSprop first: it is the question; Adam's β2 and Graves' γ follow."""
    return (v.tuning["optimizer"].iloc[0] != "rmsprop", v.name)


def _variant(v: Variant, studies: pd.DataFrame) -> VariantResult:
    c = curve(v)
    proto = confirmation.protocol(v, studies)
    dists = studies[studies["study"] == v.study]["distributions"]
    swept = [p for p in (dists.iloc[0] if len(dists) else {}) if p not in ("lr", v.column)]
    bisected = lr_max_table(v, swept)
    confirmed = confirmation.runs(v)   # read once, for the verdicts, means and tunability
    noise = seeds.noise(seeds.groups(v.seeds, v.column), v.column)
    goal = proto["target"] if proto.get("target") is not None else target(v)
    return VariantResult(
        variant=v, curve=c, lr_gamma=lr_gamma(v), divergence=divergence_rate(v), target=goal,
        speed=steps_to_target(v, goal), tunability=tunability(v), noise=noise,
        protocol=proto, confirmation=confirmation.compare(v, confirmed, proto),
        confirm_means=confirmation.means(confirmed),
        confirm_tunability=confirmation.tunability_table(v, confirmed, proto),
        lr_max=bisected, lr_scaling=scaling(bisected) if factors.is_gamma(v.factor) else {},
        budget=_budget(v),
    )


def _budget(v: Variant) -> pd.DataFrame:
    """Expected best of B = 1..64 tuning trials drawn from each factor value's pool (penalties
    included); its first column is the factor's (``v.column``)."""
    x = v.column
    done = v.tuning[(v.tuning["state"] == "COMPLETE") & v.tuning["value"].notna() & v.tuning[x].notna()]
    if done.empty or done[x].nunique() > 12:   # a continuous factor has no per-value pool
        return pd.DataFrame(columns=[x, "budget", "expected", "std"])
    return expected_best_by(done.rename(columns={"value": "v"}), group=x, value="v",
                            direction=v.direction)


def _importances(trials: pd.DataFrame, studies: pd.DataFrame, cache: Cache | None = None,
                 keys: dict[str, str] | None = None) -> pd.DataFrame:
    """Each tuning study's importances, from the cache where its trials are unchanged; the others
    computed on both cores when they are many (``two_cores``)."""
    tables, todo = {}, []
    for s in studies[studies["role"] == "tuning"].itertuples(index=False):
        rows = trials[trials["study"] == s.study]
        if len(rows):
            key = (keys or {}).get(s.study, "")
            found = None if cache is None else cache.get(f"importances-{s.study}", key)
            if found is None:
                todo.append((s.study, key, (rows, s.distributions, s.direction)))
            tables[s.study] = found
    n_done = [int((rows["state"] == "COMPLETE").sum()) for _, _, (rows, _, _) in todo]
    computed = two_cores.starmap(importances, [job for _, _, job in todo], list(map(two_cores.fanova_seconds, n_done)))
    for (study, key, _), table in zip(todo, computed):
        tables[study] = table
        if cache is not None:
            cache.put(f"importances-{study}", key, table)
    return (pd.concat(tables.values(), ignore_index=True) if tables
            else pd.DataFrame(columns=IMPORTANCE_COLUMNS))
