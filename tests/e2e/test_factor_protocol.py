"""A protocol over another factor than γ, tuned on several seeds, as a user runs it:
`python sweep.py -m study=adam_beta1_smoke` (β1 ∈ {0, 0.5, 0.9, 0.99} × 3 lr × 3 tuning seeds,
then each β1's pick re-run on 3 paired seeds). Each grid point is 3 trials on 3 distinct seeds,
each its own MLflow run with its seed; the setting re-run is the best by the mean over the tuning
seeds; the report asks about β1 and labels every comparison with it."""

from __future__ import annotations

import json

import pytest

from support.sweep_runner import load, mlflow_runs, run_sweep

FAMILY = "adam_beta1_smoke"
STUDY = f"{FAMILY}.binary_mlp.binary_teacher.adam"
TUNING_SEEDS = {0, 1000, 2000}


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    out = tmp_path_factory.mktemp("factor")
    run_sweep(out, f"study={FAMILY}", "hydra.sweeper.report=true")
    return out


def _setting(t) -> tuple:
    return t.params["optimizer.beta1"], t.params["optimizer.lr"]


def test_every_grid_point_is_trained_on_three_distinct_tuning_seeds(swept):
    trials = load(swept, STUDY).trials
    points: dict[tuple, list] = {}
    for t in trials:
        points.setdefault(_setting(t), []).append(t.params["train.seed"])
    assert len(points) == 4 * 3
    assert all(sorted(seeds) == sorted(TUNING_SEEDS) for seeds in points.values()), points
    values: dict[tuple, list] = {}
    for t in trials:   # each seed trains on its own, stacked with other lr or not (population jobs)
        values.setdefault(_setting(t), []).append((t.value, t.user_attrs.get("outcome")))
    trained = [[v for v, _ in vs] for vs in values.values() if all(o == "trained" for _, o in vs)]
    assert trained and all(len(set(vs)) == 3 for vs in trained), trained
    runs = [r for r in mlflow_runs(swept, f"gammasweep-{FAMILY}") if r.data.tags.get("gammasweep.trial")
            and r.data.tags.get("gammasweep.study", STUDY) == STUDY and "seed" in r.data.params]
    recorded = {(float(r.data.params["beta1"]), int(r.data.params["seed"])) for r in runs}
    assert {(t.params["optimizer.beta1"], t.params["train.seed"]) for t in trials} <= recorded


def test_the_setting_rerun_per_beta1_is_the_best_mean_over_the_tuning_seeds(swept):
    trials = load(swept, STUDY).trials
    by_setting: dict[tuple, list] = {}
    for t in trials:
        by_setting.setdefault(_setting(t), []).append(t)
    expected = {}
    for (beta1, lr), ts in by_setting.items():
        if all(t.user_attrs.get("outcome") == "trained" for t in ts):   # fully trained settings first
            mean = sum(t.value for t in ts) / len(ts)
            if beta1 not in expected or mean < expected[beta1][1]:
                expected[beta1] = (lr, mean)
    seeds = load(swept, f"{STUDY}.seeds").trials
    rerun = {t.params["optimizer.beta1"]: t.params["optimizer.lr"] for t in seeds}
    assert expected and all(rerun.get(b) == lr for b, (lr, _) in expected.items()), (rerun, expected)
    assert {t.params["train.seed"] for t in seeds} == {1, 2, 3}


def test_the_report_asks_about_beta1_and_labels_its_comparisons_with_it(swept):
    report = swept / "reports" / FAMILY
    screen = (report / "report.md").read_text(encoding="utf-8").split("\n## ", 1)[0]
    assert "How sensitive is Adam to β1?" in screen and "against β1 = 0.9" in screen
    bullet = next(line for line in screen.splitlines() if line.startswith("- **binary_mlp/binary_teacher/adam**"))
    assert "β1 = 0 (" in bullet and "β1 = 0.5 (" in bullet and "β1 = 0.99 (" in bullet
    assert "γ" not in screen
    verdicts = json.loads((report / "answer.json").read_text(encoding="utf-8"))["verdicts"]
    assert sorted(v["comparison"].split(": ")[1] for v in verdicts) == [
        "β1=0 vs β1=0.9", "β1=0.5 vs β1=0.9", "β1=0.99 vs β1=0.9"]
    text = (report / "report.md").read_text(encoding="utf-8")
    pick = text.split("## The pick across tuning seeds", 1)[1].split("\n## ", 1)[0]
    assert "| β1 | picked lr | agrees |" in pick and "of 3 |" in pick


def _section(text: str, heading: str) -> str:
    return text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def test_the_generic_sections_group_by_beta1_not_by_adams_fixed_gamma(swept):
    text = (swept / "reports" / FAMILY / "report.md").read_text(encoding="utf-8")
    per_task = _section(text, "Per task")
    assert "swept β1 ∈ {0, 0.5, 0.9, 0.99} and lr with it" in per_task and "0.999" not in per_task
    sensitivity = _section(text, "Sensitivity to β1")
    rows = [line.split(" | ")[:2] for line in sensitivity.splitlines() if line.startswith("| 0")]
    assert ["| 0", "9"] in rows and ["| 0.99", "9"] in rows   # 3 lr x 3 tuning seeds per β1
    assert "| β1 | runs | diverged |" in _section(text, "Divergence and speed")
    assert "\n| 0.5 | " in _section(text, "Where training breaks")
    assert "\n| 0.5 | " in _section(text, "Budget") and "## lr × β1\n" in text
    # the sections about γ itself are not part of a β1 study's report
    assert "γ" not in text.split("## Methods and caveats", 1)[0].replace("log10(1 − γ)) is about the memory "
                                                                         "of the square average γ", "")
