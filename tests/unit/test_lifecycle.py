"""Run state across processes: worker processes publish their flags, the launcher answers for all of them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.telemetry import lifecycle


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    lifecycle.reset()
    yield
    lifecycle.reset()


def _worker_file(folder: Path, pid: int, **values: object) -> None:
    body = {"ticks": {}, "activity": 0.0, "inflight": 0, "busy": 0, **values}
    (folder / f"worker-{pid}.json").write_text(json.dumps(body))


def test_the_launcher_adds_up_what_its_workers_published(tmp_path: Path) -> None:
    folder = lifecycle.watch(tmp_path / "run")
    now = time.monotonic()
    _worker_file(folder, 11, ticks={"shard-0000": now - 3}, activity=now - 5, inflight=2, busy=1)
    _worker_file(folder, 12, ticks={"shard-0001": now - 40}, activity=now - 1, inflight=1)
    (folder / "worker-13.json").write_text('{"ticks": ')  # caught half-written: ignored, read next time
    lifecycle.fetches_started(4)
    assert lifecycle.fetches_in_flight() == 7
    assert lifecycle.busy() == 1
    assert lifecycle.quiet_for(now) == pytest.approx(1.0)
    totals = lifecycle.totals(now)  # the same, from one read of the workers' files
    assert (totals.inflight, totals.busy) == (7, 1) and totals.quiet_s == pytest.approx(1.0)
    assert lifecycle.oldest_tick_age(now) == pytest.approx(40.0)  # the slowest shard of any worker


def test_a_drain_reads_the_workers_once_per_check_and_waits_for_their_fetches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.app.runjob import _drain

    folder = lifecycle.watch(tmp_path / "run")
    reads: list[int] = []
    workers = lifecycle._workers

    def counted() -> list[lifecycle.Snapshot]:
        reads.append(1)
        return workers()

    monkeypatch.setattr(lifecycle, "_workers", counted)
    _worker_file(folder, 11, activity=time.monotonic() - 60, inflight=1)
    assert not _drain(0.3, quiet_s=1.0)  # a worker's fetch still in flight
    assert (folder / lifecycle.DRAIN_FILE).exists()
    _worker_file(folder, 11, activity=time.monotonic() - 60)
    reads.clear()
    assert _drain(5.0, quiet_s=1.0)
    assert len(reads) == 1  # one snapshot for in flight, busy and quiet


def test_watch_starts_from_an_empty_folder(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    _worker_file(folder, 99, inflight=5)
    (folder / lifecycle.DRAIN_FILE).touch()
    lifecycle.watch(folder)
    assert lifecycle.fetches_in_flight() == 0 and not (folder / lifecycle.DRAIN_FILE).exists()


def test_without_workers_only_this_process_counts() -> None:
    lifecycle.fetches_started(2)
    lifecycle.tick_completed("shard-0003")
    assert lifecycle.fetches_in_flight() == 2
    age = lifecycle.oldest_tick_age()
    assert age is not None and age >= 0


def test_a_worker_process_publishes_its_flags_and_takes_the_drain_request(tmp_path: Path) -> None:
    """A real second process: it publishes its ticks and fetches, and stops fetching once the launcher drains."""
    folder = lifecycle.watch(tmp_path / "run")
    code = (
        "import sys, time\n"
        "from pipeline.telemetry import lifecycle\n"
        "lifecycle.publish_from(sys.argv[1], every_s=0.05)\n"
        "lifecycle.tick_completed('shard-0007'); lifecycle.fetches_started(3)\n"
        "deadline = time.monotonic() + 60\n"
        "while not lifecycle.draining() and time.monotonic() < deadline: time.sleep(0.05)\n"
        "lifecycle.fetches_finished(3); time.sleep(0.3)\n"
        "print('drained' if lifecycle.draining() else 'timeout')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    child = subprocess.Popen([sys.executable, "-c", code, str(folder)], stdout=subprocess.PIPE, env=env, text=True)
    try:
        deadline = time.monotonic() + 60
        while lifecycle.fetches_in_flight() != 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert lifecycle.fetches_in_flight() == 3
        assert lifecycle.oldest_tick_age() is not None
        lifecycle.start_draining()
        out, _ = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert out.strip() == "drained"
    assert lifecycle.fetches_in_flight() == 0  # its last publication, after the fetches finished
