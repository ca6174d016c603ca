"""A study family's report: ``report.md``, its figures and ``report.html``, also logged to the family's MLflow run.

    python -m sweeps.report gamma_sensitivity
    python -m sweeps.report default --storage sqlite:///outputs/optuna.db --out outputs/reports/default

Defaults match conf/config.yaml (everything under ``$GAMMASWEEP_OUTPUT_DIR``, default ``outputs``).
The sweeper calls ``write_report`` at the end of a sweep (``hydra.sweeper.report``).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

import pandas as pd

from .analysis import analyse, load_family, load_studies, study_names
from .analysis import cache as caching
from .analysis.family import FamilyAnalysis
from .analysis.confirmation import test_metric
from .analysis.figures import (
    budget_figure, divergence_figure, heatmap_figure, importance_figure, optimizer_figure,
    paired_figure, sensitivity_figure, speed_figure,
)
from .analysis.figures._names import IMPORTANCES, OPTIMIZERS, PER_VARIANT, variant_file
from .analysis.sections import (
    across_section, budget_section, divergence_speed_section, gamma_one_section, importance_section,
    known_answers_section, lr_gamma_section, lr_max_section, optimizer_section, schedule_section,
    sensitivity_section, tunability_section,
)
from .analysis import answer as answers
from .analysis.sections.first_screen import first_screen
from .analysis.sections.since_last import since_last_section
from .analysis.sections.trajectories import trajectories_section
from .analysis.sections.tuning_seeds import tuning_seeds_section
from .analysis.summary import summary
from .errors import EXIT_BAD_INPUT, SweepError, redact
from .redaction import guard_handlers, with_password_from
from . import tracking
from .tracking import dashboard_notes, family_run
from .report_html import write_html
from .terminal.progress import ReportProgress

log = logging.getLogger(__name__)
ARTIFACT_PATH = "report"
# The variable the report's regenerate command reads the Optuna storage's password from.
STORAGE_PASSWORD = "OPTUNA_DB_PASSWORD"


def _paired(r, path: Path) -> Path:
    margin = r.protocol["margin"]   # NaN when a relative margin has no reference run: no band
    return paired_figure(r.confirmation if len(r.confirmation) and "mean_diff" in r.confirmation
                         else _NO_PAIRS, reference=r.protocol["reference"],
                         margin=margin if margin == margin else 0.0, metric=test_metric(r.variant.metric),
                         path=path, label=r.variant.label, scale=r.variant.scale)


def _budget(r, path: Path) -> Path:
    return budget_figure(r.budget, metric=r.variant.metric, direction=r.variant.direction, path=path,
                         column=r.variant.column, label=r.variant.label)


_NO_PAIRS = pd.DataFrame(columns=["config", "mean_diff", "ci_low", "ci_high", "verdict", "n"])
_FIGURES = {"sensitivity": sensitivity_figure, "heatmap": heatmap_figure, "paired": _paired,
            "divergence": divergence_figure, "speed": speed_figure, "budget": _budget}


def write_report(
    *, storage: str, family: str, out_dir: str, tracking_uri: str | None = None,
    experiment_name: str | None = None, progress: ReportProgress | None = None,
) -> Path:
    """Write ``out_dir/report.md``, its PNGs, ``report.html`` and ``answer.json``
    (``sweeps.analysis.answer``); with ``tracking_uri``, log the folder as the ``report`` artifact
    of the family's MLflow run. Studies without new trials since the last report of ``out_dir``
    are taken from its cache (``sweeps.analysis.cache``); ``progress`` hears how far it is.
    Returns the report's path."""
    progress = progress or ReportProgress(enabled=False)
    studies = load_studies(storage, family)
    trials = load_family(storage, family, studies)
    out = Path(out_dir)
    cache = caching.Cache(caching.folder_for(out), caching.code_key(answers.code_version()))
    keys = caching.study_keys(trials, studies)
    progress.start(len(caching.changed(cache, keys)), len(keys))
    a = analyse(family, trials, studies, cache, keys, progress.step)
    out.mkdir(parents=True, exist_ok=True)
    _clear_old_figures(out)
    _figures(a, out, cache, keys, progress.step)
    progress.step("writing report.md, report.html, answer.json")
    path = out / "report.md"
    experiment_name = experiment_name or f"gammasweep-{family}"
    previous, answer = answers.read(out), answers.build(a, storage)   # the previous one, before it is replaced
    since = since_last_section(previous, answer)
    path.write_text(_markdown(a, storage, out, tracking_uri, _browse(tracking_uri, experiment_name), since),
                    encoding="utf-8")
    write_html(path)
    answers.write(out, answer)
    caching.remember(cache, keys)
    if tracking_uri:
        progress.step("logging it to MLflow")
        dashboard_notes.annotate(storage, family, tracking_uri, _log_to_mlflow(a, out, tracking_uri, experiment_name))
        log.info("Report logged to MLflow: the family run %r in experiment %s.", family, experiment_name)
    progress.done()
    return path


def _figures(a: FamilyAnalysis, out: Path, cache: caching.Cache, keys: dict[str, str],
             step=lambda what: None) -> None:
    """Every figure of the report; those of unchanged studies are copied from ``cache``."""
    for r in a.variants:
        step(f"figures of {r.variant.name}")
        kinds = [k for k in PER_VARIANT if not (k == "paired" and r.confirmation.empty)]  # a figure of nothing:
        files = {k: out / variant_file(k, r.variant.name) for k in kinds}   # the section says there are no runs
        _drawn(cache, f"figures-{r.variant.name}",
               caching.group_key(keys, a.studies, r.variant.study, r.variant.name), list(files.values()),
               lambda r=r, files=files: [_FIGURES[k](r, f) for k, f in files.items()])
    step("figures of the whole family")
    imp = a.importances
    measured = imp[imp["study"].isin(imp[imp["importance"].notna()]["study"])]
    if not measured.empty:   # a figure of n/a says nothing: the section's one line says why
        labels = dict(zip(a.studies["study"], a.studies["label"]))
        used = {s: keys.get(s) for s in measured["study"].unique()}
        _drawn(cache, "figure-importances", caching.family_key(used, sorted(labels.items())), [out / IMPORTANCES],
               lambda: importance_figure(measured, labels, out / IMPORTANCES))
    if not a.optimizers.empty:
        _drawn(cache, "figure-optimizers", caching.family_key(keys), [out / OPTIMIZERS],
               lambda: optimizer_figure(a.optimizers, out / OPTIMIZERS))


def _drawn(cache: caching.Cache, name: str, key: str, paths: list[Path], draw) -> None:
    """``paths`` as ``draw`` writes them, their bytes taken from ``cache`` when stored under ``key``."""
    stored = cache.get(name, key)
    if isinstance(stored, dict) and sorted(stored) == sorted(p.name for p in paths):
        for p in paths:
            p.write_bytes(stored[p.name])
        return
    draw()
    cache.put(name, key, {p.name: p.read_bytes() for p in paths if p.is_file()})


def _clear_old_figures(out: Path) -> None:
    """Drop figures of an earlier report of this folder (a study may have gone since)."""
    for f in out.glob("*.png"):
        if f.name in (IMPORTANCES, OPTIMIZERS) or f.name.split("_", 1)[0] in (*PER_VARIANT, "paths"):
            f.unlink()


def _browse(tracking_uri: str | None, experiment_name: str) -> str:
    """Where the trials are in the MLflow UI: the runs table (model training, not GenAI traces)."""
    found = None
    if tracking_uri:
        try:
            found = tracking.client(tracking_uri).get_experiment_by_name(experiment_name)
        except Exception:   # an unreachable server: the report is still written, without the link
            found = None
    if found is None:
        return ""
    command, url = tracking.ui_link(tracking_uri, found.experiment_id)
    serve = "Open "
    if command:
        before = _set_passwords(command)
        serve = (f"Serve them with\n\n```\n{command}\n```\n\n"
                 + (f"{before} Then open " if before else "then open "))
    return (f"\n## Runs in MLflow\n\nEvery trial is a run of experiment `{experiment_name}`. {serve}"
            f"<{url}> (the runs table; select a study's trials and *Compare* for parallel coordinates "
            "on `log10_lr`, `log10_eps`, `log10_1m_gamma`).\n")


def _markdown(a: FamilyAnalysis, storage: str, out: Path, tracking_uri: str | None, browse: str = "",
              since: str = "") -> str:
    """The answer first (``first_screen``), what changed since the last report, then per-task
    detail, then methods and caveats."""
    smoke = is_smoke(a.studies)
    # the sections about γ itself (γ = 1, the rising schedule, Reddi's threshold) are left out
    # of a family whose studies compare another factor, not listed as missing data
    about_gamma = a.sweeps_gamma or not a.variants
    detail, omitted = _present([
        sensitivity_section(a), lr_gamma_section(a), lr_max_section(a), divergence_speed_section(a),
        tunability_section(a), tuning_seeds_section(a), budget_section(a),
        gamma_one_section(a) if about_gamma else "", schedule_section(a) if about_gamma else "",
        optimizer_section(a), across_section(a), known_answers_section(a) if about_gamma else "",
        trajectories_section(storage, a.family, out),
    ])
    parts = [
        first_screen(a, smoke),
        since,
        "## Per task\n\n" + "\n".join(summary(a, smoke)) + "\n",
        *detail,
        ("_Not in this report_ (no data for them in this family): " + "; ".join(omitted) + ".\n")
        if omitted else "",
        _methods(a, storage), importance_section(a), browse, _regenerate(a.family, storage, out, tracking_uri),
    ]
    return "\n".join(p for p in parts if p)


def is_smoke(studies: pd.DataFrame) -> bool:
    """Whether the family's preset declared ``protocol.scale: smoke``."""
    return any(isinstance(p, dict) and p.get("scale") == "smoke" for p in studies.get("protocol", []))


def _present(sections: list[str]) -> tuple[list[str], list[str]]:
    """The sections with content, and for those that only say "no data": their headings grouped
    by the reason, e.g. "Sensitivity to γ, lr × γ (no study of this family sweeps γ. ...)"."""
    shown: list[str] = []
    why: dict[str, list[str]] = {}
    for text in sections:
        body = [line for line in text.strip().splitlines() if line.strip()]
        heading = body[0].lstrip("# ").strip() if body and body[0].startswith("#") else ""
        no_data = [line for line in body if line.startswith("_No data:")]
        if heading and no_data and not any(line.startswith(("|", "![")) for line in body):
            reason = no_data[0].strip("_").removeprefix("No data: ").rstrip(".")
            why.setdefault(reason, []).append(heading)
        elif text.strip():
            shown.append(text)
    return shown, [f"{', '.join(headings)} ({reason})" for reason, headings in why.items()]


def _methods(a: FamilyAnalysis, storage: str) -> str:
    x = a.label   # the factor compared: γ, β1 ...
    n_trials = int((a.trials["state"] == "COMPLETE").sum())
    tuning = a.studies[a.studies["role"] == "tuning"]
    n_seeds = len(a.studies) - len(tuning)
    return (
        "## Methods and caveats\n\n"
        f"{len(tuning)} tuning stud{'y' if len(tuning) == 1 else 'ies'} "
        f"({n_seeds} seed re-run stud{'y' if n_seeds == 1 else 'ies'}), "
        f"{n_trials} complete trials, from the Optuna storage `{redact(storage)}`. {_wall_time(a.trials)}"
        "Every sentence of this report is generated from these trials. Verdicts (*different*, "
        "*equivalent*, *inconclusive*) come only from paired tests of the confirmation runs on the test "
        f"split (`sweeps/analysis/confirmation.py`, `sweeps/analysis/stats/`): each {x}'s setting is chosen "
        f"on the validation split of the tuning runs, then re-run on the same seeds for every {x}. "
        f"Within a task the m {x} values compared with the reference form one family: each difference "
        f"({x} − reference, seeds where both runs trained) gets the two-sided t-interval at confidence "
        "1 − α/m (Bonferroni: the m intervals hold all m true differences together with probability "
        "≥ 1 − α), and the verdict is read off the printed interval: inside ±margin *equivalent* (TOST "
        "at α/(2m)), excluding 0 *different* (paired t at α/m), else *inconclusive*; so sentence, table "
        "and verdict cannot disagree. Bonferroni rather than Holm because Holm's step-down has no "
        "interval that matches its rejections; the t-interval rather than a bootstrap because BCa "
        "intervals are too narrow at 10 seeds. The margin is declared per task "
        "(`hydra.sweeper.protocol.margin`: absolute, relative to the reference's mean, or in accuracy "
        "points); beside it each task gives the smallest margin its design could call equivalent "
        "(80% power at a true difference of 0, the measured sd of the differences, exact t "
        "computation). Runs that diverged or collapsed never enter a loss comparison: failure counts "
        "are compared apart, paired by seed, by McNemar's exact test (binomial on the discordant "
        f"seeds), Holm over the {x} values with any discordant seed. Counts across tasks are descriptive "
        "(no correction across families). Tuning values are "
        "descriptive (a best-of-many single run is biased upwards). Pruned runs stopped early and have "
        "no final value; step 0 (the untrained model) is never shown to the pruner.\n"
    )


def _wall_time(trials: pd.DataFrame) -> str:
    """When the family's trials ran: first start to last end, and the training time they add up to."""
    if "datetime_start" not in trials or trials["datetime_start"].isna().all():
        return ""
    start, end = trials["datetime_start"].min(), trials["datetime_complete"].max()
    wall = (end - start).total_seconds()
    return (f"The trials ran from {start:%Y-%m-%d %H:%M} to {end:%H:%M} UTC: **{_hours(wall)} wall "
            f"time** for {len(trials)} finished trials (first start to last end, every worker). ")


def _hours(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{seconds / 60:.1f} min"


def _regenerate(family: str, storage: str, out: Path, tracking_uri: str | None) -> str:
    """The command that writes this report again; passwords are read from the environment."""
    storage_arg, _ = with_password_from(storage, STORAGE_PASSWORD)
    mlflow = " --no-mlflow"
    if tracking_uri:
        secret = "MLFLOW_TRACKING_PASSWORD" if tracking_uri.startswith("http") else tracking.DB_PASSWORD
        mlflow = f" --tracking-uri {with_password_from(tracking_uri, secret)[0]}"
    command = f"python -m sweeps.report {family} --storage {storage_arg} --out {out}{mlflow}"
    before = _set_passwords(command)
    return f"## How to regenerate\n\n```\n{command}\n```\n" + (f"\n{before}\n" if before else "")


def _set_passwords(command: str) -> str:
    """What to set before running ``command``, for each password it reads from the environment."""
    names = [n for n in (STORAGE_PASSWORD, "MLFLOW_TRACKING_PASSWORD", tracking.DB_PASSWORD)
             if f"${{{n}}}" in command]
    if not names:
        return ""
    which = "the passwords of those URLs" if len(names) > 1 else "the password of that URL"
    return (f"Set {' and '.join(f'`{n}`' for n in names)} to {which} first (percent-encoded, as in a "
            "URL): this report never holds a password.")


def _log_to_mlflow(a: FamilyAnalysis, out: Path, tracking_uri: str, experiment_name: str) -> str:
    """Log the report folder once, to the family run (the studies' parent runs nest under it)."""
    try:
        experiment_id = tracking.ensure_experiment(tracking_uri, experiment_name, None)
        return family_run.publish(tracking_uri, experiment_id, a.family, str(out), a.variants)
    except SweepError:
        raise
    except Exception as e:  # the store's errors differ per backend; all mean "cannot log"
        raise SweepError(
            f"Cannot log the report to the family run {a.family!r} of experiment {experiment_name!r} "
            f"at {redact(tracking_uri)!r}: {type(e).__name__}: {str(e).splitlines()[0]}. The "
            f"report itself is written: {out / 'report.md'}."
        ) from None


def main(argv: list[str] | None = None) -> int:
    base = os.environ.get("GAMMASWEEP_OUTPUT_DIR", "outputs")
    p = argparse.ArgumentParser(prog="python -m sweeps.report", description=__doc__.splitlines()[0])
    p.add_argument("family", help="the study family (hydra.sweeper.study_name), e.g. default")
    p.add_argument("--storage", default=f"sqlite:///{base}/optuna.db", help="Optuna storage URL")
    p.add_argument("--out", default=None, help=f"output folder (default {base}/reports/<family>)")
    p.add_argument("--tracking-uri", default=f"sqlite:///{base}/mlflow.db", help="MLflow tracking URI")
    p.add_argument("--experiment", default=None, help="MLflow experiment (default gammasweep-<family>)")
    p.add_argument("--no-mlflow", action="store_true", help="write the report without logging it")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    guard_handlers(("",))   # the root's handler: no password in what the libraries log
    try:
        study_names(args.storage, args.family)  # an unknown family: one line, before anything else
        path = write_report(storage=args.storage, family=args.family,
                            out_dir=args.out or f"{base}/reports/{args.family}",
                            tracking_uri=_tracking(args), experiment_name=args.experiment,
                            progress=ReportProgress())
    except SweepError as e:
        print(f"gammasweep: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(path)
    return 0


def _tracking(args: argparse.Namespace) -> str | None:
    """The tracking URI to log to; a missing default SQLite file means "not used", with a note."""
    uri = None if args.no_mlflow else args.tracking_uri
    db = Path(uri.removeprefix("sqlite:///")) if uri and uri.startswith("sqlite:///") else None
    if db is not None and not db.exists():
        print(f"gammasweep: note: no MLflow database at {uri}; the report is not logged to MLflow "
              "(pass --tracking-uri, or --no-mlflow to silence this).", file=sys.stderr)
        return None
    return uri


if __name__ == "__main__":
    sys.exit(main())
