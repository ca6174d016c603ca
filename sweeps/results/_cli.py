"""``python -m sweeps.results list | show STUDY | export``: see the package docstring."""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from pathlib import Path

import pandas as pd

from ..errors import EXIT_BAD_INPUT, SweepError, redact
from ..storages.rdb import open_existing
from ._table import OUTCOMES, best, storage_url, studies, trial_table
from sweeps import records

# what `list` counts, by outcome (COMPLETE trials) or state; a zero is left out
_COUNTS = ("trained", "diverged", "collapsed", "pruned", "failed", "running", "waiting")
_STATE_COUNT = {"PRUNED": "pruned", "FAIL": "failed", "RUNNING": "running", "WAITING": "waiting"}
_BEST_PARAMS = ("lr", "gamma", "eps")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    url = storage_url(args.output_dir, args.storage)
    try:
        st = open_existing(url)
        if args.command == "list":
            text = list_text(st, url, args.family)
        elif args.command == "show":
            text = show_text(st, url, args.study)
        else:
            text = export(st, url, args.family, args.format or _format_of(args.output), Path(args.output))
    except SweepError as e:
        print(f"gammasweep: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(text)
    return 0


def _parser() -> argparse.ArgumentParser:
    base = os.environ.get("GAMMASWEEP_OUTPUT_DIR", "outputs")
    where = argparse.ArgumentParser(add_help=False)
    g = where.add_mutually_exclusive_group()
    g.add_argument("--output-dir", help=f"the sweep's output_dir, holding optuna.db (default {base})")
    g.add_argument("--storage", help="Optuna storage URL (hydra.sweeper.storage); wins over --output-dir")
    p = argparse.ArgumentParser(prog="python -m sweeps.results",
                                description="The results of sweeps, out of the Optuna storage.")
    sub = p.add_subparsers(dest="command", required=True)
    ls = sub.add_parser("list", parents=[where], help="one line per study: best trial, trials by outcome")
    ls.add_argument("--family", help="only this study family (hydra.sweeper.study_name)")
    show = sub.add_parser("show", parents=[where], help="one study's trials as a table")
    show.add_argument("study", help="the study's full name, as `list` prints it")
    ex = sub.add_parser("export", parents=[where], help="one row per trial, to CSV or Parquet")
    ex.add_argument("--family", help="only this study family")
    ex.add_argument("--format", choices=("csv", "parquet"), help="default: from --output's suffix")
    ex.add_argument("--output", required=True, help="the file to write")
    return p


def list_text(st, url: str, family: str | None) -> str:
    chosen = studies(st, url, family)
    if not chosen:
        return f"No study in the Optuna storage {redact(url)} yet."
    table = trial_table(st, chosen)
    rows = []
    for s in chosen:
        mine = table[table["study"] == s.study_name]
        row = {"study": s.study_name, "trials": len(mine)}
        row |= {k: int((mine["outcome"] == k).sum()) for k in OUTCOMES}
        row |= {_STATE_COUNT[k]: int((mine["state"] == k).sum()) for k in _STATE_COUNT}
        top = best(s, mine)
        settings = (s.user_attrs.get(records.IDENTITY) or {}).get("optimizer_settings") or {}
        row["best"] = None if top is None else top["value"]
        for p in _BEST_PARAMS:  # a fixed value (not swept) comes from the study's identity
            swept = None if top is None else top.get(p)
            row[p] = None if top is None else (swept if pd.notna(swept) else settings.get(p))
        rows.append(row)
    frame = pd.DataFrame(rows)
    # the counts in words, last: a long one runs past the right edge without shifting a column
    frame["outcomes"] = [", ".join(f"{r[k]} {k}" for k in _COUNTS if r[k]) or "-" for r in rows]
    return _text(frame[["study", "trials", "best", *_BEST_PARAMS, "outcomes"]],
                 {"best": "{:.6g}", "gamma": "{:.4g}"})


def show_text(st, url: str, name: str) -> str:
    every = studies(st, url)
    known = [s for s in every if s.study_name == name]
    if not known:
        raise SweepError(_unknown_study(name, [s.study_name for s in every], url))
    s = known[0]
    table = trial_table(st, known)
    identity = s.user_attrs.get(records.IDENTITY) or {}
    metric = identity.get("optimized_metric") or "the value"
    direction = s.directions[0].name.lower() if len(s.directions) == 1 else "multi-objective"
    shown = table.drop(columns=["family", "study", "mlflow_run_id", "source_trial", "error",
                                "diverged_step", "train_seconds", "datetime_start",
                                "datetime_complete"])
    shown = shown.loc[:, [c for c in shown if not c.startswith("final_")]]
    shown = shown.rename(columns={"duration_s": "seconds"})
    if "seed" in shown and shown["seed"].isna().all():
        shown = shown.drop(columns="seed")
    lines = [f"{name}: {len(table)} trials, {direction} {metric}", ""]
    lines.append(_text(shown, {"value": "{:.6g}", "seconds": "{:.1f}", "gamma": "{:.4g}"})
                 if len(shown) else "(no trial yet)")
    errors = table[table["error"].notna()]
    if len(errors):
        lines.append("")
        lines += [f"trial {r.number} ({r.state}): {_clip(str(r.error), 80)}" for r in errors.itertuples()]
    return "\n".join(lines)


def export(st, url: str, family: str | None, fmt: str, out: Path) -> str:
    table = trial_table(st, studies(st, url, family))
    existed = out.exists()
    try:
        _write(table, fmt, out)
    except OSError as e:
        if not existed and out.is_file():   # a part written before the disk filled up
            out.unlink()
        raise SweepError(
            f"Cannot write {str(out)!r} (--output): {e.strerror or type(e).__name__}"
            f"{f' ({e.filename})' if e.filename and str(e.filename) != str(out) else ''}. Choose a "
            "file you can write, on a disk with room; nothing was written."
        ) from None
    return f"Wrote {len(table)} trials of {table['study'].nunique()} studies to {out} ({fmt})."


def _write(table: pd.DataFrame, fmt: str, out: Path) -> None:
    if out.is_dir():
        raise IsADirectoryError(21, "it is a folder, not a file")
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401  (pandas' Parquet engine)
        except ImportError:
            raise SweepError(
                f"Cannot write {str(out)!r} as Parquet: pandas needs pyarrow for it, and it is not "
                "installed in this environment. Run pip install pyarrow (MLflow normally brings "
                "it), or export --format csv."
            ) from None
        _uniform_objects(table).to_parquet(out, index=False)
    else:
        table.to_csv(out, index=False)


def _format_of(output: str) -> str:
    return "parquet" if Path(output).suffix.lower() in (".parquet", ".pq") else "csv"


def _uniform_objects(table: pd.DataFrame) -> pd.DataFrame:
    """A categorical param may mix types across studies (True, "true"); Parquet wants one."""
    table = table.copy()
    for col in table.columns[table.dtypes == object]:
        kinds = {type(v) for v in table[col] if v is not None and v == v}
        if len(kinds) > 1:
            table[col] = table[col].map(lambda v: v if v is None or v != v else str(v))
    return table


def _unknown_study(name: str, names: list[str], url: str) -> str:
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    hint = f" Closest: {', '.join(close)}." if close else ""
    shown = ", ".join(names[:8]) + (f", ... ({len(names)} in all)" if len(names) > 8 else "")
    return (f"No study {name!r} in the Optuna storage {redact(url)}.{hint} Studies found: "
            f"{shown or 'none'}. Use the full name that `python -m sweeps.results list` prints.")


def _text(frame: pd.DataFrame, formats: dict[str, str]) -> str:
    """Plain aligned text: floats in ~4 significant digits unless named, empty for missing."""
    def fmt(spec):
        return lambda v: "" if v is None or pd.isna(v) else (spec.format(v) if isinstance(v, float) else str(v))
    formatters = {c: fmt(formats.get(c, "{:.3g}")) for c in frame.columns}
    # names read best left-aligned, header included
    for col in ("study", "state", "outcome", "outcomes"):
        if col in frame and len(frame):
            width = max(len(col), *(len(str(v)) for v in frame[col].fillna("")))
            formatters[col] = lambda v, w=width: ("" if v is None or pd.isna(v) else str(v)).ljust(w)
            frame = frame.rename(columns={col: col.ljust(width)})
            formatters[col.ljust(width)] = formatters.pop(col)
    text = frame.to_string(index=False, formatters=formatters, na_rep="")
    return "\n".join(line.rstrip() for line in text.splitlines())


def _clip(text: str, n: int) -> str:
    line = (text.strip().splitlines() or [""])[0]
    return line if len(line) <= n else line[: n - 1] + "…"
