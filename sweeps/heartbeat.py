"""Heartbeats for trials in flight, so a killed worker's trials do not stay RUNNING forever.

Optuna records heartbeats only inside ``study.optimize``; the sweeper uses ask/tell, so it beats
for its own batch. When a worker dies, its trials stop beating; after ``grace_period`` any other
worker's ``fail_stale_trials`` marks them FAIL and ``RetryFailedTrialCallback`` re-queues them.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Iterator

import optuna


@contextlib.contextmanager
def beating(study: optuna.Study, trials: list[optuna.Trial], interval: int | None) -> Iterator[None]:
    if not interval:
        yield
        return
    storage, stop = study._storage, threading.Event()

    def beat() -> None:
        while True:
            for t in trials:
                with contextlib.suppress(Exception):   # a missed beat is retried next interval
                    storage.record_heartbeat(t._trial_id)
            if stop.wait(interval):
                return

    thread = threading.Thread(target=beat, name="gammasweep-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def fail_stale(study: optuna.Study, interval: int | None) -> None:
    if interval:
        optuna.storages.fail_stale_trials(study)
