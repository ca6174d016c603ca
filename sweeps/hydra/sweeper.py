"""gammasweep's Hydra Sweeper on Optuna >= 5: plan the studies, run each through its stages, report.

Registered with Hydra by ``hydra_plugins.gammasweep_sweeper``; configured in
``conf/hydra/sweeper/gammasweep.yaml``. Each (model, data, optimizer) gets a study of its own
(``plan``); a preset in parts sweeps several spaces into one family (``parts``). A study goes
through the stages of ``sweeps.stages`` — tuning, a finer lr grid around each optimum, the lr_max bisection and the confirmation
runs when asked for — each a loop that asks Optuna for a batch, launches it through the launch
backend (``sweeps.launch``) and tells the outcomes. Studies live in an RDB storage, so running the
same command again resumes them.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import optuna
from hydra.core.hydra_config import HydraConfig
from hydra.core.plugins import Plugins
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

from sweeps import checks, disk_full, tracking
from sweeps.errors import (
    EXIT_BAD_INPUT,
    EXIT_BUDGET_EXHAUSTED,
    EXIT_CHANGED,
    EXIT_FAILED,
    redact,
)
from sweeps.hydra import parts
from sweeps.hydra.job_configs import JobConfigs
from sweeps.hydra.plan import StudyPlan
from sweeps.jobs.builders import USER_ERRORS
from sweeps.launch import lifeline, signals
from sweeps.launch.backends import backend_for
from sweeps.stages import confirmation, lr_max, refine, tuning
from sweeps.stages.trials import TooManyFailures, TrialLoop
from sweeps.terminal import console, progress, summary
from sweeps.tracking import curve_worker

log = logging.getLogger(__name__)


class OptunaSweeper(Sweeper):
    def __init__(self, **options: Any) -> None:
        self.options = OmegaConf.create(options)

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        # job configs copied from the first of their shape instead of composed anew (job_configs.py)
        lifeline.mark()   # before the launcher starts a worker: they all die with this process
        console.quiet_disk_full()
        hydra_context = HydraContext(config_loader=JobConfigs(hydra_context.config_loader),
                                     callbacks=hydra_context.callbacks)
        self.config, self.hydra_context = config, hydra_context
        # A launcher's own settings may refer to ${hydra:...} (submitit's folder is under
        # hydra.sweep.dir, which names the study): Hydra resolves them before any job sets it.
        HydraConfig.instance().set_config(config)
        self.launcher = Plugins.instance().instantiate_launcher(
            config=config, hydra_context=hydra_context, task_function=task_function
        )
        optuna.logging.set_verbosity(optuna.logging.WARNING)

    def sweep(self, arguments: list[str]) -> list[dict[str, Any]]:
        backend = backend_for(self.launcher)
        if backend.runs_here:   # jobs run here: figures are drawn off their path
            curve_worker.use_helper()                   # (worker processes draw their own)
        self.loop = TrialLoop(self.options, backend, progress.Progress(progress.wanted()))
        self.report_path: str | None = None
        self.changed: list[str] = []   # verdicts that differ from the previous report's
        status, summaries = "FAILED", []
        with signals.stopping():   # SIGTERM and SIGHUP end the sweep as Ctrl-C does
            try:
                with disk_full.reported(self._places, lambda: bool(self.loop.parents)):   # one paragraph, exit 2
                    summaries = self._sweep(arguments)
                status = "FINISHED"
            except USER_ERRORS as e:
                _die(f"gammasweep: error: {e}", EXIT_BAD_INPUT)
            except TooManyFailures as e:
                _die(f"gammasweep: sweep stopped: {e}", EXIT_FAILED)
            except KeyboardInterrupt as e:
                status = "KILLED"
                _die(f"gammasweep: interrupted ({signals.name(e)}). Finished trials are kept; the trials "
                     "in flight were re-queued: run the same command again to resume.", signals.exit_code(e))
            finally:
                disk_full.release()
                curve_worker.close()
                self.loop.progress.close()
                _end_parents(self.loop.parents, status)
        if self.loop.tables:
            print(_closing(self.loop.tables, self.report_path, self.loop.links), flush=True)
        if self.changed and self.options.fail_on_change:
            _die(f"gammasweep: the answer changed since the last report: {'; '.join(self.changed)} "
                 "(hydra.sweeper.fail_on_change).", EXIT_CHANGED)
        if summaries and all(s["added"] == 0 for s in summaries):
            log.info("Every study had already reached hydra.sweeper.max_trials: nothing to add.")
            sys.exit(EXIT_BUDGET_EXHAUSTED)
        return summaries

    def _sweep(self, arguments: list[str]) -> list[dict[str, Any]]:
        o = self.options
        checks.check_sweep(o, self.config)   # bad input: refused before any study exists
        loader = self.hydra_context.config_loader
        plans, options = parts.plan_all(o, arguments, loader, self._compose)   # a preset in parts: one space each
        log.info("%d stud%s: %s", len(plans), "y" if len(plans) == 1 else "ies", ", ".join(p.name for p in plans))
        self.loop.progress.plan(sum(options[p.name].n_trials for p in plans))
        disk_full.reserve(str(self.config.output_dir))   # checked input; room for a clean-up on a full disk
        summaries = []
        for plan in plans:
            self.loop.options = options[plan.name]   # the part's options for its studies
            summaries.append(self._run_study(plan))
        self.loop.options = o
        if not o.report:
            return summaries
        from sweeps.hydra import reporting   # the analysis (pandas, scipy, scikit-learn: ~1.5 s) when a report is due
        if any(s["added"] for s in summaries) or not reporting.current(o, plans[0].cfg):
            self.report_path, self.changed = reporting.write(o, plans[0].cfg)   # also when a killed sweep left none
        return summaries

    def _places(self) -> dict[str, str]:
        """Where the sweep writes: what a full disk's message names."""
        return disk_full.places(str(self.config.output_dir), str(self.options.storage),
                                self.config.mlflow.get("tracking_uri"))

    def _compose(self, overrides: list[str]) -> DictConfig:
        """The job config for these overrides, resolvable here as it will be in the job."""
        cfg = self.hydra_context.config_loader.load_sweep_config(self.config, overrides)
        HydraConfig.instance().set_config(cfg)   # for ${hydra:...} interpolations
        return cfg

    def _run_study(self, plan: StudyPlan) -> dict[str, Any]:
        """The study's stages; work after tuning counts as added (the report is regenerated)."""
        o = self.loop.options
        study, k, result = tuning.run(self.loop, plan)
        if o.refine.per_decade:
            result["added"] += refine.run(self.loop, study, plan, k)
        if o.lr_max.rounds:
            result["added"] += lr_max.run(self.loop, study, plan, k)
        if o.seeds.n:
            result["added"] += confirmation.run(self.loop, study, plan)
        return result


def _end_parents(parents: dict[str, str], status: str) -> None:
    """Every parent run this invocation touched ends with it: FINISHED, FAILED or KILLED."""
    for run_id, uri in parents.items():
        try:
            tracking.finish(uri, run_id, status)
        except Exception as e:  # the trials are recorded; a run's status must not hide the real error
            log.warning("Could not end MLflow parent run %s: %s: %s", run_id, type(e).__name__, e)


def _closing(tables: list[summary.StudySummary], report: str | None, links: dict) -> str:
    """The table printed when the sweep ends, then where to read more."""
    lines = ["", summary.table(tables), ""]
    if report:
        lines.append(f"Report: {report}")
    lines += [f"MLflow: {hint}" for hint in dict.fromkeys(links.values())]
    return "\n".join(lines)


def _die(message: str, code: int) -> None:
    log.debug(message)   # into the sweep's log file; the console gets it once, on stderr
    print(redact(message), file=sys.stderr)
    sys.exit(code)
