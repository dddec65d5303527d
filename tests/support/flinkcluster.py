"""The local Flink session cluster of deploy/local/stack.sh, for tests and benchmarks.

``stack.sh up flink`` starts a JobManager and a TaskManager from this
checkout (their state under ``.var/flink``); the TaskManager starts the Python
SDK workers with ``deploy/local/flink/sdk-worker``. Shared by the Flink e2e
test and the freshness benchmark.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from pipeline.runtime.flink import FlinkRest
from tests.support.job import REPO

STACK = REPO / "deploy" / "local" / "stack.sh"
RUN_DIR = REPO / ".var" / "run"
SDK_WORKER = REPO / "deploy" / "local" / "flink" / "sdk-worker"
JOB_SERVER_JAR = REPO / ".cache" / "flink" / "flink-job-server.jar"


def _versions_env(key: str) -> str:
    for line in (REPO / "deploy" / "local" / "versions.env").read_text().splitlines():
        if line.startswith(f"{key}="):
            value = line.partition("=")[2].strip().strip("'\"")
            return value.split(":-", 1)[1].rstrip("}") if value.startswith("${") else value
    raise AssertionError(f"{key} missing from deploy/local/versions.env")


def _stack(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(STACK), *args], capture_output=True, text=True, timeout=timeout, check=False, cwd=REPO
    )


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM) in MiB; 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (started by any of its threads)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return sorted(c for c in set(found) if _alive(c))


class FlinkCluster:
    """`stack.sh up flink` for the duration of a test module; stopped again only if it was not running."""

    def __init__(self) -> None:
        self.port = int(os.environ.get("FLINK_REST_PORT") or _versions_env("FLINK_REST_PORT"))
        self.tm_rpc_port = int(os.environ.get("FLINK_TM_RPC_PORT") or _versions_env("FLINK_TM_RPC_PORT"))
        self.rest = FlinkRest(f"http://127.0.0.1:{self.port}")
        self.started = False

    def up(self) -> None:
        if shutil.which("java") is None:
            pytest.fail("java is not on PATH: the Flink cluster and job server need a JDK (Java 17 here)")
        if not JOB_SERVER_JAR.is_file():
            pytest.fail(f"Flink job server jar not found at {JOB_SERVER_JAR} — run deploy/local/install.sh flink")
        self.started = _stack("status", "flink").returncode != 0
        proc = _stack("up", "flink")
        if proc.returncode != 0:
            pytest.fail(f"stack.sh up flink failed:\n{proc.stdout}\n{proc.stderr}\n{self.log_tail('taskmanager')}")

    def down(self) -> None:
        if self.started:
            _stack("down", "flink")

    def pid(self, role: str) -> int:
        return int((RUN_DIR / f"flink-{role}.pid").read_text().strip())

    def log_tail(self, role: str, chars: int = 4000) -> str:
        path = REPO / ".var" / "log" / f"flink-{role}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def kill_taskmanager(self) -> None:
        """SIGKILL, as a crashed machine would; returns once the process is gone and its RPC port is free.

        (A killed JVM's main thread is a zombie before its other threads are gone, and
        those hold its sockets a little longer: the port is what a restart needs.)"""
        pid = self.pid("taskmanager")
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 90
        while _alive(pid) or _listening(self.tm_rpc_port):
            if time.monotonic() > deadline:
                pytest.fail(f"TaskManager {pid} (or its port {self.tm_rpc_port}) still there 90s after SIGKILL")
            time.sleep(0.2)

    def start_taskmanager(self) -> None:
        proc = _stack("up", "flink-taskmanager")
        if proc.returncode != 0:
            pytest.fail(f"stack.sh up flink-taskmanager failed:\n{proc.stdout}\n{proc.stderr}")

    def job(self, name: str) -> dict[str, Any] | None:
        """The live job called ``name`` (its /jobs/:jid details), or None."""
        live = self.rest.live_jobs_named(name)
        return self.rest._call("GET", f"/jobs/{live[0].jid}") if live else None

    def running(self, name: str) -> bool:
        job = self.job(name)
        return bool(job and job["state"] == "RUNNING" and all(v["status"] == "RUNNING" for v in job["vertices"]))

    def checkpoints(self, name: str) -> dict[str, Any]:
        job = self.job(name)
        return self.rest._call("GET", f"/jobs/{job['jid']}/checkpoints") if job else {}

    def completed_checkpoints(self, name: str) -> int:
        return int(self.checkpoints(name).get("counts", {}).get("completed", 0))

    def restored(self, name: str) -> dict[str, Any] | None:
        """What the running job last restored from (a checkpoint or savepoint), if anything."""
        latest = self.checkpoints(name).get("latest") or {}
        return latest.get("restored") or None


def flink_run_args(tmp: Path, job_name: str, checkpoint_ms: int = 5000) -> list[str]:
    """`newsmon run` arguments for a streaming job on the local cluster, PROCESS SDK workers."""
    scratch = tmp / "flink-client"
    scratch.mkdir(exist_ok=True)
    return [
        "--runner",
        "FlinkRunner",
        "--flink_master=127.0.0.1:" + str(FlinkCluster().port),
        f"--flink_version={_versions_env('FLINK_MINOR')}",
        f"--flink_job_server_jar={JOB_SERVER_JAR}",
        "--environment_type=PROCESS",
        f'--environment_config={{"command": "{SDK_WORKER}"}}',
        f"--checkpointing_interval={checkpoint_ms}",
        "--parallelism=1",
        f"--job_name={job_name}",
        f"--job_server_jvm_properties=-Djava.io.tmpdir={scratch}",
        f"--artifacts_dir={scratch / 'artifacts'}",
    ]


def unique_job_name() -> str:
    return f"newsmon-e2e-{uuid.uuid4().hex[:8]}"
