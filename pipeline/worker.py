"""One SDK worker process of ``newsmon run --sdk-workers N`` (started by :mod:`pipeline.harness`).

Runs Beam's SDK harness against the runner's control endpoint, as the
in-process pool would, with newsmon's logging, a cap on malloc arenas, run
state published for the launcher (:mod:`pipeline.lifecycle`) and the
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

from pipeline import lifecycle, logs
from pipeline.harness import limit_malloc_arenas

log = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent() -> bool:
    """Ask Linux to kill this process when its parent (the launcher) dies; False where unsupported."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        return bool(ctypes.CDLL(name, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL) == 0)
    except (OSError, AttributeError):
        return False


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.worker")
    parser.add_argument("--control", required=True, help="the runner's Fn API control endpoint")
    parser.add_argument("--worker-id", required=True)
    parser.add_argument("--state-cache-mb", type=int, default=100)
    args = parser.parse_args(argv)
    logs.configure(os.environ.get("NEWSMON_LOG_FORMAT", "json"), os.environ.get("NEWSMON_LOG_LEVEL", "INFO"))
    limit_malloc_arenas()
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    folder = os.environ.get(lifecycle.RUNSTATE_ENV)
    if folder:
        lifecycle.publish_from(folder)
    from apache_beam.runners.worker.sdk_worker import SdkHarness

    log.info("SDK worker %s (pid %d) connecting to %s", args.worker_id, os.getpid(), args.control)
    SdkHarness(args.control, worker_id=args.worker_id, state_cache_size=args.state_cache_mb << 20,
               data_buffer_time_limit_ms=0).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
