"""How newsmon relays the output of the Prism process it starts (a stand-in script prints Prism-style lines)."""

from __future__ import annotations

import logging
import textwrap
import time
from pathlib import Path

import pytest

from pipeline.runtime.prism import PrismServer


def _fake_prism(tmp_path: Path) -> Path:
    """Listens on --job_port like Prism, logs JSON lines on a signal file, like Prism at a cancel."""
    script = tmp_path / "prism"
    script.write_text(
        textwrap.dedent(f"""\
        #!/usr/bin/env python3
        import json, socket, sys, time, pathlib
        port = int(next(a for a in sys.argv if a.startswith("--job_port=")).split("=")[1])
        server = socket.create_server(("127.0.0.1", port))
        go = pathlib.Path({str(tmp_path / "go")!r})
        print(json.dumps({{"level": "WARN", "msg": "a warning while running"}}), flush=True)
        while not go.exists():
            time.sleep(0.05)
        print(json.dumps({{"level": "ERROR", "msg": "Bundle Failed."}}), flush=True)
        time.sleep(60)
        """)
    )
    script.chmod(0o755)
    return script


def test_prism_errors_after_the_cancel_are_not_reported_as_faults(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = PrismServer(str(_fake_prism(tmp_path)), start_timeout_s=30)
    caplog.set_level(logging.DEBUG, logger="newsmon.prism")
    server.start()
    try:
        deadline = time.monotonic() + 30
        while "a warning while running" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.05)
        server.cancel_expected()
        (tmp_path / "go").touch()
        while "Bundle Failed" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        server.stop()
    levels = {r.getMessage(): r.levelno for r in caplog.records}
    assert levels["prism: a warning while running"] == logging.WARNING  # while running: as Prism said
    assert levels["prism (job cancelled): Bundle Failed."] == logging.DEBUG
