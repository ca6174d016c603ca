"""A scheduled rerun whose verdict differs from the last report's: the report's "Since the last
report" names the comparison, and ``hydra.sweeper.fail_on_change=true`` exits 4 saying so.

One tiny family with confirmation runs (noisy quadratic, two γ, two paired seeds); its stored
``answer.json`` is edited as if the previous report had said otherwise, then the next invocation
adds trials and reports."""

from __future__ import annotations

import json
import re

import pytest
from support.sweep_runner import run_sweep

from sweeps.errors import EXIT_CHANGED

ARGS = ["model=noisy_quadratic", "optimizer=rmsprop", "optimizer.gamma=choice(0.0, 0.99)",
        "optimizer.lr=tag(log, interval(1e-3, 1e-1))", "hydra.sweeper.sampler.name=random",
        "hydra.sweeper.pruner.name=none",
        "hydra.sweeper.seeds.n=2", "hydra.sweeper.seeds.per=[optimizer.gamma]",
        "hydra.sweeper.population=1", "hydra.sweeper.report=true"]


@pytest.fixture(scope="module")
def family(tmp_path_factory):
    """The output folder after a first sweep with its report, and the report's folder."""
    out = tmp_path_factory.mktemp("since_last")
    run_sweep(out, *ARGS, "hydra.sweeper.n_trials=4")
    reports = out / "reports" / "default"
    first = json.loads((reports / "answer.json").read_text(encoding="utf-8"))
    assert first["verdicts"] and first["trials"]["default.noisy_quadratic.rmsprop"]["complete"] == 4
    assert "No previous answer" in (reports / "report.md").read_text(encoding="utf-8")
    return out, reports


def _said_otherwise(reports) -> str:
    """Edit the stored answer's first verdict to another word; returns its comparison."""
    path = reports / "answer.json"
    answer = json.loads(path.read_text(encoding="utf-8"))
    v = answer["verdicts"][0]
    v["verdict"] = "equivalent" if v["verdict"] == "different" else "different"
    path.write_text(json.dumps(answer), encoding="utf-8")
    return v["comparison"]


def test_a_changed_verdict_exits_4_under_fail_on_change_and_the_report_names_it(family):
    out, reports = family
    comparison = _said_otherwise(reports)
    proc = run_sweep(out, *ARGS, "hydra.sweeper.n_trials=2", "hydra.sweeper.fail_on_change=true", check=False)
    assert proc.returncode == EXIT_CHANGED, proc.stderr[-3000:]
    [line] = [x for x in proc.stderr.splitlines() if "changed since the last report" in x]
    assert comparison in line and "Traceback" not in proc.stderr
    said = (proc.stdout + proc.stderr).splitlines()   # the report's progress: a line as it starts, one as it ends
    assert len([x for x in said if re.search(r"Building the report: [12] of 2 studies re-analysed", x)]) == 1
    assert len([x for x in said if "Report built in " in x]) == 1 and "\r" not in proc.stderr
    section = (reports / "report.md").read_text(encoding="utf-8").split("## Since the last report", 1)[1]
    section = section.split("\n## ", 1)[0]
    assert f"**{comparison}**: different → " in section or f"**{comparison}**: equivalent → " in section
    added = re.search(r"New trials: (\d+) complete", section)   # the 2 tuning trials, and any new seed runs
    assert added and int(added[1]) >= 2, section
    answer = json.loads((reports / "answer.json").read_text(encoding="utf-8"))
    assert answer["trials"]["default.noisy_quadratic.rmsprop"]["complete"] == 6   # replaced by this report's


def test_without_the_option_a_changed_verdict_is_reported_and_exits_0(family):
    out, reports = family
    comparison = _said_otherwise(reports)
    proc = run_sweep(out, *ARGS, "hydra.sweeper.n_trials=1", check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"**{comparison}**: " in (reports / "report.md").read_text(encoding="utf-8")
