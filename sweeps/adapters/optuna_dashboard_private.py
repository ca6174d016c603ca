"""optuna-dashboard's note format (``optuna_dashboard/_note.py``): a Markdown note of a study or
of one of its trials, stored in the study's system attributes.

``optuna_dashboard.save_note`` writes one note in three to four transactions (~50 ms a trial on
SQLite); the sweep writes many at once, so it writes the same keys itself, all in one
transaction (``optuna_private.write_study_system_attrs``), and needs no optuna-dashboard
installed. The keys, for a trial (by its storage id) or, without ``dashboard:<id>:``, the study:

- ``dashboard:<trial_id>:note_ver``: the note's version, an int the dashboard's editor bumps;
- ``dashboard:<trial_id>:note_str:<i>``: the body's i-th chunk of at most 2045 characters.

tests/unit/test_adapters_optuna_dashboard.py pins them against optuna-dashboard's own
``save_note`` and ``get_note``.
"""

from __future__ import annotations

import math
from typing import Any

CHUNK = 2045   # optuna_dashboard._note.SYSTEM_ATTR_MAX_LENGTH


def _prefix(trial_id: int | None) -> str:
    return "dashboard:" if trial_id is None else f"dashboard:{trial_id}:"


def note(system_attrs: dict[str, Any], trial_id: int | None) -> tuple[int, str]:
    """(version, body) of the note of the study (``trial_id`` None) or of a trial; (0, "") if none."""
    p = _prefix(trial_id)
    if f"{p}note_ver" not in system_attrs:
        return 0, ""
    chunks = {k: v for k, v in system_attrs.items() if k.startswith(f"{p}note_str:")}
    return int(system_attrs[f"{p}note_ver"]), "".join(chunks[f"{p}note_str:{i}"] for i in range(len(chunks)))


def note_attrs(system_attrs: dict[str, Any], trial_id: int | None, body: str) -> dict[str, Any]:
    """The study system attributes that make ``body`` the next version of the note; chunks of a
    longer previous body are blanked, as the dashboard does."""
    p = _prefix(trial_id)
    version, _ = note(system_attrs, trial_id)
    old = sum(1 for k in system_attrs if k.startswith(f"{p}note_str:"))
    n = math.ceil(len(body) / CHUNK)
    attrs: dict[str, Any] = {f"{p}note_ver": version + 1}
    attrs |= {f"{p}note_str:{i}": body[i * CHUNK:(i + 1) * CHUNK] for i in range(n)}
    attrs |= {f"{p}note_str:{i}": "" for i in range(n, old)}
    return attrs
