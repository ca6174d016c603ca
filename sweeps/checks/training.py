"""``train.*`` and ``optimized_metric``: every setting of the training loop, as the loop would
refuse it, but up front; and the training batch against the training set it draws from."""

from __future__ import annotations

from omegaconf import DictConfig

from sweeps.errors import SweepError
from sweeps.jobs.builders import DTYPES

from ._values import is_int, is_real, refuse

TRAIN_KEYS = ("steps", "batch_size", "eval_every", "seed", "dtype", "divergence_factor", "score_test",
              "blas_threads", "eval_subset")
# Studies tune on the validation split; the test split is scored only by the confirmation runs.
TUNING_METRICS = ("val_loss", "val_accuracy")
# A run of more steps than this is a typo, not a study: the longest preset trains 3,900 steps, and
# a billion steps of the smallest model (~1 µs a step) would run for a quarter of an hour at best,
# of an MLP for weeks.
MAX_STEPS = 10**9


def check_training(cfg: DictConfig) -> None:
    t = cfg.train
    unknown = sorted(set(t) - set(TRAIN_KEYS))
    if unknown:
        raise SweepError(f"Unknown training setting {', '.join('train.' + k for k in unknown)}; the "
                         f"settings are {', '.join('train.' + k for k in TRAIN_KEYS)}.")
    ints = {"steps": (1, "an integer >= 1 (training steps)"),
            "batch_size": (1, "an integer >= 1"),
            "eval_every": (1, "an integer >= 1 (steps between evaluations)"),
            "seed": (0, "an integer >= 0")}
    for key, (low, allowed) in ints.items():
        if not is_int(t[key], low):
            raise refuse(f"train.{key}", t[key], allowed)
    _check_steps(t.steps)
    if t.eval_every > t.steps:
        raise refuse("train.eval_every", t.eval_every, f"at most train.steps={t.steps}: a run evaluates "
                     "every eval_every steps, and the pruner and the curves need evaluations within it")
    if t.dtype not in DTYPES:
        raise refuse("train.dtype", t.dtype, " or ".join(DTYPES))
    if not is_real(t.divergence_factor) or not 1 < t.divergence_factor < float("inf"):
        raise refuse("train.divergence_factor", t.divergence_factor,
                     "a finite number > 1 (a loss above this multiple of the step-0 loss counts as diverged)")
    if not isinstance(t.score_test, bool):
        raise refuse("train.score_test", t.score_test, "true or false")
    if t.blas_threads is not None and not is_int(t.blas_threads, 1):
        raise refuse("train.blas_threads", t.blas_threads, "null or an integer >= 1")
    check_warmup(cfg)
    subset = t.get("eval_subset", "auto")
    if subset not in (None, "auto", "all") and not is_int(subset, 1):
        raise refuse("train.eval_subset", subset,
                     "auto (evaluation ≤ 10% of training), all, or an integer >= 1 (validation examples)")


def check_warmup(cfg: DictConfig) -> None:
    """``optimizer.lr_warmup``: whole steps of linear warm-up (optimizers/_warmup.py), at most the
    run's ``train.steps`` — a longer warm-up would never reach the lr the trial is labelled with."""
    w = (cfg.get("optimizer") or {}).get("lr_warmup", 0)
    if not is_int(w, 0):
        raise refuse("optimizer.lr_warmup", w, "an integer >= 0 (steps of linear warm-up; 0: none)")
    if is_int(cfg.train.steps, 1) and w > cfg.train.steps:
        raise refuse("optimizer.lr_warmup", w, f"at most train.steps={cfg.train.steps}: a longer warm-up "
                     "never reaches the trial's lr")


def _check_steps(steps) -> None:
    if is_int(steps, 1) and steps > MAX_STEPS:
        raise refuse("train.steps", steps, f"at most {MAX_STEPS:,} (10**9): more is a typo, not a run "
                     "that could finish")


def check_limits(cfg: DictConfig, data) -> None:
    """The upper limits alone (steps, the batch within the training set), for a swept value: a trial
    with a value under the lower limits (batch_size=0) fails and is recorded as failed, as a crash is;
    one above these would run for ever, or fail in every study that draws it."""
    _check_steps(cfg.train.steps)
    if is_int(cfg.train.batch_size, 1):
        check_batch_size(cfg, data)


def check_metric(cfg: DictConfig) -> None:
    if cfg.optimized_metric not in TUNING_METRICS:
        raise refuse("optimized_metric", cfg.optimized_metric,
                     f"{' or '.join(TUNING_METRICS)}: studies tune on the validation split, and the test "
                     "split is scored only by the confirmation runs (hydra.sweeper.seeds)")


def check_batch_size(cfg: DictConfig, data) -> None:
    """A batch is drawn without replacement from one pass over the training set (``models.batches``):
    it holds at most the training set. ``data`` is the loaded dataset, or None for a problem that
    carries its own data (it draws batches of any size)."""
    if data is None:
        return
    n = data.x_train.shape[0]
    if cfg.train.batch_size > n:
        raise refuse("train.batch_size", cfg.train.batch_size,
                      f"at most {n}, the size of the training set of data={cfg.data.name} (a batch is "
                      "drawn from one pass over it)")
