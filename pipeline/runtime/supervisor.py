"""Watching a submitted streaming job for as long as it runs, and stopping it on request.

Why newsmon does not call ``PipelineResult.wait_until_finish`` for a
streaming job: on portable runners (Prism, the Flink job server) Beam reads
the job's state from a gRPC *stream* opened with ``job_server_timeout`` as its
deadline (a ``PortableOptions`` default of 300 s). When that deadline passes
the stream ends with ``DEADLINE_EXCEEDED``; Beam records that as the job's
end and runs its clean-up, which stops the in-process SDK worker pool. A
streaming job "ended" after exactly five minutes.

:class:`JobWatcher` instead asks the job service for the state with one unary
``GetState`` call every ``poll_s`` seconds, each with its own short deadline,
so no deadline in the stack bounds how long a job may run. An unreachable job
service is tolerated for ``unreachable_s`` seconds (a busy runner, a GC
pause) before it counts as the end of the job. Runners without a job service
(Dataflow, the DirectRunner) are asked through ``result.state``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

# Beam's JobState names that end a job. STOPPED is not among them: Prism reports it for a
# job that is prepared but not started yet.
TERMINAL_STATES = frozenset({"DONE", "FAILED", "CANCELLED", "DRAINED", "UPDATED"})


@dataclass(frozen=True)
class JobEnd:
    """How a watched job ended: a terminal state (or ``UNREACHABLE``) and the runner's last error."""

    state: str
    error: str | None = None


class JobWatcher:
    """Polls a submitted job's state until it ends or the caller stops watching."""

    def __init__(
        self,
        result: Any,
        *,
        poll_s: float = 2.0,
        rpc_timeout_s: float = 10.0,
        unreachable_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.result = result
        self.poll_s = poll_s
        self.rpc_timeout_s = rpc_timeout_s
        self.unreachable_s = unreachable_s
        self.clock = clock

    def _portable(self) -> tuple[Any, str] | None:
        # Beam's portable PipelineResult keeps its job service stub and job id in these attributes;
        # its public ``state`` property calls GetState without a deadline, which could hang forever.
        service, job_id = getattr(self.result, "_job_service", None), getattr(self.result, "_job_id", None)
        return (service, job_id) if service is not None and job_id else None

    def state(self) -> str:
        """The job's current state name (``RUNNING``, ``DONE``...). Raises when the runner cannot be asked."""
        portable = self._portable()
        if portable is None:
            return str(self.result.state).rsplit(".", 1)[-1]
        from apache_beam.portability.api import beam_job_api_pb2

        service, job_id = portable
        response = service.GetState(beam_job_api_pb2.GetJobStateRequest(job_id=job_id), timeout=self.rpc_timeout_s)
        return str(beam_job_api_pb2.JobState.Enum.Name(response.state))

    def failure_text(self) -> str | None:
        """The runner's last error message for a failed job (None when it gives none)."""
        portable = self._portable()
        if portable is None:
            return None
        from apache_beam.portability.api import beam_job_api_pb2

        service, job_id = portable
        last: str | None = None
        try:
            # A job in a terminal state: the stream replays its messages and ends by itself.
            for message in service.GetMessageStream(
                beam_job_api_pb2.JobMessagesRequest(job_id=job_id), timeout=self.rpc_timeout_s
            ):
                if (
                    message.HasField("message_response")
                    and message.message_response.importance == beam_job_api_pb2.JobMessage.JOB_MESSAGE_ERROR
                ):
                    last = message.message_response.message_text
        except Exception as exc:  # the runner may be gone already; the state is what matters
            log.debug("could not read the job's messages: %s", exc)
        return last

    def watch(self, stop: threading.Event, on_state: Callable[[str], None] = lambda _s: None) -> JobEnd | None:
        """Block until the job ends (its :class:`JobEnd`) or ``stop`` is set (``None``)."""
        last_answer = self.clock()
        previous = ""
        while not stop.is_set():
            try:
                state = self.state()
            except Exception as exc:  # grpc.RpcError and friends: the job service did not answer
                silent = self.clock() - last_answer
                if silent >= self.unreachable_s:
                    return JobEnd(
                        "UNREACHABLE",
                        f"the runner's job service has not answered for {silent:.0f}s: {type(exc).__name__}: {exc}",
                    )
                log.debug("job state not available (%s); asking again", exc)
                stop.wait(self.poll_s)
                continue
            last_answer = self.clock()
            if state != previous:
                log.info("job state %s", state)
                previous = state
            on_state(state)
            if state in TERMINAL_STATES:
                return JobEnd(state, self.failure_text() if state == "FAILED" else None)
            stop.wait(self.poll_s)
        return None
