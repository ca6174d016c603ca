"""Every speed figure of the README in one run: the engine per MNIST trial, then whole studies.

    python benchmarks/speed.py [--repeats 3]

Runs ``benchmarks/engine.py`` (numpy f32/f64 against PyTorch CPU and the matmul floor, seconds
per 2000-step MNIST trial) and ``benchmarks/service.py`` (trials per minute and peak memory of the
64-trial binary grid and the 16-trial MNIST study, gammasweep against a plain Optuna + PyTorch +
MLflow loop), ``benchmarks/overhead.py`` (per-trial overhead of a grid study at 256, 1,024 and
4,096 trials) and ``benchmarks/eval_share.py`` (evaluation's share of training per preset) one
after the other, so that every ratio compares figures taken minutes apart on the same machine. Nothing else should run meanwhile: the ratios are only as quiet as the machine.
"""

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3, help="repeats of each engine row (medians)")
    args = p.parse_args()
    for script, extra in (("engine.py", ["--repeats", str(args.repeats)]), ("service.py", []),
                          ("overhead.py", []), ("eval_share.py", ["--repeats", str(args.repeats)])):
        print(f"\n$ python benchmarks/{script} {' '.join(extra)}".rstrip(), flush=True)
        subprocess.run([sys.executable, str(HERE / script), *extra], check=True, cwd=HERE.parent)


if __name__ == "__main__":
    main()
