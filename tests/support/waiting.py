"""The one poll loop of the tests: wait until a condition holds, with a deadline."""

from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], timeout: float, interval: float = 0.1) -> T:
    """Call ``predicate`` every ``interval`` seconds until it returns something true, and return
    that; after ``timeout`` seconds, return its last (false) answer. It is called at least once,
    and once more at the deadline. The caller asserts on the result if a timeout is a failure;
    an exception raised by ``predicate`` (an assertion that a process is still alive) propagates.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
