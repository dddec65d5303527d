"""Process-wide run state shared by the job's DoFns and the ``newsmon run`` launcher.

With the in-process SDK harness (Prism, the default: :mod:`pipeline.harness`) the
DoFns run in the launcher's own process, so a few plain flags carry what the
launcher needs to know and to ask:

* **draining**: set on SIGTERM; pollers stop starting fetches while results
  already fetched flow on and are indexed;
* **ticks**: the time each feed shard last finished a tick, so ``/healthz``
  can tell a job that is alive but no longer polling;
* **activity**: the last time any stage handled data, so a drain knows when
  the pipeline has gone quiet.

On runners whose workers are other processes (Flink, Dataflow) these stay
local to each worker: draining and stall detection are then the runner's
(Flink stop-with-savepoint, Dataflow drain, the runner's own health checks).
Times are ``time.monotonic()`` seconds.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator


class _RunState:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.draining = threading.Event()
        self.ticks: dict[str, float] = {}
        self.activity = 0.0
        self.inflight = 0
        self.busy = 0


_state = _RunState()


def start_draining() -> None:
    _state.draining.set()


def draining() -> bool:
    return _state.draining.is_set()


def tick_completed(shard: str) -> None:
    """A feed shard finished one tick (whether or not any feed was due)."""
    with _state.lock:
        _state.ticks[shard] = time.monotonic()


def last_tick(shard: str) -> float | None:
    """``time.monotonic()`` when ``shard`` last finished a tick in this process; None if it never did."""
    with _state.lock:
        return _state.ticks.get(shard)


def oldest_tick_age(now: float | None = None) -> float | None:
    """Seconds since the shard that ticked least recently last ticked; None before any tick."""
    with _state.lock:
        if not _state.ticks:
            return None
        return (now if now is not None else time.monotonic()) - min(_state.ticks.values())


def touch() -> None:
    """Some stage handled data just now."""
    _state.activity = time.monotonic()


@contextlib.contextmanager
def working() -> Iterator[None]:
    """Marks a stretch of work (a bulk flush, which may retry for long) so a drain waits for it."""
    with _state.lock:
        _state.busy += 1
    try:
        yield
    finally:
        with _state.lock:
            _state.busy -= 1
        touch()


def busy() -> int:
    return _state.busy


def fetches_started(n: int = 1) -> None:
    with _state.lock:
        _state.inflight += n


def fetches_finished(n: int = 1) -> None:
    with _state.lock:
        _state.inflight = max(0, _state.inflight - n)


def fetches_in_flight() -> int:
    return _state.inflight


def quiet_for(now: float | None = None) -> float:
    """Seconds since any stage last handled data (a large number when nothing ever did)."""
    return (now if now is not None else time.monotonic()) - _state.activity


def reset() -> None:
    """Forget everything (tests, and a launcher that starts a second job in one process)."""
    global _state  # noqa: PLW0603 - one process-wide state, replaced whole
    _state = _RunState()
