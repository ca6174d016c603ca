"""A study whose protocol compares β1 (``hydra.sweeper.protocol.factor: optimizer.beta1``) gets
every generic section grouped by β1 and named β1: a synthetic Adam family (no training) where γ,
Adam's β2, is fixed at 0.999 and β1 is swept on a grid with lr."""

from __future__ import annotations

import math
import re

import pytest
from optuna.distributions import CategoricalDistribution
from support import synthetic
from support.synthetic import LRS, grid, make_seeds, make_study, outcome, sqlite_storage

from sweeps import records
from sweeps.analysis import analyse, load_family, load_studies
from sweeps.analysis.sections import (
    across_section,
    budget_section,
    divergence_speed_section,
    lr_gamma_section,
    lr_max_section,
    sensitivity_section,
    tunability_section,
)
from sweeps.analysis.sections.first_screen import first_screen
from sweeps.analysis.summary import summary
from sweeps.report import _methods

BETA1 = (0.0, 0.5, 0.9, 0.99)
NO_SLOPE = "No slope is fitted: its law (b ≈ 0.5 against log10(1 − γ)) is about the memory of the " \
           "square average γ, not β1."


def beta1_matters(p) -> dict:
    """Best at β1 = 0.5 and lr = 1e-2; diverges at lr = 1."""
    lr, b = p["optimizer.lr"], p["optimizer.beta1"]
    return outcome(0.1 + (math.log10(lr) + 2) ** 2 + abs(b - 0.5), diverged=lr >= 1.0)


@pytest.fixture(scope="module")
def family(tmp_path_factory):
    url, storage = sqlite_storage(tmp_path_factory.mktemp("beta1") / "o.db")
    dists = synthetic.DISTS | {"optimizer.beta1": CategoricalDistribution(list(BETA1))}
    mp = pytest.MonkeyPatch()
    mp.setattr(synthetic, "DISTS", dists)
    study = make_study(storage, "b1", {"model": "mnist_mlp", "data": "mnist_5k", "optimizer": "adam"},
                       grid(lr=LRS, beta1=BETA1), beta1_matters, settings={"gamma": 0.999, "eps": 1e-8})
    mp.undo()
    study.set_user_attr(records.PROTOCOL, {"factor": "optimizer.beta1", "reference": 0.9, "margin": 0.05})
    best = {}   # per β1 its best trial: the confirmation runs re-run it
    for t in study.trials:
        b = t.params["optimizer.beta1"]
        if b not in best or t.value < study.trials[best[b]].value:
            best[b] = t.number
    make_seeds(storage, study, sorted(best.values()), beta1_matters)
    trials, studies = load_family(url, "b1"), load_studies(url, "b1")
    return analyse("b1", trials, studies)


def test_every_generic_section_groups_by_beta1_and_names_it(family):
    (r,) = family.variants
    assert (r.variant.column, r.variant.label) == ("beta1", "β1")
    sensitivity = sensitivity_section(family)
    assert sensitivity.startswith("## Sensitivity to β1\n")
    curve = sensitivity.split("![sensitivity]", 1)[1]
    assert "| β1 | trials | best (lr re-tuned) |" in curve
    table = [line for line in curve.splitlines() if re.match(r"\| [\d.]+ \| 5 \|", line)]
    assert [line.split(" | ")[0].strip("| ") for line in table] == ["0", "0.5", "0.9", "0.99"]
    assert lr_gamma_section(family).startswith("## lr × β1\n")
    assert "| β1 | runs | diverged |" in divergence_speed_section(family)
    speed = [line for line in divergence_speed_section(family).splitlines() if re.match(r"\| [\d.]+ \| 5 \|", line)]
    assert len(speed) == 4   # each β1: 5 lr, one of which (lr = 1) diverged
    assert all("| 1 |" in line.split(" | ", 2)[2] for line in speed)
    lr_max = lr_max_section(family)
    assert "lr_max(β1)" in lr_max and "| β1 | lo (trained) |" in lr_max and NO_SLOPE in lr_max
    assert "Slope b" not in lr_max and "No slope:" not in lr_max
    tunability = tunability_section(family)
    assert "Defaults: reference β1 = 0.9." in tunability and "| reference 0.9 |" in tunability
    assert "no confirmation runs at β1 = 0.9" in tunability   # the seed re-runs have no test score
    budget = budget_section(family)
    assert "each β1's pool" in budget and len(re.findall(r"\n\| 0\.?\d* \| ", budget)) == 4
    assert across_section(family).startswith("## β1 across tasks")
    for text in (sensitivity, lr_gamma_section(family), divergence_speed_section(family),
                 lr_max.replace(NO_SLOPE, ""), tunability, budget, across_section(family)):
        assert "γ" not in text, text


def test_the_summary_first_screen_and_methods_say_beta1_never_gamma(family):
    (line,) = [x for x in summary(family) if x.startswith("- **mnist_mlp/mnist_5k/adam**: tuning")]
    assert "swept β1 ∈ {0, 0.5, 0.9, 0.99} and lr with it; best 0.1 at β1 0.5" in line
    assert "re-run each β1's best setting" in line and "β1's importance" in line
    assert "γ" not in "\n".join(summary(family))
    screen = first_screen(family)
    assert "How sensitive is Adam to β1?" in screen and "γ" not in screen
    methods = _methods(family, "sqlite:///o.db")
    assert "each β1's setting is chosen" in methods and "γ" not in methods
