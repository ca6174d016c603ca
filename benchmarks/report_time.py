"""The report's time against the training's, on a first run of the default sweep and on a rerun.

    python benchmarks/report_time.py                    # in a fresh temporary folder
    python benchmarks/report_time.py --out /tmp/rt --root /path/to/another/checkout

Trains as a user does (``python sweep.py -m`` in a subprocess, ``hydra.sweeper.report=false``),
timing each invocation: the training time. Between them it writes the family's report, each time
in a new process (MLflow's client made before the clock starts, as the sweep has it by then):

- first run, cold: no earlier report;
- rerun, warm: the first report's cache in place (what the sweep's rerun does);
- rerun, cold: the cache deleted (every study analysed and drawn again);
- rerun, unchanged: written once more, nothing new.

and prints the times and the rerun's report time as a share of its training time (the aim: at
most 25 %). ``--root`` benchmarks another checkout (its ``sweep.py`` and its ``sweeps``), e.g.
one without the cache, whose warm and cold times are then the same.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FAMILY = "default"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=None, help="output folder (default: a new temporary folder)")
    p.add_argument("--root", default=str(Path(__file__).resolve().parents[1]), help="the checkout to run")
    p.add_argument("--report-only", action="store_true", help=argparse.SUPPRESS)   # one timed report
    p.add_argument("overrides", nargs="*", help="extra overrides of both sweeps, e.g. train.steps=100")
    args = p.parse_args()
    root = Path(args.root).resolve()
    sys.path.insert(0, str(root))
    out = Path(args.out or tempfile.mkdtemp(prefix="report_time_")).resolve()
    if args.report_only:
        _timed_report(out)
        return
    out.mkdir(parents=True, exist_ok=True)

    rows = [("first run: training", _train(root, out, args.overrides), "")]
    rows.append(("first run: report (cold)", *_report(root, out)))
    rows.append(("rerun: training", _train(root, out, args.overrides), ""))
    rows.append(("rerun: report (warm cache)", *_report(root, out)))
    shutil.rmtree(out / "reports" / FAMILY / ".cache", ignore_errors=True)
    rows.append(("rerun: report (cold)", *_report(root, out)))
    rows.append(("rerun: report (nothing new)", *_report(root, out)))
    print(f"\nThe default sweep, {root} (output: {out})")
    for name, seconds, note in rows:
        print(f"  {name:30s} {seconds:7.1f} s  {note}")
    rerun = rows[2][1]
    for i in (3, 4):
        print(f"  {rows[i][0]:30s} {100 * rows[i][1] / rerun:6.0f} % of the rerun's training")


def _train(root: Path, out: Path, overrides: list[str]) -> float:
    cmd = [sys.executable, str(root / "sweep.py"), "-m", f"output_dir={out}", "hydra.sweeper.report=false",
           *overrides]
    began = time.perf_counter()
    subprocess.run(cmd, cwd=out, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=dict(os.environ, PYTHONWARNINGS="ignore", GAMMASWEEP_PROGRESS="off"))
    return time.perf_counter() - began


def _report(root: Path, out: Path) -> tuple[float, str]:
    """Seconds to write the report, and how many studies it analysed again: in a process of its
    own (a process that keeps a SQLite storage open can miss trials another process added since)."""
    done = subprocess.run([sys.executable, __file__, "--report-only", "--root", str(root), "--out", str(out)],
                          check=True, capture_output=True, text=True, env=dict(os.environ, PYTHONWARNINGS="ignore"))
    seconds, note = done.stdout.strip().splitlines()[-1].split("\t")
    return float(seconds), note


def _timed_report(out: Path) -> None:
    """Write the report once and print its seconds and studies analysed again, tab-separated."""
    import inspect

    from sweeps import tracking
    from sweeps.report import write_report

    uri = f"sqlite:///{out}/mlflow.db"
    tracking.client(uri)   # the sweep has made it before it reports
    extra, progress = {}, None
    if "progress" in inspect.signature(write_report).parameters:   # a checkout without the cache has none
        from sweeps.terminal.progress import ReportProgress

        extra["progress"] = progress = ReportProgress(enabled=False)
    began = time.perf_counter()
    write_report(storage=f"sqlite:///{out}/optuna.db", family=FAMILY, out_dir=str(out / "reports" / FAMILY),
                 tracking_uri=uri, experiment_name=f"gammasweep-{FAMILY}", **extra)
    seconds = time.perf_counter() - began
    print(f"{seconds:.2f}\t" + (f"{progress.changed} of {progress.total} studies re-analysed" if progress else ""))


if __name__ == "__main__":
    main()
