"""One SDK worker process of ``newsmon run --sdk-workers N`` (started by :mod:`pipeline.runtime.harness`).

Runs Beam's SDK harness against the runner's control endpoint, as the
in-process pool would, with newsmon's logging (malloc arenas are capped by
the ``MALLOC_ARENA_MAX`` the pool starts it with), run
state published for the launcher (:mod:`pipeline.telemetry.lifecycle`) and the
launcher's signals left to the launcher: a terminal's Ctrl-C reaches the
whole process group, but a worker stops when the launcher says so (drain,
then StopWorker) or when the launcher dies (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import logging
import os
import signal
import sys
from collections.abc import Sequence

from pipeline.telemetry import lifecycle, logs

log = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1  # linux/prctl.h
SHORT_ID_SPAN = 1 << 40  # metric short ids each worker may use before reaching the next worker's


def die_with_parent() -> bool:
    """Ask Linux to kill this process when its parent (the launcher) dies; False where unsupported."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        return bool(ctypes.CDLL(name, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL) == 0)
    except (OSError, AttributeError):
        return False


def separate_short_ids(number: int) -> int:
    """Start this worker's metric short ids at ``number * SHORT_ID_SPAN``; returns that start.

    The SDK numbers the short ids of its monitoring infos 1, 2, 3 … per
    process, and Prism 2.77 keeps one short-id table per *job*
    (``jobservices/metrics.go``): with two workers, worker B's id "3" (an
    element count) was decoded as worker A's "3" (a byte-size distribution)
    and the job failed with ``error decoding metrics … EOF``. Distinct ranges
    per worker keep the ids unique in the job; they stay opaque strings."""
    from apache_beam.runners.worker import sdk_worker

    cache = sdk_worker.SHORT_ID_CACHE
    with cache._lock:  # the counter has no public setter
        cache._last_short_id = max(cache._last_short_id, number * SHORT_ID_SPAN)
        return int(cache._last_short_id)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.runtime.worker")
    parser.add_argument("--control", required=True, help="the runner's Fn API control endpoint")
    parser.add_argument("--worker-id", required=True)
    parser.add_argument("--state-cache-mb", type=int, default=100)
    parser.add_argument("--number", type=int, default=0, help="which of the launcher's workers this is (0, 1, …)")
    args = parser.parse_args(argv)
    logs.configure(os.environ.get("NEWSMON_LOG_FORMAT", "json"), os.environ.get("NEWSMON_LOG_LEVEL", "INFO"))
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    folder = os.environ.get(lifecycle.RUNSTATE_ENV)
    if folder:
        lifecycle.publish_from(folder)
    from apache_beam.runners.worker.sdk_worker import SdkHarness

    separate_short_ids(args.number)
    log.info("SDK worker %s (pid %d) connecting to %s", args.worker_id, os.getpid(), args.control)
    SdkHarness(
        args.control, worker_id=args.worker_id, state_cache_size=args.state_cache_mb << 20, data_buffer_time_limit_ms=0
    ).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
