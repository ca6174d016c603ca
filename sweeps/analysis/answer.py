"""The family's answer as data: ``reports/<family>/answer.json``, and what changed since the last one.

    {"verdicts": [{"comparison": "<task>: γ=<x> vs γ=<ref>" (β1, μ … for another factor), "verdict", "difference",
                   "interval": [lo, hi], "level", "margin", "mde", "n",
                   "failures": {"failed", "reference_failed", "seeds", "p", "p_holm"}}, ...],
     "trials": {study: {"complete": n, "pruned": n, "fail": n}},
     "environment": {"numpy": ..., ..., "data:<dataset>": fingerprint, "code": ...}}

Numbers are the report's own (``summary.fmt``, the format of its tables), read back as floats, so
an estimate "moved" exactly when the printed number left the printed interval. ``interval`` is the
one the verdict is read from: the simultaneous t-interval at confidence ``level`` (Bonferroni over
the task's γ values); ``margin`` the resolved equivalence margin and ``mde`` the smallest margin
the design could call equivalent (``stats/_power.py``). A rerun reads the
previous file before the report overwrites it (``read``, then ``write``) and ``changes`` compares.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import optuna

from sweeps import records
from sweeps.storages.rdb import open_existing

from .family import FamilyAnalysis
from .load import FINISHED
from .summary import fmt

FILE = "answer.json"
LIBRARIES = ("numpy", "optuna", "mlflow", "hydra-core", "scipy", "statsmodels")
OUTCOMES = ("complete", "pruned", "fail")


def build(a: FamilyAnalysis, storage: str) -> dict:
    """The answer of the family's analysis ``a`` (its trials read from ``storage``)."""
    return {"verdicts": verdicts(a), "trials": trials(storage, a.family),
            "environment": environment(storage, a.family)}


def verdicts(a: FamilyAnalysis) -> list[dict]:
    """Every paired comparison of the confirmation runs, as the sensitivity tables print it."""
    out = []
    for r in a.variants:
        ref, x_ = r.protocol["reference"], r.protocol["label"]
        for x in r.confirmation.to_dict("records") if "verdict" in r.confirmation else []:
            low, high = x.get("ci_low"), x.get("ci_high")
            out.append({
                "comparison": f"{r.variant.name}: {x_}={x['config']:g} vs {x_}={ref:g}",
                "verdict": x["verdict"],
                "difference": _printed(x.get("mean_diff"), signed=True),
                "interval": [_printed(low), _printed(high)] if _finite(low) and _finite(high) else None,
                "level": float(x["level"]) if _finite(x.get("level")) else None,
                "margin": _printed(x.get("margin")), "mde": _printed(x.get("mde")),
                "n": int(x.get("n") or 0),
                "failures": _failures(x),
            })
    return out


def _failures(x: dict) -> dict | None:
    """The failure comparison of one row; None when the table has none."""
    if not _finite(x.get("failed")):
        return None
    p, p_holm = x.get("p_fail"), x.get("p_fail_holm")
    return {"failed": int(x["failed"]), "reference_failed": int(x["ref_failed"]), "seeds": int(x["n_seeds"]),
            "p": float(p) if _finite(p) else None, "p_holm": float(p_holm) if _finite(p_holm) else None}


def trials(storage: str, family: str) -> dict[str, dict[str, int]]:
    """Per study of the family: its complete, pruned and failed trials."""
    st, out = open_existing(storage), {}
    for name in sorted(optuna.get_all_study_names(st)):
        if name.startswith(family + "."):
            states = [t.state for t in optuna.load_study(study_name=name, storage=st)
                      .get_trials(deepcopy=False, states=FINISHED)]
            out[name] = {k: states.count(s) for k, s in zip(OUTCOMES, FINISHED)}
    return out


def environment(storage: str, family: str) -> dict[str, str]:
    """Library versions, the fingerprint of each dataset the studies recorded, the code's version."""
    env = {lib: _version(lib) for lib in LIBRARIES}
    st = open_existing(storage)
    for name in sorted(optuna.get_all_study_names(st)):
        if name.startswith(family + "."):
            identity = records.identity(optuna.load_study(study_name=name, storage=st))
            data, fingerprint = identity.get("data"), identity.get("data_fingerprint")
            if data and data != "none" and fingerprint and fingerprint != "none":
                env[f"data:{data}"] = str(fingerprint)
    env["code"] = code_version()
    return env


def code_version() -> str:
    """``git describe`` of the checkout the package runs from, else the installed package's version."""
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():   # an installed package: a repository around it is not its own
        return _version("gammasweep")
    try:
        done = subprocess.run(["git", "describe", "--always", "--dirty", "--tags"], cwd=root,
                              capture_output=True, text=True, timeout=10, check=False,
                              env=dict(os.environ, GIT_OPTIONAL_LOCKS="0"))
        if done.returncode == 0 and done.stdout.strip():
            return done.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return _version("gammasweep")


def read(folder: Path) -> dict | None:
    """The answer of the folder's last report; None when there is none (or it is unreadable)."""
    try:
        found = json.loads((Path(folder) / FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def write(folder: Path, answer: dict) -> Path:
    """``folder/answer.json``, whole or absent (written beside it, then renamed)."""
    path = Path(folder) / FILE
    partial = path.with_name(f".{FILE}.{os.getpid()}")
    partial.write_text(json.dumps(answer, indent=1, ensure_ascii=False, sort_keys=True) + "\n",
                       encoding="utf-8")
    partial.replace(path)
    return path


@dataclass
class Changes:
    """What differs between the previous answer and this one."""
    new_trials: dict[str, int] = field(default_factory=dict)   # outcome -> trials added, summed over studies
    verdicts: list[tuple[str, str, str]] = field(default_factory=list)       # comparison, old, new
    moved: list[tuple[str, float, list, float]] = field(default_factory=list)  # comparison, old, its interval, new
    environment: list[tuple[str, str | None, str | None]] = field(default_factory=list)  # key, old, new


def changes(old: dict, new: dict) -> Changes:
    """The differences a scheduled study's owner wants to hear of (``old``: the previous answer)."""
    c = Changes()
    before = old.get("trials") or {}
    for study, counts in (new.get("trials") or {}).items():
        for k in OUTCOMES:
            added = counts.get(k, 0) - (before.get(study) or {}).get(k, 0)
            if added > 0:
                c.new_trials[k] = c.new_trials.get(k, 0) + added
    previous = {v.get("comparison"): v for v in old.get("verdicts") or []}
    for v in new.get("verdicts") or []:
        p = previous.get(v["comparison"])
        if p is None:
            continue
        if p.get("verdict") != v["verdict"]:
            c.verdicts.append((v["comparison"], p.get("verdict"), v["verdict"]))
        interval, estimate = p.get("interval"), v.get("difference")
        if interval and _finite(estimate) and not interval[0] <= estimate <= interval[1]:
            c.moved.append((v["comparison"], p.get("difference"), interval, estimate))
    was, now = old.get("environment") or {}, new.get("environment") or {}
    c.environment = [(k, was.get(k), now.get(k)) for k in sorted(set(was) | set(now)) if was.get(k) != now.get(k)]
    return c


def _printed(x, signed: bool = False) -> float | None:
    """The number as the report's tables print it; None where they print a dash."""
    return float(fmt(float(x), signed)) if _finite(x) else None


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"
