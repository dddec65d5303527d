"""``newsmon run`` around the streaming job: endpoints, engine wait, own Prism and SDK workers, signals, stop.

Everything here starts from a validated :class:`~pipeline.app.options.RunSettings`
(the CLI parses and validates, then calls :func:`run_job`). A first SIGINT or
SIGTERM asks for a clean stop (drain work in flight, cancel the job, stop a
Flink cluster's copy); a second one, or an expired grace period, ends the
process at once with status :data:`HARD_EXIT_STATUS`.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import threading
import time
from pathlib import Path
from typing import Any

from pipeline.app.options import RunSettings
from pipeline.core import config
from pipeline.detect import compiled
from pipeline.telemetry import metrics

log = logging.getLogger("newsmon")
HARD_EXIT_STATUS = 1  # the CLI's EXIT_FAILED: the process did not stop cleanly


def connect_search(settings: config.SearchSettings, wait_s: float, sleep: Any = None) -> Any:
    from pipeline.sinks.search import SearchWriter

    writer = SearchWriter(settings) if sleep is None else SearchWriter(settings, sleep=sleep)
    engine, version = writer.connect(wait_s=wait_s)
    writer.ensure_templates()
    log.info("search engine ready: %s %s at %s, index %s", engine, version, settings.url, settings.index)
    return writer


class _Signals:
    """SIGINT/SIGTERM handling for ``newsmon run``: the first signal asks for a clean stop, the second
    one (or an expired grace period) ends the process at once with a non-zero status."""

    def __init__(self, grace_s: float) -> None:
        self.grace_s = grace_s
        self.stop = threading.Event()
        self.received: list[int] = []

    def install(self) -> None:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)

    def _on_signal(self, signum: int, _frame: object) -> None:
        self.received.append(signum)
        if len(self.received) > 1:
            _hard_exit(f"second signal ({signal.Signals(signum).name}): exiting now")
        self.stop.set()
        # Whatever happens next, the process ends within the grace period.
        timer = threading.Timer(self.grace_s, _hard_exit, args=(f"grace period of {self.grace_s:g}s expired",))
        timer.daemon = True
        timer.start()

    def sleep(self, seconds: float) -> None:
        """A sleep that a stop request cuts short (for the engine wait at start-up)."""
        if self.stop.wait(seconds):
            raise _StopRequested


class _StopRequested(Exception):
    """A signal arrived while newsmon was still starting."""


def _hard_exit(why: str) -> None:
    log.error("%s; unfinished work is picked up on the next start", why)
    logging.shutdown()
    os._exit(HARD_EXIT_STATUS)


def _quiet_runner_logs() -> None:
    """While the job is cancelled, the runner's and gRPC's threads report the closing streams as errors."""
    for name in ("apache_beam", "PrismRunner", "grpc", "absl"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    threading.excepthook = lambda _args: None


def _drain(grace_s: float, quiet_s: float) -> bool:
    """Stop polling and wait until fetched work has been handled: no fetch in flight and no stage busy
    for ``quiet_s``. False when ``grace_s`` ran out first."""
    from pipeline.telemetry import lifecycle

    lifecycle.start_draining()
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        state = lifecycle.totals()  # one read of the workers' run-state files for all three checks
        if state.inflight == 0 and state.busy == 0 and state.quiet_s >= quiet_s:
            return True
        time.sleep(0.2)
    return False


def worker_pool(settings: RunSettings, log_format: str, log_level: str, pool_class: Any) -> Any:
    """newsmon's own SDK worker pool for Prism: in this process, or ``--sdk-workers`` child processes.

    Child processes write their metrics to a multiprocess folder (``$PROMETHEUS_MULTIPROC_DIR``,
    or a fresh temporary one) and publish their run state to another (:mod:`pipeline.telemetry.lifecycle`)."""
    if not settings.own_harness:
        return None
    if settings.sdk_workers == 1:
        return pool_class()
    import atexit
    import tempfile

    from pipeline.telemetry import lifecycle

    metrics_dir = metrics.ensure_multiprocess_dir()
    runstate = lifecycle.watch(tempfile.mkdtemp(prefix="newsmon-runstate-"))
    atexit.register(shutil.rmtree, runstate, ignore_errors=True)
    env = {
        metrics.MULTIPROC_ENV: metrics_dir,
        lifecycle.RUNSTATE_ENV: str(runstate),
        "NEWSMON_LOG_FORMAT": log_format,
        "NEWSMON_LOG_LEVEL": log_level,
    }
    return pool_class(processes=True, env=env)


def run_job(settings: RunSettings, log_format: str, log_level: str) -> bool:
    """``newsmon run`` from its validated settings: endpoints, engine wait, own Prism and workers, the job.

    True when it stopped because it was asked to (a signal), False when the job ended by itself."""
    from pipeline.app import beamoptions
    from pipeline.runtime.harness import LocalWorkerPool, limit_malloc_arenas
    from pipeline.runtime.prism import PrismServer
    from pipeline.runtime.service import ServiceServer, Status

    limit_malloc_arenas()  # before the harness's threads exist
    search = settings.search
    prism = PrismServer(settings.prism_binary) if settings.own_prism and settings.prism_binary else None
    harness = worker_pool(settings, log_format, log_level, LocalWorkerPool)
    # Signals first: a stop request during the engine wait or the job's start is honoured too.
    signals = _Signals(settings.grace_period_s)
    signals.install()
    writers: list[Any] = []

    def readiness() -> str | None:
        if not writers:
            return f"connecting to the search engine at {search.url}"
        writers[0].ensure_templates()  # cheap GETs when installed; reinstalls after an engine reset
        return None

    # The DoFns report their ticks in this process only with the in-process (LOOPBACK) harness.
    stall_after = max(60.0, 12 * settings.tick_s) if settings.in_process else None
    # Endpoints first: an orchestrator sees a live process (and why it is not ready) while we wait.
    status = Status(readiness, stall_after_s=stall_after)
    metrics.clear_multiprocess_dir()
    registry = metrics.exporter_registry()
    if settings.metrics_port:
        ServiceServer(settings.metrics_addr, settings.metrics_port, status, registry=registry).start_background()
        log.info("metrics, /healthz and /readyz on http://%s:%d", settings.metrics_addr, settings.metrics_port)
    if settings.progress_every_s > 0:
        from pipeline.app.progress import CycleReporter

        CycleReporter(registry, settings.progress_every_s, stop=signals.stop).start()
    try:
        writers.append(connect_search(search, wait_s=settings.engine_wait_s, sleep=signals.sleep))
    except _StopRequested:
        log.info("stopped before the job started")
        return True
    try:
        beamoptions.attach_endpoints(
            settings.beam,
            job_endpoint=prism.start() if prism else None,
            worker_pool=harness.start() if harness else None,
        )
        return _run_job(settings, signals, status, prism)
    finally:
        if harness is not None:
            harness.stop()
        if prism is not None:
            prism.stop()


def _run_job(settings: RunSettings, signals: _Signals, status: Any, prism: Any = None) -> bool:
    """Submit the streaming job, watch it, and stop it cleanly on a signal."""
    import apache_beam as beam

    from pipeline.runtime.supervisor import JobWatcher
    from pipeline.transforms.graph import build_streaming

    in_process = status.stall_after_s is not None
    p = beam.Pipeline(options=settings.beam)
    build_streaming(
        p,
        settings.feeds,
        settings.search,
        tick_s=settings.tick_s,
        config_path=str(Path(settings.config_path).resolve()),
        fetch_timeout_s=settings.fetch_timeout_s,
        max_feed_bytes=settings.max_feed_bytes,
        spike_rule=settings.spike_rule,
        fetch_concurrency=settings.fetch_concurrency,
        feed_shards=settings.feed_shards,
        per_host=settings.per_host,
        host_gap_s=settings.host_gap_s,
        max_stretch=settings.max_stretch,
        lanes=settings.sdk_workers,
    )
    log.info(
        "streaming %d feed(s) on %s%s; detector %s; Ctrl-C or SIGTERM stops",
        len(settings.feeds),
        settings.runner,
        f" in {settings.sdk_workers} SDK worker processes" if settings.sdk_workers > 1 else "",
        compiled.status(),
    )
    result: Any = p.run()  # Beam's PipelineResult is partly untyped
    signals.install()  # Beam's Prism job server installs its own SIGINT handler while it starts
    status.job_state = "RUNNING"
    end = JobWatcher(result).watch(signals.stop, on_state=lambda state: setattr(status, "job_state", state))
    if end is not None:
        log.error("the streaming job ended by itself (state %s): %s", end.state, end.error or "no error reported")
        return False
    status.job_state = "STOPPING"
    name = signal.Signals(signals.received[0]).name if signals.received else "stop"
    grace = settings.grace_period_s
    log.info("%s received: finishing work in flight (at most %gs), then stopping", name, grace)
    drained = _drain(max(0.0, grace - 5.0), quiet_s=max(2.0, 2 * settings.tick_s)) if in_process else True
    _stop_on_flink_cluster(settings.beam, grace)
    _quiet_runner_logs()
    if prism is not None:
        prism.cancel_expected()
    try:
        result.cancel()
    except Exception as exc:  # the runner may already be gone; stopping must not fail
        log.warning("cancel: %s", exc)
    log.info("stopped%s", "" if drained else " (grace period too short to finish all work in flight)")
    return True


def _stop_on_flink_cluster(beam_options: Any, grace_s: float) -> None:
    """On a Flink cluster, stop the job there (Beam's cancel leaves it running): see :mod:`pipeline.runtime.flink`."""
    from apache_beam.options.pipeline_options import GoogleCloudOptions

    from pipeline.app.beamoptions import flink_rest
    from pipeline.runtime.flink import FlinkRest, stop_job

    url = flink_rest(beam_options)
    name = beam_options.view_as(GoogleCloudOptions).job_name
    if url and name:
        stop_job(FlinkRest(url), name, timeout_s=max(5.0, grace_s - 5.0))
