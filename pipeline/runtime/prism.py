"""The Prism job server as a child process that newsmon owns.

Beam's ``PrismRunner`` can start Prism by itself, but then Prism shares the
terminal's process group (Ctrl-C kills it before newsmon can cancel the job,
and every SDK thread prints a gRPC traceback), Beam ``chmod``\\ s the binary
(which fails on a read-only filesystem) and looks for downloads. newsmon
starts the binary itself instead and hands Beam its address as
``--job_endpoint``:

* in its own session, so only newsmon decides when it stops;
* with ``PR_SET_PDEATHSIG`` (Linux) and Prism's own idle shutdown, so it never
  outlives a newsmon that was killed;
* with its log lines passed to newsmon's logging (warnings and errors kept).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from pipeline.core.errors import ConfigError, NewsmonError

log = logging.getLogger("newsmon.prism")
_PR_SET_PDEATHSIG = 1


def _death_signal_setter() -> Callable[[], None] | None:
    """A function for ``preexec_fn`` that makes the child get SIGTERM when newsmon dies (Linux only).

    libc is loaded here, in the parent: the child only makes the one system call, which is safe
    between fork and exec even though newsmon has threads.
    """
    if sys.platform != "linux":
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def set_death_signal() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))

    return set_death_signal


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrismServer:
    """One Prism process: ``start()`` returns its job endpoint, ``stop()`` ends it."""

    def __init__(self, binary: str, *, idle_shutdown_s: float = 120.0, start_timeout_s: float = 60.0) -> None:
        path = Path(binary)
        if not path.is_file():
            raise ConfigError(
                f"Prism binary {binary} does not exist — fix: run deploy/local/install.sh or set "
                "NEWSMON_PRISM_LOCATION (newsmon never downloads it at run time)"
            )
        if not os.access(path, os.X_OK):
            raise ConfigError(
                f"Prism binary {binary} is not executable — fix: chmod +x it where it is "
                "installed (newsmon does not change files at run time)"
            )
        self.binary = str(path)
        self.idle_shutdown_s = idle_shutdown_s
        self.start_timeout_s = start_timeout_s
        self.proc: subprocess.Popen[bytes] | None = None
        self.endpoint = ""
        self.cancelling = False  # set by the launcher just before it cancels the job

    def start(self) -> str:
        port = _free_port()
        cmd = [
            self.binary,
            f"--job_port={port}",
            "--serve_http=false",
            "--log_kind=json",
            "--log_level=warn",
            f"--idle_shutdown_timeout={int(self.idle_shutdown_s)}s",
        ]
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_death_signal_setter(),  # noqa: PLW1509 - see the setter
        )
        threading.Thread(target=self._pump, args=(self.proc,), name="prism-log", daemon=True).start()
        self.endpoint = f"localhost:{port}"
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise NewsmonError(f"Prism exited with status {self.proc.returncode} at start-up ({self.binary})")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                log.debug("Prism (pid %d) serving jobs on %s", self.proc.pid, self.endpoint)
                return self.endpoint
            time.sleep(0.1)
        self.stop()
        raise NewsmonError(f"Prism did not open its job port within {self.start_timeout_s:g}s ({self.binary})")

    def cancel_expected(self) -> None:
        """The job is about to be cancelled: the failed bundles and late state requests Prism then
        reports are what a cancel does, not faults, and are logged at DEBUG."""
        self.cancelling = True

    def _pump(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").strip()
            if not line:
                continue
            try:
                entry = json.loads(line)
                level = str(entry.get("level", "INFO")).upper()
                text = str(entry.get("msg", line))
            except ValueError:  # not Prism's logger: a Go runtime message (a panic, GODEBUG output)
                log.info("prism: %s", line)
                continue
            if self.cancelling:
                log.debug("prism (job cancelled): %s", text)
                continue
            log.log(
                logging.ERROR if level == "ERROR" else logging.WARNING if level.startswith("WARN") else logging.DEBUG,
                "prism: %s",
                text,
            )

    def stop(self, timeout_s: float = 5.0) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout_s)
