"""Time the numpy engine: mnist_mlp, 2000 RMSprop steps of batch 128, against PyTorch CPU.

    /work/venv/bin/python benchmarks/engine.py [--dataset fashion_mnist] [--repeats 3]

Rows (each timed ``--repeats`` times, round-robin so that load from other processes hits every
row alike; medians are printed):
- numpy f32 / f64: ``models.train.train`` end to end — per-epoch shuffled batches, forward,
  backward, ``optimizers.create("rmsprop")``, evaluation on the full test set at step 0 and at the
  end. Rows marked "1 BLAS thread" run under threadpoolctl's limit: on a 2-core machine
  shared with other work, OpenBLAS's 2 threads can stall each other badly (seen: 2 s → 20 s).
- torch f32 / f64: the same network from the same initial weights, torch.optim.RMSprop with the
  same hyperparameters, the same batches (same permutations), the same two evaluations;
  torch's default thread count.
- floor f32 / f64: only the 14 matmuls of a step (5 forward, 5 dW, 4 dX) at the same shapes.
"""

import argparse
import inspect
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # this checkout's code, not an installed one
import models  # noqa: E402
import optimizers  # noqa: E402
from models.data import DataError, load  # noqa: E402
from models.train import train  # noqa: E402

SIZES = (784, 100, 100, 100, 100, 10)


def load_data(name):
    try:
        return load(name, dtype="float32")
    except DataError as err:
        print(f"{name} unavailable ({err}); using mnist_5k")
        return load("mnist_5k", dtype="float32")


def one_blas_thread(run):
    """``run`` under a one-thread BLAS limit (threadpoolctl, installed with scikit-learn)."""

    def limited():
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return run()

    return limited


def numpy_run(data, dtype, args):
    net = models.create("mnist_mlp")
    opt = optimizers.create("rmsprop", lr=args.lr, gamma=args.gamma, eps=1e-8)
    r = train(net, opt, data, steps=args.steps, batch_size=args.batch_size,
              eval_every=args.steps, seed=0, dtype=dtype, score_test=True, **ALL_VAL)
    STEP_SECONDS.setdefault(f"{dtype}, {threading_note()}", []).append(r.seconds - r.eval_seconds)
    return r.seconds, r.final["test_accuracy"]


# evaluate the whole validation split (train.eval_subset), where the code being timed has the option
ALL_VAL = {"eval_subset": "all"} if "eval_subset" in inspect.signature(train).parameters else {}
STEP_SECONDS: dict[str, list[float]] = {}   # numpy rows: training alone (evaluations taken out)


def threading_note() -> str:
    from threadpoolctl import threadpool_info

    return ", ".join(sorted({f"{i['internal_api']} {i.get('architecture')} {i['num_threads']} thread(s)"
                            for i in threadpool_info() if i["user_api"] == "blas"}))


def torch_run(data, dtype, args, threads=None):
    import torch

    old_threads = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    tdtype = getattr(torch, dtype)
    params = models.create("mnist_mlp").init_params(np.random.default_rng(0), dtype)
    layers = []
    for l in range(1, len(SIZES)):
        lin = torch.nn.Linear(SIZES[l - 1], SIZES[l], dtype=tdtype)
        with torch.no_grad():  # the numpy run's initial weights
            lin.weight.copy_(torch.from_numpy(params[f"W{l}"].T.copy()))
            lin.bias.copy_(torch.from_numpy(params[f"b{l}"]))
        layers += [lin, torch.nn.ReLU()]
    net = torch.nn.Sequential(*layers[:-1])
    opt = torch.optim.RMSprop(net.parameters(), lr=args.lr, alpha=args.gamma, eps=1e-8)
    x = torch.from_numpy(np.array(data.x_train, dtype=dtype))
    y = torch.from_numpy(np.array(data.y_train))
    xt = torch.from_numpy(np.array(data.x_test, dtype=dtype))
    yt = torch.from_numpy(np.array(data.y_test))
    rng = np.random.default_rng([0, 1])  # the numpy run's batch stream
    n, B = len(x), args.batch_size
    per_epoch = n // B

    def evaluate():
        with torch.no_grad():
            out = net(xt)
            return (torch.nn.functional.cross_entropy(out, yt).item(),
                    (out.argmax(1) == yt).double().mean().item())

    start = time.perf_counter()
    evaluate()
    for step in range(args.steps):
        if step % per_epoch == 0:
            perm = torch.from_numpy(rng.permutation(n))
        idx = perm[(step % per_epoch) * B : (step % per_epoch + 1) * B]
        loss = torch.nn.functional.cross_entropy(net(x[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    _, acc = evaluate()
    seconds = time.perf_counter() - start
    torch.set_num_threads(old_threads)
    return seconds, acc


def floor_run(data, dtype, args):
    """Only the matmuls of training: forward, dW for every layer, dX for all but the first."""
    rng = np.random.default_rng(0)
    B = args.batch_size
    Ws = [rng.standard_normal((i, o)).astype(dtype) for i, o in zip(SIZES[:-1], SIZES[1:])]
    acts = [np.asarray(data.x_train[:B], dtype)] + [np.ones((B, o), dtype) for o in SIZES[1:]]
    dWs = [np.empty_like(W) for W in Ws]
    dxs = [np.empty((B, i), dtype) for i in SIZES[:-1]]
    start = time.perf_counter()
    for _ in range(args.steps):
        for l, W in enumerate(Ws):
            np.matmul(acts[l], W, out=acts[l + 1])  # (B, o)
        for l in range(len(Ws) - 1, -1, -1):
            np.matmul(acts[l].T, acts[l + 1], out=dWs[l])  # (i, o)
            if l:
                np.matmul(acts[l + 1], Ws[l].T, out=dxs[l])  # (B, i)
    return time.perf_counter() - start, None


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="fashion_mnist", choices=["fashion_mnist", "mnist_5k", "mnist"])
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--gamma", type=float, default=0.99)
    p.add_argument("--no-torch", action="store_true")
    p.add_argument("--rows", nargs="*", help="run only the rows whose names contain one of these")
    args = p.parse_args()

    data = load_data(args.dataset)
    rows = {
        "numpy f32": lambda: numpy_run(data, "float32", args),
        "numpy f64": lambda: numpy_run(data, "float64", args),
        "numpy f32, 1 BLAS thread": one_blas_thread(lambda: numpy_run(data, "float32", args)),
    }
    try:
        if args.no_torch:
            raise ImportError
        import torch

        rows["torch f32"] = lambda: torch_run(data, "float32", args)
        rows["torch f64"] = lambda: torch_run(data, "float64", args)
        rows["torch f32, 1 thread"] = lambda: torch_run(data, "float32", args, threads=1)
        torch_note = f"torch {torch.__version__}, {torch.get_num_threads()} threads"
    except ImportError:
        torch_note = "torch not installed (or --no-torch): no torch rows"
    rows["floor f32 (matmuls)"] = lambda: floor_run(data, "float32", args)
    rows["floor f64 (matmuls)"] = lambda: floor_run(data, "float64", args)
    rows["floor f32, 1 BLAS thread"] = one_blas_thread(lambda: floor_run(data, "float32", args))

    if args.rows:
        rows = {n: r for n, r in rows.items() if any(w in n for w in args.rows)}
    t0 = time.perf_counter()  # numba's kernels load (or compile) on first use, once per process
    train(models.create("mnist_mlp"), optimizers.create("rmsprop"), data, steps=2, eval_every=2,
          dtype="float32", **ALL_VAL)
    print(f"first call, kernels loaded or compiled (once per process): {time.perf_counter() - t0:.2f} s")
    times = {name: [] for name in rows}
    accs = {}
    for rep in range(args.repeats):
        for name, run in rows.items():
            seconds, acc = run()
            times[name].append(seconds)
            accs[name] = acc
        print(f"repeat {rep + 1}/{args.repeats}: "
              + ", ".join(f"{n} {t[-1]:.2f}s" for n, t in times.items()), flush=True)

    print(f"\n{data.fingerprint}; {args.steps} steps, batch {args.batch_size}, RMSprop "
          f"lr={args.lr} γ={args.gamma}; numpy {np.__version__}; {torch_note}; "
          f"median of {args.repeats}")
    med = {n: statistics.median(t) for n, t in times.items()}
    base = med.get("numpy f32") or next(iter(med.values()))
    print(f"{'':28s}{'median s':>9s}{'min s':>8s}{'÷ numpy f32':>13s}{'µs/step':>9s}  test acc")
    for name, m in med.items():
        acc = "" if accs[name] is None else f"{accs[name]:.4f}"
        print(f"{name:28s}{m:9.2f}{min(times[name]):8.2f}{m / base:13.2f}"
              f"{m / args.steps * 1e6:9.0f}  {acc}")
    for a, b in [("torch f32", "numpy f32"), ("torch f64", "numpy f64"),
                 ("torch f32, 1 thread", "numpy f32, 1 BLAS thread")]:
        if a in med and b in med:
            print(f"{a} / {b}: {med[a] / med[b]:.2f}×")
    for note, seconds in STEP_SECONDS.items():
        print(f"numpy training steps alone ({note}): median {statistics.median(seconds):.2f} s")
    one = STEP_SECONDS.get(next((n for n in STEP_SECONDS if n.startswith("float32")
                                 and n.endswith(" 1 thread(s)")), ""), [])
    if one and "floor f32, 1 BLAS thread" in med:
        print(f"one thread: training steps / matmul floor = "
              f"{statistics.median(one) / med['floor f32, 1 BLAS thread']:.2f}× (target ≤ 1.25×)")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
