"""Markdown building blocks: tables, numbers, the "nothing here yet" note."""

from __future__ import annotations

import math
from typing import Any, Callable, Iterable

import pandas as pd


def num(x: Any, spec: str = ".4g") -> str:
    """A number for a table cell; NaN and None become an en dash."""
    if x is None:
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, (int, float)):
        return "–" if isinstance(x, float) and not math.isfinite(x) else format(x, spec)
    return str(x)


def pm(mean: float, std: float, n: int) -> str:
    """``mean ± std (n)``, or a dash without seed re-runs."""
    if not n:
        return "–"
    return f"{num(mean)} ± {num(std, '.2g')} (n={n})"


def min_max(row: dict) -> str:
    """``min–max`` over seeds, or a dash without seed re-runs."""
    return f"{num(row['seed_min'])}–{num(row['seed_max'])}" if row["seed_n"] else "–"


def table(rows: pd.DataFrame | Iterable[dict], columns: dict[str, str | Callable[[dict], Any]]) -> str:
    """A markdown table; ``columns`` maps a header to a column name or to a function of the row."""
    records = rows.to_dict("records") if isinstance(rows, pd.DataFrame) else list(rows)
    head = "| " + " | ".join(columns) + " |\n|" + "---|" * len(columns) + "\n"
    lines = []
    for r in records:
        cells = [num(f(r)) if callable(f) else num(r.get(f)) for f in columns.values()]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return head + "\n".join(lines) + "\n"


def join(*blocks: str) -> str:
    """Markdown blocks (headings, paragraphs, tables, images) separated by blank lines."""
    return "\n\n".join(b.strip("\n") for b in blocks if b) + "\n"


def missing(what: str, preset: str) -> str:
    return f"_No data: {what}. `python sweep.py -m study={preset}` produces it._\n"


def image(file: str, alt: str) -> str:
    return f"![{alt}]({file})\n"
