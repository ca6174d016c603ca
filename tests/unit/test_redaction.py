"""sweeps.redaction: every form of a password in text comes out as ***, and nothing else changes."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import pytest

from sweeps.errors import SweepError
from sweeps.redaction import RedactingFilter, guard_handlers, redact, without_userinfo

# (text, the secret it holds, what redact must keep)
CASES = [
    ("postgresql://u:pw@db.example:5432/optuna", "pw", "postgresql://u:***@db.example:5432/optuna"),
    ("postgresql+psycopg2://gammasweep:p%2Fw@127.0.0.1:5432/x", "p%2Fw",
     "postgresql+psycopg2://gammasweep:***@127.0.0.1:5432/x"),
    ("postgresql://u:pg%2Fs3cr%40t%3Ax@h/db", "s3cr", "postgresql://u:***@h/db"),
    ("postgresql://u:raw/slash@h/db", "raw/slash", "postgresql://u:***@h/db"),
    ("postgresql://u:a@b:c@h:5432/db", "a@b:c", "postgresql://u:***@h:5432/db"),
    ("mysql+pymysql://:only@h/db", "only", "mysql+pymysql://:***@h/db"),
    ("http://alice:s3cret@127.0.0.1:5000", "s3cret", "http://alice:***@127.0.0.1:5000"),
    ("https://alice:s3cret@mlflow.example/#/experiments/1/runs/9",
     "s3cret", "https://alice:***@mlflow.example/#/experiments/1/runs/9"),
    # Hydra's escaped override, as the job's "Launched with" line and .hydra/*.yaml hold it
    (r"mlflow.tracking_uri=http\://mluser\:mlPassW0rd@127.0.0.1\:57185 optimizer.lr=0.1",
     "mlPassW0rd", r"mlflow.tracking_uri=http\://mluser\:***@127.0.0.1\:57185 optimizer.lr=0.1"),
    # a URL inside a driver's message, quoted, and two URLs on one line
    ("Cannot open 'postgresql://u:hunter22@h/db': (psycopg2.OperationalError) refused",
     "hunter22", "Cannot open 'postgresql://u:***@h/db': (psycopg2.OperationalError) refused"),
    ("storage=postgresql://a:one1@h/db,mlflow.tracking_uri=http://b:two2@h:5000",
     "two2", "storage=postgresql://a:***@h/db,mlflow.tracking_uri=http://b:***@h:5000"),
    ("<http://alice:s3cret@h:5000/#/x>", "s3cret", "<http://alice:***@h:5000/#/x>"),
    # query strings and libpq connection strings
    ("postgresql://u@h/db?password=qs-secret&sslmode=require", "qs-secret",
     "postgresql://u@h/db?password=***&sslmode=require"),
    ("https://h/api?token=tok123", "tok123", "https://h/api?token=***"),
    ("host=h port=5432 password='dsn secret' dbname=x", "dsn secret", "host=h port=5432 password=*** dbname=x"),
]


@pytest.mark.parametrize("text, secret, expected", CASES)
def test_every_form_of_password_is_masked(text, secret, expected):
    assert redact(text) == expected
    assert secret not in redact(text)
    assert redact(redact(text)) == redact(text)   # a sink may see a text twice


@pytest.mark.parametrize("text", [
    "postgresql+psycopg2://gammasweep@127.0.0.1:5432/db",   # a user name alone is no secret
    "http://127.0.0.1:5000/#/experiments/1?workflowType=machine_learning",
    "sqlite:////tmp/out/optuna.db",
    "file:///tmp/mlartifacts/gammasweep-default",
    "Trial 3 of default.mnist_mlp.mnist_5k.rmsprop: lr=0.01, γ=0.9 (user@example.com)",
    "",
])
def test_text_without_a_password_is_unchanged(text):
    assert redact(text) == text


def test_the_password_agrees_with_urlsplit():
    """The userinfo ends where urllib's ends (the last @ of the authority)."""
    url = "postgresql://u:p@ss:w%2Frd@h:5432/db"
    assert urlsplit(url).password == "p@ss:w%2Frd"
    assert redact(url) == "postgresql://u:***@h:5432/db"


def test_credentials_held_in_the_environment_are_masked_wherever_they_appear(monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "env-pass-42")
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "tok-xyz-9")
    text = "401 for env-pass-42; header Bearer tok-xyz-9"
    assert redact(text) == "401 for ***; header Bearer ***"


def test_a_link_to_open_has_no_userinfo():
    assert without_userinfo("http://alice:s3cret@h:5000/#/x") == "http://h:5000/#/x"
    assert without_userinfo("http://h:5000/#/x") == "http://h:5000/#/x"


def test_a_sweep_error_never_holds_the_password():
    e = SweepError("Cannot open the Optuna storage 'postgresql://u:p%2Fw@h/db': refused.")
    assert "p%2Fw" not in str(e) and "u:***@h" in str(e)


def test_the_logging_filter_masks_message_arguments_and_traceback(tmp_path):
    logger = logging.getLogger("test_redaction.sink")
    handler = logging.FileHandler(tmp_path / "sweep.log")
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(RedactingFilter())
    logger.addHandler(handler)
    try:
        logger.warning("Cannot reach %s (%d%%)", "http://u:s3cret@h:5000", 100)
        try:
            raise RuntimeError("connect to postgresql://u:s3cret@h/db failed")
        except RuntimeError:
            logger.exception("lost")
    finally:
        logger.removeHandler(handler)
        handler.close()
    written = (tmp_path / "sweep.log").read_text()
    assert "s3cret" not in written
    assert "Cannot reach http://u:***@h:5000 (100%)" in written
    assert "RuntimeError: connect to postgresql://u:***@h/db failed" in written


def test_library_loggers_that_bypass_the_root_are_redacted_too():
    """MLflow's and Optuna's loggers print through handlers of their own, not Hydra's."""
    import optuna  # noqa: F401  (its default handler exists once imported)
    from mlflow.tracking import MlflowClient  # noqa: F401  (MLflow configures its loggers on import)

    guard_handlers()
    guard_handlers()   # idempotent: one filter per handler
    for name in ("mlflow", "optuna"):
        handlers = logging.getLogger(name).handlers
        assert handlers, name
        for handler in handlers:
            assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
            record = logging.LogRecord(f"{name}.store", logging.WARNING, __file__, 1,
                                       "API request to %s failed", ("http://u:s3cret@h/api",), None)
            assert handler.filter(record)
            assert record.getMessage() == "API request to http://u:***@h/api failed"


@pytest.mark.parametrize("uri, command, url", [
    ("http://alice:s3cret@10.0.0.2:5000/", None, "http://10.0.0.2:5000/#/experiments/7?workflowType=machine_learning"),
    ("postgresql+psycopg2://ml:p%2Fw@db:5432/mlflow",
     'mlflow ui --backend-store-uri "postgresql+psycopg2://ml:${MLFLOW_DB_PASSWORD}@db:5432/mlflow"',
     "http://127.0.0.1:5000/#/experiments/7?workflowType=machine_learning"),
    ("postgresql+psycopg2://ml@db:5432/mlflow", "mlflow ui --backend-store-uri postgresql+psycopg2://ml@db:5432/mlflow",
     "http://127.0.0.1:5000/#/experiments/7?workflowType=machine_learning"),
])
def test_printed_links_and_commands_hold_no_password(uri, command, url):
    from sweeps import tracking

    assert tracking.ui_link(uri, "7") == (command, url)
    hint = tracking.ui_hint(uri, "7")
    assert "s3cret" not in hint and "p%2Fw" not in hint
    assert ("MLFLOW_DB_PASSWORD set to the database password" in hint) == ("${MLFLOW_DB_PASSWORD}" in (command or ""))


UNEXPECTED = """
import sys
import hydra
from sweeps.hydra.hydra_errors import report_config_errors

@hydra.main(version_base="1.3", config_path=sys.argv[1], config_name="config")
def main(cfg):
    raise RuntimeError("API request to http://mluser:s3cret@127.0.0.1:5000/api failed")

sys.argv = sys.argv[:1] + ["hydra.run.dir=" + sys.argv[2]]
with report_config_errors():
    main()
"""


def test_an_unexpected_error_prints_its_traceback_without_the_password(tmp_path):
    """Not a config error: the traceback Hydra would print, through redact, and exit 1."""
    import subprocess
    import sys

    from support import ROOT

    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "config.yaml").write_text("x: 1\n")
    proc = subprocess.run([sys.executable, "-c", UNEXPECTED, str(tmp_path / "conf"), str(tmp_path / "run")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" in proc.stderr and "s3cret" not in proc.stdout + proc.stderr
    assert "RuntimeError: API request to http://mluser:***@127.0.0.1:5000/api failed" in proc.stderr
