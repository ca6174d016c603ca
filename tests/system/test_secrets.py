"""No password anywhere a sweep writes: a PostgreSQL storage and an MLflow server, both with one.

The storage's password holds an encoded ``/``, ``@`` and ``:``; the test cluster trusts loopback
and the server has no authentication, so both passwords are accepted and ignored. The sweep's
stdout and stderr, every file under output_dir (the job logs, report.md) and everything it logged
to MLflow (params, tags, artifacts) are searched for either password, encoded or not; the job
config files Hydra writes, which must hold the URLs to re-run a job, are private.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest

from support.sweep_runner import run_sweep

PG_PASSWORD = "Qz7/p@ss:w0rd"      # sent percent-encoded: Qz7%2Fp%40ss%3Aw0rd
ML_PASSWORD = "Mk9-tracking-pw"
# Every form a password could take in a sink: as written in the URL, and decoded (long enough
# that no figure's bytes hold one by chance).
SECRETS = (quote(PG_PASSWORD, safe=""), PG_PASSWORD, ML_PASSWORD)

pytestmark = [pytest.mark.system, pytest.mark.postgres]


@pytest.fixture(scope="module")
def sweep(postgres, mlflow_server, tmp_path_factory):
    out = tmp_path_factory.mktemp("secrets")
    storage = postgres.database("secrets").replace("gammasweep@", f"gammasweep:{quote(PG_PASSWORD, safe='')}@")
    tracking = mlflow_server.url.replace("http://", f"http://mluser:{ML_PASSWORD}@")
    proc = run_sweep(out, "model=quadratic", "optimizer=rmsprop", "hydra.sweeper.study_name=secrets",
                     "hydra.sweeper.n_trials=2", "hydra.sweeper.report=true",
                     f"hydra.sweeper.storage={storage}", f"mlflow.tracking_uri={tracking}")
    return out, tracking, proc


def _leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def test_no_password_on_the_terminal(sweep):
    out, _, proc = sweep
    assert _leaks(proc.stdout) == [] and _leaks(proc.stderr) == []
    assert "MLflow: http://127.0.0.1:" in proc.stdout   # the link, without user:password@
    assert "View run" not in proc.stdout                # MLflow's own lines would carry the password


def test_no_password_in_any_file_but_the_private_job_configs(sweep):
    out, _, _ = sweep
    files = [p for p in out.rglob("*") if p.is_file()]
    leaking = {str(p.relative_to(out)) for p in files if _leaks(p.read_bytes().decode("utf-8", "replace"))}
    configs = {str(p.relative_to(out)) for p in files if p.parent.name == ".hydra"}
    assert configs and leaking <= configs
    assert any(p.name == "sweep.log" for p in files)
    report = (out / "reports" / "secrets" / "report.md").read_text(encoding="utf-8")
    # the regenerate command reads both passwords from the environment, and says so
    assert '--storage "postgresql+psycopg2://gammasweep:${OPTUNA_DB_PASSWORD}@127.0.0.1:' in report
    assert '--tracking-uri "http://mluser:${MLFLOW_TRACKING_PASSWORD}@127.0.0.1:' in report
    assert "Set `OPTUNA_DB_PASSWORD` and `MLFLOW_TRACKING_PASSWORD`" in report


def test_the_regenerate_command_gives_back_both_urls_once_the_variables_are_set(sweep):
    """Run by a shell with the passwords in the environment, the report's command passes the
    URLs the sweep used (printf stands in for python -m sweeps.report)."""
    out, tracking, _ = sweep
    report = (out / "reports" / "secrets" / "report.md").read_text(encoding="utf-8")
    command = re.search(r"```\n(python -m sweeps.report .*)\n```", report)[1]
    env = dict(os.environ, OPTUNA_DB_PASSWORD=quote(PG_PASSWORD, safe=""), MLFLOW_TRACKING_PASSWORD=ML_PASSWORD)
    argv = subprocess.run(["bash", "-c", command.replace("python -m sweeps.report", "printf '%s\\n'", 1)],
                          env=env, capture_output=True, text=True, check=True).stdout.splitlines()
    assert argv[argv.index("--tracking-uri") + 1] == tracking
    assert argv[argv.index("--storage") + 1].startswith(f"postgresql+psycopg2://gammasweep:{quote(PG_PASSWORD, safe='')}@")


def test_a_database_tracking_store_is_served_with_its_password_from_the_environment(postgres, tmp_path):
    """mlflow.tracking_uri on PostgreSQL: the closing line's `mlflow ui` command and the report's
    read the password from $MLFLOW_DB_PASSWORD, and give back the URI once it is set."""
    tracking = postgres.database("secrets_mlflow").replace("gammasweep@", f"gammasweep:{ML_PASSWORD}@")
    proc = run_sweep(tmp_path, "model=quadratic", "optimizer=rmsprop", "hydra.sweeper.study_name=dbtrack",
                     "hydra.sweeper.n_trials=2", "hydra.sweeper.report=true",
                     f"hydra.sweeper.storage={postgres.database('secrets_optuna')}", f"mlflow.tracking_uri={tracking}")
    assert _leaks(proc.stdout + proc.stderr) == []
    closing = next(line for line in proc.stdout.splitlines() if line.startswith("MLflow: "))
    assert "MLFLOW_DB_PASSWORD set to the database password" in closing
    report = (tmp_path / "reports" / "dbtrack" / "report.md").read_text(encoding="utf-8")
    assert _leaks(report) == [] and "Set `MLFLOW_DB_PASSWORD` to the password of that URL first" in report
    command = closing.removeprefix("MLflow: ").split("   #")[0]
    assert f"```\n{command}\n```" in report
    argv = subprocess.run(["bash", "-c", command.replace("mlflow ui", "printf '%s\\n'", 1)],
                          env=dict(os.environ, MLFLOW_DB_PASSWORD=ML_PASSWORD),
                          capture_output=True, text=True, check=True).stdout.splitlines()
    assert argv == ["--backend-store-uri", tracking]


def test_job_config_files_are_private(sweep):
    out, _, _ = sweep
    folders = list(out.rglob(".hydra"))
    assert folders
    for folder in folders:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
        names = sorted(p.name for p in folder.iterdir())
        assert names == ["config.yaml", "hydra.yaml", "overrides.yaml"], folder
        for p in folder.iterdir():
            assert stat.S_IMODE(p.stat().st_mode) == 0o600, p


def test_nothing_logged_to_mlflow_holds_a_password(sweep, tmp_path):
    _, tracking, _ = sweep
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking)
    exp = client.get_experiment_by_name("gammasweep-secrets")
    runs = client.search_runs([exp.experiment_id], max_results=100)
    assert len(runs) == 4   # the family run, the study's parent run and its two trials
    for run in runs:
        logged = " ".join(f"{k}={v}" for d in (run.data.params, run.data.tags) for k, v in d.items())
        assert _leaks(logged) == [], run.info.run_name
    family = next(r for r in runs if "gammasweep.family" in r.data.tags)
    report = Path(client.download_artifacts(family.info.run_id, "report/report.md", str(tmp_path)))
    text = report.read_text(encoding="utf-8")
    assert "## How to regenerate" in text and _leaks(text) == []
