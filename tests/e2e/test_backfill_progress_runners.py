"""`newsmon backfill` reports its progress while it runs, on each runner it supports.

Real backfills of the news-feeds corpus plus a broken and an oversized document
(a parse failure and a read failure). Piped or with JSON logs: progress lines,
feeds done never going back, the last one at 100% with the summary's entries,
relevant articles and failures. On a terminal (a pseudo-terminal here): the bar,
redrawn in place, ending at 100%. DirectRunner (the default) and Prism (LOOPBACK:
the DoFns in the backfill process), and Flink (embedded) with PROCESS SDK
workers, whose counters are read from the metrics directory they write to.
"""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.support.job import REPO

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
SDK_WORKER = REPO / "deploy" / "local" / "flink" / "sdk-worker"
VERSIONS_ENV = REPO / "deploy" / "local" / "versions.env"


@pytest.fixture
def inputs(corpus: Path, tmp_path: Path) -> tuple[Path, int]:
    folder = tmp_path / "inputs"
    shutil.copytree(corpus / "news-feeds", folder)
    (folder / "broken.xml").write_text("<html><body>not a feed</body></html>")
    with (folder / "huge.xml").open("wb") as big:  # over the 20 MiB cap: never read, dead-lettered
        big.truncate(21 * 1024 * 1024)
    total = sum(1 for p in folder.rglob("*") if p.is_file() and p.suffix in (".xml", ".rss", ".atom", ".gz"))
    return folder, total


def backfill(
    folder: Path, tmp: Path, *args: str, log_format: str = "text", stderr: Any = subprocess.PIPE
) -> tuple[subprocess.CompletedProcess[bytes], dict[str, Any]]:
    summary = tmp / "summary.json"
    env = {k: v for k, v in os.environ.items() if k != "NEWSMON_PROGRESS"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline.app.cli",
            "--log-format",
            log_format,
            "backfill",
            "--input",
            str(folder),
            "--no-index",
            "--deadletter",
            str(tmp / "deadletter.jsonl"),
            "--summary-json",
            str(summary),
            *args,
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=stderr,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, (proc.stderr or b"").decode()[-4000:]
    return proc, json.loads(summary.read_text())


def assert_final_matches(last: dict[str, Any], total: int, summary: dict[str, Any]) -> None:
    assert last["feeds_done"] == last["feeds_total"] == total and last["percent"] == 100.0
    assert last["entries"] == summary["entries"]
    assert last["relevant"] == summary["relevant"]
    assert last["failures"] == sum(summary["failures"].values()) >= 2
    assert last["eta_seconds"] == 0.0 and last["feeds_per_second"] > 0


def progress_records(stderr: bytes) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in stderr.decode().splitlines() if line.startswith("{")]
    return [r for r in records if r.get("logger") == "newsmon.backfill"]


@pytest.mark.parametrize(
    "runner",
    [
        pytest.param(["--runner", "DirectRunner"], id="direct"),
        pytest.param(["--runner", "PrismRunner"], id="prism-loopback"),
    ],
)
def test_json_logs_carry_progress_lines_ending_at_the_summary(
    inputs: tuple[Path, int], tmp_path: Path, runner: list[str], prism_location: str
) -> None:
    folder, total = inputs
    extra = [*runner, f"--prism_location={prism_location}"] if "PrismRunner" in runner else runner
    proc, summary = backfill(folder, tmp_path, *extra, "--progress-every", "0.5", log_format="json")
    records = progress_records(proc.stderr)
    assert records, proc.stderr.decode()[-3000:]
    done = [r["feeds_done"] for r in records]
    assert done == sorted(done)
    assert_final_matches(records[-1], total, summary)
    assert summary["feeds_read"] == total
    assert "failures so far" in records[-1]["msg"] and "ETA" in records[-1]["msg"]


def test_process_workers_on_flink_report_through_their_metrics_directory(tmp_path: Path) -> None:
    jar = Path(os.environ.get("NEWSMON_FLINK_JOB_SERVER_JAR") or REPO / ".cache" / "flink" / "flink-job-server.jar")
    if not jar.is_file():
        pytest.fail(f"Flink job server jar not found at {jar} — run deploy/local/install.sh flink")
    minor = next(
        line.partition("=")[2].strip()
        for line in VERSIONS_ENV.read_text().splitlines()
        if line.startswith("FLINK_MINOR=")
    )
    folder = tmp_path / "inputs"  # small: the point is where the counts come from, not the volume
    shutil.copytree(REPO / "deploy" / "local" / "demo-feeds", folder)
    (folder / "broken.xml").write_text("<html><body>not a feed</body></html>")
    with (folder / "huge.xml").open("wb") as big:
        big.truncate(21 * 1024 * 1024)
    scratch = tmp_path / "flink-tmp"
    scratch.mkdir()
    proc, summary = backfill(
        folder,
        tmp_path,
        "--runner",
        "FlinkRunner",
        "--flink_master=[local]",
        f"--flink_version={minor}",
        f"--flink_job_server_jar={jar}",
        "--environment_type=PROCESS",
        f'--environment_config={{"command": "{SDK_WORKER}"}}',
        "--parallelism=1",
        f"--job_server_jvm_properties=-Djava.io.tmpdir={scratch}",
        f"--artifacts_dir={scratch / 'artifacts'}",
        "--progress-every",
        "1",
        log_format="json",
    )
    records = progress_records(proc.stderr)
    assert records, proc.stderr.decode()[-3000:]
    assert_final_matches(records[-1], 4, summary)
    assert records[-1]["entries"] > 0  # counted in the workers, read here


def _drain(fd: int, into: list[bytes]) -> None:
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the terminal's other side is closed
            return
        if not chunk:
            return
        into.append(chunk)


def test_a_terminal_gets_a_bar_redrawn_in_place(inputs: tuple[Path, int], tmp_path: Path) -> None:
    folder, total = inputs
    leader, follower = pty.openpty()
    chunks: list[bytes] = []
    reader = threading.Thread(target=_drain, args=(leader, chunks), daemon=True)
    reader.start()  # read while it runs: a full terminal buffer would block the backfill
    try:
        _, summary = backfill(folder, tmp_path, stderr=follower)
    finally:
        os.close(follower)
        reader.join(timeout=30)
        os.close(leader)
    text = b"".join(chunks).decode(errors="replace")
    bars = [part.strip() for part in text.replace("\r\n", "\n").split("\r") if part.strip().startswith("[")]
    assert bars, text[-3000:]
    last = bars[-1].splitlines()[0]
    failures = sum(summary["failures"].values())
    assert last.startswith("[" + "#" * 10) and f" {total}/{total} feeds 100%" in last
    assert f"entries {summary['entries']}" in last and f"failures {failures}" in last
    assert "ETA 0:00" in last
