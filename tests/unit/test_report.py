"""End to end: a synthetic family in SQLite, MLflow in SQLite, the report and its artifacts."""

import re
import struct

import matplotlib.pyplot as plt
import pytest

from support.synthetic import (
    GAMMAS, LRS, gamma_one_objective, grid, lr_only, make_seeds, make_study, sqlite_storage,
)
from sweeps import tracking
from sweeps.report import main, write_report

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SECTIONS = ("# gammasweep report", "## Per task", "## Sensitivity to γ", "## lr × γ", "## Divergence and speed",
            "## Tunability", "## γ = 1", "## Optimizers", "## Methods and caveats", "## Importances",
            "## How to regenerate")


@pytest.fixture(scope="module")
def family(tmp_path_factory):
    """rmsprop (lr × γ incl. 1 × s₀) with seed re-runs of the lr = 1e-2 trials, and sgd.
    Built once per module: SQLite writes are most of this file's run time."""
    tmp_path = tmp_path_factory.mktemp("family")
    (url, storage), ml = sqlite_storage(tmp_path / "optuna.db"), f"sqlite:///{tmp_path}/mlflow.db"
    exp = tracking.ensure_experiment(ml, "gammasweep-fam", str(tmp_path / "mlartifacts"))
    runs = {}
    for optimizer, points, objective in [
        ("rmsprop", grid(lr=LRS, gamma=GAMMAS + (1.0,), initial_square_avg=(0.0, 1.0)), gamma_one_objective),
        ("sgd", grid(lr=LRS), lr_only),
    ]:
        name = f"fam.mnist_mlp.mnist_5k.{optimizer}"
        runs[name] = tracking.client(ml).create_run(exp, run_name=name).info.run_id
        study = make_study(storage, "fam", {"model": "mnist_mlp", "data": "mnist_5k", "optimizer": optimizer},
                           points, objective, settings={"eps": 1e-8}, parent_run_id=runs[name])
        if optimizer == "rmsprop":
            rerun = [t.number for t in study.trials
                     if t.params["optimizer.lr"] == 1e-2 and t.params["optimizer.gamma"] < 1]
            make_seeds(storage, study, rerun, objective)
    return url, ml, runs


def test_report_writes_markdown_figures_html_and_logs_them_once_to_the_family_run(family, tmp_path):
    url, ml, runs = family
    path = write_report(storage=url, family="fam", out_dir=str(tmp_path / "report"),
                        tracking_uri=ml, experiment_name="gammasweep-fam")
    text = path.read_text(encoding="utf-8")
    positions = [text.index(s) for s in SECTIONS]
    assert positions == sorted(positions)
    assert "mnist_mlp/mnist_5k/rmsprop (s₀=0.0)" in text and "(s₀=1.0)" in text  # one curve per convention
    assert "python -m sweeps.report fam --storage" in text
    experiment = tracking.client(ml).get_experiment_by_name("gammasweep-fam").experiment_id
    assert f"mlflow ui --backend-store-uri {ml}\n" in text   # the runs table, not GenAI traces:
    assert f"<http://127.0.0.1:5000/#/experiments/{experiment}?workflowType=machine_learning>" in text
    assert "Schedule (no problem was run under both γ schedules" in text and "study=gamma_schedule" in text
    assert "plain SGD" in text and "SGD best" in text

    pngs = sorted(path.parent.glob("*.png"))
    # 5 figures per convention (no paired figure: these re-runs have no test split), importances, optimizers
    assert len(pngs) == 2 * 5 + 2
    for png in pngs:
        data = png.read_bytes()
        assert data[:8] == PNG_SIGNATURE and len(data) > 10_000, png.name
        width, height = struct.unpack(">II", data[16:24])
        assert width >= 500 and height >= 300, png.name
        assert plt.imread(png).ndim == 3
        assert f"]({png.name})" in text, f"{png.name} is not linked from report.md"

    # report.html stands alone: every figure inlined, nothing fetched from elsewhere
    page = (path.parent / "report.html").read_text(encoding="utf-8")
    assert page.count('src="data:image/png;base64,') == text.count("](") - text.count("](http") > 0
    assert not re.search(r'(src|href)="(?!data:|#|http://127\.0\.0\.1)', page.split("<body>", 1)[1])
    assert "<link" not in page and "<script" not in page and "<table>" in page

    # Logged once, to the family run; the studies' parent runs hold none of it.
    client = tracking.client(ml)
    (fam,) = client.search_runs([experiment], "tags.`gammasweep.family` = 'fam'")
    assert fam.info.run_name == "fam"
    logged = {a.path for a in client.list_artifacts(fam.info.run_id, "report")}
    assert {"report/report.md"} | {f"report/{p.name}" for p in pngs} <= logged
    assert "report.html" in {a.path for a in client.list_artifacts(fam.info.run_id)}
    assert all(client.list_artifacts(run_id) == [] for run_id in runs.values())
    note = client.get_experiment(experiment).tags["mlflow.note.content"]
    assert f"runs/{fam.info.run_id}/artifacts/report.html" in note and "log10_1m_gamma" in note


@pytest.fixture(scope="module")
def sgd_only(tmp_path_factory):
    """A family without any γ: every γ section must say what is missing."""
    url, storage = sqlite_storage(tmp_path_factory.mktemp("sgd") / "optuna.db")
    make_study(storage, "sgdonly", {"model": "quadratic", "data": "none", "optimizer": "sgd"},
               grid(lr=LRS * 2), lr_only)
    return url


def test_report_of_a_family_without_gamma_says_what_is_missing(sgd_only, tmp_path):
    path = write_report(storage=sgd_only, family="sgdonly", out_dir=str(tmp_path / "r"))
    text = path.read_text(encoding="utf-8")
    [omitted] = [line for line in text.splitlines() if line.startswith("_Not in this report_")]
    for section in ("Sensitivity to γ", "lr × γ", "Divergence and speed", "Tunability", "Budget",
                    "γ across tasks"):   # one line names every section that has nothing to show
        assert f"{section}" in omitted
    assert "γ = 1 (no trial at γ = 1" in omitted and "study=gamma_sensitivity" in omitted
    assert "## Sensitivity to γ" not in text and "_No data:" not in text.replace(omitted, "")
    assert "| quadratic | quadratic/sgd |" in text


def test_cli_unknown_family_is_one_line_listing_the_families_and_exit_2(sgd_only, tmp_path, capsys):
    assert main(["nope", "--storage", sgd_only, "--tracking-uri", f"sqlite:///{tmp_path}/none.db"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("gammasweep: error: No study family 'nope'") and "families found: sgdonly" in err


def test_cli_missing_storage_is_an_error_and_creates_nothing(tmp_path, capsys):
    assert main(["default", "--storage", f"sqlite:///{tmp_path}/none.db", "--no-mlflow"]) == 2
    assert "There is no Optuna storage" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()


def test_cli_writes_the_report_where_asked(sgd_only, tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["sgdonly", "--storage", sgd_only, "--out", str(out), "--no-mlflow"]) == 0
    assert capsys.readouterr().out.strip() == str(out / "report.md")
    text = (out / "report.md").read_text(encoding="utf-8")
    assert text.startswith("# gammasweep report: sgdonly") and "--no-mlflow" in text
