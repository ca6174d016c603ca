"""Trials another worker queued count as planned: enqueued trials have no params until asked."""


def test_queued_confirmation_runs_count_as_planned_for_every_worker():
    """A second worker must not queue the seeds another worker queued: an enqueued (WAITING)
    trial has no params until asked, only its fixed params (two workers ran every
    confirmation twice before this)."""
    import optuna

    from sweeps.study import confirmations

    study = optuna.create_study()
    study.enqueue_trial({"optimizer.lr": 0.01, "train.seed": 1}, user_attrs={"source_trial": 3})
    study.enqueue_trial({"optimizer.lr": 0.01, "train.seed": 2}, user_attrs={"source_trial": 3})
    assert confirmations(study) == {(3, 1), (3, 2)}
