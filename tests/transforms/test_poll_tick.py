"""Which tick source PollFeeds puts in the graph: PeriodicImpulse, except Flink's streaming impulse on FlinkRunner.

Only the pipeline graph is built (Pipeline.to_runner_api); nothing runs and
no job server starts.
"""

from __future__ import annotations

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from pipeline.model import Feed
from pipeline.transforms.poll import PollFeeds

FEEDS = [Feed(url="https://a.example/rss", name="A")]
FLINK_IMPULSE_URN = "flink:transform:streaming_impulse:v1"


def transforms(runner: str) -> dict[str, str]:
    """Unique name → URN of every transform PollFeeds expands to on ``runner``."""
    p = beam.Pipeline(options=PipelineOptions([f"--runner={runner}", "--streaming"]))
    _ = p | "PollFeeds" >> PollFeeds(FEEDS, tick_s=2.0)
    proto = p.to_runner_api()
    return {t.unique_name: t.spec.urn for t in proto.components.transforms.values()}


def test_flink_runner_ticks_from_flinks_streaming_impulse() -> None:
    on_flink = transforms("FlinkRunner")
    assert FLINK_IMPULSE_URN in on_flink.values()
    assert "PollFeeds/Tick/Stamp" in on_flink
    assert "PollFeeds/Tick/GenSequence" not in on_flink, on_flink  # PeriodicImpulse's splittable DoFn


def test_other_runners_tick_from_periodic_impulse() -> None:
    for runner in ("PrismRunner", "DirectRunner"):
        names = transforms(runner)
        assert FLINK_IMPULSE_URN not in names.values()
        assert "PollFeeds/Tick/GenSequence" in names, names
