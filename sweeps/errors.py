"""The one kind of error a user sees: a paragraph that names the bad value and what is allowed."""

from collections.abc import Iterator

from sweeps.redaction import redact

__all__ = ["SweepError", "redact", "chain", "EXIT_DONE", "EXIT_FAILED", "EXIT_BAD_INPUT", "EXIT_BUDGET_EXHAUSTED",
           "EXIT_CHANGED", "EXIT_INTERRUPTED"]


class SweepError(Exception):
    """Bad configuration, search space or study state, explained in one paragraph; a password
    in it (a storage URL, a tracking URI, a driver's message quoting one) reads ``***``."""

    def __init__(self, *args: object) -> None:
        super().__init__(*(redact(a) if isinstance(a, str) else a for a in args))


def chain(e: BaseException | None) -> Iterator[BaseException]:
    """``e``, then the error it was raised from or during, and so on (each once)."""
    seen = set()
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        yield e
        e = e.__cause__ or e.__context__


# Exit codes a scheduler (cron, systemd, CI) can act on.
EXIT_DONE = 0           # the invocation added its trials (or had nothing left to add)
EXIT_FAILED = 1         # trials crashed beyond max_failure_rate, or an unexpected error
EXIT_BAD_INPUT = 2      # invalid configuration, search space, data or storage; a full disk; a file it cannot write
EXIT_BUDGET_EXHAUSTED = 3  # every study had already reached max_trials: nothing was run
EXIT_CHANGED = 4        # hydra.sweeper.fail_on_change: the report's verdicts differ from the last report's
EXIT_INTERRUPTED = 130    # Ctrl-C: finished trials kept, the ones in flight re-queued
