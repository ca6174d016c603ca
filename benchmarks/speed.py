"""The six figures of issue 13 in one run, each beside its baseline and its target.

    python benchmarks/speed.py [--preset gamma_rigorous] [--quick]

Runs the benchmarks one after the other, so that every ratio compares figures taken minutes
apart on the same machine, printing each one's own output, then the table
``figure | measured | baseline | target | met?``:
1. the 1,024-trial binary_mlp grid (1,000 steps) against the plain Optuna + PyTorch + MLflow loop
   on the same workload (``overhead.py``'s sweep; ``plain_loop.py`` on the same lr and ε points,
   steps and evaluations, timed at two sample sizes and scaled, as the issue allows: its cost per
   trial is constant);
2. per-trial overhead at 256 / 1,024 / 4,096 trials (``overhead.py``);
3. evaluation's largest share of training at the presets' settings (``eval_share.py``);
4. 2 workers against 1 on an MNIST grid (``cores.py``);
5. the MNIST step on one thread against its matrix products, and against PyTorch on one thread
   (``engine.py``);
6. the preset's whole wall time projected from a timed sample (``projection.py``).
``--quick`` runs each at a smaller size (a check that everything runs, not the figures).
Nothing else should run meanwhile; the load average is printed with every figure.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import cores  # noqa: E402
import overhead  # noqa: E402
import projection  # noqa: E402
import service  # noqa: E402


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def script(name: str, *args: str) -> str:
    """Run ``benchmarks/<name>``, showing its output; returns it."""
    print(f"\n$ python benchmarks/{name} {' '.join(args)}".rstrip(), flush=True)
    proc = subprocess.run([sys.executable, str(HERE / name), *args], cwd=HERE.parent, capture_output=True,
                          text=True, env=dict(os.environ, PYTHONPATH=str(HERE.parent), PYTHONWARNINGS="ignore"))
    print(proc.stdout, end="", flush=True)
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed:\n{proc.stderr[-2000:]}")
    return proc.stdout


def number(pattern: str, text: str, what: str) -> float:
    found = re.search(pattern, text)
    if found is None:
        raise SystemExit(f"speed.py: {what} not found in the output above (pattern {pattern!r})")
    return float(found.group(1))


def plain_seconds(trials: int, steps: int, quick: bool) -> float:
    """The plain loop's wall time for ``trials`` on the workload of ``overhead.sweep_args(trials, steps)``
    (its γ, lr and ε points, steps and evaluations): two samples, start-up plus cost per trial."""
    n1, n2 = (4, 12) if quick else (16, 48)
    lr_points, eps_points = overhead.GRIDS[trials]
    walls = []
    for n in (n1, n2):
        with tempfile.TemporaryDirectory(prefix="cores-plain-", dir="/tmp") as out:
            cmd = [sys.executable, str(HERE / "plain_loop.py"), "--model", "binary", "--grid", overhead.GAMMAS,
                   "--lr-points", str(lr_points), "--eps-points", str(eps_points), "--steps", str(steps),
                   "--eval-every", str(overhead.eval_every(steps)), "--trials", str(n), "--out", out]
            walls.append(service.timed(cmd, Path(out))[0])
    per = (walls[1] - walls[0]) / (n2 - n1)
    print(f"plain loop: {n1} trials {walls[0]:.1f} s, {n2} trials {walls[1]:.1f} s -> {trials} trials "
          f"≈ {walls[0] + per * (trials - n1):.0f} s ({load()})", flush=True)
    return walls[0] + per * (trials - n1)


def items_1_2(quick: bool) -> list[tuple]:
    """The grid against the plain loop (item 1) and the overhead per trial in study size (item 2)."""
    big, steps = (256, 100) if quick else (1024, 1000)
    print(f"\n$ overhead.run: binary_mlp grids ({load()})", flush=True)
    runs = {big: overhead.run(big, steps)}
    if not quick:
        runs |= {n: overhead.run(n, steps) for n in (256, 4096)}
    after = {n: 1000 * (r["wall"] - r["train"] - r["startup"]) / n for n, r in sorted(runs.items())}
    for n, r in sorted(runs.items()):
        print(f"{n:6d} trials: wall {r['wall']:.1f} s, training {r['train']:.1f} s, "
              f"overhead after start-up {after[n]:.0f} ms a trial ({load()})", flush=True)
    plain = plain_seconds(big, steps, quick)
    wall = runs[big]["wall"]
    x = plain / wall
    print(f"figure 1, {big:,} trials of {steps} steps: gammasweep {wall:.1f} s ({1000 * wall / big:.0f} ms a trial), "
          f"plain loop ≈ {plain:.0f} s ({1000 * plain / big:.0f} ms a trial): {x:.1f}×", flush=True)
    rows = [(f"1. {big:,}-trial grid vs plain loop, same workload ({steps} steps)", f"{x:.1f}× ({wall:.0f} s)",
             "5.3× (issue 24)", "≥ 10×", x >= 10)]
    top = max(after)
    flat = after[top] / after[256] if top != 256 else None
    rows.append((f"2. overhead per trial at {top:,} (vs 256)",
                 f"{after[top]:.0f} ms" + (f", {flat:.2f}×" if flat else ", flatness not run in --quick"),
                 "78 ms at 1,024 (before issue 24)", "≤ 10 ms, ≤ 1.25×",
                 after[top] <= 10 and (flat is not None and flat <= 1.25)))
    return rows


def item_3(quick: bool) -> tuple:
    out = script("eval_share.py", "--repeats", "1" if quick else "3")
    presets = ("default", "gamma_sensitivity etc.", "trajectories")
    shares = [(float(m.group(2)), m.group(1).strip()) for m in
              re.finditer(r"^(.{24}\s\S+\s+\S+)\s.*\s([\d.]+)%$", out, re.M) if m.group(1).startswith(presets)]
    if not shares:
        raise SystemExit("speed.py: no preset rows in eval_share.py's output")
    worst, where = max(shares)
    return ("3. evaluation / training, worst preset row", f"{worst:.1f}% ({' '.join(where.split())})",
            "≈ 100% (full splits every 50 steps)", "≤ 10%", worst <= 10)


def item_4(quick: bool) -> tuple:
    trials, steps, repeats = (16, 300, 1) if quick else (64, 1000, 2)
    print(f"\n$ python benchmarks/cores.py --trials {trials} --steps {steps} --repeats {repeats} ({load()})",
          flush=True)
    rows = cores.measure(trials, steps, repeats, alternatives=False)
    for label, runs in rows.items():
        print(f"{label}: " + ", ".join(f"{s:.1f} s, {c:.0f} CPU s (load {l:.1f}), study {i:.1f} s"
                                       for s, c, l, i in runs), flush=True)
    x, inside = cores.speedup(rows), cores.speedup(rows, inside=True)
    return ("4. 2 workers / 1 worker, MNIST grid", f"{x:.2f}× (within the study {inside:.2f}×)", f"{cores.BASELINE}×",
            f"≥ {cores.TARGET}× (1.5× to switch)", x >= cores.TARGET)


def item_5(quick: bool) -> list[tuple]:
    args = ["--rows", "1 BLAS thread", "torch f32, 1 thread"]
    out = script("engine.py", *args, *(["--steps", "500", "--repeats", "1"] if quick else ["--repeats", "3"]))
    floor = number(r"training steps / matmul floor = ([\d.]+)×", out, "the step / floor ratio")
    rows = [("5a. MNIST step / matmul floor, 1 thread", f"{floor:.2f}×", "1.42×", "≤ 1.25×", floor <= 1.25)]
    torch = re.search(r"torch f32, 1 thread / numpy f32, 1 BLAS thread: ([\d.]+)×", out)
    rows.append(("5b. PyTorch / numpy, 1 thread each", f"{float(torch.group(1)):.2f}×" if torch else "torch absent",
                 "2.0×", "≥ 2×", bool(torch) and float(torch.group(1)) >= 2))
    return rows


def item_6(preset: str, quick: bool) -> tuple:
    print(f"\n$ python benchmarks/projection.py study={preset}{' --quick' if quick else ''} ({load()})", flush=True)
    t = projection.project([f"study={preset}"], quick)
    return (f"6. {preset} projected wall time", f"{t['both'] / 60:.0f} min on 2 workers",
            f"{t['one'] / 60:.0f} min on 1 worker", "≤ 120 min", t["both"] <= 7200)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="gamma_rigorous", help="the study preset of item 6")
    p.add_argument("--quick", action="store_true", help="everything at a smaller size: a check")
    args = p.parse_args()
    preset = args.preset
    if not (HERE.parent / "conf" / "study" / f"{preset}.yaml").exists():
        print(f"conf/study/{preset}.yaml does not exist (yet): item 6 projects gamma_sensitivity instead")
        preset = "gamma_sensitivity"
    print(f"{os.cpu_count()} cores; python {sys.version.split()[0]}; {load()}"
          + ("; --quick: smaller sizes, not the figures" if args.quick else ""))
    rows = items_1_2(args.quick)
    rows.append(item_3(args.quick))
    rows.append(item_4(args.quick))
    rows += item_5(args.quick)
    rows.append(item_6(preset, args.quick))
    print(f"\nIssue 13{' (--quick)' if args.quick else ''}, {load()}")
    print("figure | measured | baseline | target | met?")
    for figure, measured, baseline, target, met in rows:
        print(f"{figure} | {measured} | {baseline} | {target} | {'yes' if met else 'no'}")


if __name__ == "__main__":
    main()
