"""pipeline.detect.classify: relevance, topics, evidence, the rule families, determinism.

Headlines and summaries are written for these tests in the style of wire and Indian outlets; they
are not in the development set (tests/data/dev.jsonl), so they also check that rules generalise.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.core.model import Classification
from pipeline.core.topics import TOPICS
from pipeline.detect import DETECTOR_VERSION, classify, weights
from pipeline.detect.scoring import FEATURES
from pipeline.detect.stage2 import EXTRA_FEATURES, shipped_model
from pipeline.devtools.calibrate import SIGNS

# (expected topic, title, summary): clearly about US–India relations, one topic each.
RELEVANT = [
    (
        "trade",
        "US and India close in on first tranche of bilateral trade agreement",
        "Negotiators from Washington and New Delhi narrowed differences on tariffs, dairy and market access.",
    ),
    (
        "trade",
        "Trump doubles tariffs on Indian goods to 50%",
        "The White House said the extra duty punishes New Delhi for its purchases of discounted crude.",
    ),
    (
        "trade",
        "Goyal says talks with USTR Greer on reciprocal tariffs are 'progressing well'",
        "India's commerce minister met the US trade representative in Washington this week.",
    ),
    (
        "defense",
        "India, US sign 10-year defence framework to deepen military cooperation",
        "Rajnath Singh and Pete Hegseth agreed on co-production of jet engines and joint exercises.",
    ),
    (
        "defense",
        "Pentagon clears sale of Javelin missiles and Excalibur rounds to India",
        "The proposed arms sales would strengthen the Indian Army, the US Defense Security Cooperation Agency said.",
    ),
    (
        "defense",
        "Indian Navy and US Navy wrap up Malabar exercise in Bay of Bengal",
        "Warships from Japan and Australia joined the annual naval exercise.",
    ),
    (
        "immigration",
        "US to charge $100,000 fee on new H-1B visa petitions",
        "Indian IT workers, who receive most of the visas, face the biggest impact, analysts said.",
    ),
    (
        "immigration",
        "Second flight carrying deported Indians lands in Amritsar",
        "A US military aircraft brought back 116 Indian nationals deported from the United States.",
    ),
    (
        "immigration",
        "Indian students in America worry as visa interviews are paused",
        "The State Department has stopped scheduling new student visa appointments.",
    ),
    (
        "energy",
        "India steps up purchases of American LNG and crude to ease trade tensions",
        "State refiners signed long-term deals with US suppliers.",
    ),
    (
        "energy",
        "Westinghouse, NPCIL revive talks on six reactors at Kovvada",
        "The civil nuclear project has been stalled for years despite the 2008 India-US nuclear deal.",
    ),
    (
        "energy",
        "US sanctions on Rosneft squeeze Indian refiners",
        "Washington's penalties on Russian oil companies force India's refiners to seek other crude.",
    ),
    (
        "diplomacy",
        "Modi and Trump speak by phone, agree to meet soon",
        "The leaders discussed the strategic partnership, the MEA said in a statement.",
    ),
    (
        "diplomacy",
        "Jaishankar meets Rubio on sidelines of UN General Assembly",
        "The two ministers reviewed bilateral ties and the Quad.",
    ),
    (
        "diplomacy",
        "New US ambassador Sergio Gor presents credentials in New Delhi",
        "Gor called India a vital partner in remarks at Rashtrapati Bhavan.",
    ),
    (
        "technology",
        "Micron's $2.75 billion chip plant in Gujarat rolls out first India-made semiconductors",
        "The project was announced during Modi's state visit to Washington.",
    ),
    (
        "technology",
        "India and US launch TRUST initiative on critical technologies",
        "The successor to iCET covers AI, semiconductors, quantum and space.",
    ),
    (
        "technology",
        "NASA-ISRO satellite NISAR lifts off from Sriharikota",
        "The earth-observation mission is a milestone for US-India space cooperation.",
    ),
]

MULTI_TOPIC = [
    (
        {"trade", "energy"},
        "India agrees to buy more US oil and gas as tariff talks advance",
        "New Delhi hopes higher energy imports from America will shrink the trade surplus Trump complains about.",
    ),
    (
        {"defense", "technology"},
        "GE and HAL to co-produce F414 jet engines in India",
        "The deal includes transfer of critical technology, a first for the US military's partners.",
    ),
    (
        {"immigration", "diplomacy"},
        "Jaishankar raises H-1B visa concerns with Rubio in Washington",
        "India's foreign minister said skilled workers strengthen ties between the two countries.",
    ),
]

# (case, title, summary, rule that must decide): look related but are not about US–India relations.
HARD_NEGATIVES = [
    (
        "us_china_trade",
        "US and China agree to 90-day truce in tariff war",
        "Beijing will cut duties on American goods; the deal could also affect exporters in India and Vietnam.",
        ("third_country_headline", "third_country_focus"),
    ),  # both name China; which weighs more moves with each retraining
    (
        "us_mexico_immigration",
        "Trump orders more troops to southern border as deportations rise",
        "Mexico agreed to take back migrants removed from the United States.",
        "no_india_side",
    ),
    (
        "india_pakistan_defence",
        "India, Pakistan exchange fire along Line of Control",
        "The Indian Army said it responded to unprovoked firing by Pakistani troops in Kashmir.",
        "no_us_side",
    ),
    (
        "india_china_defence",
        "Indian and Chinese troops disengage at Ladakh friction points",
        "Rajnath Singh told Parliament that patrolling will resume under the new arrangement with Beijing.",
        "no_us_side",
    ),
    (
        "indian_politics",
        "Modi slams Congress over caste census in Bihar rally",
        "The Prime Minister said the opposition had betrayed backward classes for decades.",
        "no_us_side",
    ),
    (
        "indian_politics_congress_party",
        "Congress leader Rahul Gandhi attacks BJP over unemployment",
        "The Congress party said it would raise the issue in the Lok Sabha.",
        "no_us_side",
    ),
    (
        "us_politics",
        "Senate Republicans unveil stopgap bill to avert government shutdown",
        "Democrats in Congress said the measure would cut health-care subsidies, and Trump urged quick passage.",
        "no_india_side",
    ),
    (
        "india_russia_oil",
        "India's Russian oil imports hit record in June",
        "Reliance Industries and Nayara Energy bought discounted Urals crude from Moscow.",
        "no_us_side",
    ),
    (
        "list_of_countries",
        "Global markets slide as tariffs bite",
        "Stocks fell in the US, China, Japan, Germany, India, Brazil and South Korea on Monday.",
        "many_countries",
    ),
    (
        "tariff_list",
        "Trump's new tariffs hit China, India, Vietnam, Mexico and Canada",
        "Importers brace for higher prices.",
        "many_countries",
    ),
    (
        "us_vs_india_cricket",
        "USA stun India in T20 World Cup thriller at Nassau County",
        "Saurabh Netravalkar took two wickets as the co-hosts defended 160 runs.",
        "sports_without_policy",
    ),
    (
        "india_vs_usa_hockey",
        "India beat USA 4-1 in Olympic hockey qualifier",
        "Harmanpreet Singh scored twice as the Indian team topped the group.",
        "sports_without_policy",
    ),
    (
        "markets_report",
        "US stocks fall as Fed holds rates",
        "Markets in Japan, India and Europe also slipped.",
        "third_country_focus",
    ),
    (
        "markets_comovement",
        "Indian, US markets rally on Fed rate cut hopes",
        "Sensex and Nifty rose 1%, tracking Wall Street.",
        ("markets_without_policy", "parallel_not_bilateral"),
    ),
    (
        "passing_mention",
        "US weighs new export rules for Chinese chipmakers",
        "Officials in Beijing protested; suppliers in Taiwan, South Korea and India are watching.",
        ("third_country_focus", "third_country_headline", "many_countries"),
    ),  # the penalties weigh about the same
    (
        "travel_story",
        "Earth's ultimate yogis, in pictures",
        "A photographer went in search of the spiritual path, from retreats in America to caves in India.",
        "culture_story",
    ),
    ("unrelated", "Heatwave grips southern Europe", "Temperatures topped 44C in Seville.", "no_us_or_india"),
    (
        "diaspora_crime",
        "Indian student shot dead at Chicago gas station",
        "Police said the 23-year-old from Hyderabad worked night shifts while studying.",
        "human_interest_story",
    ),
    (
        "product_launch",
        "Apple launches new iPhone in India, priced at ₹79,900",
        "Pre-orders open on Friday at Apple stores in Mumbai and Delhi.",
        "consumer_news",
    ),
    (
        "generic_reaction",
        "Shelling along Line of Control for third night; US urges calm",
        "Villagers in Poonch fled as Indian and Pakistani troops exchanged fire.",
        "generic_reaction",
    ),
]


@pytest.mark.parametrize(("topic", "title", "summary"), RELEVANT, ids=[f"{r[0]}-{i}" for i, r in enumerate(RELEVANT)])
def test_relevant_articles_get_their_topic(topic: str, title: str, summary: str) -> None:
    result = classify(title, summary)
    assert result.relevant, result.evidence
    assert result.relevance_score >= 0.5
    assert topic in result.topics, result.evidence["topic_scores"]


@pytest.mark.parametrize(("topics", "title", "summary"), MULTI_TOPIC)
def test_multi_topic_articles_get_every_topic(topics: set[str], title: str, summary: str) -> None:
    result = classify(title, summary)
    assert result.relevant
    assert topics <= set(result.topics), result.evidence["topic_scores"]


def test_topics_are_sorted_by_strength() -> None:
    result = classify(
        "India, US sign defence pact; tariffs also on agenda",
        "The defence agreement covers jet engines, drones and joint exercises.",
    )
    scores = result.evidence["topic_scores"]
    assert result.topics[0] == "defense"
    assert [scores[t] for t in result.topics] == sorted((scores[t] for t in result.topics), reverse=True)


@pytest.mark.parametrize(("case", "title", "summary", "rule"), HARD_NEGATIVES, ids=[n[0] for n in HARD_NEGATIVES])
def test_hard_negatives_are_not_relevant_for_the_stated_reason(
    case: str, title: str, summary: str, rule: str | tuple[str, ...]
) -> None:
    result = classify(title, summary)
    assert not result.relevant, (case, result.evidence)
    assert result.relevance_score < 0.5
    assert result.topics == ()
    assert result.evidence["rule"] in ((rule,) if isinstance(rule, str) else rule), result.evidence["score"]


def test_markets_story_with_a_policy_angle_stays_relevant() -> None:
    result = classify(
        "Sensex tanks 800 points as Trump tariffs on India take effect",
        "Exporters of textiles and gems were hit hardest.",
    )
    assert result.relevant
    assert result.topics == ("trade",)


def test_sport_with_a_policy_angle_stays_relevant() -> None:
    # Stage 1's rule; the shipped stage 2 scores this written case 0.40 (a known miss, see the README).
    result = classify(
        "US denies visas to Indian cricket team ahead of T20 World Cup",
        "The State Department cited security vetting; the BCCI protested to the embassy.",
        use_stage2=False,
    )
    assert result.relevant
    assert "immigration" in result.topics


def test_us_role_makes_india_pakistan_story_relevant_a_generic_call_for_calm_does_not() -> None:
    passing = classify("India, Pakistan exchange fire along Line of Control", "US urged calm.")
    central = classify(
        "Trump says US brokered India-Pakistan ceasefire; New Delhi denies mediation",
        "The White House said Rubio spoke to both sides.",
    )
    only_in_summary = classify(
        "India and Pakistan agree to halt strikes",
        "Secretary of State Rubio spoke to Jaishankar and Pakistan's army chief to broker the truce.",
    )
    assert not passing.relevant
    assert central.relevant and {"diplomacy", "defense"} <= set(central.topics)
    # The US acts in the summary: a role, not a reaction. A headline naming only India and Pakistan keeps
    # it near the default threshold (which aims at precision 0.9), but well above even odds.
    assert only_in_summary.relevance_score >= 0.6 and passing.relevance_score < 0.2
    assert central.relevance_score > passing.relevance_score


# --- rule families --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "summary", "rule"),
    [
        ("India-US trade talks resume", "", "bilateral_cue"),
        ("Indo-US ties at a crossroads", "", "bilateral_cue"),
        ("Modi to visit Washington next month", "", "both_sides_in_title"),
        ("Tariff relief talks resume", "Negotiators from New Delhi will fly to Washington next week.", "cooccurrence"),
    ],
)
def test_rule_names_what_decided_a_relevant_article(title: str, summary: str, rule: str) -> None:
    result = classify(title, summary)
    assert result.relevant
    assert result.evidence["rule"] == rule


@pytest.mark.parametrize(
    ("title", "summary", "rule"),
    [
        ("Modi inaugurates metro line in Pune", "", "no_us_side"),
        ("Trump signs executive order on voting", "", "no_india_side"),
        ("Heatwave grips Spain", "", "no_us_or_india"),
        ("US and China agree tariff truce", "Exporters in India and Vietnam may benefit.", "third_country_headline"),
        (
            "Markets slide worldwide",
            "Stocks fell in the US, China, Japan, Germany, India and Brazil.",
            "many_countries",
        ),
        (
            "USA stun India by five wickets in T20 World Cup",
            "The co-hosts chased 160 runs in Dallas.",
            "sports_without_policy",
        ),
        (
            "Sensex, Nifty track Wall Street higher",
            "Indian shares rose after US stocks rallied overnight.",
            "markets_without_policy",
        ),
        (
            "Bollywood film breaks US box office record for Indian releases",
            "The movie earned $6 million in America in its opening weekend.",
            "culture_story",
        ),
        (
            "Indian-American teen wins spelling bee",
            "The 13-year-old from Texas spelled 'eudaemonic'.",
            "human_interest_story",
        ),
        (
            "Google launches Pixel phone in India",
            "Prices start at ₹64,999; pre-orders open on Flipkart.",
            "consumer_news",
        ),
    ],
)
def test_rule_names_what_decided_an_article_that_is_not_relevant(title: str, summary: str, rule: str) -> None:
    result = classify(title, summary)
    assert not result.relevant, result.evidence["score"]
    assert result.evidence["rule"] == rule, result.evidence["score"]


def test_a_side_named_only_in_the_body_needs_more_than_a_passing_mention() -> None:
    title, summary = "India raises duties on almonds and walnuts", "The finance ministry notified the new rates."
    lede = "The new rates apply from Monday to shipments arriving at Indian ports, the notification said. " * 5
    passing = classify(title, summary, body=lede + "Exporters in the US may be affected.")
    strong = classify(
        title,
        summary,
        body=(
            "The move retaliates against US tariffs on Indian steel. Washington called it unjustified; the White House "
            "said Trump would respond, and the USTR opened a review of trade with India."
        ),
    )
    assert not passing.relevant
    assert passing.evidence["rule"] == "side_only_in_body"
    assert strong.relevance_score > passing.relevance_score
    assert strong.evidence["score"]["contributions"]["body_only"] < 0


def test_a_feature_headline_is_anchored_by_the_lede() -> None:
    result = classify(
        "Counting the cost",
        "Exporters say the orders have dried up.",
        body="Garment makers in Tiruppur say American buyers stopped orders after the US raised tariffs "
        "on Indian goods to 50%, and New Delhi is weighing relief.",
    )
    assert result.relevant
    assert "trade" in result.topics
    assert {t["field"] for t in result.evidence["us_terms"]} == {"lede"}


def test_long_body_cannot_outvote_an_unrelated_headline() -> None:
    body = "The US and India were mentioned in passing. " * 50
    result = classify("Local council approves new park", body=body)
    assert not result.relevant


def test_body_beyond_the_lede_is_capped() -> None:
    lede = "Negotiators met for a second day. " * 12  # pushes what follows past the lede
    countries = " ".join(
        f"{country} was also mentioned."
        for country in ("China", "Japan", "Germany", "Brazil", "Mexico", "Canada", "France", "Italy", "Spain", "Egypt")
    )
    result = classify("India, US sign trade pact", "Tariffs on farm goods will fall.", lede + countries)
    assert result.relevant
    assert all(mass <= 0.4 for mass in result.evidence["third_countries"].values())
    drowned = classify("India, US sign trade pact", "", lede + "Visas visas visas. Oil oil oil. Chips chips chips.")
    assert drowned.topics[0] == "trade"
    assert all(drowned.evidence["topic_scores"][t] <= 0.4 for t in ("immigration", "energy", "technology"))


def test_only_the_start_of_a_very_long_body_is_read() -> None:
    filler = "Nothing to see here. " * 1000
    assert classify("Ministers meet", body=filler + "US and India agree a defence pact.").evidence["us_terms"] == []


def test_repeats_of_one_name_count_less_and_at_most_three_times() -> None:
    once = classify("Modi meets Trump", "")
    many = classify("Modi meets Trump", "Trump Trump Trump Trump Trump.")
    us = [t for t in many.evidence["us_terms"] if t["term"] == "Trump"]
    assert len(us) == 4  # the headline's, and three of the summary's five
    summary_mass = 0.6 + 2 * 0.3 * 0.6  # first mention, then REPEAT_WEIGHT each
    expected = once.evidence["score"]["us_mass"] + summary_mass
    assert many.evidence["score"]["us_mass"] == pytest.approx(expected, abs=0.01)


def test_a_side_as_object_of_a_preposition_is_an_interaction_cue() -> None:
    result = classify("Trump slaps new duties", "The levies on India take effect on Friday.")
    cues = result.evidence["bilateral_cues"]
    assert {"term": "India", "field": "summary", "weight": 0.3, "interaction": True} in cues
    listed = classify("Asia markets mixed", "Stocks in India, Japan and the US were mixed.")
    assert not any(c.get("interaction") for c in listed.evidence["bilateral_cues"])


def test_a_side_as_object_of_a_verb_of_dealing_is_an_interaction_cue() -> None:
    result = classify("Washington presses Delhi on dairy access", "")
    assert {"term": "Delhi", "field": "title", "weight": 0.3, "interaction": True} in result.evidence["bilateral_cues"]
    named = classify("India and the US hold talks", "")
    assert not any(c.get("interaction") for c in named.evidence["bilateral_cues"])


def test_subjects_listed_as_discussed_do_not_label_topics() -> None:
    result = classify(
        "Jaishankar meets Rubio in New York", "The ministers discussed trade, energy and defence cooperation."
    )
    assert result.topics == ("diplomacy",)
    listed = {t["term"] for terms in result.evidence["topic_terms"].values() for t in terms if t.get("listed")}
    assert {"trade", "energy"} <= listed
    produced = classify("Jaishankar meets Rubio in New York", "They agreed to cut tariffs on farm goods.")
    assert "trade" in produced.topics


def test_evidence_lists_both_sides_cues_topics_features_and_is_json() -> None:
    result = classify(
        "India-US trade deal: Trump hails 'great friend' Modi",
        "Commerce Minister Piyush Goyal said tariffs on farm goods would fall.",
    )
    ev = result.evidence
    assert {
        "us_terms",
        "india_terms",
        "bilateral_cues",
        "topic_terms",
        "topic_scores",
        "false_friends",
        "ignored",
        "rule",
        "score",
        "third_countries",
        "third_country_terms",
        "offtopic_domains",
        "entities",
        "language",
        "detector_version",
    } <= set(ev)
    assert {t["term"] for t in ev["us_terms"]} >= {"India-US", "Trump"}
    assert {t["term"] for t in ev["india_terms"]} >= {"India-US", "Modi", "Piyush Goyal"}
    assert [c["term"] for c in ev["bilateral_cues"]] == ["India-US"]
    trade_terms = {t["term"]: t for t in ev["topic_terms"]["trade"]}
    assert trade_terms["trade deal"] == {"term": "trade deal", "field": "title", "weight": 1.0}
    assert trade_terms["tariffs"]["field"] == "summary"
    score, second = ev["score"], ev["stage2"]
    assert set(score["contributions"]) <= set(FEATURES) | set(EXTRA_FEATURES)
    # The logit is the bias, the named features' contributions and the phrases'; the score is its calibration.
    logit = score["bias"] + sum(score["contributions"].values()) + second["phrases_total"]
    assert second["logit"] == pytest.approx(logit, abs=0.01)
    a, c = shipped_model().platt
    assert score["relevance"] == pytest.approx(1 / (1 + math.exp(-(a * logit + c))), abs=0.002)
    assert all(gram.startswith(("t:", "s:")) for gram in second["phrases"])
    assert ev["detector_version"] == DETECTOR_VERSION
    assert ev["language"] == "en"
    assert json.loads(json.dumps(ev)) == ev


def test_ambiguous_term_counts_only_when_its_side_is_corroborated() -> None:
    indian = classify("Modi slams Congress over caste census")
    assert indian.evidence["us_terms"] == []
    assert [i["term"] for i in indian.evidence["ignored"]] == ["Congress"]
    assert "US Congress" not in indian.entities
    american = classify("US Congress passes bill on India defence ties", "The Senate vote was 80-19.")
    assert any(t["term"] == "Senate" and t.get("ambiguous") for t in american.evidence["us_terms"])
    assert "US Senate" in american.entities


def test_shouted_us_is_not_trusted_but_shouted_country_phrases_are() -> None:
    pronoun = classify("JOIN US FOR LIVE COVERAGE OF INDIA'S ELECTION RESULTS")
    assert not pronoun.relevant
    assert pronoun.evidence["us_terms"] == []
    assert pronoun.evidence["ignored"][0]["term"] == "US"
    for title in ("INDIA, US SIGN TRADE PACT", "US PRESIDENT TO VISIT INDIA", "US-INDIA TIES DEEPEN"):
        assert classify(title).relevant, title


def test_quad_partners_do_not_count_as_distracting_countries() -> None:
    result = classify(
        "Quad foreign ministers meet in Washington",
        "Jaishankar, Rubio and their Japanese and Australian counterparts discussed maritime security.",
    )
    assert result.relevant
    assert result.evidence["third_countries"] == {}
    assert result.evidence["partners_not_counted"] == ["Australia", "Japan"]
    assert "diplomacy" in result.topics


def test_weak_topic_evidence_in_a_short_dek_is_the_topic() -> None:
    # One topic word in a one-line summary is under every threshold, but it is what the story is about.
    result = classify("India rethinks its bet on America", "Trump's tariffs force a new approach")
    assert result.relevant
    assert result.topics == ("trade",)
    assert result.evidence["topic_fallback"] == "weak_topic_evidence"


def test_leader_meeting_without_topic_terms_falls_back_to_diplomacy() -> None:
    # Stage 1's rule; the shipped stage 2 scores this headline-only case 0.43 (a known miss, see the README).
    result = classify("Modi, Trump share a hug in Houston", use_stage2=False)
    assert result.relevant
    assert result.topics == ("diplomacy",)
    assert result.evidence["topic_fallback"] == "leader_cue"


def test_leaders_of_both_sides_in_the_headline_add_diplomacy() -> None:
    both = classify(
        "Modi and Trump go toe to toe on tariffs",
        "Washington wants lower duties on farm goods; New Delhi wants the penalty tariff gone.",
    )
    assert both.relevant
    assert both.topics == ("trade", "diplomacy")  # trade has the mass, so it comes first
    assert both.evidence["topic_fallback"] == "leaders_in_title"
    assert "diplomacy" not in both.evidence["topic_scores"]  # a rule, not lexicon mass
    one = classify("Trump slaps 50% tariff on India", "The US raised duties on Indian goods over Russian oil.")
    assert one.relevant
    assert "diplomacy" not in one.topics  # one side's leader and a unilateral measure: not diplomacy
    assert "topic_fallback" not in one.evidence


def test_a_side_named_only_through_its_companies_needs_trade_or_investment() -> None:
    launch = classify("Apple unveils iPhone 17 in India", "Pre-orders start on Friday; prices begin at ₹82,900.")
    investment = classify(
        "Apple to invest $2 billion to make iPhones in India for export to the US",
        "The company's suppliers will add factories in Tamil Nadu.",
    )
    assert not launch.relevant
    assert launch.evidence["score"]["contributions"]["firm_only"] < 0
    assert investment.relevant
    assert {"trade", "technology"} <= set(investment.topics)


# --- entities -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "summary", "present", "absent"),
    [
        (
            "PM Modi meets Trump",
            "Narendra Modi and Donald Trump spoke at length; Modi thanked the president.",
            {"Narendra Modi", "Donald Trump"},
            set(),
        ),
        ("Washington warns New Delhi over Russian oil", "", {"Washington, D.C.", "New Delhi"}, {"Washington (state)"}),
        ("Washington state passes data privacy law", "", {"Washington (state)"}, {"Washington, D.C."}),
        ("White House hosts Quad leaders", "", {"White House", "Quad"}, {"Washington, D.C."}),
        (
            "MEA summons US envoy",
            "The Ministry of External Affairs objected to the remarks.",
            {"Ministry of External Affairs", "United States"},
            set(),
        ),
        ("Jaishankar and Doval brief Rubio", "", {"S. Jaishankar", "Ajit Doval", "Marco Rubio"}, set()),
        ("US-India trade talks", "", {"United States", "India"}, set()),
        ("Exercise Malabar begins", "", set(), {"Exercise Malabar"}),  # an exercise, not an entity
        ("मोदी और ट्रंप की मुलाकात", "", {"Narendra Modi", "Donald Trump"}, set()),
    ],
)
def test_entities_are_canonical(title: str, summary: str, present: set[str], absent: set[str]) -> None:
    entities = classify(title, summary).entities
    assert present <= set(entities)
    assert not absent & set(entities)
    assert len(entities) == len(set(entities))


def test_entities_are_grouped_by_kind_in_the_evidence() -> None:
    result = classify(
        "Goyal, Greer meet in Washington on trade pact",
        "MEA spokesperson Randhir Jaiswal said talks were positive; the Federation of Indian Export "
        "Organisations welcomed progress.",
    )
    kinds = result.evidence["entities"]
    assert {"Piyush Goyal", "Jamieson Greer", "Randhir Jaiswal"} <= set(kinds["person"])
    assert "Washington, D.C." in kinds["place"]
    assert "Ministry of External Affairs" in kinds["organization"]
    assert sorted(n for names in kinds.values() for n in names) == sorted(result.entities)


def test_names_no_list_knows_are_found_by_patterns_in_relevant_articles() -> None:
    summary = (
        "Commerce Secretary Rajiv Menon said the first tranche was ready, and the All India Shrimp "
        "Exporters Association welcomed it. Karen Whitfield said Washington agreed."
    )
    result = classify("India, US close in on trade deal", summary)
    assert {"Rajiv Menon", "Karen Whitfield", "All India Shrimp Exporters Association"} <= set(result.entities)
    patterns = {e["name"]: e["pattern"] for e in result.evidence["pattern_entities"]}
    assert patterns["Rajiv Menon"] == "title"
    assert patterns["Karen Whitfield"] == "speech_verb"
    assert patterns["All India Shrimp Exporters Association"] == "organisation_suffix"
    assert "pattern_entities" not in classify("Heatwave grips Spain", summary).evidence


def test_matched_terms_are_surfaces_as_written_without_duplicates() -> None:
    result = classify("Modi meets Trump", "MODI and modi again; Trump too.")
    assert result.matched_terms[:3] == ("Modi", "meets", "Trump")
    assert len({t.lower() for t in result.matched_terms}) == len(result.matched_terms)


# --- contract -------------------------------------------------------------------------------

ALL_CASES = (
    [(t, s) for _, t, s in RELEVANT] + [(t, s) for _, t, s in MULTI_TOPIC] + [(t, s) for _, t, s, _ in HARD_NEGATIVES]
)


@pytest.mark.parametrize(("title", "summary"), ALL_CASES)
def test_contract_holds_for_every_case(title: str, summary: str) -> None:
    result = classify(title, summary)
    assert isinstance(result, Classification)
    assert 0.0 <= result.relevance_score <= 1.0
    assert set(result.topics) <= set(TOPICS)
    assert len(set(result.topics)) == len(result.topics)
    if not result.relevant:
        assert result.topics == ()
    assert all(isinstance(e, str) and e for e in result.entities)
    json.dumps(result.evidence)


def test_features_are_the_documented_ones_and_weights_keep_their_meaning() -> None:
    assert set(weights.WEIGHTS) == set(FEATURES)
    for name, weight in weights.WEIGHTS.items():
        assert weight * SIGNS[name] >= 0, name
        assert weights.PRIOR_WEIGHTS[name] * SIGNS[name] > 0, name
    assert set(weights.TOPIC_THRESHOLDS) == set(TOPICS)


def test_empty_input() -> None:
    result = classify("")
    assert not result.relevant
    assert result.relevance_score == 0.0
    assert result.evidence["rule"] == "no_us_or_india"


def test_explicit_language_is_recorded_not_detected() -> None:
    assert classify("Modi meets Trump", language="en-IN").evidence["language"] == "en-IN"
    assert classify("मोदी और ट्रंप की मुलाकात").evidence["language"] == "hi"


def test_score_is_monotone_in_evidence() -> None:
    base = classify("India and US discuss trade", "").relevance_score
    more_sides = classify("India and US discuss trade", "Modi and Trump spoke; the White House was upbeat.")
    more_countries = classify("India and US discuss trade", "China, Japan, Brazil and Germany are watching.")
    more_sport = classify("India and US discuss trade", "Cricket match and tournament also on the agenda.")
    assert more_sides.relevance_score >= base
    assert more_countries.relevance_score <= base
    assert more_sport.relevance_score <= base


def test_classify_is_deterministic_in_process() -> None:
    first = [classify(t, s) for t, s in ALL_CASES]
    second = [classify(t, s) for t, s in reversed(ALL_CASES)]
    assert first == list(reversed(second))


def test_classify_is_deterministic_across_hash_seeds() -> None:
    code = (
        "import json; from pipeline.detect import classify; "
        "r = classify('Quad leaders meet as India-US trade talks stall', "
        "'Japan and Australia join Modi and Trump.'); "
        "print(json.dumps([r.relevant, r.relevance_score, r.topics, r.entities, r.matched_terms, r.evidence]))"
    )
    outputs = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            timeout=120,
            cwd=Path(__file__).resolve().parents[2],
        )
        outputs.add(proc.stdout)
    assert len(outputs) == 1
