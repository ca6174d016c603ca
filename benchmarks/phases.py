"""Where a sweep's wall time goes: ``python sweep.py -m ...`` with its phases timed.

    python benchmarks/phases.py -m model=mnist_mlp hydra.sweeper.n_trials=16 output_dir=/tmp/p

Runs the sweep in this process with a wall-clock timer around each phase (Hydra's per-job
composition and job set-up, the task, training, MLflow and Optuna calls) and prints, at exit,
total seconds and calls per phase, largest first. Phases nest (``run_job`` holds ``task.run``,
which holds ``train``), so the rows do not add up; the differences are the overheads. Unlike
cProfile it slows nothing down, so the figures are the real ones.
"""

import atexit
import functools
import importlib
import runpy
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START = time.perf_counter()
sys.path.insert(0, str(ROOT))
from sweeps.adapters.hydra_private import CONFIG_LOADER_MODULE  # noqa: E402 (needs ROOT on the path)

PHASES = [
    (CONFIG_LOADER_MODULE, "ConfigLoaderImpl.load_sweep_config"),
    ("hydra.core.utils", "run_job"),
    ("sweeps.stages.trials", "TrialLoop.open"),
    ("sweeps.storages.shared_study", "SharedStudy.ask"),
    ("sweeps.stages.trials", "tell"),
    ("sweeps.jobs.task", "run"),
    ("sweeps.jobs.population_task", "run_population"),
    ("sweeps.jobs.builders", "build_data"),
    ("models.train", "train"),
    ("models.population", "train_population"),
    ("sweeps.jobs.trial_link", "attach"),
    ("sweeps.jobs.population_task", "member_config"),
    ("sweeps.jobs.member", "Member.__init__"),
    ("sweeps.jobs.member", "Member.link_all"),
    ("sweeps.tracking.run_batch", "RunBatch.flush"),
    ("sweeps.stages.trials", "TrialLoop._record"),
    ("sweeps.jobs.trial_link", "Reporter.__call__"),
    ("sweeps.jobs.member", "Member.complete"),
    ("sweeps.tracking", "ensure_experiment"),
    ("sweeps.tracking", "start_child"),
    ("sweeps.tracking", "log_all"),
    ("sweeps.tracking", "finish"),
    ("sweeps.tracking.curve_worker", "submit"),
    ("sweeps.tracking.curve_worker", "close"),
    ("sweeps.tracking.curve_worker", "drain"),
    ("sweeps.hydra.job_configs", "JobConfigs.load_sweep_config"),
    ("sweeps.stages.summaries", "summarize"),
]
TOTALS: dict[str, list] = {}
FIRST: dict[str, float] = {}   # seconds from start to a phase's first call


def timed(module: str, path: str) -> None:
    owner = importlib.import_module(module)
    *outer, name = path.split(".")
    for part in outer:
        owner = getattr(owner, part)
    inner = getattr(owner, name)

    @functools.wraps(inner)
    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        FIRST.setdefault(f"{module}.{path}", t - START)
        try:
            return inner(*args, **kwargs)
        finally:
            row = TOTALS.setdefault(f"{module}.{path}", [0, 0.0])
            row[0] += 1
            row[1] += time.perf_counter() - t

    setattr(owner, name, wrapper)
    if not outer:   # modules that did `from module import name` hold the original: rebind it
        for other in list(sys.modules.values()):
            if getattr(other, "__name__", "").startswith(("sweeps", "models")) and \
                    getattr(other, name, None) is inner:
                setattr(other, name, wrapper)


def main() -> None:
    start = START
    sys.argv = [str(ROOT / "sweep.py"), *sys.argv[1:]]
    for module, path in PHASES:   # before sweep.py's imports bind the names
        timed(module, path)
    TOTALS["imports of the timed modules"] = [1, time.perf_counter() - start]

    @atexit.register
    def report() -> None:
        print(f"\n{time.perf_counter() - start:8.2f} s  in this process, start to exit", file=sys.stderr)
        for key, (calls, seconds) in sorted(TOTALS.items(), key=lambda kv: -kv[1][1]):
            print(f"{seconds:8.3f} s  {calls:5d}×  {key}", file=sys.stderr)
        if "sweeps.storages.shared_study.SharedStudy.ask" in FIRST:
            print(f"first ask after {FIRST['sweeps.storages.shared_study.SharedStudy.ask']:.2f} s", file=sys.stderr)

    runpy.run_path(str(ROOT / "sweep.py"), run_name="__main__")


if __name__ == "__main__":
    main()
