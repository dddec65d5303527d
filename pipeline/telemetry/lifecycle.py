"""Process-wide run state shared by the job's DoFns and the ``newsmon run`` launcher.

With the in-process SDK harness (Prism, the default: :mod:`pipeline.runtime.harness`) the
DoFns run in the launcher's own process, so a few plain flags carry what the
launcher needs to know and to ask:

* **draining**: set on SIGTERM; pollers stop starting fetches while results
  already fetched flow on and are indexed;
* **ticks**: the time each feed shard last finished a tick, so ``/healthz``
  can tell a job that is alive but no longer polling;
* **activity**: the last time any stage handled data, so a drain knows when
  the pipeline has gone quiet.

With ``newsmon run --sdk-workers N`` (N > 1) the DoFns run in N worker processes
that newsmon starts itself on this host (:mod:`pipeline.runtime.harness`). Each worker
then publishes its flags to a run-state folder every :data:`PUBLISH_S` seconds
(:func:`publish_from`, one small JSON file per process) and takes the drain
request from it; the launcher reads them all (:func:`watch`), so the functions
below answer for the whole job.

On runners whose workers are other processes (Flink, Dataflow) these stay
local to each worker: draining and stall detection are then the runner's
(Flink stop-with-savepoint, Dataflow drain, the runner's own health checks).
Times are ``time.monotonic()`` seconds (CLOCK_MONOTONIC: one clock for every
process of a host).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)
RUNSTATE_ENV = "NEWSMON_RUNSTATE_DIR"  # set by the launcher for the worker processes it starts
PUBLISH_S = 0.5
DRAIN_FILE = "draining"


class _RunState:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.draining = threading.Event()
        self.ticks: dict[str, float] = {}
        self.activity = 0.0
        self.inflight = 0
        self.busy = 0


_state = _RunState()


@dataclass(frozen=True)
class Snapshot:
    """One worker process's flags as it last published them."""

    ticks: dict[str, float]
    activity: float
    inflight: int
    busy: int


_watched: Path | None = None  # the launcher's view of its workers' run-state folder


def _snapshot() -> Snapshot:
    with _state.lock:
        return Snapshot(dict(_state.ticks), _state.activity, _state.inflight, _state.busy)


def _workers() -> list[Snapshot]:
    """What the worker processes last published (nothing unless :func:`watch` was called)."""
    folder = _watched
    if folder is None:
        return []
    out = []
    for file in folder.glob("worker-*.json"):
        try:
            raw = json.loads(file.read_text())
            out.append(
                Snapshot(
                    {str(k): float(v) for k, v in raw["ticks"].items()},
                    float(raw["activity"]),
                    int(raw["inflight"]),
                    int(raw["busy"]),
                )
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue  # being replaced right now, or gone with its process: read again next time
    return out


def watch(folder: str | os.PathLike[str]) -> Path:
    """Launcher side: answer for the worker processes publishing to ``folder`` too (created empty)."""
    global _watched  # noqa: PLW0603 - one launcher per process
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    for stale in [*path.glob("worker-*.json"), path / DRAIN_FILE]:
        stale.unlink(missing_ok=True)
    _watched = path
    return path


def publish_from(folder: str | os.PathLike[str], every_s: float = PUBLISH_S) -> threading.Thread:
    """Worker side: write this process's flags to ``folder`` every ``every_s`` seconds and take the
    launcher's drain request from it. Runs in a daemon thread for the life of the process."""
    path = Path(folder)
    target = path / f"worker-{os.getpid()}.json"

    def loop() -> None:
        while True:
            if (path / DRAIN_FILE).exists() and not _state.draining.is_set():
                log.debug("drain requested by the launcher: no new fetches")
                _state.draining.set()
            snap = _snapshot()
            tmp = target.with_suffix(".tmp")
            try:
                tmp.write_text(
                    json.dumps(
                        {"ticks": snap.ticks, "activity": snap.activity, "inflight": snap.inflight, "busy": snap.busy}
                    )
                )
                tmp.replace(target)  # readers see the old file or the new one, never half of one
            except OSError as exc:
                log.warning("run state not published to %s: %s", path, exc)
            time.sleep(every_s)

    thread = threading.Thread(target=loop, name="newsmon-runstate", daemon=True)
    thread.start()
    return thread


def start_draining() -> None:
    _state.draining.set()
    if _watched is not None:
        (_watched / DRAIN_FILE).touch()


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
    """Seconds since the shard that ticked least recently last ticked (in any worker); None before any tick."""
    ticks = _snapshot().ticks
    for worker in _workers():
        for shard, at in worker.ticks.items():
            ticks[shard] = max(at, ticks.get(shard, at))
    if not ticks:
        return None
    return (now if now is not None else time.monotonic()) - min(ticks.values())


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


@dataclass(frozen=True)
class Totals:
    """This process and its worker processes together, from one read of the run-state files."""

    inflight: int  # fetches in flight
    busy: int  # stretches of work under way (:func:`working`)
    quiet_s: float  # seconds since any stage last handled data (a large number when nothing ever did)


def totals(now: float | None = None) -> Totals:
    """What a drain checks, all from one snapshot of the workers (each read of their files sees a later state)."""
    workers = _workers()
    last = max([_state.activity, *(w.activity for w in workers)])
    return Totals(
        inflight=_state.inflight + sum(w.inflight for w in workers),
        busy=_state.busy + sum(w.busy for w in workers),
        quiet_s=(now if now is not None else time.monotonic()) - last,
    )


def busy() -> int:
    return totals().busy


def fetches_started(n: int = 1) -> None:
    with _state.lock:
        _state.inflight += n


def fetches_finished(n: int = 1) -> None:
    with _state.lock:
        _state.inflight = max(0, _state.inflight - n)


def fetches_in_flight() -> int:
    return totals().inflight


def quiet_for(now: float | None = None) -> float:
    """Seconds since any stage (in any worker) last handled data (a large number when nothing ever did)."""
    return totals(now).quiet_s


def reset() -> None:
    """Forget everything (tests, and a launcher that starts a second job in one process)."""
    global _state, _watched  # one process-wide state, replaced whole
    _state, _watched = _RunState(), None
