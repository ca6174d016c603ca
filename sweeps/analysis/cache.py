"""What a report computed per study, kept for the next report of the family: only studies with new
trials are analysed and drawn again.

An entry is one file, ``<folder>/<name>.pkl``, holding its key beside its value. The key of a
study is a digest of what the report reads of it: its finished trials counted by state (a RUNNING
trial that completes counts), the last one's completion time, their numbers, states and values
(a finished trial's record does not change), and the study's own row (identity, protocol, search
space); with the code version that
``answer.json`` records (``answer.code_version``) and a digest of the report's own source files
(``code_key``: a checkout with local edits keeps its ``-dirty`` version across edits), so changed
code analyses and draws again.
An entry whose key differs is computed again and replaced; a missing, corrupt or foreign file is
a miss, never an error. The folder is ``.cache`` inside the report's folder, with a ``.gitignore``
of its own (a report kept in git leaves it out; the family run logs the report's files, not its folders).

The entries are pickles: the cache is the sweep's own, in its output folder, like its databases.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

log = logging.getLogger(__name__)

FORMAT = 1   # of the files; another format is a miss
GITIGNORE = "*\n"
_SWEEPS = Path(__file__).resolve().parents[1]
# What computes a cached value: the analyses, their figures and the report that draws them.
SOURCES = ("analysis/**/*.py", "report.py")


def code_key(version: str) -> str:
    """``version`` with a digest of ``SOURCES``: what a cached value is valid for."""
    h = hashlib.sha256(version.encode("utf-8"))
    for pattern in SOURCES:
        for f in sorted(_SWEEPS.glob(pattern)):
            h.update(f.relative_to(_SWEEPS).as_posix().encode("utf-8") + f.read_bytes())
    return f"{version}+{h.hexdigest()[:16]}"


def folder_for(report_dir: Path) -> Path:
    """The cache of the report written to ``report_dir``."""
    return Path(report_dir) / ".cache"


def study_keys(trials: pd.DataFrame, studies: pd.DataFrame) -> dict[str, str]:
    """Per study of the family: a digest of everything the report reads of it."""
    keys = {}
    for s in studies.to_dict("records"):
        rows = trials[trials["study"] == s["study"]]
        counts = rows["state"].value_counts().sort_index().to_dict() if len(rows) else {}
        last = rows["datetime_complete"].max() if "datetime_complete" in rows and len(rows) else None
        finished = sorted(zip(rows["number"].tolist(), rows["state"].tolist(), map(repr, rows["value"].tolist())))
        keys[s["study"]] = _digest((sorted(s.items(), key=lambda kv: kv[0]), counts, str(last), finished))
    return keys


def group_key(keys: dict[str, str], studies: pd.DataFrame, tuning_study: str, *extra: Any) -> str:
    """The key of what a tuning study's analysis reads: it, its seed and lr_max studies."""
    members = studies[studies["tuning_study"] == tuning_study]["study"].tolist() + [tuning_study]
    return _digest((sorted((m, keys.get(m)) for m in set(members)), extra))


def family_key(keys: dict[str, str], *extra: Any) -> str:
    """The key of what reads the studies of ``keys`` together."""
    return _digest((sorted(keys.items()), extra))


def changed(cache: Cache, keys: dict[str, str]) -> list[str]:
    """The studies whose key differs from the one the last report stored (``remember``)."""
    before = cache.get("studies", "") or {}
    return sorted(s for s, k in keys.items() if before.get(s) != k)


def remember(cache: Cache, keys: dict[str, str]) -> None:
    """Store the studies' keys for the next report, and drop the entries this report did not use
    (of a study or variant that is gone)."""
    cache.put("studies", "", dict(keys))
    for entry in cache.folder.glob("*.pkl"):
        if entry not in cache.used:
            entry.unlink(missing_ok=True)


def _digest(value: Any) -> str:
    return hashlib.sha256(repr(value).encode("utf-8")).hexdigest()


class Cache:
    """Entries of one family's report under ``folder``, valid for the code version ``code``."""

    def __init__(self, folder: Path, code: str):
        self.folder, self.code = Path(folder), code
        self.used: set[Path] = set()   # the entries this report read or wrote

    def get(self, name: str, key: str) -> Any | None:
        """The value stored under ``name`` with this ``key``; None when there is none."""
        self.used.add(self._path(name))
        try:
            with open(self._path(name), "rb") as f:
                found = pickle.load(f)
        except Exception:   # absent, truncated, foreign or from another library version: a miss
            found = None
        if (isinstance(found, dict) and found.get("format") == FORMAT and found.get("code") == self.code
                and found.get("key") == key):
            return found.get("value")
        return None

    def put(self, name: str, key: str, value: Any) -> None:
        """Store ``value`` (whole or not at all); a folder that cannot be written only costs time."""
        path = self._path(name)
        self.used.add(path)
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            ignore = path.parent / ".gitignore"
            if not ignore.exists():
                ignore.write_text(GITIGNORE, encoding="utf-8")
            with open(partial, "wb") as f:
                pickle.dump({"format": FORMAT, "code": self.code, "key": key, "value": value}, f,
                            protocol=pickle.HIGHEST_PROTOCOL)
            partial.replace(path)
        except OSError as e:
            log.debug("Report cache not written (%s): %s", path, e)
            try:
                partial.unlink(missing_ok=True)
            except OSError:   # its folder is not one
                pass

    def through(self, name: str, key: str, compute: Callable[[], Any]) -> Any:
        """The stored value of ``name`` under ``key``, else ``compute()``, stored."""
        found = self.get(name, key)
        if found is not None:
            return found
        value = compute()
        self.put(name, key, value)
        return value

    def _path(self, name: str) -> Path:
        slug = re.sub(r"[^A-Za-z0-9_.=-]+", "-", name).strip("-")[:80]
        return self.folder / f"{slug}-{_digest(name)[:8]}.pkl"   # names that slug alike stay apart
