"""The SDK harness that runs newsmon's DoFns on Prism: Beam's worker pool, in this process, on loopback.

Beam's ``LOOPBACK`` environment starts the same pool (``BeamFnExternalWorkerPoolServicer``,
in-process workers) but binds it to every interface (``[::]``). Whoever
reaches that port can ask it to start a worker against a control endpoint of
their choosing, i.e. run their own pipeline code in this process, which holds
the engine credentials. newsmon starts the pool itself on 127.0.0.1 and
submits the job with ``--environment_type=EXTERNAL`` pointing at it: the same
in-process harness (DoFns share this process's metrics registry and
lifecycle flags), reachable only from this host.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
from typing import Any

log = logging.getLogger(__name__)
M_ARENA_MAX = -8  # glibc's mallopt parameter (malloc.h)
_GRPC_OPTIONS = [("grpc.http2.max_pings_without_data", 0), ("grpc.http2.max_ping_strikes", 0)]


class LocalWorkerPool:
    """Start/stop an in-process SDK worker pool listening on ``host`` (loopback) only."""

    def __init__(self, host: str = "127.0.0.1", state_cache_mb: int = 100) -> None:
        self.host = host
        self.state_cache_mb = state_cache_mb
        self.server: Any = None
        self.address = ""

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
        pool = BeamFnExternalWorkerPoolServicer(use_process=False, state_cache_size=self.state_cache_mb << 20,
                                                data_buffer_time_limit_ms=0)
        beam_fn_api_pb2_grpc.add_BeamFnExternalWorkerPoolServicer_to_server(pool, server)
        server.start()
        self.server, self.address = server, f"{self.host}:{port}"
        log.debug("SDK worker pool (in-process) on %s", self.address)
        return self.address

    def stop(self, grace_s: float = 1.0) -> None:
        server, self.server = self.server, None
        if server is not None:
            server.stop(grace_s)


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
