"""JobWatcher: a job is watched until it reaches a terminal state, whatever the job service's hiccups."""

from __future__ import annotations

import threading
from typing import Any

from apache_beam.portability.api import beam_job_api_pb2

from pipeline.runtime.supervisor import JobWatcher


class _Deadline(Exception):
    """Stands in for grpc's DEADLINE_EXCEEDED / UNAVAILABLE errors."""


class _FakeJobService:
    """Answers GetState from a script: a state name, or an exception to raise."""

    def __init__(self, script: list[str | Exception]) -> None:
        self.script = script
        self.calls = 0
        self.timeouts: list[float] = []

    def GetState(self, request: Any, timeout: float) -> Any:  # noqa: N802 - the gRPC method name
        self.timeouts.append(timeout)
        answer = self.script[min(self.calls, len(self.script) - 1)]
        self.calls += 1
        if isinstance(answer, Exception):
            raise answer
        return beam_job_api_pb2.JobStateEvent(state=beam_job_api_pb2.JobState.Enum.Value(answer))

    def GetMessageStream(self, request: Any, timeout: float) -> Any:  # noqa: N802
        yield beam_job_api_pb2.JobMessagesResponse(
            message_response=beam_job_api_pb2.JobMessage(
                message_text="worker lost", importance=beam_job_api_pb2.JobMessage.JOB_MESSAGE_ERROR
            )
        )


class _Result:
    def __init__(self, service: _FakeJobService) -> None:
        self._job_service = service
        self._job_id = "job-1"


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def _watch(script: list[str | Exception], unreachable_s: float = 60.0) -> tuple[Any, _FakeJobService]:
    service = _FakeJobService(script)
    watcher = JobWatcher(_Result(service), poll_s=0, rpc_timeout_s=7, unreachable_s=unreachable_s, clock=_Clock())
    return watcher.watch(threading.Event()), service


def test_errors_from_the_job_service_do_not_end_a_running_job() -> None:
    end, service = _watch(
        ["RUNNING", _Deadline("deadline exceeded"), "RUNNING", _Deadline("x"), "RUNNING", "CANCELLED"]
    )
    assert end is not None and end.state == "CANCELLED"
    assert service.calls == 6
    assert set(service.timeouts) == {7}  # every call has its own short deadline


def test_a_failed_job_reports_the_runner_error() -> None:
    end, _ = _watch(["RUNNING", "FAILED"])
    assert end is not None and (end.state, end.error) == ("FAILED", "worker lost")


def test_stopped_is_not_an_end_prism_reports_it_before_the_job_starts() -> None:
    end, _ = _watch(["STOPPED", "STARTING", "RUNNING", "DONE"])
    assert end is not None and end.state == "DONE"


def test_a_job_service_silent_for_too_long_ends_the_watch() -> None:
    end, service = _watch(["RUNNING", *[_Deadline("gone")] * 100], unreachable_s=5)
    assert end is not None and end.state == "UNREACHABLE"
    assert "has not answered" in (end.error or "")
    assert service.calls < 10


def test_a_stop_request_ends_the_watch_without_a_job_end() -> None:
    stop = threading.Event()
    stop.set()
    watcher = JobWatcher(_Result(_FakeJobService(["RUNNING"])), poll_s=0)
    assert watcher.watch(stop) is None
