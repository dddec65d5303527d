"""Shared fixtures: the feed corpus, the local stack's endpoints, fresh metrics."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.alerting import Services, WebhookSink

REPO = Path(__file__).resolve().parent.parent


def corpus_dir() -> Path:
    return Path(os.environ.get("NEWSMON_CORPUS", REPO.parent / "shared" / "corpus")).resolve()


@pytest.fixture(scope="session")
def corpus() -> Path:
    path = corpus_dir()
    if not path.is_dir():
        pytest.fail(f"feed corpus not found at {path} — set NEWSMON_CORPUS")
    return path


def _stack_env(name: str) -> str:
    """An endpoint published by deploy/local/stack.sh; CI starts every service, so absence is a failure."""
    value = os.environ.get(name)
    if not value:
        env_file = REPO / ".var" / "stack.env"
        if env_file.exists():
            for line in env_file.read_text().splitlines():
                key, _, val = line.removeprefix("export ").partition("=")
                if key == name:
                    value = val.strip().strip("'\"")
    if not value:
        pytest.fail(f"{name} is not set: start the local stack with `bash deploy/local/stack.sh up`")
    return value


@pytest.fixture(scope="session")
def search_url() -> str:
    return _stack_env("ELASTICSEARCH_URL")


@pytest.fixture(scope="session")
def prometheus_url() -> str:
    return _stack_env("NEWSMON_PROMETHEUS_URL")


@pytest.fixture(scope="session")
def prism_location() -> str:
    return _stack_env("NEWSMON_PRISM_LOCATION")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under deploy/local/test.sh (and so CI) every test must run: a skipped test fails the run."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if os.environ.get("NEWSMON_FORBID_SKIPS") == "1" and skipped:
        if reporter:
            reporter.write_line(
                f"NEWSMON_FORBID_SKIPS: {skipped} test(s) were skipped; every test must run here", red=True
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    svc = Services(tmp_path)
    try:
        yield svc
    finally:
        svc.stop()


@pytest.fixture
def sink() -> Iterator[WebhookSink]:
    s = WebhookSink()
    try:
        yield s
    finally:
        s.server.shutdown()
