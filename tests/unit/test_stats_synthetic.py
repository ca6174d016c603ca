"""Simulated studies with a known truth: verdicts of ``compare_paired`` against it.

Each study: 7 γ configs and the reference γ = 0.99, ``n`` seeds each, run on common seeds:

    value(γ, s) = seed_effect(s) + effect(γ) + noise(γ, s),
    seed_effect ~ N(0, 0.05) shared by all γ on seed s (the paired component), noise ~ N(0, 0.01).

Monte-Carlo allowance: with S = 200 studies and a true family-wise rate of 5 %, the observed rate
has standard error sqrt(0.05 · 0.95 / 200) ≈ 1.5 %; 0.07 is ≈ 1.3 standard errors above 5 %, and
Holm's bound is conservative here (7 tests, true rate below α), so the check is not flaky. The
random streams are fixed, so the measured rates are reproducible.
"""

import numpy as np
import pandas as pd
import pytest

from sweeps.analysis.stats import compare_paired

REFERENCE = 0.99
GAMMAS = (0.5, 0.8, 0.9, 0.95, 0.98, 0.995, 0.999)
SEED_SD, NOISE_SD, MARGIN = 0.05, 0.01, 0.01
STUDIES = 200
ALLOWANCE = 0.07  # 5 % + ~1.3 Monte-Carlo standard errors (see the module docstring)
RESAMPLES = 999  # the interval does not enter the verdict; fewer resamples keep the loop fast

pytestmark = pytest.mark.usefixtures("frozen_heap")   # tests/unit/conftest.py


def simulate(rng: np.random.Generator, n: int, effects: dict | None = None) -> pd.DataFrame:
    """One study as a ``config, seed, value`` table; ``effects`` maps γ to its planted effect."""
    effects = effects or {}
    configs = (REFERENCE, *GAMMAS)
    seed_effect = rng.normal(0, SEED_SD, size=n)  # (n,)
    effect = np.array([effects.get(g, 0.0) for g in configs])  # (C,)
    value = seed_effect[None, :] + effect[:, None] + rng.normal(0, NOISE_SD, (len(configs), n))
    return pd.DataFrame({"config": np.repeat(configs, n), "seed": np.tile(np.arange(n), len(configs)),
                         "value": value.ravel()})


def verdicts(studies: int, n: int, effects: dict | None = None, seed: int = 0) -> pd.DataFrame:
    """Verdict table (studies × γ) of ``studies`` simulated studies."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(studies):
        t = compare_paired(simulate(rng, n, effects), reference=REFERENCE, margin=MARGIN,
                           direction="minimize", n_resamples=RESAMPLES)
        rows.append(dict(zip(t["config"], t["verdict"])))
    return pd.DataFrame(rows)


def test_no_effect_family_wise_false_different_rate():
    v = verdicts(STUDIES, n=10)
    rate = (v == "different").any(axis=1).mean()
    print(f"\nno effect, n = 10: any false 'different' in {rate:.3f} of {STUDIES} studies")
    assert rate <= ALLOWANCE


def test_no_effect_many_seeds_all_equivalent():
    v = verdicts(20, n=200, seed=1)
    assert (v == "equivalent").all().all()


def test_planted_effect_found_and_nulls_kept():
    planted = {0.5: 0.03, 0.8: 0.03}
    v = verdicts(STUDIES, n=10, effects=planted, seed=2)
    power = (v[list(planted)] == "different").mean()
    nulls = [g for g in GAMMAS if g not in planted]
    false_rate = (v[nulls] == "different").any(axis=1).mean()
    print(f"\nplanted +0.03 (margin 0.01, σ 0.01, n = 10): power {power.round(3).to_dict()}, "
          f"any false 'different' among nulls {false_rate:.3f}")
    assert (power >= 0.95).all()
    assert false_rate <= ALLOWANCE


@pytest.mark.parametrize("n", [1, 2])
def test_too_few_seeds_always_inconclusive(n):
    v = verdicts(20, n=n, effects={0.5: 0.5}, seed=3)
    assert (v == "inconclusive").all().all()
