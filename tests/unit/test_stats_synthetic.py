"""Simulated studies with a known truth: verdicts of ``compare_paired`` against it.

Each study: 7 γ configs and the reference γ = 0.99, ``n`` seeds each, run on common seeds:

    value(γ, s) = seed_effect(s) + effect(γ) + noise(γ, s),
    seed_effect ~ N(0, 0.05) shared by all γ on seed s (the paired component), noise ~ N(0, 0.01).

Monte-Carlo allowance: with S = 200 studies and a true family-wise rate of 5 %, the observed rate
has standard error sqrt(0.05 · 0.95 / 200) ≈ 1.5 %; 0.07 is ≈ 1.3 standard errors above 5 %, and
Holm's bound is conservative here (7 tests, true rate below α), so the check is not flaky. The
random streams are fixed, so the measured rates are reproducible.
"""

import math

import numpy as np
import pandas as pd
import pytest

from sweeps.analysis.stats import compare_paired, equivalence_mde

REFERENCE = 0.99
GAMMAS = (0.5, 0.8, 0.9, 0.95, 0.98, 0.995, 0.999)
SEED_SD, NOISE_SD, MARGIN = 0.05, 0.01, 0.01
STUDIES = 200
ALLOWANCE = 0.07  # 5 % + ~1.3 Monte-Carlo standard errors (see the module docstring)

pytestmark = pytest.mark.usefixtures("frozen_heap")   # tests/unit/conftest.py


def simulate(rng: np.random.Generator, n: int, effects: dict | None = None,
             noise: float = NOISE_SD) -> pd.DataFrame:
    """One study as a ``config, seed, value`` table; ``effects`` maps γ to its planted effect."""
    effects = effects or {}
    configs = (REFERENCE, *GAMMAS)
    seed_effect = rng.normal(0, SEED_SD, size=n)  # (n,)
    effect = np.array([effects.get(g, 0.0) for g in configs])  # (C,)
    value = seed_effect[None, :] + effect[:, None] + rng.normal(0, noise, (len(configs), n))
    return pd.DataFrame({"config": np.repeat(configs, n), "seed": np.tile(np.arange(n), len(configs)),
                         "value": value.ravel()})


def verdicts(studies: int, n: int, effects: dict | None = None, seed: int = 0,
             noise: float = NOISE_SD) -> pd.DataFrame:
    """Verdict table (studies × γ) of ``studies`` simulated studies."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(studies):
        t = compare_paired(simulate(rng, n, effects, noise), reference=REFERENCE, margin=MARGIN,
                           direction="minimize")
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


def test_every_verdict_is_its_printed_interval_against_zero_and_the_margin():
    """Property over 100 random tables (random n, effects, noise, margin, failures): in every row,
    *equivalent* ⇔ the interval lies inside ±margin, *different* ⇔ it excludes 0 and does not,
    *inconclusive* ⇔ neither; the adjusted p-values say the same."""
    rng = np.random.default_rng(7)
    rows = 0
    for _ in range(100):
        n, k = int(rng.choice([3, 5, 10])), int(rng.integers(1, 5))
        configs = (REFERENCE, *GAMMAS[:k])
        base = rng.normal(0, 0.05, n)
        effect = rng.choice([0.0, 0.005, 0.02, -0.03], size=k + 1) * (np.arange(k + 1) > 0)
        sd = rng.choice([0.001, 0.01, 0.03])
        value = base[None, :] + effect[:, None] + rng.normal(0, sd, (k + 1, n))
        runs = pd.DataFrame({"config": np.repeat(configs, n), "seed": np.tile(np.arange(n), k + 1),
                             "value": value.ravel(), "trained": rng.random((k + 1) * n) > 0.1})
        margin = float(rng.choice([0.002, 0.01, 0.05]))
        t = compare_paired(runs, reference=REFERENCE, margin=margin, direction="minimize")
        for x in t.to_dict("records"):
            inside = -margin < x["ci_low"] and x["ci_high"] < margin
            excludes = x["ci_low"] > 0 or x["ci_high"] < 0
            expected = ("equivalent" if inside else "different" if excludes else "inconclusive")
            assert x["verdict"] == expected, x
            if math.isfinite(x["p_diff_adj"]):
                assert (x["p_diff_adj"] < 0.05) == excludes, x
                assert (x["p_equiv_adj"] < 0.05) == inside, x
            rows += 1
    assert rows > 150


def test_a_null_with_small_sd_is_equivalent_at_ten_seeds():
    v = verdicts(20, n=10, seed=5, noise=0.001)
    assert (v == "equivalent").all().all()


def test_a_null_with_large_sd_is_inconclusive_and_its_mde_says_why():
    """True difference 0, sd of differences 0.03, n = 10, margin 0.01: no verdict of equivalence is
    possible, and the MDE (≈ 3× the margin) is what says so."""
    v = verdicts(50, n=10, seed=4, noise=0.03)
    assert (v == "inconclusive").mean().mean() >= 0.9
    mde = equivalence_mde(0.03 * math.sqrt(2), 10, 1 - 0.05 / len(GAMMAS))
    assert mde > 3 * MARGIN


@pytest.mark.parametrize(("n", "m"), [(10, 1), (10, 7)])
def test_the_mde_is_honest(n, m):
    """At margin = MDE (true sd), a true difference of 0 is called *equivalent* in ≈ 80 % of
    300 simulated studies: Monte-Carlo sd 2.3 %, allowance ±6.5 % (2.8 sd)."""
    rng = np.random.default_rng(n * 10 + m)
    sd = 0.01
    margin = equivalence_mde(sd, n, 1 - 0.05 / m)
    configs = (REFERENCE, *GAMMAS[:m])
    hits = []
    for _ in range(300):
        base = rng.normal(0, 0.05, n)
        value = base[None, :] + rng.normal(0, sd / math.sqrt(2), (m + 1, n))
        runs = pd.DataFrame({"config": np.repeat(configs, n), "seed": np.tile(np.arange(n), m + 1),
                             "value": value.ravel()})
        t = compare_paired(runs, reference=REFERENCE, margin=margin, direction="minimize")
        hits.append(t.loc[0, "verdict"] == "equivalent")
    print(f"\nn = {n}, m = {m}: MDE {margin:.4f}, equivalent in {np.mean(hits):.3f} of 300")
    assert abs(np.mean(hits) - 0.8) <= 0.065
