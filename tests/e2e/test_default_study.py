"""The README's first command as a schedule runs it: the default study, then the same command again.

Fewer steps than the preset's (the service is under test, not the training), otherwise the
default as a user gets it: both parts, the pruner, the confirmation seeds and the report.
"""

import pytest
from markdown_it import MarkdownIt
from optuna.trial import TrialState

from support.sweep_runner import load, run_sweep

pytestmark = pytest.mark.slow   # the default study twice (module fixture): minutes on two cores

SHORT = ["study=default", "train.steps=100", "train.eval_every=20"]
OPTIMIZERS = ("adagrad", "adam", "momentum", "nesterov", "rmsprop", "rmsprop_graves", "sgd")
TASKS = ("binary_mlp.binary_teacher", "mnist_mlp.mnist_5k")


@pytest.fixture(scope="module")
def rerun(tmp_path_factory):
    out = tmp_path_factory.mktemp("default")
    run_sweep(out, *SHORT, "hydra.sweeper.report=false", timeout=900)
    second = run_sweep(out, *SHORT, "hydra.sweeper.report=true", timeout=900)
    return out, second


def test_a_rerun_trains_new_trials_in_every_tuning_study(rerun):
    out, _ = rerun
    for task in TASKS:
        for optimizer in OPTIMIZERS:
            study = load(out, f"default.{task}.{optimizer}")
            assert len(study.trials) == 16, study.study_name
            new = [t for t in study.trials if t.number >= 8]
            assert any(t.state == TrialState.COMPLETE for t in new), f"{study.study_name}: rerun trained nothing"


def test_no_trial_is_pruned_before_it_trained(rerun):
    out, _ = rerun
    pruned = [t for task in TASKS for o in OPTIMIZERS for t in load(out, f"default.{task}.{o}").trials
              if t.state == TrialState.PRUNED]
    for t in pruned:   # the pruner only ever judged evaluations after training started
        assert max(t.intermediate_values) > 0, f"trial {t.number} pruned at step 0"


def test_the_grid_part_confirms_gamma_on_paired_seeds_once(rerun):
    out, _ = rerun
    for task in TASKS:
        grid = load(out, f"default.{task}.rmsprop.convention=pytorch")
        assert len(grid.trials) == 60   # 4 γ x 5 lr x 3 tuning seeds, covered by the first run, not repeated
        assert {t.params["optimizer.gamma"] for t in grid.trials} == {0.0, 0.9, 0.99, 1.0}
        seeds = load(out, f"default.{task}.rmsprop.convention=pytorch.seeds")
        assert {t.params["train.seed"] for t in seeds.trials} == {1, 2, 3, 4, 5}


def test_the_report_leads_with_a_verdict_and_renders_as_markdown(rerun):
    out, _ = rerun
    text = (out / "reports" / "default" / "report.md").read_text(encoding="utf-8")
    screen = text.split("\n## ", 1)[0].splitlines()
    assert len(screen) <= 15 and "How sensitive is RMSprop to γ?" in "\n".join(screen)
    verdicts = [x for x in screen if x.startswith("- **") and ("**different**" in x or "**equivalent**" in x)]
    assert verdicts, "the first screen carries no verdict from paired seeds:\n" + "\n".join(screen)
    assert any(x.startswith("Evidence: ") and "5 paired seeds" in x for x in screen)

    tokens = MarkdownIt("commonmark").parse(text)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    for heading in ("Per task", "Methods and caveats", "How to regenerate", "Runs in MLflow"):
        assert heading in headings, f"## {heading} does not render as a heading"
    fences = [t.content for t in tokens if t.type in ("fence", "code_block")]
    assert not any("## " in f for f in fences), "a code fence swallowed a section"
    images = [c.attrs["src"] for t in tokens if t.type == "inline" for c in t.children or [] if c.type == "image"]
    assert images and all((out / "reports" / "default" / src).is_file() for src in images)


def test_the_terminal_names_no_study_twice_and_ends_with_the_report(rerun):
    _, second = rerun
    assert "pruned at step 0" not in second.stdout + second.stderr
    assert "Report: " in second.stdout
