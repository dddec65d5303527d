"""The SDK harness that runs newsmon's DoFns on Prism: Beam's worker pool, in this process, on loopback.

Beam's ``LOOPBACK`` environment starts the same pool (``BeamFnExternalWorkerPoolServicer``,
in-process workers) but binds it to every interface (``[::]``). Whoever
reaches that port can ask it to start a worker against a control endpoint of
their choosing, i.e. run their own pipeline code in this process, which holds
the engine credentials. newsmon starts the pool itself on 127.0.0.1 and
submits the job with ``--environment_type=EXTERNAL`` pointing at it: the same
in-process harness (DoFns share this process's metrics registry and
lifecycle flags), reachable only from this host.

Prism starts one SDK worker per *environment* of the pipeline (its
``execute.go``), and Python's threads share one interpreter lock, so an
in-process harness does its Python work on one core. With ``--sdk-workers N``
(N > 1) the graph is built in N lanes, each in an environment of its own
(:mod:`pipeline.transforms.graph`), and this pool starts each worker as a
process of its own (``python -m pipeline.runtime.worker``): N interpreters, N cores.
Those processes write their metrics to a multiprocess folder and publish
their run state (:mod:`pipeline.telemetry.lifecycle`) for the launcher to read.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Mapping
from typing import Any

log = logging.getLogger(__name__)
M_ARENA_MAX = -8  # glibc's mallopt parameter (malloc.h)
_GRPC_OPTIONS = [("grpc.http2.max_pings_without_data", 0), ("grpc.http2.max_ping_strikes", 0)]


def worker_command(control_url: str, worker_id: str, state_cache_mb: int, number: int) -> list[str]:
    """How worker ``number`` (0, 1, …) is started: this interpreter, newsmon's worker entry point."""
    return [
        sys.executable,
        "-m",
        "pipeline.runtime.worker",
        f"--control={control_url}",
        f"--worker-id={worker_id}",
        f"--state-cache-mb={state_cache_mb}",
        f"--number={number}",
    ]


class ProcessWorkers:
    """The part of the pool that runs each SDK worker in a child process (``--sdk-workers N``)."""

    def __init__(self, state_cache_mb: int, env: Mapping[str, str]) -> None:
        self.state_cache_mb = state_cache_mb
        self.env = {**os.environ, **env, "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2")}
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.started = 0
        self.lock = threading.Lock()

    def start(self, request: Any) -> Any:
        from apache_beam.portability.api import beam_fn_api_pb2

        with self.lock:
            number, self.started = self.started, self.started + 1
        command = worker_command(request.control_endpoint.url, request.worker_id, self.state_cache_mb, number)
        try:
            child = subprocess.Popen(command, env=self.env, stdin=subprocess.DEVNULL)  # logs: our stderr
        except OSError as exc:
            return beam_fn_api_pb2.StartWorkerResponse(error=f"could not start {command[0]}: {exc}")
        with self.lock:
            self.children[request.worker_id] = child
        log.info("SDK worker %s started (pid %d)", request.worker_id, child.pid)
        return beam_fn_api_pb2.StartWorkerResponse()

    def stop(self, worker_id: str, wait_s: float = 5.0) -> None:
        with self.lock:
            child = self.children.get(worker_id)
        if child is not None:
            self._end([child], wait_s)
            with self.lock:
                self.children.pop(worker_id, None)

    def stop_all(self, wait_s: float = 5.0) -> None:
        """Stop every worker and reap it (also those a StopWorker call is stopping right now)."""
        with self.lock:
            children = list(self.children.values())
        self._end(children, wait_s)
        with self.lock:
            self.children.clear()

    @staticmethod
    def _end(children: list[subprocess.Popen[bytes]], wait_s: float) -> None:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(wait_s)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


class LocalWorkerPool:
    """Start/stop an SDK worker pool listening on ``host`` (loopback) only.

    Workers run in this process (the default) or, given ``processes``, each in
    a child process started with ``env`` added to this one's environment."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        state_cache_mb: int = 100,
        processes: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.host = host
        self.state_cache_mb = state_cache_mb
        self.server: Any = None
        self.address = ""
        self.workers = ProcessWorkers(state_cache_mb, env or {}) if processes else None

    def start(self) -> str:
        """Listen on a free port of ``host``; returns ``host:port`` for ``--environment_config``."""
        import grpc
        from apache_beam.portability.api import beam_fn_api_pb2_grpc
        from apache_beam.runners.worker.worker_pool_main import BeamFnExternalWorkerPoolServicer
        from apache_beam.utils import thread_pool_executor

        server = grpc.server(thread_pool_executor.shared_unbounded_instance(), options=_GRPC_OPTIONS)
        port = server.add_insecure_port(f"{self.host}:0")
        if not port:
            raise OSError(f"could not listen on {self.host} for the SDK worker pool")
        pool: Any
        if self.workers is None:
            pool = BeamFnExternalWorkerPoolServicer(
                use_process=False, state_cache_size=self.state_cache_mb << 20, data_buffer_time_limit_ms=0
            )
        else:
            pool = _process_servicer(self.workers)
        beam_fn_api_pb2_grpc.add_BeamFnExternalWorkerPoolServicer_to_server(pool, server)
        server.start()
        self.server, self.address = server, f"{self.host}:{port}"
        log.debug("SDK worker pool (%s) on %s", "processes" if self.workers else "in-process", self.address)
        return self.address

    def stop(self, grace_s: float = 1.0) -> None:
        server, self.server = self.server, None
        if server is not None:
            server.stop(grace_s)
        if self.workers is not None:
            self.workers.stop_all()


def _process_servicer(workers: ProcessWorkers) -> Any:
    """The pool's gRPC service handing StartWorker/StopWorker to ``workers`` (Beam imported lazily)."""
    from apache_beam.portability.api import beam_fn_api_pb2, beam_fn_api_pb2_grpc

    class Servicer(beam_fn_api_pb2_grpc.BeamFnExternalWorkerPoolServicer):
        def __init__(self, workers: ProcessWorkers) -> None:
            self.workers = workers

        def StartWorker(self, request: Any, _context: Any) -> Any:  # noqa: N802 - gRPC method name
            return self.workers.start(request)

        def StopWorker(self, request: Any, _context: Any) -> Any:  # noqa: N802 - gRPC method name
            self.workers.stop(request.worker_id)
            return beam_fn_api_pb2.StopWorkerResponse()

    return Servicer(workers)


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """Cap glibc's malloc arenas for this process, as ``MALLOC_ARENA_MAX`` would (unless that is set).

    The harness runs many threads (gRPC, fetch workers, bundle processing);
    glibc gives each its own arena, up to 8 per core, and memory freed in one
    is rarely returned, so resident memory grows with thread churn rather than
    with what is live. Called before those threads start; a no-op off glibc."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.mallopt(M_ARENA_MAX, arenas))
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
