"""CPU-time rates for the in-process benchmarks: the best of several rounds, each at least a minimum time."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_rate(one_pass: Callable[[], int], rounds: int, min_seconds: float) -> float:
    """Best units per CPU-second over ``rounds`` rounds; ``one_pass`` does the work once and returns
    how many units (articles, entries...) it handled. A round repeats passes for ``min_seconds``."""
    best = 0.0
    for _ in range(rounds):
        done = 0
        started = time.process_time()
        while True:
            done += one_pass()
            elapsed = time.process_time() - started
            if elapsed >= min_seconds:
                break
        best = max(best, done / elapsed)
    return best
