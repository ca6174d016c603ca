"""The one kind of error a user sees: a paragraph that names the bad value and what is allowed."""


from urllib.parse import urlsplit


class SweepError(Exception):
    """Bad configuration, search space or study state, explained in one paragraph."""


# Exit codes a scheduler (cron, systemd, CI) can act on.
EXIT_DONE = 0           # the invocation added its trials (or had nothing left to add)
EXIT_FAILED = 1         # trials crashed beyond max_failure_rate, or an unexpected error
EXIT_BAD_INPUT = 2      # invalid configuration, search space, data or storage
EXIT_BUDGET_EXHAUSTED = 3  # every study had already reached max_trials: nothing was run
EXIT_INTERRUPTED = 130    # Ctrl-C: finished trials kept, the ones in flight re-queued


def redact(url: str) -> str:
    """The URL without its password, for messages and logs (storage and tracking URIs)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.password is None:
        return url
    user = parts.username or ""
    return url.replace(f"{parts.netloc.rpartition('@')[0]}@", f"{user}:***@", 1)
