"""Every kind of configuration error, from every source, run as `newsmon` itself: exit status 2, a message
naming the flag, variable or file and field, and the fix; never a traceback.

Each case runs the real console entry point in a subprocess. The search engine address points at a closed
port and the engine wait is 0, so a setting that slipped through validation would show as exit status 3
(engine unreachable), not 2: every refusal here happens before anything starts.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

GOOD_FEEDS = "feeds:\n  - url: http://127.0.0.1:9/rss\n"


@dataclass(frozen=True)
class Case:
    id: str
    argv: list[str]  # {feeds} is the feeds file written from `feeds`, {tmp} the test's folder
    needle: str  # what the message must name (variable, flag, file field)
    env: dict[str, str] = field(default_factory=dict)
    feeds: str = GOOD_FEEDS


RUN = ["run", "--config", "{feeds}", "--metrics-port", "0", "--engine-wait", "0"]

CASES = [
    # command-line flags
    Case("flag-not-a-number", [*RUN, "--tick", "soon"], "argument --tick: 'soon' is not a number"),
    Case("flag-out-of-range", [*RUN, "--fetch-concurrency", "0"], "argument --fetch-concurrency: 0 is out of range"),
    Case("flag-port", [*RUN, "--metrics-port", "70000"], "argument --metrics-port: 70000"),
    Case("flag-spike-ratio", [*RUN, "--spike-ratio", "0.5"], "argument --spike-ratio"),
    Case("flag-spike-rule", [*RUN, "--spike-history", "60", "--spike-min-history", "7200"], "--spike-history"),
    Case("flag-workers-on-flink", [*RUN, "--sdk-workers", "2", "--runner", "FlinkRunner"], "--sdk-workers 2"),
    Case("flag-search-url", [*RUN, "--search-url", "ftp://engine"], "--search-url='ftp://engine'"),
    Case("flag-log-level", ["--log-level", "LOUD", "classify"], "argument --log-level"),
    # Beam pass-through options
    Case("beam-bad-value", [*RUN, "--parallelism=many"], "argument --parallelism: invalid int value"),
    Case(
        "beam-environment-config",
        [*RUN, "--environment_type=PROCESS", "--environment_config=boot"],
        "--environment_config=boot: not a JSON object",
    ),
    # environment variables
    Case(
        "env-port",
        ["run", "--config", "{feeds}", "--engine-wait", "0"],
        "NEWSMON_METRICS_PORT='nine'",
        {"NEWSMON_METRICS_PORT": "nine"},
    ),
    Case("env-workers", RUN, "NEWSMON_SDK_WORKERS='two'", {"NEWSMON_SDK_WORKERS": "two"}),
    Case("env-bool", RUN, "NEWSMON_INDEX_ALL='maybe'", {"NEWSMON_INDEX_ALL": "maybe"}),
    Case("env-bool-tls", RUN, "NEWSMON_SEARCH_VERIFY_CERTS='sometimes'", {"NEWSMON_SEARCH_VERIFY_CERTS": "sometimes"}),
    Case("env-choice", RUN, "NEWSMON_SEARCH_ENGINE='solr'", {"NEWSMON_SEARCH_ENGINE": "solr"}),
    Case("env-url", RUN, "ELASTICSEARCH_URL='ftp://engine'", {"ELASTICSEARCH_URL": "ftp://engine"}),
    Case("env-days", RUN, "NEWSMON_RETENTION_DAYS='-3'", {"NEWSMON_RETENTION_DAYS": "-3"}),
    Case("env-log-level", ["classify"], "NEWSMON_LOG_LEVEL='LOUD'", {"NEWSMON_LOG_LEVEL": "LOUD"}),
    Case("env-log-format", RUN, "NEWSMON_LOG_FORMAT='xml'", {"NEWSMON_LOG_FORMAT": "xml"}),
    Case(
        "env-prism",
        RUN,
        "NEWSMON_PRISM_LOCATION='/nonexistent/prism'",
        {"NEWSMON_PRISM_LOCATION": "/nonexistent/prism"},
    ),
    Case(
        "env-progress",
        ["backfill", "--input", "{feeds}", "--no-index"],
        "NEWSMON_PROGRESS='sometimes'",
        {"NEWSMON_PROGRESS": "sometimes"},
    ),
    Case(
        "env-demo-scale",
        ["demo", "--feeds-port", "0", "--feeds-dir", "{tmp}"],
        "NEWSMON_DEMO_TIME_SCALE='fast'",
        {"NEWSMON_DEMO_TIME_SCALE": "fast"},
    ),
    Case(
        "env-kibana-bool",
        ["dashboards", "import", "--wait", "0"],
        "KIBANA_VERIFY_CERTS='perhaps'",
        {"KIBANA_VERIFY_CERTS": "perhaps"},
    ),
    # secret files
    Case(
        "secret-file-missing",
        RUN,
        "ELASTICSEARCH_API_KEY_FILE=/nonexistent/key",
        {"ELASTICSEARCH_API_KEY_FILE": "/nonexistent/key"},
    ),
    Case(
        "secret-file-is-a-folder",
        ["search", "tariffs"],
        "ELASTICSEARCH_PASSWORD_FILE=/",
        {"ELASTICSEARCH_PASSWORD_FILE": "/"},
    ),
    # feeds.yaml
    Case("feeds-url", RUN, "feeds[1].url", feeds=GOOD_FEEDS + "  - url: ftp://example.org/rss\n"),
    Case("feeds-interval", RUN, "feeds[0].interval", feeds=GOOD_FEEDS + "    interval: 0.1s\n"),
    Case("feeds-unknown-field", RUN, "feeds[0]: unknown field(s) ['colour']", feeds=GOOD_FEEDS + "    colour: red\n"),
    Case("feeds-yaml-syntax", RUN, "(line 3, column", feeds=GOOD_FEEDS + "    name: a: b\n"),
    Case("feeds-top-level", RUN, "top level must be a mapping", feeds="- url: http://127.0.0.1:9/rss\n"),
    Case("feeds-missing-file", ["run", "--config", "{tmp}/nowhere.yaml"], "nowhere.yaml: no such file"),
]


def _clean_environment(tmp: Path) -> dict[str, str]:
    """This process's environment without newsmon's settings, the engine on a closed port, and a Prism
    binary that exists (nothing gets far enough to run it)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("NEWSMON_", "ELASTICSEARCH_", "KIBANA_", "PROMETHEUS_MULTIPROC"))
    }
    repo = str(Path(__file__).resolve().parents[2])  # this checkout's pipeline package, not an installed one
    env["PYTHONPATH"] = os.pathsep.join([repo, *filter(None, [env.get("PYTHONPATH")])])
    env.update(
        ELASTICSEARCH_URL="http://127.0.0.1:9",
        KIBANA_URL="http://127.0.0.1:9",
        NEWSMON_PRISM_LOCATION=sys.executable,
        NEWSMON_DEADLETTER_PATH=str(tmp / "dead.jsonl"),
    )
    return env


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_configuration_error_exits_2_naming_the_source_and_the_fix(case: Case, tmp_path: Path) -> None:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(case.feeds, encoding="utf-8")
    argv = [a.replace("{feeds}", str(feeds)).replace("{tmp}", str(tmp_path)) for a in case.argv]
    env = {**_clean_environment(tmp_path), **case.env}
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.app.cli", *argv],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 2, done.stderr
    assert case.needle in done.stderr, done.stderr
    assert "fix:" in done.stderr, done.stderr


def test_the_environment_of_the_cases_alone_is_valid(tmp_path: Path) -> None:
    """The baseline the cases change one thing of gets past validation: to the engine, which is not there (3)."""
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(GOOD_FEEDS, encoding="utf-8")
    argv = [a.replace("{feeds}", str(feeds)) for a in RUN]
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.app.cli", *argv],
        env=_clean_environment(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 3, done.stderr
    assert "ELASTICSEARCH_URL" in done.stderr
