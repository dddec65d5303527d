"""The image's start path for real: `newsmon run` as a non-root user with everything it runs read-only.

The Kubernetes deployment runs uid 10001 with ``readOnlyRootFilesystem``; Beam's
own Prism launcher ``chmod``s the binary and dies there (EROFS). newsmon starts
Prism itself and writes only to ``HOME``/``TMPDIR`` and the dead-letter path.
Here a private mount namespace (``unshare -m``, as root) makes the repository,
the virtualenv, the Prism binary and the Python installation read-only bind
mounts, and ``setpriv`` drops to uid 10001 before the job starts.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.devtools.feedserver import FeedServer
from tests.support.job import REPO, Job

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.integration]
UID = 10001


def _blocked_ancestor(path: Path) -> Path | None:
    """The first directory above ``path`` that others cannot traverse (e.g. /root, mode 700)."""
    for parent in reversed(path.parents):
        if parent != Path("/") and not os.stat(parent).st_mode & 0o001:
            return parent
    return None


def namespace_script(readonly: list[Path], scratch: Path) -> str:
    """Shell run inside ``unshare -m``: every path in ``readonly`` becomes a read-only bind mount,
    reachable by others even under a mode-700 parent (a tmpfs with the path rebuilt over it)."""
    lines = ["set -eu", "mount --make-rprivate /"]
    for n, path in enumerate(readonly):
        blocked = _blocked_ancestor(path)
        if blocked is not None:
            aside = scratch / f"aside{n}"
            lines += [
                f"mkdir -p {aside}",
                f"mount --bind {shlex.quote(str(path))} {aside}",
                f"mountpoint -q {shlex.quote(str(blocked))} || mount -t tmpfs -o mode=755 tmpfs "
                f"{shlex.quote(str(blocked))}",
                f"mkdir -p {shlex.quote(str(path))}",
                f"mount --bind {aside} {shlex.quote(str(path))}",
            ]
        else:
            lines.append(f"mount --bind {shlex.quote(str(path))} {shlex.quote(str(path))}")
        lines.append(f"mount -o remount,bind,ro {shlex.quote(str(path))}")
        probe = shlex.quote(str(path / ".newsmon-ro-probe"))
        lines.append(f"if touch {probe} 2>/dev/null; then rm -f {probe}; echo 'not read-only: {path}' >&2; exit 97; fi")
    lines.append(f'exec setpriv --reuid={UID} --regid={UID} --clear-groups "$@"')
    return "\n".join(lines)


def ensure_user(uid: int) -> None:
    """The image creates its user (deploy/Dockerfile); do the same here. Prism needs a passwd entry:
    it looks up the current user's home at start and crashes (nil pointer) when there is none."""
    if subprocess.run(["getent", "passwd", str(uid)], capture_output=True, check=False).returncode == 0:
        return
    subprocess.run(["groupadd", "--system", "--gid", str(uid), "newsmon-ro"], capture_output=True, check=False)
    subprocess.run(
        [
            "useradd",
            "--system",
            "--uid",
            str(uid),
            "--gid",
            str(uid),
            "--no-create-home",
            "--home-dir",
            "/nonexistent",
            "--shell",
            "/usr/sbin/nologin",
            "newsmon-ro",
        ],
        check=True,
    )


@pytest.fixture
def writable() -> Iterator[Path]:
    """HOME, TMPDIR and the dead-letter file: the only places the job may write."""
    path = Path(tempfile.mkdtemp(prefix="newsmon-ro-", dir="/tmp"))
    path.chmod(0o777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_newsmon_run_starts_and_indexes_as_non_root_on_a_read_only_filesystem(
    writable: Path, search_url: str, prism_location: str
) -> None:
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("setpriv"):
        pytest.fail("this test needs root, unshare and setpriv (util-linux) to build the read-only namespace")
    ensure_user(UID)
    feeds = writable / "feeds"
    shutil.copytree(REPO / "deploy" / "local" / "demo-feeds", feeds)
    server = FeedServer(feeds, "127.0.0.1", 0)
    server.start_background()
    config = writable / "feeds.yaml"
    config.write_text(
        f"defaults: {{interval: 2s}}\nfeeds:\n  - {{url: '{server.url}/wire.xml', name: Demo Wire}}\n"
        f"  - {{url: '{server.url}/business.xml', name: Demo Business}}\n"
    )
    for path in writable.rglob("*"):
        path.chmod(0o777 if path.is_dir() else 0o666)
    python_home = Path(sys.base_prefix).resolve()
    readonly = [REPO, python_home, Path(prism_location).resolve().parent]
    job = Job(writable, config, search_url, prism_location)
    job.deadletter = writable / "deadletter.jsonl"
    job.env = {"HOME": str(writable), "TMPDIR": str(writable)}
    job.wrapper = ["unshare", "-m", "bash", "-c", namespace_script(readonly, writable), "newsmon-ro"]
    try:
        job.start()
        job.settled_count(minimum=5)
        assert job.proc is not None
        uids = [
            line.split()[1]
            for line in Path(f"/proc/{job.proc.pid}/status").read_text().splitlines()
            if line.startswith("Uid:")
        ]
        assert uids == [str(UID)]
        assert job.healthz() == 200
        assert job.stop() == 0
        assert "Read-only file system" not in job.log.read_text()
    finally:
        job.close()
        server.shutdown()
        server.server_close()
        print(job.log.read_text()[-3000:] if job.log.exists() else "")
