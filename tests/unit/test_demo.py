"""The demo newsroom: its bank against the detector, its timeline, its feeds and its spike settings."""

from __future__ import annotations

import itertools
import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.alerting.spikes import DEFAULT_RULE
from pipeline.app.cli import main
from pipeline.core.model import Feed
from pipeline.demo.newsroom import MAX_ITEMS, Newsroom, render_feed
from pipeline.demo.stories import (
    BURST_AT_S,
    BURST_EVERY_S,
    DEMO_SPEEDUP,
    FEEDS,
    STEADY_EVERY_S,
    Publication,
    Story,
    load_bank,
    poll_interval_s,
    publications,
    run_args,
)
from pipeline.detect import classify
from pipeline.sources.parse import parse_feed
from tests.support.alerting import RULES_DIR, scale_rules

REPO = Path(__file__).resolve().parents[2]
DEMO_RULES = REPO / "deploy" / "local" / "prometheus-demo-rules.yml"
BANK = load_bank()


def by_phase(phase: str) -> list[Story]:
    return [s for s in BANK if s.phase == phase]


# --- the bank ---------------------------------------------------------------------------------------------


def _parsed(stories: list[Story], feed: str = "wire") -> list[Any]:
    items = [(1_780_000_000.0 + n, f"https://demo.newsmon.invalid/t/{s.id}", s) for n, s in enumerate(stories)]
    body = render_feed(feed, items).encode()
    return parse_feed(body, Feed(url=f"http://127.0.0.1/{feed}.xml", name=FEEDS[feed])).articles


@pytest.mark.parametrize("story", BANK, ids=lambda s: s.id)
def test_every_demo_story_gets_the_verdict_the_bank_states(story: Story) -> None:
    # Through the feed, as the job reads it: rendered, parsed, then classified.
    [article] = _parsed([story], story.feed)
    verdict = classify(article.title, article.summary, article.body, article.language)
    assert (verdict.relevant, sorted(verdict.topics)) == (story.relevant, sorted(story.topics)), verdict.evidence


def test_the_bank_mixes_topics_outsiders_and_false_friends_and_bursts_on_trade() -> None:
    relevant = [s for s in BANK if s.relevant]
    assert {t for s in relevant for t in s.topics} == {
        "trade",
        "defense",
        "immigration",
        "energy",
        "diplomacy",
        "technology",
    }
    assert len([s for s in BANK if not s.relevant]) >= 8
    titles = " ".join(s.title for s in BANK if not s.relevant)
    for false_friend in (
        "Indiana",
        "Indianapolis",
        "Indian Wells",
        "Native American",
        "India Pale Ale",
        "West Indies",
        "Washington state",
    ):
        assert false_friend in titles
    burst = by_phase("burst")
    assert all(s.relevant and s.topics == ("trade",) for s in burst)
    assert {s.feed for s in BANK} == set(FEEDS)


# --- the timeline -----------------------------------------------------------------------------------------


def test_round_one_publishes_every_steady_and_burst_story_once_in_time_order() -> None:
    first = [p for p in itertools.islice(publications(BANK), 200) if p.round == 1]
    assert [p.at_s for p in first] == sorted(p.at_s for p in first)
    assert sorted(p.story.id for p in first) == sorted(s.id for s in BANK if s.phase != "backlog")
    burst = [p.at_s for p in first if p.story.phase == "burst"]
    assert burst[0] == BURST_AT_S and burst == [BURST_AT_S + n * BURST_EVERY_S for n in range(len(burst))]
    steady = [p.at_s for p in first if p.story.phase == "steady"]
    assert steady == [(n + 1) * STEADY_EVERY_S for n in range(len(steady))]


def test_later_rounds_repeat_the_steady_stories_under_new_urls() -> None:
    pubs = list(itertools.islice(publications(BANK), 200))
    second = [p for p in pubs if p.round == 2]
    assert [p.story for p in second] == by_phase("steady")
    assert min(p.at_s for p in second) > max(p.at_s for p in pubs if p.round == 1)
    assert second[0].url("e1") == f"https://demo.newsmon.invalid/e1/{second[0].story.id}-r2"
    assert Publication(0, second[0].story).url("e1") != second[0].url("e1")


def test_the_time_scale_multiplies_every_time() -> None:
    normal = list(itertools.islice(publications(BANK), 100))
    fast = list(itertools.islice(publications(BANK, 0.5), 100))
    assert [p.at_s / 2 for p in normal] == [p.at_s for p in fast]
    assert [p.story for p in normal] == [p.story for p in fast]
    assert poll_interval_s(1) == 10 and poll_interval_s(0.5) == 5 and poll_interval_s(0.01) == 1
    with pytest.raises(ValueError, match="positive"):
        next(publications(BANK, 0))


def test_the_burst_comes_after_the_history_a_verdict_needs_and_fills_a_window() -> None:
    window = DEFAULT_RULE.window_s / DEMO_SPEEDUP
    # History from the first poll (the backlog's trade story) to the burst window: the job's rule, and
    # Prometheus' (the count series must exist min history + one window before).
    assert (DEFAULT_RULE.min_history_windows + 1) * window <= BURST_AT_S
    burst = by_phase("burst")
    # The burst spans less than a window, so at most two windows share it and one holds min_count.
    assert (len(burst) - 1) * BURST_EVERY_S < window
    assert len(burst) >= 2 * DEFAULT_RULE.min_count
    trade_before = [s for s in BANK if "trade" in s.topics and s.phase == "backlog"]
    assert trade_before, "a trade story in the backlog starts trade's history at the first poll"


def test_run_args_are_the_production_spike_rule_30_times_faster() -> None:
    assert run_args() == [
        "--tick",
        "2",
        "--spike-window",
        "30",
        "--spike-history",
        "2880",
        "--spike-min-history",
        "120",
        "--spike-ratio",
        "3",
        "--spike-min-count",
        "5",
    ]
    assert run_args(0.5)[:8] == [
        "--tick",
        "1",
        "--spike-window",
        "15",
        "--spike-history",
        "1440",
        "--spike-min-history",
        "60",
    ]


# --- the feeds --------------------------------------------------------------------------------------------


def test_a_rendered_feed_is_newest_first_and_keeps_the_newest_items() -> None:
    stories = list(BANK) * 2
    articles = _parsed(stories[: MAX_ITEMS + 5])
    assert len(articles) == MAX_ITEMS
    assert articles[0].url.endswith(stories[MAX_ITEMS + 4].id)
    assert all(a.published_at for a in articles) and all(a.source == FEEDS["wire"] for a in articles)


def _get(url: str, etag: str | None = None) -> tuple[int, bytes, str]:
    req = urllib.request.Request(url, headers={"If-None-Match": etag} if etag else {})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, resp.read(), resp.headers["ETag"]
    except urllib.error.HTTPError as err:
        return err.code, b"", err.headers["ETag"]


def test_the_newsroom_serves_its_backlog_and_a_published_story_changes_the_feed(tmp_path: Path) -> None:
    newsroom = Newsroom(tmp_path, edition="t1").start()
    try:
        status, body, etag = _get(f"{newsroom.url}/wire.xml")
        assert status == 200
        backlog = [s for s in by_phase("backlog") if s.feed == "wire"]
        assert all(f"https://demo.newsmon.invalid/t1/{s.id}".encode() in body for s in backlog)
        assert _get(f"{newsroom.url}/wire.xml", etag)[0] == 304
        story = next(s for s in BANK if s.feed == "wire" and s.phase == "steady")
        url = newsroom.publish(Publication(20.0, story))
        status, body, _ = _get(f"{newsroom.url}/wire.xml", etag)
        assert status == 200 and url.encode() in body
        config = yaml.safe_load(newsroom.write_config().read_text())
        assert config["defaults"]["interval"] == "10s"
        assert [f["url"] for f in config["feeds"]] == [f"{newsroom.url}/{f}.xml" for f in FEEDS]
    finally:
        newsroom.stop()


def test_newsmon_demo_refuses_a_bad_time_scale(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--time-scale", "0"]) == 2
    assert "--time-scale 0" in capsys.readouterr().err


# --- the demo Prometheus rules ----------------------------------------------------------------------------

DEMO_NAMES = {
    "topic:newsmon_relevant_articles:increase15m": "demo:topic:newsmon_relevant_articles:increase30s",
    "topic:newsmon_relevant_articles:increase15m_avg1d": "demo:topic:newsmon_relevant_articles:increase30s_avg48m",
    "topic:newsmon_relevant_articles:spike_ratio": "demo:topic:newsmon_relevant_articles:spike_ratio",
    "NewsmonTopicSpike": "NewsmonDemoTopicSpike",
}
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


def _ms(expr: str) -> str:
    """Every duration in ``expr`` as milliseconds, whitespace squeezed: expressions compare by meaning."""

    def one(m: re.Match[str]) -> str:
        total = sum(int(n) * _UNIT_MS[u] for n, u in re.findall(r"(\d+)(ms|[smhd])", m.group(0)))
        return f"{total}ms"

    return " ".join(re.sub(r"(?<![\w:])(?:\d+(?:ms|[smhd]))+(?![\w:])", one, expr).split())


def _spike_rules(doc: dict[str, Any]) -> list[dict[str, Any]]:
    rules = [
        r
        for g in doc["groups"]
        for r in g["rules"]
        if r.get("record", "").startswith(("topic:", "demo:")) or "TopicSpike" in r.get("alert", "")
    ]
    return sorted(rules, key=lambda r: "alert" in r)  # recording rules first, in file order


def test_the_demo_rules_are_the_production_spike_rules_30_times_faster() -> None:
    production: list[dict[str, Any]] = []
    for path in sorted(RULES_DIR.glob("*.yml")):
        production += _spike_rules(scale_rules(path, 1 / DEMO_SPEEDUP))
    production.sort(key=lambda r: "alert" in r)
    demo = _spike_rules(yaml.safe_load(DEMO_RULES.read_text()))
    assert len(demo) == len(production) == 4

    def renamed(text: str) -> str:
        for old in sorted(DEMO_NAMES, key=len, reverse=True):
            text = re.sub(rf"(?<![\w:]){re.escape(old)}(?![\w])", DEMO_NAMES[old], text)
        return text

    for prod, ours in zip(production, demo, strict=True):
        name = prod.get("record") or prod["alert"]
        assert ours.get("record", ours.get("alert")) == DEMO_NAMES[name]
        assert _ms(ours["expr"]) == _ms(renamed(prod["expr"])), name
        assert _ms(str(ours.get("for", ""))) == _ms(str(prod.get("for", ""))), name
    alert = demo[-1]
    assert alert["labels"] == {"severity": "warning", "settings": "demo"}
    assert alert["annotations"]["summary"].startswith("[demo settings]")
    assert "DEMO SETTINGS" in DEMO_RULES.read_text().splitlines()[0]


def test_newsmon_demo_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["demo", "--help"])
    assert done.value.code == 0 and "--time-scale" in capsys.readouterr().out


def test_newsmon_demo_hands_other_arguments_to_run_after_its_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A later --spike-window overrides the demo's; run refuses it before any engine or runner starts,
    # and the newsroom (feeds.yaml written, port released) is stopped on the way out.
    assert main(["demo", "--feeds-port", "0", "--feeds-dir", str(tmp_path), "--spike-window", "0"]) == 2
    assert "argument --spike-window: 0 is out of range — fix:" in capsys.readouterr().err
    feeds = yaml.safe_load((tmp_path / "feeds.yaml").read_text())["feeds"]
    assert [f["name"] for f in feeds] == list(FEEDS.values())
    assert all((tmp_path / f"{feed}.xml").is_file() for feed in FEEDS)
