"""The event channel: key terms, event keys, and the join rule that needs several of them (no Beam, no engine)."""

from __future__ import annotations

import pytest

from pipeline.stories import Claim, MemoryBandStore, StoryGrouper, StoryInput, StoryParams, article_bands, decide
from pipeline.stories.events import event_key, event_keys, is_event_key, key_terms

HOUR = 3600.0
# One event in two outlets' own words, and another event of the same place, body and week (written for
# this test; the real pairs are in tests/data/story-pairs.jsonl).
OUSTED = (
    "Peru's Congress ousts interim President José Jerí over corruption probe",
    "Lawmakers in Lima voted on Tuesday to remove Jerí, who faced questions over undisclosed meetings "
    "with Chinese businessmen, months before the April elections.",
)
IMPEACHED = (
    "Peru lawmakers impeach Jose Jeri after four months in office",
    "Peru's Congress voted to impeach interim leader Jose Jeri on Tuesday amid a corruption probe into "
    "secret meetings with Chinese businessmen.",
)
PENSIONS = (
    "Peru's Congress approves another pension withdrawal",
    "Lawmakers in Lima approved on Tuesday a seventh early withdrawal from private pension funds, "
    "defying the economy ministry months before the April elections.",
)


def test_key_terms_are_names_numbers_and_long_words_cut_to_their_stem() -> None:
    terms = key_terms(
        "Ukrainian skeleton racer Heraskevych banned over helmet - Reuters",
        "The IOC barred him on Thursday, 12 February 2026, at 10:30 from the Games.",
        limit=10,
        long_word=8,
    )
    # "skeleton" is long (8 letters), "racer" is not; the date, the time, the year and the outlet are no terms
    assert terms == ["ukrain", "skelet", "herask", "ioc", "games"]


def test_generic_words_years_dates_and_accents() -> None:
    assert key_terms("Former President Jerí speaks", "On Monday, October 17, 2021, he said 11 were hurt.") == [
        "jeri",
        "11",
    ]
    assert key_terms("José Jerí", "") == key_terms("Jose Jeri", "")


def test_event_keys_are_pairs_anchored_in_the_first_terms_and_order_free() -> None:
    terms = ["peru", "congre", "jose", "jeri", "corrup", "lima"]
    keys = event_keys(terms, anchors=2)
    assert len(keys) == len(set(keys)) == 1 + 2 * 4  # the anchors' pair, then each anchor with the other four
    assert event_key("peru", "jeri") == event_key("jeri", "peru") in keys
    assert event_key("corrup", "lima") not in keys
    assert all(is_event_key(k) for k in keys)


def test_one_event_in_other_words_joins_while_another_event_of_the_same_place_stays_apart() -> None:
    out = StoryGrouper(MemoryBandStore()).assign(
        [
            StoryInput("ousted", 0.0, article_bands(*OUSTED)),
            StoryInput("impeached", 2 * HOUR, article_bands(*IMPEACHED)),
            StoryInput("pensions", 3 * HOUR, article_bands(*PENSIONS)),
        ]
    )
    assert [(d.story_id, d.founded, d.by_event) for d in out] == [
        ("ousted", True, False),
        ("ousted", False, True),
        ("pensions", True, False),
    ]
    assert out[1].votes >= StoryParams().min_event_votes


def test_without_the_event_channel_the_two_write_ups_are_two_stories() -> None:
    params = StoryParams(event_terms=0)
    out = StoryGrouper(MemoryBandStore(params), params).assign(
        [
            StoryInput("ousted", 0.0, article_bands(*OUSTED, params)),
            StoryInput("impeached", 2 * HOUR, article_bands(*IMPEACHED, params)),
        ]
    )
    assert [d.story_id for d in out] == ["ousted", "impeached"]


def test_event_claims_group_only_within_the_event_window() -> None:
    params = StoryParams(event_window_s=12 * HOUR)
    out = StoryGrouper(MemoryBandStore(params), params).assign(
        [
            StoryInput("ousted", 0.0, article_bands(*OUSTED)),
            StoryInput("impeached", 20 * HOUR, article_bands(*IMPEACHED)),
        ]
    )
    assert [d.story_id for d in out] == ["ousted", "impeached"]


def test_near_identical_text_outranks_shared_key_terms() -> None:
    item = StoryInput("x", 10.0, ("00band", "01band", "eaa", "ebb"))
    claims = {
        "00band": Claim("text", 5.0, 5.0, "t"),
        "01band": Claim("text", 5.0, 5.0, "t"),
        "eaa": Claim("event", 1.0, 1.0, "e"),
        "ebb": Claim("event", 1.0, 1.0, "e"),
    }
    d = decide(item, claims, StoryParams(min_event_votes=2))
    assert (d.story_id, d.by_event) == ("text", False)
    del claims["01band"]
    d = decide(item, claims, StoryParams(min_event_votes=2))
    assert (d.story_id, d.by_event) == ("event", True)
    assert decide(item, claims, StoryParams(min_event_votes=3)).founded


@pytest.mark.parametrize(
    "bad",
    [
        {"event_terms": -1},
        {"event_anchors": 0},
        {"event_stem": 1},
        {"min_event_votes": 0},
        {"event_window_s": 8 * 24 * HOUR},
    ],
)
def test_bad_event_settings_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="event_"):
        StoryParams(**bad)  # type: ignore[arg-type]


def test_the_memory_store_drops_event_claims_after_the_event_window_and_bands_after_the_window() -> None:
    params = StoryParams(event_window_s=12 * HOUR)
    store = MemoryBandStore(params)
    grouper = StoryGrouper(store, params)
    first = StoryInput("ousted", 0.0, article_bands(*OUSTED))
    grouper.assign([first])
    assert len(store) == len(first.bands)
    grouper.assign(
        [
            StoryInput(
                "other",
                13 * HOUR,
                article_bands("Pentagon clears sale of naval helicopters", "The State Department approved the sale."),
            )
        ]
    )
    assert set(first.bands) & set(store.claims) == {k for k in first.bands if not is_event_key(k)}
