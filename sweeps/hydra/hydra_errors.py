"""Hydra's own errors about the command line (an unknown option of a group, a misspelled key, an
override it cannot parse) as gammasweep's: one paragraph on stderr and exit code 2.

``hydra.main`` prints these itself, over several lines, and exits 1; nothing outside it can see
the exception. ``report_config_errors`` wraps what ``hydra.main`` runs through Hydra's own
error reporting (``hydra_private.run_and_report_wrapped``) so that these errors are reported here
first. Any other error is a bug or an unforeseen failure: its traceback is printed as Hydra would
(exit 1), but through ``redact``, since its message may quote a URL with its password.
"""

from __future__ import annotations

import contextlib
import sys
import traceback
from typing import Iterator

from hydra.errors import ConfigCompositionException, MissingConfigException, OverrideParseException

from sweeps.adapters import hydra_private
from sweeps.errors import EXIT_BAD_INPUT, EXIT_FAILED, redact

CONFIG_ERRORS = (ConfigCompositionException, OverrideParseException)


@contextlib.contextmanager
def report_config_errors() -> Iterator[None]:
    def guard(func):
        def guarded():
            try:
                return func()
            except CONFIG_ERRORS as e:
                print(f"gammasweep: error: {redact(paragraph(e))}", file=sys.stderr)
                sys.exit(EXIT_BAD_INPUT)
            except Exception as e:  # noqa: BLE001  (anything else: its traceback, without passwords)
                sys.stderr.write(redact("".join(traceback.format_exception(e))))
                sys.exit(EXIT_FAILED)

        return guarded

    with hydra_private.run_and_report_wrapped(guard):
        yield


def paragraph(e: Exception) -> str:
    """Hydra's message in one paragraph, with the allowed options where Hydra knows them."""
    if isinstance(e, MissingConfigException) and e.missing_cfg_file and e.options:
        group, _, name = e.missing_cfg_file.rpartition("/")
        return (f"{group}={name!r} is not an option of '{group}'; choose one of: {', '.join(e.options)} "
                f"(Hydra: Could not find '{e.missing_cfg_file}'). `python sweep.py --help` lists every "
                "group and key.")
    text = _lines(e)
    if isinstance(e, OverrideParseException):
        text.insert(0, f"Cannot parse the override {e.override!r}:")
    cause = e.__cause__
    if cause is not None and not isinstance(e, OverrideParseException):
        text += [line for line in _lines(cause) if line not in text]
    return " ".join(text) + " `python sweep.py --help` lists every group and key."


def _lines(e: BaseException) -> list[str]:
    """The message's lines, without Hydra's config search path and its object-type details."""
    lines = []
    for line in str(e).splitlines():
        line = line.strip()
        if line.startswith(("Config search path", "provider=", "object_type=", "full_key:")):
            continue
        if line:
            lines.append(line if line.endswith((".", ":")) else line + ".")
    return lines
