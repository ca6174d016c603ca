"""tunability: sign convention, who picks the best config, and the interval."""

import numpy as np
import pandas as pd
import pytest

from sweeps.analysis.stats import tunability


def _runs(direction: str) -> pd.DataFrame:
    """Three γ on 12 common seeds; 0.9 is better than the default 0.99 by 0.05 in ``direction``."""
    rng = np.random.default_rng(0)
    base = rng.normal(0, 0.05, 12)
    better = -0.05 if direction == "minimize" else 0.05
    effects = {0.99: 0.0, 0.9: better, 0.5: -better}
    return pd.DataFrame([(g, s, base[s] + e + rng.normal(0, 0.01)) for g, e in effects.items()
                         for s in range(12)], columns=["config", "seed", "value"])


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_positive_when_tuning_helps(direction):
    t = tunability(_runs(direction), default=0.99, direction=direction)
    assert t["best"] == 0.9 and t["selected_on_same_data"] is True
    assert t["n"] == 12 and t["d"] == pytest.approx(0.05, abs=0.01)
    assert 0 < t["ci_low"] < t["d"] < t["ci_high"]


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_best_given_by_the_caller(direction):
    t = tunability(_runs(direction), default=0.99, best=0.5, direction=direction)
    assert t["best"] == 0.5 and t["selected_on_same_data"] is False
    assert t["d"] < 0 and t["ci_high"] < 0  # a worse "best" chosen elsewhere shows as a loss


def test_default_is_best():
    t = tunability(_runs("minimize"), default=0.9, best=0.9, direction="minimize")
    assert (t["d"], t["ci_low"], t["ci_high"]) == (0.0, 0.0, 0.0)


def test_unknown_configs_are_named():
    with pytest.raises(ValueError, match="default=0.7"):
        tunability(_runs("minimize"), default=0.7, direction="minimize")
    with pytest.raises(ValueError, match="best=0.7"):
        tunability(_runs("minimize"), default=0.99, best=0.7, direction="minimize")
