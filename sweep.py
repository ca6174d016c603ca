"""gammasweep: `python sweep.py` trains once; `python sweep.py -m` runs the configured Optuna study.

    python sweep.py                                  # one run: mnist_mlp + rmsprop, logged to MLflow
    python sweep.py model=binary_mlp optimizer=adam optimizer.lr=3e-3
    python sweep.py -m                               # the default study (all optimizers, both nets)
    python sweep.py -m study=gamma_sensitivity       # another preset from conf/study/
    python sweep.py -m hydra.sweeper.n_trials=20     # add 20 trials to each study (it resumes)

Everything is written under `output_dir` (default ./outputs): optuna.db, mlflow.db, mlartifacts/.
Browse with `mlflow ui --backend-store-uri sqlite:///outputs/mlflow.db` and the link the sweep
prints (`http://127.0.0.1:5000/#/experiments/<id>?workflowType=machine_learning`).
"""

import sys

import hydra
from omegaconf import DictConfig

from sweeps.jobs.builders import USER_ERRORS
from sweeps.errors import EXIT_BAD_INPUT
from sweeps.hydra.hydra_errors import report_config_errors


@hydra.main(version_base="1.3", config_path="conf", config_name="config")
def main(cfg: DictConfig) -> float:
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    from sweeps.jobs.task import limit_blas_threads, run

    limit_blas_threads(cfg.train.blas_threads)
    if HydraConfig.get().mode == RunMode.MULTIRUN:
        from sweeps.terminal.console import log_job

        log_job(list(HydraConfig.get().overrides.task))   # into the job's log, not the console
    if cfg.trial.numbers:
        from sweeps.jobs.population_task import run_population

        return run_population(cfg)
    if HydraConfig.get().mode == RunMode.MULTIRUN:
        return run(cfg)  # the sweeper records errors against the trial
    try:
        return run(cfg)
    except USER_ERRORS as e:
        print(f"gammasweep: error: {e}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)


if __name__ == "__main__":
    with report_config_errors():   # an unknown option or key: one paragraph and exit 2, as for ours
        main()
