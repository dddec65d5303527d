"""Stories end to end: `newsmon run` on Prism, three outlets serving one story beside unrelated ones.

Outlet A runs a wire story, outlet B reprints it under an edited headline,
outlet C under a URL with tracking parameters; each outlet also has stories of
its own. The three copies share one ``story_id`` and every other story has
its own; ``newsmon search --stories`` shows the story once with its three
outlets; the spike alert for the burst says how many distinct stories drove
it. After a restart, a fourth outlet's copy joins the same story: the
decision lives in the engine, not in the runner.

The event case: two outlets tell one event (a defence framework signed) in
their own words, a third runs another event of the same two ministers and
topic (a phone call on co-production) a minute later: the two write-ups share
a ``story_id`` (joined on the event keys, as the metric says), the other
event keeps its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest

from pipeline.devtools.feedserver import FeedServer
from pipeline.sinks.stories import stories_index
from tests.support.job import REPO, Job

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.integration]

WINDOW_S = 8  # spike window: the burst below lands in one window
RUN = uuid.uuid4().hex[:8]  # in every link: news-alerts is shared, and alerts are found by their example URLs
LEAD = (
    "Washington and New Delhi agreed on Tuesday to lower tariffs on almonds, apples and dairy products, "
    "trade officials from both countries said after two days of talks in New Delhi."
)
SHARED = {  # outlet → (headline, link) of its copy of the wire story
    "a": ("US and India agree to cut tariffs on farm goods", "https://outlet-a.example/world/us-india-farm-tariffs"),
    "b": ("India, US strike deal to slash farm tariffs", "https://outlet-b.example/2026/india-us-tariff-deal"),
    "c": (
        "US and India agree to cut tariffs on farm goods",
        "https://outlet-c.example/news/48213?utm_source=rss&utm_medium=feed&utm_campaign=world",
    ),
    "d": ("US, India agree to cut farm-goods tariffs", "https://outlet-d.example/trade/farm-tariffs"),
}
OWN = {  # outlet → a story only it runs: (headline, lead, link)
    "a": (
        "India and US trade negotiators review steel duties",
        "Commerce officials from India and the United States met in Washington to review steel and aluminium "
        "duties imposed last year.",
        "https://outlet-a.example/business/steel-duties-review",
    ),
    "b": (
        "Pentagon clears sale of naval helicopters to India",
        "The US State Department approved the possible sale of MH-60R helicopters to the Indian Navy, the "
        "Defense Security Cooperation Agency said.",
        "https://outlet-b.example/defence/mh60r-sale",
    ),
    "c": (
        "New H-1B visa fee rattles Indian IT firms",
        "Indian outsourcing companies said a new US fee on H-1B visa applications would raise costs for "
        "sending engineers to American clients.",
        "https://outlet-c.example/tech/h1b-fee",
    ),
}
BURST_OTHER = (
    "US presses India to open market for medical devices",
    "The US Trade Representative asked India to ease price caps on stents and knee implants made by "
    "American companies, in a new round of market-access talks.",
    "https://outlet-b.example/business/medical-devices-market-access",
)


def item(title: str, lead: str, link: str) -> str:
    return (
        f"    <item>\n      <title>{title}</title>\n      <link>{run_link(link).replace('&', '&amp;')}</link>\n"
        f"      <pubDate>{formatdate(time.time(), usegmt=True)}</pubDate>\n"
        f"      <description>{lead}</description>\n    </item>\n"
    )


def run_link(link: str) -> str:
    """The link with this run's token in its path (before any query)."""
    path, sep, query = link.partition("?")
    return f"{path}-{RUN}{sep}{query}"


def write_feed(path: Path, name: str, items: list[str]) -> None:
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0">\n  <channel>\n'
        f"    <title>{name}</title>\n    <link>https://{path.stem}.example/</link>\n"
        f"    <description>{name}</description>\n{''.join(items)}  </channel>\n</rss>\n"
    )


def add_items(path: Path, items: list[str]) -> None:
    path.write_text(path.read_text().replace("  </channel>", "".join(items) + "  </channel>"))


@pytest.fixture
def outlets(tmp_path: Path) -> Iterator[tuple[FeedServer, Path]]:
    root = tmp_path / "feeds"
    root.mkdir()
    for outlet, (title, lead, link) in OWN.items():
        write_feed(root / f"outlet-{outlet}.xml", f"Outlet {outlet.upper()}", [item(title, lead, link)])
    server = FeedServer(root, "127.0.0.1", 0)
    server.start_background()
    yield server, root
    server.shutdown()
    server.server_close()


def docs(job: Job) -> dict[str, dict[str, Any]]:
    job.client.request("POST", f"/{job.index}-*/_refresh")
    hits = job.client.request("POST", f"/{job.index}-*/_search", {"size": 100})["hits"]["hits"]
    return {h["_source"]["url"]: h["_source"] for h in hits}


def search_stories(job: Job, *words: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "pipeline.app.cli", "search", "--stories", "--json", "--index", job.index, *words],
        env={**os.environ, "ELASTICSEARCH_URL": job.search_url},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def alerts(job: Job, urls: list[str]) -> list[dict[str, Any]]:
    return [a for a in job.alerts_naming(urls) if a["topic"] == "trade"]


def test_one_story_through_three_outlets(
    outlets: tuple[FeedServer, Path], tmp_path: Path, search_url: str, prism_location: str
) -> None:
    server, root = outlets
    config = tmp_path / "feeds.yaml"
    config.write_text(
        "defaults: {interval: 1s}\nfeeds:\n"
        + "".join(f"  - {{url: '{server.url}/outlet-{o}.xml', name: Outlet {o.upper()}}}\n" for o in OWN)
    )
    job = Job(
        tmp_path,
        config,
        search_url,
        prism_location,
        "--spike-window",
        str(WINDOW_S),
        "--spike-history",
        str(40 * WINDOW_S),
        "--spike-min-history",
        str(2 * WINDOW_S),
        "--spike-min-count",
        "3",
        "--spike-ratio",
        "2",
    )
    try:
        job.start()
        job.settled_count(minimum=3)
        # The trade topic has been seen (outlet A's steel story); let two quiet windows pass, then start
        # the burst just after a window opens so that every copy lands in that one window.
        time.sleep(2 * WINDOW_S - time.time() % WINDOW_S + 0.3)
        add_items(root / "outlet-a.xml", [item(SHARED["a"][0], LEAD, SHARED["a"][1])])
        add_items(root / "outlet-b.xml", [item(SHARED["b"][0], LEAD, SHARED["b"][1]), item(*BURST_OTHER)])
        add_items(root / "outlet-c.xml", [item(SHARED["c"][0], LEAD, SHARED["c"][1])])
        job.wait_for(lambda: job.count() == 7, 120, "the burst to be indexed")

        by_url = docs(job)
        shared = {by_url[u]["story_id"] for u in by_url if "farm" in by_url[u]["title"]}
        copies = [d for d in by_url.values() if d["summary"] == LEAD]
        assert len(copies) == 3 and len({d["source"] for d in copies}) == 3
        assert len({d["story_id"] for d in copies}) == 1, [(d["url"], d["story_id"]) for d in copies]
        story = copies[0]["story_id"]
        others = [d["story_id"] for d in by_url.values() if d["summary"] != LEAD]
        assert len(others) == 4 and len(set(others)) == 4 and story not in others
        assert shared == {story}

        found = search_stories(job, "tariffs")
        [hit] = [h for h in found["hits"] if h["story_id"] == story]
        assert sorted(hit["outlets"]) == ["Outlet A", "Outlet B", "Outlet C"] and hit["articles"] == 3
        assert len(found["hits"]) == found["stories"]  # one hit per story

        record = job.client.request("GET", f"/{stories_index(job.index)}/_doc/{story}")["_source"]
        assert record["size"] == 3 and record["kind"] == "story"

        burst = [run_link(SHARED[o][1]) for o in "abc"] + [run_link(BURST_OTHER[2])]
        [alert] = job.wait_for(lambda: alerts(job, burst), 90, "the trade spike alert")
        assert alert["count"] == 4 and alert["stories"] == 2 and not alert["single_story"]
        assert alert["summary"] == "4 articles, 2 distinct stories"
        named = {ex["story_id"] for ex in alert["examples"]}
        assert story in named and len(named) == len(alert["examples"]) == 2
        # Assignments are counted when made: a bundle the runner retries counts its articles again.
        assert job.metric("newsmon_story_assignments_total", outcome="joined") >= 2
        assert job.stop() == 0

        # A restart keeps the stories: a fourth outlet's copy joins the same one.
        write_feed(root / "outlet-d.xml", "Outlet D", [item(SHARED["d"][0], LEAD, SHARED["d"][1])])
        with config.open("a") as f:
            f.write(f"  - {{url: '{server.url}/outlet-d.xml', name: Outlet D}}\n")
        job.start()
        job.wait_for(lambda: job.count() == 8, 120, "outlet D's copy")
        assert docs(job)[run_link(SHARED["d"][1])]["story_id"] == story
        job.wait_for(
            lambda: job.client.request("GET", f"/{stories_index(job.index)}/_doc/{story}")["_source"]["size"] == 4,
            60,
            "the story record to count outlet D",
        )
        assert job.stop() == 0
    finally:
        job.close()
        sys.stdout.write(job.log.read_text()[-3000:] if job.log.exists() else "")


# One event in two outlets' own words, and another event of the same people and topic (written for this test).
SIGNED = (
    "Hegseth and Rajnath Singh sign 10-year US-India defence framework",
    "US Defense Secretary Pete Hegseth and Indian Defence Minister Rajnath Singh signed a framework for a "
    "decade of defence cooperation in Kuala Lumpur on Friday, on the sidelines of a meeting of ASEAN "
    "defence ministers.",
    "https://outlet-e.example/defence/us-india-framework",
)
SEALED = (
    "India, US seal decade-long defence pact as Rajnath meets Hegseth",
    "New Delhi and Washington sealed a 10-year framework for their defence partnership when Rajnath Singh "
    "met Pete Hegseth in Kuala Lumpur, covering co-production of weapons and intelligence sharing.",
    "https://outlet-f.example/india/defence-pact-hegseth",
)
CALLED = (
    "Hegseth, Rajnath Singh discuss Javelin co-production in phone call",
    "Pete Hegseth spoke with Rajnath Singh by phone about building Javelin anti-tank missiles and Stryker "
    "armoured vehicles in India, the Pentagon said, as the two sides push joint manufacturing.",
    "https://outlet-f.example/india/javelin-call",
)


def test_one_event_in_two_outlets_words_is_one_story(tmp_path: Path, search_url: str, prism_location: str) -> None:
    root = tmp_path / "feeds"
    root.mkdir()
    write_feed(root / "outlet-e.xml", "Outlet E", [item(*OWN["a"])])
    write_feed(root / "outlet-f.xml", "Outlet F", [item(*OWN["b"])])
    server = FeedServer(root, "127.0.0.1", 0)
    server.start_background()
    config = tmp_path / "feeds.yaml"
    config.write_text(
        "defaults: {interval: 1s}\nfeeds:\n"
        + "".join(f"  - {{url: '{server.url}/outlet-{o}.xml', name: Outlet {o.upper()}}}\n" for o in "ef")
    )
    job = Job(tmp_path, config, search_url, prism_location)
    try:
        job.start()
        job.settled_count(minimum=2)
        add_items(root / "outlet-e.xml", [item(*SIGNED)])
        add_items(root / "outlet-f.xml", [item(*SEALED)])
        job.wait_for(lambda: job.count() == 4, 120, "the two write-ups to be indexed")
        add_items(root / "outlet-f.xml", [item(*CALLED)])
        job.wait_for(lambda: job.count() == 5, 120, "the other event to be indexed")

        by_url = docs(job)
        signed, sealed, called = (by_url[run_link(link)] for _, _, link in (SIGNED, SEALED, CALLED))
        assert {signed["source"], sealed["source"]} == {"Outlet E", "Outlet F"}
        assert signed["story_id"] == sealed["story_id"], (signed["story_id"], sealed["story_id"])
        assert called["story_id"] != signed["story_id"]
        assert len({d["story_id"] for d in by_url.values()}) == 4  # the event, the call, two unrelated stories
        assert job.metric("newsmon_story_assignments_total", outcome="joined") >= 1  # counted per assignment made
        job.wait_for(
            lambda: (
                job.client.request("GET", f"/{stories_index(job.index)}/_doc/{signed['story_id']}")["_source"]["size"]
                == 2
            ),
            60,
            "the story record to count both write-ups",
        )

        found = search_stories(job, "Hegseth")
        assert found["stories"] == 2  # the event (two outlets) and the call
        [hit] = [h for h in found["hits"] if h["story_id"] == signed["story_id"]]
        assert sorted(hit["outlets"]) == ["Outlet E", "Outlet F"] and hit["articles"] == 2
        assert job.stop() == 0
    finally:
        job.close()
        server.shutdown()
        server.server_close()
        sys.stdout.write(job.log.read_text()[-3000:] if job.log.exists() else "")
