"""Fetch a file into a cache directory from the first mirror that serves it with the right SHA-256."""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import tempfile
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from ._errors import DataError

log = logging.getLogger(__name__)

_CHUNK = 1 << 20


def sha256_of(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fetch_verified(
    filename: str,
    sha256: str,
    directory: Path,
    mirrors: Sequence[str],
    *,
    timeout: float,
    hint: str = "",
) -> Path:
    """Return ``directory/filename``, downloading it first unless a copy with the right hash is there.

    Mirrors are tried in order; the URL is ``mirror + filename``. A download is written to a temporary
    file beside the target and renamed into place only once its SHA-256 matches, so a failed or
    corrupt download never sits in the cache under the real name (and concurrent processes filling the
    same cache do not see half-written files). An existing file with the wrong hash is not deleted
    (it may be the user's), only replaced by a verified download. ``hint`` ends the error message.
    """
    target = directory / filename
    problems = []
    if target.is_file():
        actual = sha256_of(target)
        if actual == sha256:
            return target
        problems.append(f"the cached copy {target} has SHA-256 {actual}, expected {sha256}")
    if not mirrors:
        problems.append("no mirrors were given")
    for mirror in mirrors:
        url = mirror if mirror.endswith("/") else mirror + "/"
        url += filename
        problem = _download_to(url, target, sha256, timeout)
        if problem is None:
            return target
        problems.append(problem)
    bad_hash = any("SHA-256" in p for p in problems)
    lead = "checksum mismatch for" if bad_hash else "could not download"
    raise DataError(f"{lead} {filename} (cache directory {directory}): " + "; ".join(problems) + ". " + hint)


def _download_to(url: str, target: Path, sha256: str, timeout: float) -> str | None:
    """Download url to target if its hash is right; return None on success, else what went wrong."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, part = tempfile.mkstemp(prefix=target.name + ".", suffix=".part", dir=target.parent)
    except OSError as e:
        raise DataError(
            f"cannot write to cache directory {target.parent}: {e.strerror or e}. "
            "Pass a writable cache_dir= or fix the directory's permissions."
        ) from e
    digest = hashlib.sha256()
    try:
        log.info("downloading %s", url)
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            while chunk := response.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
    except (OSError, http.client.HTTPException, ValueError) as e:
        os.unlink(part)
        return f"{url} failed ({type(e).__name__}: {e})"
    actual = digest.hexdigest()
    if actual != sha256:
        os.unlink(part)
        return f"{url} served a file with SHA-256 {actual}, expected {sha256} (download discarded)"
    os.replace(part, target)
    return None
