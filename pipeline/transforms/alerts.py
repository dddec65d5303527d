"""DetectSpikes: classified articles in, topic-spike alert documents out.

The Beam adapter over :mod:`pipeline.alerting.spikes`. Steps::

    RelevantOnly ─► OnePerTopic ─► FixedWindows ─► CountPerTopic ─► AttachWindow ─► GlobalWindow ─► JudgeWindows
                    (topic,                        (count + top N   (topic,                          (stateful per
                     Example)                       examples)        WindowCount)                     topic: history)

Windows are in event time: the element timestamps the transform is given
(``newsmon run`` stamps articles when they are polled, which is what the
Prometheus counters count too). A window is judged once, when the watermark
passes its end; articles later than that are dropped (no allowed lateness).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import apache_beam as beam
from apache_beam.coders import PickleCoder
from apache_beam.pvalue import PCollection
from apache_beam.transforms import window as beam_window
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import BagStateSpec, ReadModifyWriteStateSpec, TimerSpec, on_timer

from pipeline.alerting.spikes import (
    DEFAULT_RULE,
    Example,
    SpikeRule,
    TopicHistory,
    alert_document,
    assess,
    example_of,
    previous_counts,
    remember,
    story_key,
    top_examples,
)
from pipeline.core.config import SearchSettings
from pipeline.core.model import ClassifiedArticle
from pipeline.transforms.secrets import public_settings, with_secrets
from pipeline.transforms.telemetry import TelemetryFactory, process_telemetry

__all__ = ["CountWithExamples", "DetectSpikes", "JudgeWindowsDoFn", "WindowCount"]

_Accumulator = tuple[int, tuple[Example, ...], frozenset[str]]

# Beam ships partial inline types: depending on how mypy walks Beam's import
# cycle, its base classes are seen as classes or as Any (then subclassing them
# is a `misc` error). The ignores below cover both.


@dataclass(frozen=True)
class WindowCount:
    """One topic's closed window: bounds in unix seconds, article count, best examples."""

    start: int
    end: int
    count: int
    examples: tuple[Example, ...]
    stories: int = 0  # distinct stories among the ``count`` articles


class CountWithExamples(beam.CombineFn):  # type: ignore[misc, unused-ignore]
    """(Example, story key) → (count, top ``n`` examples, distinct story keys); examples stay bounded at ``n``,
    the story keys at the window's distinct stories."""

    def __init__(self, n: int) -> None:
        self.n = n

    def create_accumulator(self) -> _Accumulator:
        return 0, (), frozenset()

    def add_input(self, acc: _Accumulator, example: tuple[Example, str]) -> _Accumulator:
        ex, story = example
        return acc[0] + 1, top_examples((*acc[1], ex), self.n), acc[2] | {story}

    def merge_accumulators(self, accumulators: Iterable[_Accumulator]) -> _Accumulator:
        count: int = 0
        examples: tuple[Example, ...] = ()
        stories: frozenset[str] = frozenset()
        for n, exs, ss in accumulators:
            count += n
            examples = top_examples((*examples, *exs), self.n)
            stories |= ss
        return count, examples, stories

    def extract_output(self, acc: _Accumulator) -> _Accumulator:
        return acc


def _topics_of(item: ClassifiedArticle) -> Iterator[tuple[str, tuple[Example, str]]]:
    example = example_of(item), story_key(item)
    for topic in item.classification.topics:
        yield topic, example


class _AttachWindow(beam.DoFn):  # type: ignore[misc, unused-ignore]
    """(topic, (count, examples, stories)) in a fixed window → (topic, WindowCount) with the window bounds."""

    def process(
        self, element: tuple[str, _Accumulator], win: Any = beam.DoFn.WindowParam
    ) -> Iterator[tuple[str, WindowCount]]:
        topic, (count, examples, stories) = element
        yield topic, WindowCount(win.start.micros // 10**6, win.end.micros // 10**6, count, examples, len(stories))


class JudgeWindowsDoFn(beam.DoFn):  # type: ignore[misc, unused-ignore]
    """Keyed by topic: remember recent window counts in state, emit an alert dict for each spiking window.

    Windows are judged from an event-time timer rather than on arrival: when
    the watermark jumps over several windows at once (catch-up, replay,
    backfill), their counts can arrive in any order, and each must be judged
    against the windows before it. Sets ``newsmon_topic_spike_ratio``.
    """

    HISTORY = ReadModifyWriteStateSpec("history", PickleCoder())
    PENDING = BagStateSpec("pending", PickleCoder())
    JUDGE = TimerSpec("judge", TimeDomain.WATERMARK)

    def __init__(
        self, rule: SpikeRule, search: SearchSettings | None = None, telemetry: TelemetryFactory = process_telemetry
    ) -> None:
        self.rule = rule
        self.search = public_settings(search) if search else None
        self.telemetry_factory = telemetry

    def setup(self) -> None:
        self.telemetry = self.telemetry_factory()
        self.seed: Callable[[str, int], TopicHistory] | None = None
        if self.search is not None:
            from pipeline.sinks.history import EngineHistory
            from pipeline.sinks.search import SearchWriter

            writer = SearchWriter(with_secrets(self.search), max_attempts=3)
            self.seed = EngineHistory(writer, self.search.index, self.rule)

    def process(
        self,
        element: tuple[str, WindowCount],
        ts: Any = beam.DoFn.TimestampParam,
        pending: Any = beam.DoFn.StateParam(PENDING),
        judge: Any = beam.DoFn.TimerParam(JUDGE),
    ) -> None:
        pending.add(element[1])
        # Every pending window has closed already; firing at any of their ends judges them all, in order.
        judge.set(ts)

    @on_timer(JUDGE)
    def judge_pending(
        self,
        topic: Any = beam.DoFn.KeyParam,
        history_state: Any = beam.DoFn.StateParam(HISTORY),
        pending: Any = beam.DoFn.StateParam(PENDING),
    ) -> Iterator[dict[str, Any]]:
        windows = sorted(pending.read(), key=lambda w: w.start)
        pending.clear()
        history: TopicHistory | None = history_state.read()
        if history is None:  # first windows of this topic since the job started: the engine remembers
            history = self.seed(str(topic), windows[0].start) if self.seed and windows else TopicHistory()
        for w in windows:
            verdict = assess(w.count, previous_counts(history, w.start, self.rule), self.rule)
            history = remember(history, w.start, w.count, self.rule)
            self.telemetry.window_judged(str(topic), verdict.ratio, w.stories)
            if verdict.is_spike:
                yield alert_document(topic, w.start, w.end, verdict, w.examples, self.rule, stories=w.stories)
        history_state.write(history)


class DetectSpikes(beam.PTransform):  # type: ignore[misc, unused-ignore]
    """ClassifiedArticle (timestamped) → alert dict (the ``news-alerts`` document), one per spiking topic window.

    Only relevant articles count, once per topic they are tagged with. Side
    effect: sets the ``newsmon_topic_spike_ratio`` gauge for every judged window.
    With ``search`` set, a topic without history in the job (after a restart) gets
    its history from the documents in the engine (:mod:`pipeline.sinks.history`).
    """

    def __init__(
        self,
        rule: SpikeRule = DEFAULT_RULE,
        search: SearchSettings | None = None,
        telemetry: TelemetryFactory = process_telemetry,
    ) -> None:
        super().__init__()
        self.rule = rule
        self.search = search  # when set, a topic's history is seeded from the engine after a restart
        self.telemetry = telemetry

    def expand(self, articles: PCollection[ClassifiedArticle]) -> PCollection[dict[str, Any]]:
        return (
            articles
            | "RelevantOnly" >> beam.Filter(lambda c: c.classification.relevant)
            | "OnePerTopic" >> beam.FlatMap(_topics_of)
            | "FixedWindows" >> beam.WindowInto(beam_window.FixedWindows(self.rule.window_s))
            | "CountPerTopic" >> beam.CombinePerKey(CountWithExamples(self.rule.max_examples))
            | "AttachWindow" >> beam.ParDo(_AttachWindow()).with_output_types(beam.typehints.KV[str, WindowCount])
            # History spans windows, so the stateful step runs in the global window.
            | "GlobalWindow" >> beam.WindowInto(beam_window.GlobalWindows())
            | "JudgeWindows" >> beam.ParDo(JudgeWindowsDoFn(self.rule, self.search, self.telemetry))
        )
