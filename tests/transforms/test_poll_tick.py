"""Which tick source PollFeeds puts in the graph: PeriodicImpulse, except on FlinkRunner.

On FlinkRunner: Java's GenerateSequence as a primitive Read, expanded by the
expansion service deploy/local/install.sh writes (a real Java process, started
while the graph is built); Flink's streaming impulse when there is none. Only
the pipeline graph is built (Pipeline.to_runner_api); no job runs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from pipeline.core.model import Feed
from pipeline.transforms.poll import PollFeeds

FEEDS = [Feed(url="https://a.example/rss", name="A")]
FLINK_IMPULSE_URN = "flink:transform:streaming_impulse:v1"
READ_URN = "beam:transform:read:v1"
JOB_SERVER_JAR = Path(__file__).resolve().parents[2] / ".cache" / "flink" / "flink-job-server.jar"


def transforms(runner: str, *options: str) -> dict[str, str]:
    """Unique name → URN of every transform PollFeeds expands to on ``runner``."""
    p = beam.Pipeline(options=PipelineOptions([f"--runner={runner}", "--streaming", *options]))
    _ = p | "PollFeeds" >> PollFeeds(FEEDS, tick_s=2.0)
    proto = p.to_runner_api()
    return {t.unique_name: t.spec.urn for t in proto.components.transforms.values()}


@pytest.mark.integration
def test_flink_runner_ticks_from_javas_generate_sequence_as_a_primitive_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSMON_FLINK_EXPANSION_JAR", raising=False)
    if not JOB_SERVER_JAR.is_file() or shutil.which("java") is None:
        pytest.fail(f"needs java and {JOB_SERVER_JAR} with its expansion service — run deploy/local/install.sh flink")
    on_flink = transforms("FlinkRunner", f"--flink_job_server_jar={JOB_SERVER_JAR}")
    reads = [name for name, urn in on_flink.items() if urn == READ_URN]
    assert reads and all(name.startswith("PollFeeds/Tick/Sequence/") for name in reads), on_flink
    assert "PollFeeds/Tick/Stamp" in on_flink
    assert FLINK_IMPULSE_URN not in on_flink.values()
    assert "PollFeeds/Tick/GenSequence" not in on_flink, on_flink  # PeriodicImpulse's splittable DoFn


def test_flink_runner_without_an_expansion_service_ticks_from_flinks_streaming_impulse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NEWSMON_FLINK_EXPANSION_JAR", raising=False)
    on_flink = transforms("FlinkRunner")
    assert FLINK_IMPULSE_URN in on_flink.values()
    assert "PollFeeds/Tick/Stamp" in on_flink
    assert "PollFeeds/Tick/GenSequence" not in on_flink, on_flink  # PeriodicImpulse's splittable DoFn


def test_other_runners_tick_from_periodic_impulse() -> None:
    for runner in ("PrismRunner", "DirectRunner"):
        names = transforms(runner)
        assert FLINK_IMPULSE_URN not in names.values()
        assert "PollFeeds/Tick/GenSequence" in names, names
