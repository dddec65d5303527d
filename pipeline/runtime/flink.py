"""The streaming job on a Flink cluster: stopping it there when ``newsmon run`` stops.

Why newsmon talks to Flink's REST API itself: Beam's Python FlinkRunner runs
the job through Beam's Flink job server, and for a cluster (``--flink_master``
a JobManager's REST address) that job server only *submits* the job. Its
``Cancel`` ends its own invocation but leaves the Flink job running on the
cluster (Beam 2.62.0's JobInvocation cancels the future that waits for the
job, not the job). So on stop newsmon finds the job by its name on the
JobManager and stops it: with a savepoint when it can (the path is logged; a
later ``newsmon run ... --savepoint_path=<path>`` resumes from it), else with
a cancel (the cluster keeps its last checkpoint: RETAIN_ON_CANCELLATION in
deploy/local/flink/config.yaml).
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("newsmon.flink")

# Flink job states that end a job (JobStatus.isGloballyTerminalState, plus SUSPENDED).
FLINK_TERMINAL = frozenset({"FINISHED", "CANCELED", "FAILED", "SUSPENDED"})
EMBEDDED_MASTERS = frozenset({"", "[local]", "[auto]", "[collection]"})


def rest_url(flink_master: str | None) -> str | None:
    """The JobManager's REST URL for a ``--flink_master`` value; None for an embedded Flink."""
    master = (flink_master or "").strip()
    if master in EMBEDDED_MASTERS:
        return None
    return (master if "://" in master else f"http://{master}").rstrip("/")


def job_name_for_run() -> str:
    """A Flink job name unique to one ``newsmon run`` (how the job is found on the cluster)."""
    return f"newsmon-{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True)
class FlinkJob:
    jid: str
    name: str
    state: str


class FlinkRest:
    """The few JobManager REST calls newsmon needs (no proxy: the JobManager is a local or cluster address)."""

    def __init__(self, url: str, timeout_s: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.url}{path}", data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with self._opener.open(request, timeout=self.timeout_s) as response:
            text = response.read().decode() or "null"
        return json.loads(text)

    def jobs(self) -> list[FlinkJob]:
        overview = self._call("GET", "/jobs/overview")
        return [FlinkJob(j["jid"], j["name"], j["state"]) for j in overview.get("jobs", [])]

    def live_jobs_named(self, name: str) -> list[FlinkJob]:
        return [j for j in self.jobs() if j.name == name and j.state not in FLINK_TERMINAL]

    def cancel(self, jid: str) -> None:
        self._call("PATCH", f"/jobs/{jid}?mode=cancel")

    def stop_with_savepoint(self, jid: str, timeout_s: float, sleep: Callable[[float], None] = time.sleep) -> str:
        """Stop the job after a savepoint (into the cluster's state.savepoints.dir); its path."""
        trigger = self._call("POST", f"/jobs/{jid}/stop", {"drain": False})["request-id"]
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            status = self._call("GET", f"/jobs/{jid}/savepoints/{trigger}")
            if status["status"]["id"] == "COMPLETED":
                operation = status.get("operation") or {}
                if "location" in operation:
                    return str(operation["location"])
                raise RuntimeError(str(operation.get("failure-cause", {}).get("stack-trace", operation))[:2000])
            sleep(0.5)
        raise TimeoutError(f"no savepoint of job {jid} after {timeout_s:.0f}s")


def stop_job(rest: FlinkRest, name: str, timeout_s: float) -> list[str]:
    """Stop every live job called ``name``: with a savepoint, else cancelled. The savepoint paths."""
    savepoints: list[str] = []
    try:
        jobs = rest.live_jobs_named(name)
    except (OSError, urllib.error.URLError, ValueError) as exc:
        log.warning("Flink job %s not stopped: the JobManager at %s did not answer (%s)", name, rest.url, exc)
        return savepoints
    if not jobs:
        log.warning("no running Flink job named %s on %s", name, rest.url)
    for job in jobs:
        try:
            path = rest.stop_with_savepoint(job.jid, timeout_s)
            savepoints.append(path)
            log.info(
                "Flink job %s stopped with a savepoint at %s (resume with --savepoint_path=%s)", job.jid, path, path
            )
        except Exception as exc:  # a savepoint can fail (a task not running yet): cancel instead
            log.warning("Flink job %s: no savepoint (%s); cancelling it", job.jid, exc)
            try:
                rest.cancel(job.jid)
            except Exception as cancel_exc:
                log.error("Flink job %s could not be cancelled: %s", job.jid, cancel_exc)
    return savepoints
