"""Story grouping without Beam or an engine: features, bands, the decision, a batch over a memory store."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pipeline.stories import (
    Claim,
    MemoryBandStore,
    StoryGrouper,
    StoryInput,
    StoryParams,
    article_bands,
    decide,
    features,
)
from pipeline.stories.events import is_event_key

LEAD = (
    "Washington and New Delhi agreed on Tuesday to cut tariffs on steel, almonds and motorcycles, "
    "officials said, ending a dispute that began with the 2019 withdrawal of trade preferences."
)
DAY = 24 * 3600.0


def bands(title: str, lead: str = LEAD) -> tuple[str, ...]:
    return article_bands(title, lead)


def test_features_drop_stopwords_and_keep_word_pairs() -> None:
    f = features("The US and India sign a deal", "")
    assert f == {"us", "india", "sign", "deal", "us india", "india sign", "sign deal"}


def test_band_keys_are_deterministic_and_follow_the_lsh_layout() -> None:
    params = StoryParams()
    b, r = params.bands
    tb, tr = params.title_bands
    assert b * r <= params.num_perm and tb * tr <= params.num_perm
    keys = bands("US and India sign trade deal on tariffs")
    assert keys == bands("US and India sign trade deal on tariffs")
    lsh = [k for k in keys if not is_event_key(k)]
    assert len(lsh) == len(set(lsh)) == b + tb
    assert sum(k.startswith("t") for k in keys) == tb


def test_the_same_headline_over_another_lead_shares_the_headline_bands() -> None:
    one = set(bands("US and India sign trade deal cutting farm tariffs"))
    other = set(
        bands(
            "US and India sign trade deal cutting farm tariffs",
            "The agreement, reached after a year of talks, covers apples, walnuts and dairy.",
        )
    )
    assert {k for k in one & other if k.startswith("t")} == {k for k in one if k.startswith("t")}


def test_too_little_text_gives_no_bands() -> None:
    assert article_bands("Meeting", "") == ()


def test_edited_headline_joins_the_story_and_an_unrelated_one_founds_its_own() -> None:
    grouper = StoryGrouper(MemoryBandStore())
    items = [
        StoryInput("a", 100.0, bands("US and India sign trade deal cutting tariffs")),
        StoryInput("b", 200.0, bands("India, US seal pact to cut tariffs on steel and almonds")),
        StoryInput(
            "c",
            300.0,
            bands(
                "Pentagon clears sale of naval helicopters to India",
                "The State Department approved the possible sale of MH-60R "
                "helicopters worth $2.6 billion, the Pentagon's agency said.",
            ),
        ),
    ]
    out = grouper.assign(items)
    assert [(d.article_id, d.story_id, d.founded) for d in out] == [
        ("a", "a", True),
        ("b", "a", False),
        ("c", "c", True),
    ]
    assert out[1].first_seen == 100.0 and out[1].votes > 0


def test_batches_agree_with_one_big_batch_and_order_inside_a_batch_is_by_time() -> None:
    a, b = bands("US and India sign trade deal cutting tariffs"), bands("India and US sign tariff deal")
    one = StoryGrouper(MemoryBandStore()).assign([StoryInput("z", 2.0, b), StoryInput("y", 1.0, a)])
    assert [d.story_id for d in one] == ["y", "y"]
    grouper = StoryGrouper(MemoryBandStore())
    first = grouper.assign([StoryInput("y", 1.0, a)])
    second = grouper.assign([StoryInput("z", 2.0, b)])
    assert [d.story_id for d in first + second] == ["y", "y"]


def test_a_replayed_article_gets_its_story_back() -> None:
    grouper = StoryGrouper(MemoryBandStore())
    a = StoryInput("a", 1.0, bands("US and India sign trade deal cutting tariffs"))
    b = StoryInput("b", 2.0, bands("India and US sign tariff deal"))
    assert [d.story_id for d in grouper.assign([a, b])] == ["a", "a"]
    assert [d.story_id for d in grouper.assign([b])] == ["a"]


def test_claims_older_than_the_window_no_longer_group_and_are_dropped() -> None:
    params = StoryParams(window_s=7 * DAY)
    store = MemoryBandStore(params)
    grouper = StoryGrouper(store, params)
    grouper.assign([StoryInput("old", 0.0, bands("US and India sign trade deal cutting tariffs"))])
    held = len(store)
    assert held > 0
    late = grouper.assign([StoryInput("late", 8 * DAY, bands("India and US sign tariff deal"))])
    assert late[0].founded and late[0].story_id == "late"
    assert len(store) <= held  # the old claims were replaced or expired: memory follows the window
    assert all(c.claimed_at == 8 * DAY for c in store.claims.values())


def test_decide_prefers_most_votes_then_the_older_story() -> None:
    item = StoryInput("x", 10.0, ("k1", "k2", "k3"))
    claims = {
        "k1": Claim("s-new", 5.0, 5.0, "n"),
        "k2": Claim("s-old", 1.0, 1.0, "o"),
        "k3": Claim("s-new", 5.0, 5.0, "n"),
    }
    assert decide(item, claims).story_id == "s-new"
    claims["k3"] = Claim("s-old", 1.0, 1.0, "o")
    claims["k1"] = Claim("s-third", 3.0, 3.0, "t")
    assert decide(item, claims).story_id == "s-old"
    tie = {"k1": Claim("s-b", 2.0, 2.0, "b"), "k2": Claim("s-a", 2.0, 2.0, "a")}
    assert decide(item, tie, StoryParams(min_votes=1)).story_id == "s-a"


def test_one_shared_band_is_chance_and_does_not_join() -> None:
    item = StoryInput("x", 10.0, ("k1", "k2", "k3"))
    only_one = {"k1": Claim("s", 5.0, 5.0, "n")}
    assert decide(item, only_one).founded
    assert not decide(item, only_one, StoryParams(min_votes=1)).founded


class RacingStore(MemoryBandStore):
    """Another worker claims the same keys between this worker's read and its write."""

    def __init__(self, rival: Mapping[str, Claim]) -> None:
        super().__init__()
        self.rival = dict(rival)

    def get(self, keys: Iterable[str]) -> dict[str, Claim]:
        found = super().get(keys)
        for key, claim in self.rival.items():
            self.claims.setdefault(key, claim)
        return found


def test_a_founder_that_loses_the_race_for_its_keys_joins_the_winner() -> None:
    keys = bands("US and India sign trade deal cutting tariffs")
    store = RacingStore({k: Claim("rival", 1.0, 1.0, "rival") for k in keys[:3]})
    out = StoryGrouper(store).assign([StoryInput("mine", 2.0, keys)])
    assert out[0].story_id == "rival" and not out[0].founded


def test_the_keys_a_losing_founder_did_win_move_to_the_story_it_joined() -> None:
    keys = bands("US and India sign trade deal cutting tariffs")
    store = RacingStore({k: Claim("rival", 1.0, 1.0, "rival") for k in keys[:3]})
    StoryGrouper(store).assign([StoryInput("mine", 2.0, keys)])
    assert {store.claims[k].story_id for k in keys} == {"rival"}
