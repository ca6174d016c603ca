"""K trials of one study trained as one stacked computation, each still its own trial and run.

The sweeper launches one job for K trials (``trial.numbers``); the job reads every member's
parameters from the storage, stacks the numeric optimizer hyperparameters into arrays of length
K and trains all members at once (``models.population``). Members whose settings cannot stack
(a swept categorical, or a swept non-optimizer key) are trained one after another instead.
"""

from __future__ import annotations

import numpy as np
import optuna
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

import optimizers
from models.population import train_population

from sweeps.jobs import task
from sweeps.launch import lifeline
from sweeps.jobs.builders import build_data, build_model, check_pairing, optimizer_hyperparameters
from sweeps.jobs.member import GivenUp, Member
from sweeps.jobs.trial_link import Pruned, attach
from sweeps.tracking.run_batch import RunBatch


def run_population(cfg: DictConfig) -> list[float | Pruned | Exception]:
    """One outcome per member, in the order of ``cfg.trial.numbers``."""
    lifeline.hold()   # a job in a process of its own ends when its sweeper is killed
    sweeper = HydraConfig.get().sweeper
    trials = [attach(sweeper, cfg.trial.study, n) for n in cfg.trial.numbers]
    if not stackable(trials):
        return [_alone(member_config(cfg, t)) for t in trials]
    # the members' common setting (a swept train.seed too): they differ only in optimizer numbers
    shared = member_config(cfg, trials[0])
    model, data = build_model(shared), build_data(shared)
    check_pairing(model, data, shared)
    settings = member_settings(shared, trials)
    singles = [optimizers.create(shared.optimizer.name, **hp) for hp in settings]   # validates every member
    fingerprint = data.fingerprint if data is not None else "none"
    runs, pending = RunBatch(shared.mlflow.tracking_uri), {}
    members = [Member(shared, t, o.hyperparameters, fingerprint, task.direction(sweeper), runs, pending)
               for t, o in zip(trials, singles)]
    runs.flush()
    Member.link_all(members)
    stacked = optimizers.create(shared.optimizer.name, **stack(settings))
    stopped: dict[int, str] = {}

    def on_eval(step: int, metrics: list[dict | None]) -> list[int]:
        newly = []
        for i, (member, m) in enumerate(zip(members, metrics)):
            if m is None or i in stopped:
                continue
            try:
                member.reporter(step, m)
            except optuna.TrialPruned as e:
                stopped[i] = str(e)
                newly.append(i)
        return newly

    try:
        results = train_population(
            model, stacked, data, k=len(members),
            steps=shared.train.steps, batch_size=shared.train.batch_size, eval_every=shared.train.eval_every,
            seed=shared.train.seed, dtype=shared.train.dtype,
            divergence_factor=shared.train.divergence_factor, on_eval=on_eval,
            score_test=shared.train.score_test, eval_subset=shared.train.eval_subset,
        )
    except BaseException:
        for member in members:
            member.failed()
        runs.flush()
        raise
    try:
        outcomes = [_finish(m, r, stopped.get(i)) for i, (m, r) in enumerate(zip(members, results))]
    finally:   # what the members before a crash logged is kept
        unrecorded, unwritten = Member.record_all(pending), runs.flush()
    return [unrecorded.get(m.trial.number, unwritten.get(m.run_id, out)) for m, out in zip(members, outcomes)]


def _finish(member: Member, result, pruned: str | None) -> float | Pruned | Exception:
    """One member's outcome; a member whose trial was re-queued meanwhile ends FAILED on its own,
    the others keep their results."""
    try:
        return member.complete(result) if pruned is None else member.pruned(pruned)
    except GivenUp as e:
        member.failed()
        return e


def member_config(cfg: DictConfig, trial: optuna.Trial) -> DictConfig:
    """The job's config with this member's trial number and sampled values."""
    member = cfg.copy()
    for key, value in trial.params.items():
        OmegaConf.update(member, key, value)
    OmegaConf.update(member, "trial.number", trial.number)
    return member


def member_settings(shared: DictConfig, trials: list[optuna.Trial]) -> list[dict]:
    """Each member's optimizer hyperparameters: the shared config's, with the member's own sampled
    ``optimizer.<name>`` values (what ``optimizer_hyperparameters(member_config(...))`` gives,
    without a copy of the whole config per member)."""
    base = optimizer_hyperparameters(shared)
    return [base | {k.removeprefix("optimizer."): v for k, v in t.params.items() if k.startswith("optimizer.")}
            for t in trials]


def stackable(trials: list[optuna.Trial]) -> bool:
    """Members stack when every swept value that differs is a number of the optimizer."""
    keys = {k for t in trials for k in t.params}
    for key in keys:
        values = {t.params.get(key) for t in trials}
        if len(values) > 1 and not (key.startswith("optimizer.") and key.count(".") == 1
                                    and all(_is_number(v) for v in values)):
            return False
    return True


def stack(settings: list[dict]) -> dict:
    """Equal values stay scalars; values that differ become arrays of length K."""
    out = {}
    for key in settings[0]:
        values = [s[key] for s in settings]
        out[key] = values[0] if all(v == values[0] for v in values) else np.array(values, dtype=float)
    return out


def _alone(cfg: DictConfig) -> float | Pruned | Exception:
    try:
        return task.run(cfg)
    except Exception as e:  # one member's crash must not take the others' results with it
        return e


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)
