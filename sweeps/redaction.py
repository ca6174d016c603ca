"""Passwords out of text: the one function every sink calls (messages, logs, reports, MLflow).

``redact`` takes any text — a whole URL, an error message quoting one, a log line, Hydra's
escaped override ``mlflow.tracking_uri=http\\://user\\:pass@host`` — and replaces

- the password of every ``scheme://user:password@host`` with ``***``, whatever it holds: ``@``,
  ``:``, a raw ``/`` or percent-encoded characters (``%2F``, ``%40``, ``%3A``); the userinfo ends
  at the last ``@`` of the URL, as ``urllib.parse.urlsplit`` reads it;
- the value of a ``password=``/``passwd=`` pair (a query string or a libpq connection string) and
  of a query-string ``token``, ``access_token``, ``secret`` or ``api_key``;
- the values of the environment variables that hold credentials (``MLFLOW_TRACKING_PASSWORD``,
  ``MLFLOW_TRACKING_TOKEN``, ``PGPASSWORD``, ...), wherever they appear.

``RedactingFilter`` applies it to every record a logging handler emits (message, arguments and
traceback); conf/hydra/*_logging/gammasweep.yaml put it on the console and the job's log file,
and ``guard_handlers`` on the handlers of the libraries whose loggers do not propagate to
those (MLflow's, Optuna's).
"""

from __future__ import annotations

import logging
import os
import re

MASK = "***"

# Environment variables whose values are secrets (MLflow's client and libpq read them).
SECRET_ENV = ("MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN", "PGPASSWORD", "DATABRICKS_TOKEN",
              "AWS_SECRET_ACCESS_KEY", "AZURE_STORAGE_ACCESS_KEY")
# Loggers that libraries give handlers of their own and do not propagate to the root logger
# (MLflow's ``_configure_mlflow_loggers``, Optuna's default handler): Hydra's handlers never see them.
LIBRARY_LOGGERS = ("mlflow", "sqlalchemy.engine", "alembic", "optuna")
# A value this short is not redacted wherever it appears: it would blank ordinary words.
_MIN_ENV_SECRET = 4

# A URL's scheme (``postgresql+psycopg2://``; Hydra escapes the ``:`` of a value as ``\:``),
# bounded in length so that a long run of letters costs linear time, not quadratic...
_SCHEME = r"[A-Za-z][A-Za-z0-9+.\-]{0,31}\\?://"
# ...and the rest of it: up to whitespace, a quote or a bracket, or the next URL's scheme.
_URL = re.compile(rf"(?P<scheme>{_SCHEME})(?P<rest>(?:(?!{_SCHEME})[^\s'\"<>`])*)")
_PAIRS = re.compile(r"(?i)(?P<key>\b(?:password|passwd)\s*=\s*|[?&;](?:token|access_token|secret|api_key)=)"
                    r"(?P<value>'[^']*'|\"[^\"]*\"|[^\s&#'\"]+)")


def redact(text: str, mask: str = MASK) -> str:
    """``text`` with every password it holds replaced by ``mask`` (see the module's docstring);
    the values of credential environment variables always read ``***``."""
    if not text:
        return text
    text = _URL.sub(lambda m: _url_without_password(m, mask), text)
    text = _PAIRS.sub(lambda m: m["key"] + mask, text)
    for name in SECRET_ENV:
        value = os.environ.get(name, "")
        if len(value) >= _MIN_ENV_SECRET:
            text = text.replace(value, MASK)
    return text


def _url_without_password(m: re.Match, mask: str) -> str:
    rest = m["rest"]
    userinfo, at, host = rest.rpartition("@")
    if not at or ":" not in userinfo:
        return m[0]   # no userinfo, or a user name alone
    user = userinfo.split(":", 1)[0]   # Hydra's escaped ``user\:pass`` keeps its backslash
    return f"{m['scheme']}{user}:{mask}@{host}"


def with_password_from(url: str, variable: str) -> tuple[str, bool]:
    """A command-line argument for ``url`` that reads its password from the environment variable
    ``variable`` (``"scheme://user:${VAR}@host"``, quoted for the shell), and whether the URL had
    a password; a URL without one comes back as it is."""
    shown = redact(url, mask="${%s}" % variable)
    return (f'"{shown}"', True) if shown != url else (url, False)


def without_userinfo(url: str) -> str:
    """``url`` with no ``user:password@`` at all: a link to open in a browser, which asks for them."""
    m = _URL.fullmatch(url)
    if m is None or "@" not in m["rest"]:
        return url
    return m["scheme"] + m["rest"].rpartition("@")[2]


class RedactingFilter(logging.Filter):
    """Redact every record a handler emits: its message with the arguments merged in, and the
    text of its traceback and stack (formatted here, so that the handler prints this text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def guard_handlers(names: tuple[str, ...] = LIBRARY_LOGGERS) -> None:
    """A ``RedactingFilter`` on every handler of these loggers (``""``: the root) that has none
    (idempotent)."""
    for name in names:
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(RedactingFilter())
