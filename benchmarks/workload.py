"""A field-like feed workload for benchmarks: many real-sized feeds that change all day, served on loopback.

**Feeds.** ``feeds`` feeds of ``items`` items each (default 30), the way news
sites publish them: 8–15-word headlines, ~300-character HTML summaries with
entities (``&amp;``, ``&#8217;``, ``&nbsp;``...), article links with dates and
slugs (some with ``utm_*`` tracking parameters), ``pubDate``s, guids,
authors, categories. About 85% of the feeds are RSS 2.0 (half with CDATA
descriptions, half entity-escaped), 15% Atom. Each feed is one section
(world, india, business, ...) of an outlet; an outlet's sections live on
one host.

**Text.** Each item is one of five kinds, drawn per item: ~5% *relevant*
(US–India relations, from a bank of template headlines and leads over the six
topics trade, defense, immigration, energy, diplomacy, technology), ~3%
*false friends* (Indiana, American Indian, West Indies, Indian Ocean, India
Pale Ale, Indian Wells), and India-only, US-only and world news (including
hard negatives such as US–China trade or India–Pakistan tension). The
relevant kind is the ground-truth label, written to the labelling spec in the
README; the detector's own verdict on the same text can differ, and the soak
benchmark reports both.

**Churn.** Each feed gains new items as a Poisson process of ``churn`` items
per hour (default 2, one every ~30 min on average); a new item is pushed on
top and the oldest dropped, so a feed always carries ``items`` items. The
``items`` items present at ``t0`` appeared before it, at the same rate.

**Determinism and ground truth.** Everything is a pure function of
``(seed, run_id, t0)`` and a feed/sequence number: item text, links, the
moment each item appears (``appeared_at``, unix seconds). Nothing is stored
per item, so the server process and the benchmark compute the same timeline
independently (:meth:`Workload.timeline`, :meth:`Workload.item`).

**Server.** :class:`WorkloadServer` binds one ``ThreadingHTTPServer`` per
loopback address (127.0.1.1, 127.0.1.2, ...; Linux routes all of 127/8 to
``lo``) sharing one :class:`FeedStore`. A feed body is rendered (and
gzipped) only when a request finds that its newest item changed, and cached
as gzip bytes (≈5 KB per 30-item feed), so 10,000 feeds need ~60 MB and a
request costs a dictionary lookup. Answers carry ``ETag`` and
``Last-Modified`` and are 304 on a matching ``If-None-Match`` (or, without
one, ``If-Modified-Since``); gzip when asked. Every feed request is logged
(time, feed, status, whether the body changed since the last 200, whether the
client sent validators) and served as JSON from ``/_log``; ``/_stats`` gives
totals. Run it as its own process so its CPU can be read from ``/proc``::

    python -m benchmarks.workload serve --feeds 10000 --t0 "$(date +%s)" --hosts 50
    python -m benchmarks.workload sample --feed 3      # print one rendered feed
"""

from __future__ import annotations

import argparse
import email.utils
import gzip
import hashlib
import json
import math
import random
import re
import signal
import socket
import sys
import threading
import time
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

KINDS = ("relevant", "false_friend", "india", "us", "world")
# Cumulative shares of the kinds above: 5% relevant, 3% false friends, 17% India, 20% US, 55% world.
KIND_SHARES = (0.05, 0.08, 0.25, 0.45, 1.0)
TOPICS = ("trade", "defense", "immigration", "energy", "diplomacy", "technology")
SECTIONS = ("world", "india", "business", "politics", "technology", "us", "asia", "economy")
TITLE_WORDS = (8, 15)
SUMMARY_CHARS = 300
TRACKING = "utm_source=rss&utm_medium=feed&utm_campaign="

# ------------------------------------------------------------------ text bank
FILL: dict[str, tuple[str, ...]] = {
    "us": (
        "Washington",
        "the White House",
        "the US Commerce Department",
        "the State Department",
        "US Trade Representative Jamieson Greer",
        "American officials",
        "US lawmakers",
        "Secretary of State Marco Rubio",
        "President Donald Trump",
        "the US embassy in New Delhi",
    ),
    "in": (
        "New Delhi",
        "India",
        "India's commerce ministry",
        "the Ministry of External Affairs",
        "Prime Minister Narendra Modi",
        "External Affairs Minister S. Jaishankar",
        "Commerce Minister Piyush Goyal",
        "Indian officials",
        "Defence Minister Rajnath Singh",
    ),
    "in_goods": (
        "shrimp",
        "steel",
        "generic drugs",
        "textiles",
        "basmati rice",
        "auto parts",
        "diamonds and jewellery",
        "solar panels",
        "leather goods",
        "smartphones",
    ),
    "us_goods": (
        "almonds",
        "walnuts",
        "apples",
        "bourbon whiskey",
        "Harley-Davidson motorcycles",
        "ethanol",
        "medical devices",
        "cranberries",
        "pecans",
        "dairy products",
    ),
    "weapon": (
        "GE F414 jet engines",
        "MQ-9B drones",
        "Stryker armoured vehicles",
        "Javelin missiles",
        "P-8I patrol aircraft",
        "Apache helicopters",
        "MH-60R helicopters",
    ),
    "exercise": ("Yudh Abhyas", "Malabar", "Cope India", "Tarkash", "Vajra Prahar", "Tiger Triumph"),
    "us_co": (
        "Apple",
        "Micron",
        "General Electric",
        "Boeing",
        "Lockheed Martin",
        "Google",
        "Microsoft",
        "Amazon",
        "Tesla",
        "Starlink",
        "ExxonMobil",
        "Westinghouse",
        "Nvidia",
        "AT&T",
    ),
    "in_co": (
        "Tata Group",
        "Reliance Industries",
        "Infosys",
        "Adani Group",
        "Larsen & Toubro",
        "Mahindra",
        "Indian Oil Corp",
        "GAIL",
        "Hindustan Aeronautics",
        "Wipro",
    ),
    "in_city": ("Mumbai", "Bengaluru", "Hyderabad", "Chennai", "Pune", "Ahmedabad", "Kolkata", "Noida"),
    "us_city": ("Houston", "Chicago", "Boston", "Atlanta", "San Francisco", "Seattle", "Dallas", "Newark"),
    "us_state": ("Texas", "Ohio", "Georgia", "Arizona", "Michigan", "Florida", "Oregon", "Nevada"),
    "in_state": ("Maharashtra", "Bihar", "Kerala", "Tamil Nadu", "Punjab", "Assam", "Karnataka", "Odisha"),
    "country": ("Germany", "Brazil", "Japan", "Kenya", "Indonesia", "Turkey", "Mexico", "Poland", "Egypt"),
    "month": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "day": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "team_us": ("Chiefs", "Bills", "Eagles", "Cowboys", "Packers", "49ers", "Ravens", "Lions"),
}
# (headline, lead) pairs; {slot}s are filled from FILL, {n} is a small number, {bn} billions.
RELEVANT: dict[str, tuple[tuple[str, str], ...]] = {
    "trade": (
        (
            "{us} weighs new tariffs on Indian {in_goods} as trade talks stall",
            "{us} is considering higher duties on Indian {in_goods}, people familiar with the talks said, after "
            "negotiators from both countries failed to agree on market access for American farm goods.",
        ),
        (
            "India offers to cut duties on US {us_goods} ahead of {month} trade round",
            "New Delhi has offered to lower import duties on American {us_goods} as part of a first tranche of "
            "the bilateral trade agreement, {in} said.",
        ),
        (
            "US and India negotiators close in on first tranche of bilateral trade deal",
            "Negotiators from Washington and New Delhi narrowed differences over tariffs on {in_goods} and "
            "{us_goods} during {n} days of talks in {in_city}.",
        ),
        (
            "Indian {in_goods} exporters brace for higher US tariffs after White House order",
            "Exporters of {in_goods} in {in_city} said the new US tariff of {n} per cent on Indian goods "
            "would wipe out their margins in the American market.",
        ),
        (
            "{in} says trade talks with Washington on tariff relief made good progress",
            "{in} told reporters that talks with US Trade Representative officials on relief from American "
            "tariffs on Indian {in_goods} had made good progress.",
        ),
        (
            "US goods trade deficit with India widens to ${n} billion, Commerce data show",
            "The US trade deficit with India widened in {month}, data from the US Commerce Department showed, "
            "as imports of Indian {in_goods} rose ahead of new tariffs.",
        ),
        (
            "India retaliates with higher duties on American {us_goods} over US steel tariffs",
            "India raised import duties on {n} American products including {us_goods}, in retaliation for US "
            "tariffs on Indian steel and aluminium, a government notification said.",
        ),
    ),
    "defense": (
        (
            "India and US sign deal to co-produce {weapon} in {in_city}",
            "India and the United States signed an agreement to co-produce {weapon} in {in_city}, the defence "
            "ministry said, deepening a defence partnership with Washington.",
        ),
        (
            "US approves ${n} billion sale of {weapon} to India, Pentagon says",
            "The State Department approved the possible sale of {weapon} to India, the Pentagon's Defense "
            "Security Cooperation Agency said, in a deal worth about ${n} billion.",
        ),
        (
            "Indian and American troops begin joint exercise {exercise} in {in_state}",
            "Soldiers from India and the United States began the {exercise} joint military exercise in "
            "{in_state}, focusing on counter-terrorism and disaster relief, the Indian Army said.",
        ),
        (
            "Rajnath Singh and Pentagon chief discuss drones and jet engine transfer",
            "Defence Minister Rajnath Singh and the US defense secretary discussed the transfer of jet engine "
            "technology and the purchase of {weapon} in a call on {day}.",
        ),
        (
            "US Navy ship arrives in Chennai for repairs under India-US defence pact",
            "A US Navy supply ship docked at a shipyard near Chennai for repairs, the second such visit under "
            "a logistics agreement between India and the United States.",
        ),
        (
            "India and US agree ten-year framework for defence cooperation in Washington",
            "India and the United States agreed a new ten-year framework for defence cooperation covering "
            "{weapon}, joint exercises and intelligence sharing, officials in Washington said.",
        ),
    ),
    "immigration": (
        (
            "New H-1B visa fee hits Indian tech workers hardest, data show",
            "Indian nationals received about {n} per cent of H-1B visas last year, and the new US fee on "
            "applications will fall hardest on Indian IT workers and their employers, data show.",
        ),
        (
            "India raises deportation flights from US with officials in Washington",
            "{in} raised concerns with US officials over the treatment of Indian nationals deported on military "
            "flights from the United States, the Ministry of External Affairs said.",
        ),
        (
            "US consulates in India to add {n},000 student visa appointments",
            "The US embassy in New Delhi said consulates in {in_city} and elsewhere would open {n},000 more "
            "student visa appointments for Indian applicants this {month}.",
        ),
        (
            "Indian students in the US worried as OPT work permit rules tighten",
            "Indian students at American universities, the largest group of foreign students in the US, said "
            "proposed limits on the OPT work programme could force them to leave after graduating.",
        ),
        (
            "Green card backlog for Indian nationals now exceeds {n} years, report says",
            "Indian professionals waiting for US green cards face a backlog of more than {n} years because of "
            "per-country caps, a Congressional Research Service report said.",
        ),
        (
            "US immigration raids in {us_city} detain dozens of Indian nationals",
            "Immigration agents detained dozens of Indian nationals in raids in {us_city}, and the Indian "
            "consulate said it was seeking consular access from US authorities.",
        ),
    ),
    "energy": (
        (
            "India boosts purchases of US crude and LNG to narrow trade surplus",
            "Indian refiners bought record volumes of American crude in {month}, and {in_co} signed for more "
            "US LNG as New Delhi tries to narrow its trade surplus with Washington.",
        ),
        (
            "US and India sign pact on small modular nuclear reactors",
            "The United States and India signed an agreement to build small modular nuclear reactors with "
            "Westinghouse and Holtec technology, the US Energy Department said.",
        ),
        (
            "{us_co} signs long-term LNG supply deal with India's {in_co}",
            "{us_co} agreed to supply liquefied natural gas from the US Gulf Coast to {in_co} for {n} years, "
            "the companies said, as India buys more American energy.",
        ),
        (
            "Washington presses New Delhi to cut Russian oil imports, offers US supplies",
            "US officials urged India to reduce purchases of Russian crude and offered American oil and gas "
            "instead, {in} said after talks in Washington.",
        ),
        (
            "US penalty on India's Russian oil purchases rattles refiners in {in_city}",
            "Indian refiners said a US penalty tariff on India over its purchases of Russian oil would force "
            "them to rethink supply contracts, officials in New Delhi said.",
        ),
    ),
    "diplomacy": (
        (
            "Modi and Trump speak by phone on trade, security and Quad summit",
            "Prime Minister Narendra Modi and President Donald Trump discussed trade, defence and the Quad "
            "leaders' summit in a phone call on {day}, the Ministry of External Affairs said.",
        ),
        (
            "Jaishankar meets Rubio in Washington to prepare leaders' summit",
            "External Affairs Minister S. Jaishankar met Secretary of State Marco Rubio in Washington to "
            "prepare a summit between the two countries' leaders, the State Department said.",
        ),
        (
            "US ambassador in New Delhi says ties with India are stronger than ever",
            "The US ambassador to India said relations between Washington and New Delhi were stronger than "
            "ever, in a speech to business leaders in {in_city} on {day}.",
        ),
        (
            "India summons US diplomat over State Department remarks on Kashmir",
            "India summoned a senior US diplomat in New Delhi to protest against State Department remarks on "
            "Kashmir, the Ministry of External Affairs said.",
        ),
        (
            "India and US hold 2+2 ministerial dialogue, agree on new priorities",
            "The foreign and defence ministers of India and the United States met for the 2+2 dialogue and "
            "agreed on priorities for trade, defence and technology, a joint statement said.",
        ),
        (
            "US says it helped broker India-Pakistan ceasefire; New Delhi disagrees",
            "President Donald Trump said Washington had brokered the ceasefire between India and Pakistan, "
            "but New Delhi said the truce was agreed directly between the two militaries.",
        ),
    ),
    "technology": (
        (
            "Micron's Gujarat chip plant starts production with US and Indian support",
            "Micron Technology began assembling memory chips at its plant in Sanand, Gujarat, backed by "
            "subsidies from India and the US CHIPS programme, the company said.",
        ),
        (
            "US and India launch initiative on critical and emerging technologies",
            "The United States and India launched a new initiative on critical and emerging technologies "
            "covering semiconductors, artificial intelligence and quantum computing.",
        ),
        (
            "Apple to expand iPhone production in India as US tariffs loom",
            "Apple plans to make most iPhones sold in the United States in India by next year, shifting "
            "production from China as US tariffs rise, people familiar with the plans said.",
        ),
        (
            "India approves Starlink licence after talks with US officials",
            "India granted SpaceX's Starlink a licence to offer satellite internet, after talks between Indian "
            "regulators and US officials in {month}, the telecom ministry said.",
        ),
        (
            "US export controls on AI chips worry Indian data centre builders",
            "Indian companies building data centres in {in_city} said new US export controls on Nvidia AI "
            "chips could slow their plans, and New Delhi has raised the issue with Washington.",
        ),
        (
            "{in_co} to build ${n} billion factory in {us_state} amid US-India tech push",
            "{in_co} said it would build a factory in {us_state} worth about ${n} billion, part of a push by "
            "Washington and New Delhi to deepen technology supply chains.",
        ),
    ),
}
OTHER: dict[str, tuple[tuple[str, str], ...]] = {
    "false_friend": (
        (
            "Indiana lawmakers approve property tax overhaul after long debate in Indianapolis",
            "Indiana lawmakers approved a property tax overhaul after a long debate at the Statehouse in "
            "Indianapolis, sending the bill to the governor's desk.",
        ),
        (
            "Indianapolis Colts sign veteran quarterback to one-year deal before camp",
            "The Indianapolis Colts signed a veteran quarterback to a one-year deal on {day}, adding depth "
            "before training camp opens in {month}.",
        ),
        (
            "American Indian tribes win water rights settlement in Arizona court",
            "Several American Indian tribes won a water rights settlement in Arizona, ending a dispute over "
            "the Colorado River that lasted {n} years, tribal leaders said.",
        ),
        (
            "West Indies bowled out for {n} as England take control of Test",
            "West Indies were bowled out for {n} on the second day of the Test at Lord's, leaving England in "
            "control of the match.",
        ),
        (
            "Cyclone strengthens over the Indian Ocean and threatens Madagascar coast",
            "A tropical cyclone strengthened over the Indian Ocean on {day} and was expected to make landfall "
            "on the east coast of Madagascar, forecasters said.",
        ),
        (
            "Craft brewers report surge in India Pale Ale sales this summer",
            "Small brewers in Oregon and Colorado said sales of India Pale Ale rose {n} per cent this summer, "
            "the strongest growth of any beer style.",
        ),
        (
            "Top seeds advance at Indian Wells as desert heat tests players",
            "The top seeds advanced at the Indian Wells tennis tournament in California on {day}, as "
            "temperatures above 35 degrees tested the players.",
        ),
        (
            "Native American and Indian Country leaders meet Interior officials on health funding",
            "Leaders from Indian Country met Interior Department officials to press for more health funding "
            "for Native American communities in {us_state}.",
        ),
    ),
    "india": (
        (
            "Monsoon rains flood parts of {in_city}, schools shut for two days",
            "Heavy monsoon rains flooded low-lying parts of {in_city} on {day}, and authorities closed schools "
            "for two days as the weather office forecast more rain.",
        ),
        (
            "Sensex ends {n} points higher as banks and IT stocks rally",
            "The BSE Sensex closed {n} points higher on {day}, led by gains in banks and IT stocks, as foreign "
            "investors returned to Indian equities.",
        ),
        (
            "{in_state} assembly election: counting begins in {n} constituencies",
            "Counting of votes began in {n} constituencies of the {in_state} assembly election, with early "
            "trends showing a close contest between the two main alliances.",
        ),
        (
            "Indian Railways to add {n} new Vande Bharat trains this year",
            "Indian Railways will add {n} new Vande Bharat express trains this year, the railway minister said, "
            "including routes from {in_city}.",
        ),
        (
            "India beat Australia by six wickets in second ODI in {in_city}",
            "India beat Australia by six wickets in the second one-day international in {in_city}, taking an "
            "unassailable lead in the three-match series.",
        ),
        (
            "RBI keeps repo rate unchanged, raises growth forecast for the year",
            "The Reserve Bank of India kept its repo rate unchanged on {day} and raised its growth forecast, "
            "citing strong domestic demand.",
        ),
        (
            "India and Pakistan trade fire along Line of Control in Kashmir",
            "Indian and Pakistani troops exchanged fire along the Line of Control in Kashmir on {day}, the "
            "Indian Army said, the first violation in {n} weeks.",
        ),
        (
            "{in_co} reports {n} per cent rise in quarterly profit on strong demand",
            "{in_co} reported a {n} per cent rise in quarterly profit, helped by strong demand at home, and "
            "said it would raise investment in {in_state}.",
        ),
    ),
    "us": (
        (
            "Senate passes stopgap funding bill hours before government shutdown deadline",
            "The US Senate passed a stopgap funding bill late on {day}, hours before a deadline that would have "
            "shut down parts of the federal government.",
        ),
        (
            "Federal Reserve holds rates steady and signals two cuts later this year",
            "The Federal Reserve kept interest rates unchanged on {day} and signalled two cuts later this "
            "year, as inflation cooled and hiring slowed.",
        ),
        (
            "Wildfire forces evacuations in northern California towns as winds pick up",
            "A fast-moving wildfire forced thousands of residents to evacuate towns in northern California as "
            "strong winds spread the flames, officials said.",
        ),
        (
            "{us_state} governor signs law expanding broadband in rural counties",
            "The governor of {us_state} signed a law on {day} that expands broadband access in rural counties, "
            "backed by ${n} million in state and federal funds.",
        ),
        (
            "{team_us} beat division rivals in overtime thriller to stay top of the table",
            "The {team_us} beat their rivals in overtime on {day}, with a late field goal keeping them top of "
            "the division.",
        ),
        (
            "US jobless claims fall to lowest level in {n} weeks, Labor Department says",
            "Initial claims for US unemployment benefits fell to the lowest level in {n} weeks, the Labor "
            "Department said on {day}.",
        ),
        (
            "{us_co} shares jump after quarterly results beat Wall Street forecasts",
            "Shares of {us_co} rose {n} per cent in extended trading after quarterly results beat Wall Street "
            "forecasts, helped by strong demand in the United States.",
        ),
        (
            "Storm brings heavy snow to {us_city}, hundreds of flights cancelled",
            "A winter storm brought heavy snow to {us_city} on {day}, and airlines cancelled hundreds of "
            "flights, the city's airport said.",
        ),
    ),
    "world": (
        (
            "EU leaders agree on new sanctions package against Russia at Brussels summit",
            "European Union leaders agreed a new package of sanctions against Russia at a summit in Brussels, "
            "targeting energy exports and shipping.",
        ),
        (
            "China's exports rise {n} per cent in {month}, beating forecasts",
            "China's exports rose {n} per cent in {month} from a year earlier, beating forecasts, as shipments "
            "to Southeast Asia offset weaker demand in Europe.",
        ),
        (
            "US and China resume trade talks in Geneva as tariff truce nears end",
            "Negotiators from the United States and China resumed trade talks in Geneva, as a truce on tariffs "
            "between the two largest economies neared its end.",
        ),
        (
            "Earthquake of magnitude 6.1 strikes off the coast of Chile",
            "An earthquake of magnitude 6.1 struck off the coast of central Chile on {day}, shaking buildings in "
            "Santiago, but no damage was reported.",
        ),
        (
            "{country} holds snap election as governing coalition collapses",
            "Voters in {country} went to the polls on {day} in a snap election called after the governing "
            "coalition collapsed over the budget.",
        ),
        (
            "India and China agree to resume direct flights after five-year pause",
            "India and China agreed to resume direct passenger flights, suspended for five years, as the two "
            "neighbours ease tension along their disputed border.",
        ),
        (
            "Oil prices slip as OPEC+ weighs output increase for {month}",
            "Oil prices fell on {day} as OPEC+ members considered raising output in {month}, with Brent crude "
            "trading near ${n} a barrel.",
        ),
        (
            "UN climate talks open with calls for faster cuts in emissions",
            "United Nations climate talks opened with calls from small island states for faster cuts in "
            "emissions and more money for adaptation.",
        ),
        (
            "US sanctions Iranian oil network in new pressure campaign",
            "The US Treasury imposed sanctions on a network of companies it said shipped Iranian oil to "
            "buyers in Asia, stepping up pressure on Tehran.",
        ),
        (
            "Asian shares mixed as Sensex, Nikkei and Wall Street futures move together",
            "Asian markets were mixed on {day}: the Nikkei rose, the Sensex slipped and Wall Street futures "
            "edged higher ahead of US inflation data.",
        ),
    ),
}
# Second sentences: context that keeps an item on its kind (no US actor in India news and so on).
FOLLOW: dict[str, tuple[str, ...]] = {
    "relevant": (
        "Officials from both sides are expected to meet again in {month}.",
        "Trade between the two countries was worth about $190 billion last year.",
        "Analysts in New Delhi said the move reflected closer ties between the two democracies.",
        "The White House did not immediately respond to a request for comment.",
        "Indian officials said talks with their American counterparts would continue.",
        "The United States is India's largest export market.",
    ),
    "false_friend": (
        "Officials said more details would follow next week.",
        "The decision follows months of public hearings.",
        "Local leaders welcomed the outcome.",
    ),
    "india": (
        "Opposition leaders criticised the state government's response.",
        "The weather office has issued an orange alert for the coming days.",
        "Analysts expect the trend to continue through the festive season.",
    ),
    "us": (
        "The measure now goes to the House.",
        "Economists said the data pointed to a slowing but resilient economy.",
        "Officials urged residents to stay off the roads.",
    ),
    "world": (
        "Diplomats said further talks were planned for next month.",
        "Markets in Europe were little changed.",
        "Officials said the situation was being closely monitored.",
    ),
}
PADDING = (
    " officials say",
    " on {day}",
    " in {month}",
    " amid growing concern",
    " after weeks of talks",
    " as pressure mounts",
    " this week",
)
AUTHORS = (
    "Priya Sharma",
    "James Carter",
    "Ananya Rao",
    "Michael Chen",
    "Rahul Mehta",
    "Sarah Mitchell",
    "Vikram Nair",
    "Emily Johnson",
    "Staff Reporter",
    "Agencies",
)
OUTLET_WORDS = (
    (
        "Northbridge",
        "Capital",
        "Harbor",
        "Metro",
        "Lakeside",
        "Eastern",
        "Pacific",
        "Deccan",
        "Gulf",
        "Valley",
        "Summit",
        "Coastal",
    ),
    (
        "Times",
        "Herald",
        "Chronicle",
        "Post",
        "Tribune",
        "Gazette",
        "Observer",
        "Standard",
        "Courier",
        "Ledger",
        "Daily",
        "Wire",
    ),
)
TLDS = (".com", ".in", ".co.uk", ".com.au", ".news", ".co.in")
SECTIONS_PER_OUTLET = len(SECTIONS)


# ------------------------------------------------------------------ pure core
def unit(*keys: object) -> float:
    """A uniform number in (0, 1), a pure function of ``keys``."""
    digest = hashlib.blake2b(":".join(map(str, keys)).encode(), digest_size=8).digest()
    return (int.from_bytes(digest, "big") + 0.5) / 2.0**64


_WORD = re.compile(r"[a-z0-9]+")
_SLOT = re.compile(r"\{(\w+)\}")


def slug(text: str, words: int = 9) -> str:
    return "-".join(_WORD.findall(text.lower())[:words])


def html_entities(text: str) -> str:
    """Plain text → HTML with the entities real feeds use (``&amp;``, ``&#8217;``, ``&quot;``, ``&nbsp;``)."""
    out = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#8217;")
    out = out.replace(" per cent", "&nbsp;per cent").replace(" billion", "&nbsp;billion")
    return out


@dataclass(frozen=True)
class Item:
    """One feed item and its ground truth (times in unix seconds)."""

    feed: int
    seq: int
    kind: str  # one of KINDS
    topic: str | None  # for relevant items, one of TOPICS
    title: str  # plain text
    summary_html: str
    link: str  # as published (may carry tracking parameters)
    guid: str
    author: str
    appeared_at: float  # when the item entered the feed
    published_at: float  # its pubDate (up to 2 minutes before it appeared, as publishers do)

    @property
    def relevant(self) -> bool:
        return self.kind == "relevant"


@dataclass(frozen=True)
class FeedSpec:
    """What a feed looks like (fixed for its lifetime)."""

    feed: int
    outlet: str
    domain: str
    section: str
    fmt: str  # "rss" or "atom"
    cdata: bool  # RSS description in CDATA (else entity-escaped)
    tracking: bool  # links carry utm_* parameters

    @property
    def name(self) -> str:
        return f"{self.outlet} — {self.section.title()}"

    @property
    def path(self) -> str:
        return f"/{slug(self.outlet)}/{self.section}/{self.feed}.{'atom' if self.fmt == 'atom' else 'xml'}"


NUMBERS = (2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 18, 20, 25, 30, 40, 45, 60, 75, 90)


def _fill(template: str, rng: random.Random, chosen: dict[str, str]) -> str:
    """Fill ``{slot}``s; a slot keeps its value across one item's headline and summary (``chosen``)."""

    def one(m: re.Match[str]) -> str:
        key = m.group(1)
        if key not in chosen:
            chosen[key] = str(rng.choice(NUMBERS)) if key == "n" else rng.choice(FILL[key])
        return chosen[key]

    text = _SLOT.sub(one, template)
    return text[:1].upper() + text[1:]


def make_title(template: str, rng: random.Random, chosen: dict[str, str]) -> str:
    """Fill a headline template and pad it into 8–15 words."""
    title = _fill(template, rng, chosen)
    for _ in range(4):
        words = len(title.split())
        if words >= TITLE_WORDS[0]:
            break
        title += _fill(rng.choice(PADDING), rng, chosen)
    words_list = title.split()
    if len(words_list) > TITLE_WORDS[1]:  # a long filler (a minister's full title) pushed it over
        title = " ".join(words_list[: TITLE_WORDS[1]])
    return title


def make_summary(lead: str, kind: str, rng: random.Random, link: str, chosen: dict[str, str]) -> str:
    """~300 characters of HTML: the lead, follow-up sentences, sometimes a "read more" link."""
    sentences = [_fill(lead, rng, chosen)]
    follow = list(FOLLOW[kind])
    rng.shuffle(follow)
    while sum(len(s) + 1 for s in sentences) < SUMMARY_CHARS - 60 and follow:
        sentences.append(_fill(follow.pop(), rng, chosen))
    body = html_entities(" ".join(sentences))
    style = rng.random()
    if style < 0.4:
        return f"<p>{body}</p>"
    if style < 0.7:
        return f'<p>{body}</p><p><a href="{escape(link)}">Read more&hellip;</a></p>'
    first, _, rest = body.partition(". ")
    return f"<p><strong>{first}.</strong> {rest}</p>" if rest else f"<p>{body}</p>"


@dataclass(frozen=True)
class Workload:
    """The whole workload as pure functions of its parameters (see the module docstring)."""

    feeds: int = 10_000
    items: int = 30
    churn_per_hour: float = 2.0
    seed: int = 1
    t0: float = 0.0  # unix seconds: the moment the workload starts changing
    run_id: str = "run0"  # part of every link, so runs sharing an engine never share articles
    initial_churn_per_hour: float = 2.0  # spacing of the items already present at t0
    ttl_minutes: int = 5  # RSS <ttl> (0: none); pollers that honour it poll no more often

    # ---- feeds
    def spec(self, feed: int) -> FeedSpec:
        outlet_no = feed // SECTIONS_PER_OUTLET
        a, b = OUTLET_WORDS
        base = f"{a[outlet_no % len(a)]} {b[(outlet_no // len(a)) % len(b)]}"
        edition = outlet_no // (len(a) * len(b))
        outlet = f"{base} {edition + 1}" if edition else base
        domain = "www." + slug(outlet).replace("-", "") + TLDS[outlet_no % len(TLDS)]
        u = unit(self.seed, "fmt", outlet_no)
        return FeedSpec(
            feed=feed,
            outlet=outlet,
            domain=domain,
            section=SECTIONS[feed % SECTIONS_PER_OUTLET],
            fmt="atom" if u < 0.15 else "rss",
            cdata=unit(self.seed, "cdata", outlet_no) < 0.5,
            tracking=unit(self.seed, "utm", outlet_no) < 0.3,
        )

    def outlet_of(self, feed: int) -> int:
        return feed // SECTIONS_PER_OUTLET

    # ---- timeline
    def gap(self, feed: int, seq: int, per_hour: float) -> float:
        return -math.log(unit(self.seed, self.run_id, "gap", feed, seq)) * 3600.0 / per_hour

    def initial_times(self, feed: int) -> list[float]:
        """Appearance times of the ``items`` items present at ``t0`` (seq 0 oldest), all before ``t0``."""
        rate = self.initial_churn_per_hour
        t = self.t0 - unit(self.seed, self.run_id, "first", feed) * 3600.0 / rate
        times = [t]
        for s in range(self.items - 1, 0, -1):
            t -= self.gap(feed, s, rate)
            times.append(t)
        times.reverse()
        return times

    def arrivals(self, feed: int, until: float) -> Iterator[tuple[int, float]]:
        """(seq, appeared_at) of the items that arrive after ``t0`` up to ``until``, in order."""
        if self.churn_per_hour <= 0:
            return
        seq, t = self.items, self.t0
        while True:
            t += self.gap(feed, seq, self.churn_per_hour)
            if t > until:
                return
            yield seq, t
            seq += 1

    def timeline(self, feed: int, until: float) -> list[float]:
        """Appearance time of every item of ``feed`` up to ``until``, indexed by seq (the first ``items`` are
        those present at ``t0``)."""
        times = self.initial_times(feed)
        times.extend(t for _, t in self.arrivals(feed, until))
        return times

    def timeline_to(self, feed: int, newest: int) -> list[float]:
        """Appearance times of items 0..``newest``."""
        times = self.initial_times(feed)
        if newest >= len(times):
            for seq, t in self.arrivals(feed, math.inf):
                times.append(t)
                if seq >= newest:
                    break
        return times[: newest + 1]

    # ---- items
    def item(self, feed: int, seq: int, appeared_at: float, spec: FeedSpec | None = None) -> Item:
        """Item ``seq`` of ``feed``, which appeared at ``appeared_at`` (from :meth:`timeline`)."""
        rng = random.Random(int(unit(self.seed, "item", feed, seq) * 2**53))
        u = rng.random()
        kind = next(k for k, share in zip(KINDS, KIND_SHARES, strict=True) if u < share)
        topic = None
        if kind == "relevant":
            topic = rng.choice(TOPICS)
            headline, lead = rng.choice(RELEVANT[topic])
        else:
            headline, lead = rng.choice(OTHER[kind])
        chosen: dict[str, str] = {}
        title = make_title(headline, rng, chosen)
        spec = spec or self.spec(feed)
        published = appeared_at - (rng.uniform(0, 120) if rng.random() < 0.7 else 0.0)
        day = time.gmtime(published)
        token = f"{self.run_id}{feed:x}g{seq:x}"
        link = (
            f"https://{spec.domain}/{spec.section}/{day.tm_year}/{day.tm_mon:02d}/{day.tm_mday:02d}/"
            f"{slug(title)}-{token}.html"
        )
        if spec.tracking:
            link += "?" + TRACKING + spec.section
        guid = link if spec.fmt == "atom" or rng.random() < 0.5 else f"{spec.domain}:{token}"
        return Item(
            feed=feed,
            seq=seq,
            kind=kind,
            topic=topic,
            title=title,
            summary_html=make_summary(lead, kind, rng, link, chosen),
            link=link,
            guid=guid,
            author=rng.choice(AUTHORS),
            appeared_at=appeared_at,
            published_at=published,
        )

    def visible(self, feed: int, newest: int, times: Sequence[float]) -> list[Item]:
        """The items in the feed while ``newest`` is its newest item, newest first."""
        spec = self.spec(feed)
        return [self.item(feed, s, times[s], spec) for s in range(newest, max(-1, newest - self.items), -1)]

    # ---- rendering
    def render(self, feed: int, newest: int, times: Sequence[float] | None = None) -> bytes:
        """The feed document when ``newest`` is its newest item (``times``: appearance times by seq, if known)."""
        if times is None or len(times) <= newest:
            times = self.timeline_to(feed, newest)
        items = self.visible(feed, newest, times)
        spec = self.spec(feed)
        updated = items[0].appeared_at if items else self.t0
        if spec.fmt == "atom":
            return _atom(spec, items, updated).encode("utf-8")
        return _rss(spec, items, updated, self.ttl_minutes).encode("utf-8")


def _rss(spec: FeedSpec, items: Sequence[Item], updated: float, ttl_minutes: int) -> str:
    site = f"https://{spec.domain}/{spec.section}"
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n',
        f"<title>{escape(spec.name)}</title>\n<link>{site}</link>\n",
        f"<description>Latest {spec.section} news from {escape(spec.outlet)}</description>\n",
        f"<language>en</language>\n<lastBuildDate>{email.utils.formatdate(updated, usegmt=True)}</lastBuildDate>\n",
        f"<ttl>{ttl_minutes}</ttl>\n" if ttl_minutes else "",
    ]
    for it in items:
        permalink = it.guid == it.link
        description = f"<![CDATA[{it.summary_html}]]>" if spec.cdata else escape(it.summary_html)
        parts.append(
            f"<item>\n<title>{escape(it.title)}</title>\n<link>{escape(it.link)}</link>\n"
            f'<guid isPermaLink="{"true" if permalink else "false"}">{escape(it.guid)}</guid>\n'
            f"<pubDate>{email.utils.formatdate(it.published_at, usegmt=True)}</pubDate>\n"
            f"<dc:creator>{escape(it.author)}</dc:creator>\n<category>{spec.section.title()}</category>\n"
            f"<description>{description}</description>\n</item>\n"
        )
    parts.append("</channel>\n</rss>\n")
    return "".join(parts)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _atom(spec: FeedSpec, items: Sequence[Item], updated: float) -> str:
    site = f"https://{spec.domain}/{spec.section}"
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">\n',
        f"<title>{escape(spec.name)}</title>\n<id>{site}</id>\n",
        f'<link rel="alternate" href="{site}"/>\n<updated>{_iso(updated)}</updated>\n',
    ]
    for it in items:
        parts.append(
            f"<entry>\n<title>{escape(it.title)}</title>\n"
            f'<link rel="alternate" href="{escape(it.link)}"/>\n<id>{escape(it.guid)}</id>\n'
            f"<published>{_iso(it.published_at)}</published>\n<updated>{_iso(it.published_at)}</updated>\n"
            f"<author><name>{escape(it.author)}</name></author>\n"
            f'<summary type="html">{escape(it.summary_html)}</summary>\n</entry>\n'
        )
    parts.append("</feed>\n")
    return "".join(parts)


def loopback_hosts(count: int, base: str = "127.0.1.") -> list[str]:
    """``count`` loopback addresses 127.0.1.1, 127.0.1.2, ... (then 127.0.2.1 ...)."""
    prefix = base.rsplit(".", 2)[0]
    third = int(base.rsplit(".", 2)[1])
    return [f"{prefix}.{third + i // 250}.{1 + i % 250}" for i in range(count)]


# ------------------------------------------------------------------ serving
@dataclass
class Rendered:
    newest: int
    gz: bytes
    etag: str
    last_modified: str
    modified_at: int  # Last-Modified in whole seconds


@dataclass
class RequestLog:
    """Feed requests, columnar: time (unix s), feed, status, flags (1 = changed since the last 200, 2 = had
    validators)."""

    t: array[float] = field(default_factory=lambda: array("d"))
    feed: array[int] = field(default_factory=lambda: array("l"))
    status: array[int] = field(default_factory=lambda: array("H"))
    flags: array[int] = field(default_factory=lambda: array("B"))

    def append(self, t: float, feed: int, status: int, flags: int) -> None:
        self.t.append(t)
        self.feed.append(feed)
        self.status.append(status)
        self.flags.append(flags)

    def rows(self, start: int = 0) -> list[tuple[float, int, int, int]]:
        return list(zip(self.t[start:], self.feed[start:], self.status[start:], self.flags[start:], strict=True))


class FeedStore:
    """The live state of every feed: which item is newest now, and the cached body of that version."""

    def __init__(self, workload: Workload, clock: Any = time.time) -> None:
        self.w = workload
        self.clock = clock
        self.lock = threading.Lock()
        self._times: dict[int, list[float]] = {}  # feed → appearance times by seq (grown lazily)
        self._next: array[float] = array("d", [math.nan]) * workload.feeds  # next arrival time, NaN = unknown
        self._cache: dict[int, Rendered] = {}
        self._last_200: array[int] = array("l", [-1]) * workload.feeds
        self.log = RequestLog()
        self.renders = 0
        self.render_s = 0.0

    def newest(self, feed: int, now: float) -> int:
        """The newest item's seq at ``now`` (advances the feed's arrivals up to ``now``)."""
        w = self.w
        times = self._times.get(feed)
        if times is None:
            times = self._times[feed] = w.initial_times(feed)
            self._next[feed] = (w.t0 + w.gap(feed, w.items, w.churn_per_hour)) if w.churn_per_hour > 0 else math.inf
        while self._next[feed] <= now:
            times.append(self._next[feed])
            self._next[feed] += w.gap(feed, len(times), w.churn_per_hour)
        return len(times) - 1

    def get(self, feed: int, now: float) -> Rendered:
        with self.lock:
            newest = self.newest(feed, now)
            cached = self._cache.get(feed)
            if cached is not None and cached.newest == newest:
                return cached
            times = list(self._times[feed])
        started = time.thread_time()
        body = self.w.render(feed, newest, times)
        modified = int(times[newest])
        rendered = Rendered(
            newest=newest,
            gz=gzip.compress(body, compresslevel=6, mtime=0),
            etag=f'"{self.w.run_id}-{feed}-{newest}"',
            last_modified=email.utils.formatdate(modified, usegmt=True),
            modified_at=modified,
        )
        with self.lock:
            self.renders += 1
            self.render_s += time.thread_time() - started
            current = self._cache.get(feed)
            if current is None or current.newest < newest:
                self._cache[feed] = rendered
        return rendered

    def record(self, t: float, feed: int, status: int, newest: int, validators: bool) -> None:
        with self.lock:
            changed = 0
            if status == 200:
                changed = int(self._last_200[feed] != newest)
                self._last_200[feed] = newest
            self.log.append(t, feed, status, changed | (2 if validators else 0))

    def stats(self) -> dict[str, Any]:
        with self.lock:
            codes: dict[str, int] = {}
            for s in self.log.status:
                codes[str(s)] = codes.get(str(s), 0) + 1
            return {
                "requests": len(self.log.t),
                "by_status": codes,
                "renders": self.renders,
                "render_cpu_s": round(self.render_s, 3),
                "cached_feeds": len(self._cache),
                "cache_bytes": sum(len(r.gz) for r in self._cache.values()),
            }


class _Handler(BaseHTTPRequestHandler):
    server: _HostServer
    protocol_version = "HTTP/1.1"
    _FEED = re.compile(r"/(\d+)\.(?:xml|atom)$")

    def log_message(self, format: str, *args: object) -> None:  # quiet: requests are counted instead
        pass

    def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        store = self.server.store
        parts = urlsplit(self.path)
        m = self._FEED.search(parts.path)
        if m is None:
            self._control(parts.path, parse_qs(parts.query))
            return
        feed = int(m.group(1))
        if feed >= store.w.feeds:
            self._reply(404, b"no such feed\n", {"Content-Type": "text/plain"})
            return
        now = store.clock()
        r = store.get(feed, now)
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        headers = {"ETag": r.etag, "Last-Modified": r.last_modified, "Cache-Control": "max-age=60"}
        if _not_modified(r, inm, ims):
            store.record(now, feed, 304, r.newest, True)
            self._reply(304, headers=headers)
            return
        ctype = "application/atom+xml" if parts.path.endswith(".atom") else "application/rss+xml"
        headers["Content-Type"] = f"{ctype}; charset=utf-8"
        headers["Vary"] = "Accept-Encoding"
        if "gzip" in (self.headers.get("Accept-Encoding") or ""):
            body, headers["Content-Encoding"] = r.gz, "gzip"
        else:
            body = gzip.decompress(r.gz)
        store.record(now, feed, 200, r.newest, inm is not None or ims is not None)
        self._reply(200, body, headers)

    def _control(self, path: str, query: dict[str, list[str]]) -> None:
        store = self.server.store
        if path == "/healthz":
            self._reply(200, b"ok\n", {"Content-Type": "text/plain"})
        elif path == "/_stats":
            self._reply(200, json.dumps(store.stats()).encode(), {"Content-Type": "application/json"})
        elif path == "/_log":
            start = int(query.get("from", ["0"])[0])
            with store.lock:
                rows = store.log.rows(start)
            self._reply(200, json.dumps({"from": start, "rows": rows}).encode(), {"Content-Type": "application/json"})
        else:
            self._reply(404, b"not found\n", {"Content-Type": "text/plain"})


def _not_modified(r: Rendered, inm: str | None, ims: str | None) -> bool:
    if inm is not None:  # RFC 9110: If-None-Match wins over If-Modified-Since
        return inm.strip() == "*" or r.etag in [t.strip().removeprefix("W/") for t in inm.split(",")]
    if ims:
        try:
            since = email.utils.parsedate_to_datetime(ims).timestamp()
        except (TypeError, ValueError):
            return False
        return r.modified_at <= int(since)
    return False


class _HostServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], store: FeedStore) -> None:
        self.store = store
        super().__init__(address, _Handler)

    def handle_error(self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return  # a client that went away (a stopped job) is normal here
        super().handle_error(request, client_address)


class WorkloadServer:
    """One listening socket per loopback host, all serving the same :class:`FeedStore`."""

    def __init__(self, workload: Workload, hosts: Sequence[str], port: int = 0) -> None:
        self.workload = workload
        self.store = FeedStore(workload)
        self.servers: list[_HostServer] = []
        for host in hosts:
            try:
                server = _HostServer((host, port), self.store)
            except OSError:  # that port is taken on this address: any free one will do
                server = _HostServer((host, 0), self.store)
            port = port or server.server_address[1]
            self.servers.append(server)

    @property
    def addresses(self) -> list[tuple[str, int]]:
        return [(str(s.server_address[0]), int(s.server_address[1])) for s in self.servers]

    def start(self) -> None:
        for s in self.servers:
            threading.Thread(target=s.serve_forever, name=f"feeds-{s.server_address[0]!s}", daemon=True).start()

    def shutdown(self) -> None:
        for s in self.servers:
            s.shutdown()
            s.server_close()


def feed_urls(workload: Workload, addresses: Sequence[tuple[str, int]]) -> list[str]:
    """Feed URL of every feed; an outlet's sections share a host, outlets spread over the hosts."""
    out = []
    for f in range(workload.feeds):
        host, port = addresses[workload.outlet_of(f) % len(addresses)]
        out.append(f"http://{host}:{port}{workload.spec(f).path}")
    return out


# ------------------------------------------------------------------ command line
def _workload_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--feeds", type=int, default=10_000)
    p.add_argument("--items", type=int, default=30)
    p.add_argument("--churn", type=float, default=2.0, help="new items per feed per hour (Poisson)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--t0", type=float, default=None, help="unix seconds the workload starts (default now)")
    p.add_argument("--run-id", default="run0")
    p.add_argument("--ttl", type=int, default=5, help="RSS <ttl> in minutes (0: none)")


def _workload(args: argparse.Namespace) -> Workload:
    return Workload(
        feeds=args.feeds,
        items=args.items,
        churn_per_hour=args.churn,
        seed=args.seed,
        t0=time.time() if args.t0 is None else args.t0,
        run_id=args.run_id,
        ttl_minutes=args.ttl,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.workload", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    serve = sub.add_parser("serve", help="serve the workload until SIGTERM; prints one JSON line with addresses")
    _workload_args(serve)
    serve.add_argument("--hosts", type=int, default=50, help="loopback addresses to listen on")
    serve.add_argument("--port", type=int, default=0, help="port on every address (0: pick one)")
    serve.add_argument(
        "--no-prerender",
        dest="prerender",
        action="store_false",
        help="render feeds on first request instead of at start",
    )
    sample = sub.add_parser("sample", help="print one feed as served at t0")
    _workload_args(sample)
    sample.add_argument("--feed", type=int, default=0)
    args = parser.parse_args(argv)
    workload = _workload(args)
    if args.cmd == "sample":
        sys.stdout.write(workload.render(args.feed, workload.items - 1).decode())  # as served at t0
        return 0
    server = WorkloadServer(workload, loopback_hosts(args.hosts), args.port)
    if args.prerender:  # render every feed once now, so the poller's first cycle costs lookups only
        now = time.time()
        for f in range(workload.feeds):
            server.store.get(f, now)
    server.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(json.dumps({"addresses": server.addresses, "t0": workload.t0}), flush=True)
    stop.wait()
    server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
