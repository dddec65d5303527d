"""newsmon's own SDK worker pool listens on loopback only (Beam's LOOPBACK pool binds every interface)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.runtime.harness import LocalWorkerPool

LISTEN = "0A"
# 127.0.0.1 as /proc/net shows it: IPv4, or IPv4-mapped in an IPv6 socket (what gRPC opens) — both loopback only.
LOOPBACK_IPV4 = {"0100007F", "0000000000000000FFFF00000100007F"}


def _listeners(port: int) -> list[str]:
    """Local addresses (hex, as in /proc/net/tcp*) listening on ``port``."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, state = fields[1], fields[3]
            if state == LISTEN and int(address.rsplit(":", 1)[1], 16) == port:
                found.append(address.rsplit(":", 1)[0])
    return found


def test_the_pool_listens_on_127_0_0_1_and_nowhere_else() -> None:
    pool = LocalWorkerPool()
    address = pool.start()
    try:
        host, port = address.rsplit(":", 1)
        assert host == "127.0.0.1"
        listeners = _listeners(int(port))
        assert listeners and set(listeners) <= LOOPBACK_IPV4, listeners  # no [::] or 0.0.0.0
    finally:
        pool.stop()
    assert _listeners(int(port)) == []


def test_malloc_arenas_are_capped_unless_the_operator_chose(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.runtime.harness import limit_malloc_arenas

    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas() is False  # the operator's value stands (glibc read it at start)
    monkeypatch.delenv("MALLOC_ARENA_MAX")
    assert limit_malloc_arenas() is True  # glibc here: mallopt accepted


def test_each_worker_process_numbers_its_metric_short_ids_apart() -> None:
    """Prism keeps one short-id table per job: two workers both counting from 1 corrupted each other's metrics."""
    import subprocess
    import sys

    code = (
        "from pipeline.runtime.worker import separate_short_ids\n"
        "from apache_beam.runners.worker import sdk_worker\n"
        "from apache_beam.metrics import monitoring_infos as mi\n"
        "import sys\n"
        "separate_short_ids(int(sys.argv[1]))\n"
        "info = mi.int64_counter(mi.ELEMENT_COUNT_URN, 1, pcollection='p')\n"
        "print(sdk_worker.SHORT_ID_CACHE.get_short_id(info))\n"
    )
    repo = str(Path(__file__).resolve().parents[2])
    ids = [
        subprocess.run(
            [sys.executable, "-c", code, str(n)], capture_output=True, text=True, check=True, cwd=repo
        ).stdout.strip()
        for n in (0, 1, 2)
    ]
    assert len(set(ids)) == 3, ids
